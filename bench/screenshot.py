"""Screenshot of the web page on the spun example, for the docs.

Starts `unspin serve` on loopback with the shipped example archive, pastes the spun
example into the page in headless Chromium (Debian's `chromium`, driven by Playwright),
hovers a swapped word and saves the page to docs/screenshot.png.

Run: `.venv/bin/python bench/screenshot.py [--out docs/screenshot.png]`.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from importlib import resources
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _server import running_server
from playwright.sync_api import sync_playwright

from unspin.testing import CHROMIUM_ARGS


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path("docs/screenshot.png"))
    ap.add_argument("--width", type=int, default=1400)
    ap.add_argument("--height", type=int, default=900)
    args = ap.parse_args()
    chromium = shutil.which("chromium")
    if chromium is None:
        sys.exit("needs Debian's chromium on PATH: apt-get install chromium")
    spun = (resources.files("unspin") / "examples" / "spun.txt").read_text(encoding="utf-8")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with running_server() as base, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": args.width, "height": args.height})
        page.goto(base + "/")
        page.fill("#text", spun)
        page.click("#run")
        page.wait_for_selector("#copy mark.sub")
        page.locator("#copy mark.sub").nth(5).hover()
        page.wait_for_selector("#tip:not([hidden])")
        page.screenshot(path=str(args.out), full_page=True)
        browser.close()
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()

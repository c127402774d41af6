"""The web page in a real browser: Debian's chromium, driven by Playwright for Python, against
the app served by uvicorn on 127.0.0.1."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi", reason="needs the serve extra: pip install 'unspin[serve]'")
pytest.importorskip("playwright.sync_api", reason="needs playwright (dev extra)")

from playwright.sync_api import expect, sync_playwright

import unspin.server as server_mod
from unspin.testing import CHROMIUM_ARGS

from .conftest import example_text
from .test_server import FakeReport, build_archive, config, live_server, spun_body, spun_html

CHROMIUM = shutil.which("chromium")
if CHROMIUM is None:
    pytest.skip(
        "Debian's chromium is not on PATH (.ci/run installs it: apt-get install chromium)",
        allow_module_level=True,
    )


class ModelCheck(FakeReport):
    """What the page gets from POST /check: one word flagged by the model."""

    def to_dict(self) -> dict[str, Any]:
        i = self.doc.text.index("prisoners")
        sub = {
            "start": i,
            "end": i + len("prisoners"),
            "text": "prisoners",
            "original": "captives",
            "source_id": None,
            "confidence": 0.61,
            "alternatives": ["detainees"],
        }
        return {
            "id": self.doc.id,
            "verdict": "spun",
            "spin_score": 0.83,
            "sources": [],
            "substitutions": [sub],
            "restored": self.doc.text.replace("prisoners", "captives", 1),
            "stray": [],
            "language": "en",
            "evasions": {},
        }


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    # The language model's answers come from a stand-in: what the page does with them is
    # tested here; the model itself is tested in test_check.py and test_server.py.
    mp = pytest.MonkeyPatch()
    mp.setattr(server_mod, "_find_check", lambda: lambda doc, **_: ModelCheck(doc))
    mp.setattr(server_mod, "_load_check_models", lambda _s: (None, None))
    db = build_archive(tmp_path_factory.mktemp("web") / "refs.db")
    try:
        with live_server(config(archive=db, workers=2, check=True)) as url:
            yield url
    finally:
        mp.undo()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture()
def page(browser: Any, base: str) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1300, "height": 900})
    p = context.new_page()
    p.set_default_timeout(15_000)
    outside: list[str] = []
    p.on("request", lambda r: outside.append(r.url) if not r.url.startswith(base) else None)
    errors: list[str] = []
    p.on("pageerror", lambda e: errors.append(str(e)))
    p.goto(base + "/")
    # Locator waits, not wait_for_function: the page's CSP forbids the eval that the
    # polling form of wait_for_function needs, which made these waits flaky.
    expect(p.locator("#version")).not_to_have_text("")
    yield p
    context.close()
    assert not outside, f"the page loaded from outside: {outside}"
    assert not errors, f"script errors: {errors}"


def test_paste_spun_text_shows_highlights_source_and_restored_text(page: Any) -> None:
    page.fill("#text", example_text("spun.txt"))
    page.click("#run")
    page.wait_for_selector("#copy mark.sub")
    assert page.text_content("#verdict") == "Copy"
    marks = page.locator("#copy mark.sub")
    assert marks.count() >= 10
    first = marks.first
    assert first.inner_text() == "Arbitrators"
    assert first.get_attribute("data-original") == "Negotiators"
    assert first.get_attribute("data-origin") == "source"
    assert first.get_attribute("data-source") == "harbor-wire-0002"
    assert 0 < float(first.get_attribute("data-confidence")) <= 1
    # The source side by side, with its original wording marked.
    assert "harbor-wire-0002" in page.inner_text("#source-meta")
    assert "Negotiators" in page.inner_text("#source")
    assert page.locator("#source mark.orig-word").count() >= 10
    assert "harbor-wire-0002" in page.inner_text("#sources")
    # The glued headline is struck through with its reason.
    stray = page.locator("#copy del.stray")
    assert stray.count() == 1 and stray.get_attribute("data-reason") == "glued-headline"
    assert "Local bakery" in stray.inner_text()
    restored = page.inner_text("#restored")
    assert "Negotiators from the breakaway region" in restored
    assert "Local bakery" not in restored
    assert "79%" in page.inner_text("#score")

    # Hover: the original, where it comes from and how sure.
    first.hover()
    tip = page.locator("#tip")
    tip.wait_for(state="visible")
    text = tip.inner_text()
    assert "Negotiators" in text and "harbor-wire-0002" in text and "Confidence" in text
    # Hovering a sentence lights up its aligned sentence in the source.
    assert page.locator("#source .sent.linked").count() >= 1
    page.mouse.move(5, 5)
    tip.wait_for(state="hidden")

    # Keyboard: focus shows it, click pins it, Escape closes it.
    page.locator("#copy mark.sub").nth(1).focus()
    tip.wait_for(state="visible")
    assert "breakaway" in tip.inner_text()
    page.keyboard.press("Escape")
    tip.wait_for(state="hidden")
    page.locator("#copy mark.sub").nth(2).click()
    page.mouse.move(5, 5)
    assert tip.is_visible() and "coastal province" in tip.inner_text()

    # Hiding the inline originals keeps the highlights.
    page.uncheck("#inline-originals")
    assert not page.locator("#copy .orig").first.is_visible()


def test_upload_an_html_page(page: Any, tmp_path: Path) -> None:
    html_file = tmp_path / "orska.html"
    html_file.write_text(spun_html("Arbitrators meet in Orska", spun_body()), encoding="utf-8")
    page.set_input_files("#file", str(html_file))
    page.wait_for_selector("#copy mark.sub")
    assert page.text_content("#verdict") == "Copy"
    assert "harbor-wire-0002" in page.inner_text("#source-meta")
    assert "id: orska.html" in page.inner_text("#doc-id")
    assert "Negotiators" in page.inner_text("#restored")


def test_no_source_runs_the_model_and_marks_its_words(page: Any) -> None:
    page.fill("#text", example_text("independent.txt"))
    page.click("#run")
    page.wait_for_selector("#copy mark.sub.model")
    assert page.text_content("#verdict") == "No source found"
    assert "No source found" in page.inner_text("#source")
    mark = page.locator("#copy mark.sub.model").first
    assert mark.inner_text() == "prisoners"
    assert mark.get_attribute("data-origin") == "model"
    mark.hover()
    tip = page.locator("#tip")
    tip.wait_for(state="visible")
    text = tip.inner_text()
    assert "captives" in text and "language model" in text and "61%" in text
    assert "detainees" in text
    assert page.inner_text("#spin").lower().startswith("spun")
    assert "captives" in page.inner_text("#restored")


def test_errors_are_shown_and_the_page_stays_usable(page: Any, tmp_path: Path) -> None:
    page.click("#run")
    assert "Paste the text" in page.inner_text("#error")
    bad = tmp_path / "photo.html"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(300))
    page.set_input_files("#file", str(bad))
    page.wait_for_selector("#error:not([hidden])")
    expect(page.locator("#error")).to_contain_text("HTML")
    assert "not an HTML page" in page.inner_text("#error")
    page.fill("#text", example_text("spun.txt"))
    page.keyboard.press("Tab")
    page.focus("#text")
    page.keyboard.press("Control+Enter")
    page.wait_for_selector("#copy mark.sub")
    assert page.locator("#error").is_hidden()


def test_text_is_escaped_and_offsets_survive_astral_characters(page: Any) -> None:
    # Offsets count code points: emoji (two UTF-16 units each) must not shift highlights.
    markup = '<img src="x" onerror="document.title=1"> <b>bold?</b>'
    text = "\U0001f4f0\U0001f4f0 " + example_text("spun.txt") + "\n\n" + markup + "\n"
    page.fill("#text", text)
    page.click("#run")
    page.wait_for_selector("#copy mark.sub")
    assert page.locator("#copy mark.sub").first.inner_text() == "Arbitrators"
    assert page.locator("#copy mark.sub").nth(2).inner_text() == "seaside territory"
    assert page.locator("#copy img, #copy b").count() == 0
    assert markup in page.inner_text("#copy")
    assert page.title().startswith("unspin")

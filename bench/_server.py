"""Start `unspin serve` in a subprocess on loopback, with an archive of the shipped
example articles, for the load benchmark and the screenshot script."""

from __future__ import annotations

import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path

from unspin import Archive, read_inputs
from unspin.document import Document


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def example_archive(path: Path) -> None:
    originals = str(resources.files("unspin") / "examples" / "originals.jsonl")
    with Archive(path, create=True) as arc:
        arc.add(d for d in read_inputs([originals]) if isinstance(d, Document))


@contextmanager
def running_server(
    *extra: str, startup: float = 60.0, log_path: Path | None = None
) -> Iterator[str]:
    """Base URL of a server on 127.0.0.1 that lives as long as the context; its output
    goes to ``log_path`` (default: a temporary file)."""
    with tempfile.TemporaryDirectory(prefix="unspin-serve-") as tmp:
        db = Path(tmp) / "refs.db"
        example_archive(db)
        port = free_port()
        cmd = [sys.executable, "-m", "unspin", "serve", "--archive", str(db), "--port", str(port)]
        log_path = log_path or Path(tmp) / "server.log"
        log = open(log_path, "wb")  # noqa: SIM115 - closed below
        proc = subprocess.Popen([*cmd, *extra], stdout=log, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + startup
            while True:
                if proc.poll() is not None:
                    raise RuntimeError(f"server exited: {log_path.read_text()}")
                try:
                    with urllib.request.urlopen(f"{base}/health", timeout=2) as r:
                        if r.status == 200:
                            break
                except OSError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError("server did not start in time")
                time.sleep(0.1)
            yield base
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            log.close()

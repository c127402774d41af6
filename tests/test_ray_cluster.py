"""`unspin cluster --ray-address`: joining a Ray cluster that runs on its own.

A module of its own: the cluster here is started by `ray start`, as on a real cluster's
head node, and must not meet the Ray that test_cluster.py starts in the test process.
"""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from .test_cluster import EXPECTED, crawl, run_cli, write_jsonl

RAY = Path(sys.executable).parent / "ray"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def ray_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """A one-node Ray cluster started by `ray start --head`, stopped after the module
    (SIGINT: `ray start --block` then stops the processes it started, and only those)."""
    pytest.importorskip("ray")
    if not RAY.exists():
        pytest.skip("no ray command beside this Python")
    log = tmp_path_factory.mktemp("ray") / "start.log"
    port = _free_port()
    cmd = [str(RAY), "start", "--head", "--block", f"--port={port}", "--num-cpus=2"]
    cmd += ["--include-dashboard=false", "--disable-usage-stats"]
    with log.open("w") as out:
        head = subprocess.Popen(
            cmd,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 90
        while "Ray runtime started" not in log.read_text(errors="replace"):
            assert head.poll() is None, log.read_text(errors="replace")
            assert time.monotonic() < deadline, "ray start did not come up in 90 s"
            time.sleep(0.5)
        yield
    finally:
        head.send_signal(signal.SIGINT)
        try:
            head.wait(timeout=60)
        except subprocess.TimeoutExpired:
            head.kill()
            head.wait()
        # `ray stop` would delete the address that `auto` finds; stopped by a signal, the
        # head leaves it behind, naming a cluster that is gone.
        current = Path(tempfile.gettempdir()) / "ray" / "ray_current_cluster"
        if current.exists() and current.read_text().strip().endswith(f":{port}"):
            current.unlink()


def test_cli_joins_a_running_cluster_with_the_local_result(
    ray_cluster: None, tmp_path: Path
) -> None:
    # `auto`: the cluster this node's `ray start` made, as a user on a head node would.
    path = write_jsonl(tmp_path / "crawl.jsonl", crawl(), extra={3: "{not json"})
    local, remote = tmp_path / "local.jsonl", tmp_path / "remote.jsonl"
    r = run_cli("cluster", str(path), "--out", str(local), "--workers", "1")
    assert r.returncode == 0, r.stderr
    r = run_cli("cluster", str(path), "--out", str(remote), "--ray-address", "auto")
    assert r.returncode == 0, r.stderr
    assert f"{path}:4: malformed JSON" in r.stderr and "Traceback" not in r.stderr
    assert remote.read_bytes() == local.read_bytes()
    assert len(remote.read_text(encoding="utf-8").splitlines()) == len(EXPECTED)


def test_cli_address_it_cannot_join_is_one_clear_line(tmp_path: Path) -> None:
    pytest.importorskip("ray")
    path = write_jsonl(tmp_path / "crawl.jsonl", crawl())
    out = tmp_path / "clusters.jsonl"
    r = run_cli("cluster", str(path), "--out", str(out), "--ray-address", "127.0.0.1:noport")
    assert r.returncode != 0
    assert "--ray-address 127.0.0.1:noport: cannot join a Ray cluster there" in r.stderr
    assert "port" in r.stderr.splitlines()[-1] and "Traceback" not in r.stderr
    assert not out.exists()


def test_join_failure_names_rays_reason_on_one_line() -> None:
    pytest.importorskip("ray")
    from unspin.cluster.ray_job import join_failure

    # The shapes ray.init(address=...) raised here: a ConnectionError caused by a
    # RuntimeError whose message holds the traceback of the last try.
    def raised(last: str) -> ConnectionError:
        e = ConnectionError("Failed to connect to Ray cluster at 192.0.2.2:6379")
        e.__cause__ = RuntimeError(
            "Failed to connect to GCS. Last connection error: Traceback (most recent call"
            ' last):\n  File "node.py", line 996, in _init_gcs_client\n    client = '
            f"GcsClient(\n{last}\n"
        )
        return e

    gone = raised("ray.exceptions.RpcError: Timed out while waiting for GCS to become available.")
    assert join_failure(gone) == "Timed out while waiting for GCS to become available"
    token = raised(
        "ray.exceptions.AuthenticationError: RPC error: InvalidAuthToken: Authentication token"
        " is missing or incorrect. Note: RAY_AUTH_MODE is currently 'disabled'."
    )
    why = join_failure(token)
    assert why.startswith("RPC error: InvalidAuthToken: Authentication token is missing")
    assert "RAY_AUTH_TOKEN" in why and "\n" not in why and "Note" not in why
    assert join_failure(ValueError("")) == "ValueError"

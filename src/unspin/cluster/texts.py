"""Texts on disk between sketching and verification.

Sketching keeps ~2 KB per document in memory; verification needs the texts of candidate
documents only, later. Texts go to spill files in a run's temporary directory, written
by the process that read them (the main process, or the worker that read an input), and
come back by offset.
"""

from __future__ import annotations

import os
import tempfile
from array import array
from bisect import bisect_left
from typing import IO


class SpillWriter:
    """One process's spill file in ``directory``: titles and texts, appended."""

    def __init__(self, directory: str) -> None:
        fd, self.path = tempfile.mkstemp(prefix="texts-", suffix=".bin", dir=directory)
        # A large write buffer: texts go in as a stream, a few at a time.
        self.f: IO[bytes] = os.fdopen(fd, "wb", buffering=1 << 20)
        self.size = 0

    def put(self, text: str, title: str | None) -> tuple[int, int, int]:
        """Append a document's title and text: (offset, text bytes, title bytes or -1)."""
        data = text.encode("utf-8", "surrogatepass")
        head = title.encode("utf-8", "surrogatepass") if title is not None else b""
        offset = self.size
        self.f.write(head)
        self.f.write(data)
        self.size += len(head) + len(data)
        return offset, len(data), len(head) if title is not None else -1

    def flush(self) -> None:
        self.f.flush()

    def close(self) -> None:
        self.f.close()


_WRITERS: dict[str, SpillWriter] = {}  # a worker's writer for each run's directory


def worker_spill(directory: str) -> SpillWriter:
    """This process's writer in ``directory`` (a worker writes one file per run)."""
    w = _WRITERS.get(directory)
    if w is None or w.f.closed:
        w = _WRITERS[directory] = SpillWriter(directory)
    return w


class TextStore:
    """Where each document's text and title are, by key (keys come in increasing order):
    in a spill file of ``directory``, written by this process (:attr:`writer`) or by a
    worker. 40 bytes per document stay in memory."""

    def __init__(self, directory: str) -> None:
        self.writer = SpillWriter(directory)  # for the documents this process reads
        self.paths: list[str] = []
        self._path_no: dict[str, int] = {}
        self._fds: dict[int, int] = {}
        self.keys = array("q")
        self.files = array("i")
        self.offsets = array("q")
        self.lengths = array("q")
        self.title_lengths = array("q")  # -1: no title

    def put_ref(self, key: int, path: str, offset: int, length: int, title_length: int) -> None:
        """Record a document that is already in the spill file ``path``."""
        if self.keys and key <= self.keys[-1]:
            raise ValueError("document keys must increase in input order")
        n = self._path_no.get(path)
        if n is None:
            n = self._path_no[path] = len(self.paths)
            self.paths.append(path)
        self.keys.append(key)
        self.files.append(n)
        self.offsets.append(offset)
        self.lengths.append(length)
        self.title_lengths.append(title_length)

    def get(self, key: int) -> tuple[str, str | None]:
        """The text and the title of document ``key``."""
        i = bisect_left(self.keys, key)
        if i == len(self.keys) or self.keys[i] != key:
            raise KeyError(key)
        n_title = self.title_lengths[i]
        raw = self._read(self.files[i], self.offsets[i], max(n_title, 0) + self.lengths[i])
        title = raw[:n_title].decode("utf-8", "surrogatepass") if n_title >= 0 else None
        return raw[max(n_title, 0) :].decode("utf-8", "surrogatepass"), title

    def _read(self, file_no: int, offset: int, n: int) -> bytes:
        self.writer.flush()  # no-op when nothing is buffered
        fd = self._fds.get(file_no)
        if fd is None:
            fd = self._fds[file_no] = os.open(self.paths[file_no], os.O_RDONLY)
        if hasattr(os, "pread"):
            return os.pread(fd, n, offset)
        os.lseek(fd, offset, os.SEEK_SET)
        return os.read(fd, n)

    def close(self) -> None:
        for fd in self._fds.values():
            os.close(fd)
        self._fds.clear()
        self.writer.close()

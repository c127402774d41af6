"""The unit every stage consumes: a text with an id and optional metadata."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Document:
    id: str
    text: str
    title: str | None = None
    url: str | None = None
    date: str | None = None
    origin: str | None = None  # where it was read from: "file.jsonl:12", "-", a path
    meta: dict[str, Any] = field(default_factory=dict)

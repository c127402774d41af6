"""The optional C modules that ``setup.py`` builds, each beside its Python reference:
``_skeleton`` (:func:`unspin.fingerprint.skeleton_hashes`), ``_minhash``
(:func:`unspin.cluster.sketching._signatures_py`), ``_tokenize``
(:func:`unspin.segment.tokenize`), ``_sentences`` (:func:`unspin.segment._sentences_py`),
``_strays`` (:func:`unspin.clean._find_strays_py`), ``_encode``
(:func:`unspin.align.encode_sentences`) and ``_align`` (:func:`unspin.align._align_rows_py`)."""

from __future__ import annotations

import importlib
from typing import Any


def compiled(module: str, name: str) -> Any | None:
    """``name`` from the C module ``unspin.<module>``, or None when it was not built
    (installed without a C compiler: the extensions are optional, and the Python
    reference gives the same results)."""
    try:
        return getattr(importlib.import_module(f"unspin.{module}"), name)
    except ImportError:
        return None

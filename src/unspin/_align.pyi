from typing import Any

def align_rows(
    copy: Any,
    source: Any,
    change: type[Any],
    pair: type[Any],
    min_sentence: float,
    min_clause: float,
    marks: str,
) -> tuple[list[Any], int, int, int]: ...
def similarities(copy: Any, source: Any) -> list[list[float]]: ...
def spans(
    pairs: tuple[Any, ...], sentences: set[int] | None, copy: Any, source: Any
) -> list[tuple[int, int, str, str]] | None: ...

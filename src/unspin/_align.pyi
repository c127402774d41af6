from typing import Any

import numpy as np

def align_rows(
    copy: Any,
    source: Any,
    sim: np.ndarray,
    change: type[Any],
    pair: type[Any],
    min_sentence: float,
    min_clause: float,
    marks: str,
) -> tuple[list[Any], int, int, int]: ...

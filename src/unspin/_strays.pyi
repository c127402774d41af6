from collections.abc import Set

def find_strays(
    text: str,
    title_key: str | None,
    title_words: Set[str] | None,
    function_words: Set[str],
    share_words: tuple[str, ...],
    promo_labels: tuple[str, ...],
    promo_phrases: tuple[str, ...],
    min_overlap: float,
) -> list[tuple[int, int, str]]: ...

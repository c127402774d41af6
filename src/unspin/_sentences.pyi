from array import array

def sentences(
    text: str, starts: array[int], splitter: int
) -> tuple[list[tuple[int, int]], list[tuple[int, int]]] | None: ...

from array import array

def tokenize(
    text: str,
) -> tuple[list[str], array[int], array[int], str, list[bool]]: ...

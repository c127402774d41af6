from typing_extensions import Buffer

def signatures(
    hashes: Buffer, ends: Buffer, a: Buffer, b: Buffer, empty: Buffer, out: Buffer
) -> None: ...

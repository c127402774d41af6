"""The compiled modules; everything else is in pyproject.toml.

``optional``: without a C compiler the package still installs and runs on the pure-Python
versions of the same functions, the same output, slower.
"""

from setuptools import Extension, setup


def native(name: str) -> Extension:
    return Extension(
        f"unspin.{name}",
        [f"src/unspin/{name}.c"],
        # Python's character classes (ASCII from a table); XXH32 and XXH64; token offsets.
        depends=["src/unspin/_uclass.h", "src/unspin/_xxhash.h", "src/unspin/_offsets.h"],
        extra_compile_args=["-O2"],
        optional=True,
    )


# The per-token loops of clustering, each beside its Python reference:
# _skeleton (unspin.fingerprint.skeleton_hashes), _minhash (its MinHash,
# unspin.cluster.sketching._signatures_py), _tokenize (unspin.segment.tokenize),
# _sentences (unspin.segment._sentences_py), _encode (unspin.align.encode_sentences),
# _align (unspin.align._align_rows_py), _strays (unspin.clean._find_strays_py).
_MODULES = ("_skeleton", "_minhash", "_tokenize", "_sentences", "_encode", "_align", "_strays")
setup(ext_modules=[native(name) for name in _MODULES])

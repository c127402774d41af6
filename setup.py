"""The one compiled module; everything else is in pyproject.toml.

``optional``: without a C compiler the package still installs and runs on the pure-Python
skeleton (:func:`unspin.fingerprint.skeleton_shingles`), the same output, slower.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "unspin._skeleton",
            ["src/unspin/_skeleton.c"],
            extra_compile_args=["-O2"],
            optional=True,
        )
    ]
)

"""Errors users can act on. Each carries a one-line message meant for a terminal."""


class UnspinError(Exception):
    """Base class: an error with a clear, one-line message."""


class InputError(UnspinError):
    """A document or input file that cannot be read."""


class ArchiveError(UnspinError):
    """A missing, corrupt or incompatible archive."""

"""unspin: find spun copies of articles, trace them to their sources, show every change.

>>> import unspin
>>> with unspin.Archive("refs.db", create=True) as archive:       # doctest: +SKIP
...     archive.add([unspin.Document(id="a1", text=original)])
...     report = unspin.trace(spun_text, archive)
...     report.verdict, report.sources[0].id, report.substitutions[0].original
"""

__version__ = "0.1.0"

from unspin.archive import Archive
from unspin.document import Document
from unspin.errors import ArchiveError, InputError, UnspinError
from unspin.readers import ReadOptions, ReadProblem, read_inputs
from unspin.report import Source, Substitution, TraceReport
from unspin.trace import trace

__all__ = [
    "Archive",
    "ArchiveError",
    "Document",
    "InputError",
    "ReadOptions",
    "ReadProblem",
    "Source",
    "Substitution",
    "TraceReport",
    "UnspinError",
    "__version__",
    "read_inputs",
    "trace",
]

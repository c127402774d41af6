"""Is a text English? Non-English documents are reported as such and skipped rather than
scored against English resources.

py3langid (a langid.py model shipped inside the package, no download) names the language;
the share of English function words overrules it on texts it finds hard, such as tables
of figures or headline fragments, where a wrong "not English" would hide a copy.
"""

from __future__ import annotations

import re

from unspin.function_words import FUNCTION_WORDS

_WORD = re.compile(r"[^\W\d_]+")
_SAMPLE = 5000  # characters: enough to decide, cheap on huge inputs
_MIN_LETTERS = 40  # below this, any guess is noise: assume English


def function_word_share(text: str) -> float:
    words = [w.lower() for w in _WORD.findall(text[:_SAMPLE])]
    return sum(w in FUNCTION_WORDS for w in words) / len(words) if words else 0.0


def detect_language(text: str) -> str:
    """ISO 639-1 code of the text's language ("en" when unsure)."""
    sample = text[:_SAMPLE]
    if sum(ch.isalpha() for ch in sample) < _MIN_LETTERS:
        return "en"
    import py3langid  # deferred: loading the model takes ~0.5 s

    code, _ = py3langid.classify(sample)
    if code != "en" and function_word_share(sample) >= 0.2:
        return "en"
    return str(code)

"""Plain text helpers, imported by the tasks: editing them re-versions the tasks that use them."""

from __future__ import annotations

import re

STOPWORDS = frozenset({"a", "an", "and", "in", "is", "it", "of", "on", "the", "to"})
WORD = re.compile(r"[a-z0-9']+")


def normalize(word: str) -> str:
    return word.strip("'").lower()


def tokenize(text: str) -> list[str]:
    """The words of ``text``, lowercased, without stop words."""
    words = (normalize(w) for w in WORD.findall(text.lower()))
    return [w for w in words if w and w not in STOPWORDS]

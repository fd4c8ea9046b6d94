"""The steps of a word count, each a typed task."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from graven import Cache, Resources, task
from wordcount.text import tokenize

MIN_WORD_LENGTH = 2


class Style(Enum):
    PLAIN = "plain"
    MARKDOWN = "markdown"


@dataclass
class WordStats:
    total: int
    distinct: int
    top_words: list[str]


@task(retries=2, timeout=60)
def split_words(corpus: str) -> list[str]:
    """Split the corpus into words."""
    return tokenize(corpus)


@task(cache=True, resources=Resources(cpus=1, memory="256Mi"))
def count_words(words: list[str]) -> dict[str, int]:
    """Count each word long enough to matter."""
    counts: dict[str, int] = {}
    for word in words:
        if len(word) >= MIN_WORD_LENGTH:
            counts[word] = counts.get(word, 0) + 1
    return counts


@task
def merge_counts(counts: list[dict[str, int]]) -> dict[str, int]:
    """Add several counts together."""
    merged: dict[str, int] = {}
    for one in counts:
        for word, n in one.items():
            merged[word] = merged.get(word, 0) + n
    return merged


@task(cache=Cache(version="1"))
def summarize(counts: dict[str, int], top: int = 3) -> WordStats:
    """The totals and the most frequent words (ties broken alphabetically)."""
    ranked = sorted(counts, key=lambda w: (-counts[w], w))
    return WordStats(total=sum(counts.values()), distinct=len(counts), top_words=ranked[:top])


@task
def render_report(stats: WordStats, title: str | None = None, style: Style = Style.PLAIN) -> str:
    """A short human-readable report."""
    heading = title or "Word count"
    if style is Style.MARKDOWN:
        heading = f"# {heading}"
    words = ", ".join(stats.top_words) or "(none)"
    return f"{heading}\n{stats.total} words, {stats.distinct} distinct; top: {words}"

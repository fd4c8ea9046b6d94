"""Workflows over the word-count tasks, and a launch plan."""

from __future__ import annotations

from typing import NamedTuple

from graven import LaunchPlan, workflow
from wordcount.tasks import (
    Style,
    WordStats,
    count_words,
    merge_counts,
    render_report,
    split_words,
    summarize,
)


class Report(NamedTuple):
    stats: WordStats
    text: str


@workflow
def wordcount(corpus: str, top: int = 3, title: str | None = None) -> Report:
    """Count the words of a corpus and report the most frequent ones."""
    counts = count_words(words=split_words(corpus=corpus))
    stats = summarize(counts=counts, top=top)
    return Report(stats=stats, text=render_report(stats=stats, title=title))


@workflow
def compare(left: str, right: str) -> WordStats:
    """The combined statistics of two texts."""
    merged = merge_counts(
        counts=[
            count_words(words=split_words(corpus=left)),
            count_words(words=split_words(corpus=right)),
        ]
    )
    stats = summarize(counts=merged, top=5)
    render_report(stats=stats, title="Comparison", style=Style.MARKDOWN)
    return stats


daily = LaunchPlan(
    "wordcount.daily",
    wordcount,
    default_inputs={"top": 5},
    fixed_inputs={"title": "Daily words"},
)

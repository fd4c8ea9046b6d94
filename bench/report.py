"""Figures as a console line, a JSON file, a Markdown table and a PNG plot."""

from __future__ import annotations

import json
import platform
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from bench.embedded import AGENT, CONTROL_PLANE
from bench.figures import Figure
from bench.stats import Timing

MIB = 1 << 20
# The groups whose raw counterpart is Ray running the same DAG.
RAY_GROUPS = ("executions", "maps", "cache")


def _duration(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.2f} s"


def _timing(t: Timing | None, p99: bool = False) -> str:
    if t is None:
        return ""
    text = _duration(t.median)
    return f"{text} (p99 {_duration(t.percentile(99))})" if p99 else text


def _memory(peak: Mapping[str, int]) -> str:
    return " / ".join(
        f"{peak[role] / MIB:,.0f} MiB" if role in peak else "-" for role in (CONTROL_PLANE, AGENT)
    )


def line(figure: Figure) -> str:
    """One console line."""
    parts = [f"  {figure.label:52s} Graven {_timing(figure.graven, figure.rate is not None)}"]
    if figure.raw_ray is not None:
        raw = "raw Ray" if figure.group in RAY_GROUPS else "raw"
        parts.append(f"{raw} {_timing(figure.raw_ray)}   ratio {figure.ratio:.1f}x")
    if figure.rate is not None:
        parts.append(f"{figure.rate:,.0f}/s")
    if figure.graven is not None:
        parts.append(f"n={len(figure.graven.samples)}")
    if figure.peak_rss:
        parts.append(f"peak RSS {_memory(figure.peak_rss)}")
    return "   ".join(parts)


def markdown(figures: Sequence[Figure]) -> str:
    rows = [
        "| figure | target | Graven p50 | raw Ray p50 | ratio | rate | runs | "
        "peak RSS control plane / agent |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for f in figures:
        rows.append(
            "| "
            + " | ".join(
                [
                    f.label + (f" ({f.note})" if f.note else ""),
                    f.target,
                    _timing(f.graven, f.rate is not None),
                    _timing(f.raw_ray),
                    f"{f.ratio:.1f}x" if f.ratio is not None else "",
                    f"{f.rate:,.0f}/s" if f.rate is not None else "",
                    str(len(f.graven.samples)) if f.graven is not None else "",
                    _memory(f.peak_rss) if f.peak_rss else "",
                ]
            )
            + " |"
        )
    return "\n".join(rows) + "\n"


def write(figures: Sequence[Figure], folder: Path, name: str, run: Mapping[str, Any]) -> list[Path]:
    """``name``.json, .md and .png in ``folder``; the paths written."""
    folder.mkdir(parents=True, exist_ok=True)
    meta = {**run, "python": platform.python_version(), "machine": platform.machine()}
    written = [folder / f"{name}.json", folder / f"{name}.md", folder / f"{name}.png"]
    written[0].write_text(
        json.dumps({"run": meta, "figures": [f.as_json() for f in figures]}, indent=2) + "\n"
    )
    header = ", ".join(f"{key} {value}" for key, value in meta.items())
    written[1].write_text(f"Benchmark run: {header}\n\n{markdown(figures)}")
    plot(figures, written[2])
    return written


def plot(figures: Sequence[Figure], path: Path) -> None:
    """Graven beside raw Ray for every shape (log scale), and the throughput rates."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    # Store writes have a raw counterpart too, but not Ray: they stay in the table.
    shapes = [f for f in figures if f.group in RAY_GROUPS and f.raw_ray is not None]
    rates = [f for f in figures if f.rate is not None]
    panels = [p for p in (shapes, rates) if p]
    if not panels:
        return
    fig, axes = plt.subplots(1, len(panels), figsize=(7 * len(panels), 5), squeeze=False)
    column = iter(axes[0])
    if shapes:
        ax = next(column)
        positions = range(len(shapes))
        graven = [f.graven.median for f in shapes if f.graven is not None]
        raw = [f.raw_ray.median for f in shapes if f.raw_ray is not None]
        ax.bar([p - 0.2 for p in positions], graven, 0.4, label="Graven")
        ax.bar([p + 0.2 for p in positions], raw, 0.4, label="raw Ray")
        for p, f in zip(positions, shapes, strict=True):
            ax.annotate(f"{f.ratio:.1f}x", (p - 0.2, graven[p]), ha="center", va="bottom")
        ax.set_xticks(list(positions), [f.label for f in shapes], rotation=35, ha="right")
        ax.set_yscale("log")
        ax.set_ylabel("seconds to SUCCEEDED, p50 (log scale)")
        ax.set_title("Graven beside raw Ray on the same cluster (ratio above)")
        ax.legend()
    if rates:
        ax = next(column)
        ax.bar(range(len(rates)), [f.rate or 0.0 for f in rates])
        ax.axhline(300, color="grey", linestyle="--", label="target 300/s")
        ax.set_xticks(range(len(rates)), [f.label for f in rates], rotation=35, ha="right")
        ax.set_ylabel("calls per second")
        ax.set_title("Control-plane throughput, concurrent clients")
        ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)

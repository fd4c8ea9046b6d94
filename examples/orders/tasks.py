"""The steps of the sales report, each cached by its code and its inputs' content."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from graven import File, task
from orders.csvtools import money, parse_rows


@dataclass
class Order:
    region: str
    amount: float


@task(cache=True)
def parse_orders(data: File) -> list[Order]:
    """The orders of a CSV file: the file's content is the input, not its path."""
    with data.open() as f:
        text = f.read().decode()
    return [Order(region=region, amount=amount) for region, amount in parse_rows(text)]


@task(cache=True)
def totals_by_region(orders: list[Order]) -> dict[str, float]:
    totals: dict[str, float] = {}
    for order in orders:
        totals[order.region] = totals.get(order.region, 0.0) + order.amount
    return totals


@task(cache=True)
def best_region(totals: dict[str, float]) -> str:
    return max(sorted(totals), key=lambda region: totals[region])


@task(cache=True)
def write_report(totals: dict[str, float], best: str, title: str) -> File:
    """A Markdown report, returned as a file: stored by its content like any output."""
    lines = [f"# {title}", ""]
    lines += [f"- {region}: {money(totals[region])}" for region in sorted(totals)]
    lines += ["", f"Best region: {best}", ""]
    path = Path(tempfile.mkdtemp(prefix="orders-report-")) / "report.md"
    path.write_text("\n".join(lines))
    return File(path)

"""Plain helpers the tasks import: editing one re-versions, and so recomputes, its users."""

from __future__ import annotations

import csv
import io


def parse_rows(text: str) -> list[tuple[str, float]]:
    """(region, amount) of each row of a CSV with a header naming both columns."""
    return [(row["region"], float(row["amount"])) for row in csv.DictReader(io.StringIO(text))]


def money(amount: float) -> str:
    return f"{amount:,.2f}"

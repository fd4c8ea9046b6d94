"""The sales report workflow."""

from __future__ import annotations

from typing import NamedTuple

from graven import File, workflow
from orders.tasks import best_region, parse_orders, totals_by_region, write_report


class Summary(NamedTuple):
    best: str
    report: File


@workflow
def sales_report(data: File, title: str = "Sales by region") -> Summary:
    """Total the orders of a CSV file by region and report the best one."""
    totals = totals_by_region(orders=parse_orders(data=data))
    best = best_region(totals=totals)
    return Summary(best=best, report=write_report(totals=totals, best=best, title=title))

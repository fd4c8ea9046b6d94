"""`graven diff execution A B`: which nodes of two executions differ, and why."""

from __future__ import annotations

from collections.abc import Callable

from rich.markup import escape
from rich.table import Table
from rich.text import Text

from graven.cli.executions import execution_id
from graven.cli.output import console, full_name, print_json, short_digest
from graven.remote import Remote
from graven.v1 import lineage_pb2 as lp
from graven.v1 import lineage_service_pb2 as lin

EXECUTION_KINDS = frozenset({"execution", "executions", "ex"})
# The reasons in the order a person looks: a node missing, then what went in, then out.
REASONS = {
    lin.NODE_DIFFERENCE_MISSING: "missing",
    lin.NODE_DIFFERENCE_TASK_VERSION: "task version",
    lin.NODE_DIFFERENCE_CODE: "code",
    lin.NODE_DIFFERENCE_INPUTS: "inputs",
    lin.NODE_DIFFERENCE_OUTPUTS: "outputs",
}


def is_execution_kind(kind: str) -> bool:
    return kind.lower() in EXECUTION_KINDS


def diff_executions(
    a: str, b: str, *, project: str, domain: str, json: bool, endpoint: str
) -> None:
    id_a, id_b = execution_id(a, project, domain), execution_id(b, project, domain)
    with Remote(endpoint or None) as remote:
        diff = remote.diff_executions(id_a, id_b)
    if json:
        print_json(diff)
        return
    wa, wb = diff.a_workflow_id, diff.b_workflow_id
    workflows = (
        f"{escape(wa.name)} [cyan]{escape(wa.version)}[/]"
        if (wa.name, wa.version) == (wb.name, wb.version)
        else f"{escape(wa.name)} [cyan]{escape(wa.version)}[/] → "
        f"{escape(wb.name)} [cyan]{escape(wb.version)}[/]"
    )
    t = Table(
        title=Text.from_markup(
            f"{escape(full_name(id_a))} → {escape(full_name(id_b))}  workflow {workflows}"
        ),
        title_justify="left",
    )
    for column in ("node", "differs in", "task version", "code digest", "inputs", "outputs"):
        t.add_column(column, overflow="fold")
    changed = 0
    for node in diff.nodes:
        reasons = [REASONS.get(d, "unknown") for d in node.differences]
        changed += bool(reasons)
        t.add_row(
            Text(node.node_id),
            Text(", ".join(reasons) or "same", style="yellow" if reasons else "green"),
            Text(_pair(node, lambda s: s.task_id.version)),
            Text(_pair(node, lambda s: short_digest(s.code_digest))),
            Text(", ".join(node.changed_inputs)),
            Text(", ".join(node.changed_outputs)),
        )
    console.print(t)
    console.print(f"{changed} of {len(diff.nodes)} node(s) differ.")


def _pair(node: lin.NodeDiff, field: Callable[[lp.LineageStep], str]) -> str:
    """The value on each side ("-" for a side without the node), once when equal."""
    a = field(node.a) if node.HasField("a") else "-"
    b = field(node.b) if node.HasField("b") else "-"
    return a if a == b else f"{a} → {b}"

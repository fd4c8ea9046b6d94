"""An execution's node executions as a tree, each named by the kind of node it runs.

Nested node execution ids are ``<parent id>/<child>``: a branch's case node (``n2/n3``, the
case node's template id), a map's element (``n4/17``, its index), a subworkflow's node
(``n5/n0``, again at each depth). The kind of each is read from the workflow's spec: the
template nodes, and for subworkflows the templates of ``closure.sub_workflows``. A node the
spec does not explain (an older spec, a data plane ahead of the CLI) is still shown, as what
its node execution says.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from graven.types import describe_type
from graven.v1 import execution_pb2 as ex
from graven.v1 import identifier_pb2 as idl
from graven.v1 import workflow_pb2 as wf

# Elements in these phases are folded into their map's counts unless every element is asked
# for: a map of thousands shows the ones a person has to look at.
QUIET_ELEMENT_PHASES = frozenset(
    {ex.NODE_PHASE_QUEUED, ex.NODE_PHASE_SUCCEEDED, ex.NODE_PHASE_RECOVERED}
)
UNPLACED = 1 << 30


@dataclass(frozen=True)
class Placed:
    """Where a nested id lands in the spec: its node (None for a map element) and, for an
    element, the map node it belongs to; ``position`` orders siblings as the spec does."""

    node: wf.Node | None
    element_of: wf.Node | None
    position: int


@dataclass(frozen=True)
class Row:
    node: ex.NodeExecution
    depth: int
    kind: str
    target: str
    detail: str


def _key(identifier: idl.Identifier) -> tuple[str, str, str, str]:
    return (identifier.project, identifier.domain, identifier.name, identifier.version)


class SpecIndex:
    """Resolves nested node ids against a workflow and the subworkflows in its closure."""

    def __init__(self, workflow: wf.Workflow | None) -> None:
        self.top = workflow.spec.template if workflow is not None else wf.WorkflowTemplate()
        self.templates = {
            _key(sub.id): sub.spec.template
            for sub in (workflow.closure.sub_workflows if workflow is not None else ())
        }

    def place(self, nested_id: str) -> Placed | None:
        template = self.top
        parent: wf.Node | None = None
        placed: Placed | None = None
        for segment in nested_id.split("/"):
            if placed is not None and placed.node is None:
                return None  # nothing nests in a map element
            if parent is None:
                placed = _among(_template_nodes(template), segment)
            elif parent.HasField("branch_node"):
                placed = _among(_case_nodes(parent.branch_node), segment)
            elif parent.HasField("array_node"):
                placed = Placed(None, parent, int(segment)) if segment.isdigit() else None
            elif parent.workflow_node.HasField("sub_workflow_id"):
                sub = self.templates.get(_key(parent.workflow_node.sub_workflow_id))
                if sub is None:
                    return None
                template = sub
                placed = _among(_template_nodes(template), segment)
            else:
                return None  # tasks, launch plans and gates have no nested nodes
            if placed is None:
                return None
            parent = placed.node
        return placed


def _template_nodes(template: wf.WorkflowTemplate) -> list[wf.Node]:
    nodes = list(template.nodes)
    if template.HasField("failure_node"):
        nodes.append(template.failure_node)
    return nodes


def _case_nodes(branch: wf.BranchNode) -> list[wf.Node]:
    nodes = [case.then_node for case in branch.cases]
    if branch.HasField("else_node"):
        nodes.append(branch.else_node)
    return nodes


def _among(nodes: Sequence[wf.Node], node_id: str) -> Placed | None:
    for position, node in enumerate(nodes):
        if node.id == node_id:
            return Placed(node, None, position)
    return None


def rows(
    workflow: wf.Workflow | None,
    nodes: Sequence[ex.NodeExecution],
    *,
    all_elements: bool = False,
) -> list[Row]:
    """Depth first: each node, then what is nested in it. A node whose parent is not among
    ``nodes`` (not reported yet) is shown at the top, so nothing reported is hidden."""
    index = SpecIndex(workflow)
    known = {n.id.node_id for n in nodes}
    children: dict[str, list[ex.NodeExecution]] = defaultdict(list)
    for n in nodes:
        parent = n.parent_node_id if n.parent_node_id in known else ""
        children[parent].append(n)
    placed = {n.id.node_id: index.place(n.id.node_id) for n in nodes}
    listed = {n.id.node_id: i for i, n in enumerate(nodes)}

    def order(n: ex.NodeExecution) -> tuple[int, int]:
        where = placed[n.id.node_id]
        return (where.position if where is not None else UNPLACED, listed[n.id.node_id])

    result: list[Row] = []

    def visit(parent_id: str, depth: int) -> None:
        for n in sorted(children.get(parent_id, ()), key=order):
            where = placed[n.id.node_id]
            is_element = where is not None and where.element_of is not None
            if is_element and not all_elements and n.phase in QUIET_ELEMENT_PHASES:
                continue
            kind, target, detail = describe(n, where, children.get(n.id.node_id, []))
            result.append(Row(n, depth, kind, target, detail))
            visit(n.id.node_id, depth + 1)

    visit("", 0)
    return result


def describe(
    n: ex.NodeExecution, where: Placed | None, nested: Sequence[ex.NodeExecution]
) -> tuple[str, str, str]:
    """(kind, what it runs, a detail) of one node execution."""
    if where is None or (where.node is None and where.element_of is None):
        return ("task" if n.task_id.name else "-", n.task_id.name, "")
    if where.node is None:
        assert where.element_of is not None
        return ("element", where.element_of.array_node.task_id.name, "")
    node = where.node
    target = node.WhichOneof("target")
    if target == "task_node":
        return ("task", node.task_node.task_id.name, "")
    if target == "branch_node":
        taken = [
            c.id.node_id.rsplit("/", 1)[-1] for c in nested if c.phase != ex.NODE_PHASE_SKIPPED
        ]
        return ("branch", node.metadata.name, f"took {', '.join(taken)}" if taken else "")
    if target == "array_node":
        return ("map", node.array_node.task_id.name, element_counts(nested))
    if target == "workflow_node":
        reference = node.workflow_node
        if reference.HasField("launch_plan_id"):
            child = n.child_execution_id
            detail = f"child {child.project}/{child.domain}/{child.name}" if child.name else ""
            return ("launch plan", reference.launch_plan_id.name, detail)
        return ("subworkflow", reference.sub_workflow_id.name, "")
    if target == "gate_node":
        return ("gate", "", gate_detail(node.gate_node))
    return ("-", n.task_id.name, "")


def element_counts(elements: Sequence[ex.NodeExecution]) -> str:
    """ "8 elements: 6 succeeded, 2 failed", phases in their enum order."""
    if not elements:
        return ""
    counts = Counter(e.phase for e in elements)
    parts = [f"{counts[p]} {phase_name(p).lower()}" for p in sorted(counts)]
    noun = "element" if len(elements) == 1 else "elements"
    return f"{len(elements)} {noun}: {', '.join(parts)}"


def gate_detail(gate: wf.GateNode) -> str:
    condition = gate.WhichOneof("condition")
    limited = gate.timeout.ToNanoseconds() > 0  # 0: no limit
    timeout = f", timeout {gate.timeout.ToTimedelta()}" if limited else ""
    if condition == "sleep":
        return f"sleep {gate.sleep.ToTimedelta()}"
    if condition == "signal":
        signal = gate.signal
        return f"signal {signal.signal_id!r}: {describe_type(signal.type)}{timeout}"
    if condition == "approve":
        return f"approve {gate.approve.signal_id!r}{timeout}"
    return ""


def phase_name(phase: ex.NodePhase) -> str:
    return ex.NodePhase.Name(phase).removeprefix("NODE_PHASE_")

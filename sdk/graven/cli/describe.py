"""A readable page for one registered entity."""

from __future__ import annotations

from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp
from rich.markup import escape
from rich.tree import Tree

from graven.cli.node_tree import gate_detail
from graven.cli.output import console, when
from graven.types import describe_type
from graven.v1 import identifier_pb2, interface_pb2, launch_plan_pb2, task_pb2, workflow_pb2


def describe_entity(entity: Message) -> None:
    if isinstance(entity, task_pb2.Task):
        _task(entity)
    elif isinstance(entity, workflow_pb2.Workflow):
        _workflow(entity)
    elif isinstance(entity, launch_plan_pb2.LaunchPlan):
        _launch_plan(entity)


def _header(kind: str, i: identifier_pb2.Identifier, digest: str, created: Timestamp) -> Tree:
    tree = Tree(f"[bold]{kind}[/] {i.project}/{i.domain}/{i.name} [cyan]{i.version}[/]")
    tree.add(f"digest {digest}")
    tree.add(f"registered {when(created)}")
    return tree


def _interface(tree: Tree, interface: interface_pb2.TypedInterface) -> None:
    inputs = tree.add("inputs")
    for v in interface.inputs:
        default = " (has default)" if v.HasField("default") else ""
        inputs.add(escape(f"{v.name}: {describe_type(v.type)}{default}"))
    outputs = tree.add("outputs")
    for v in interface.outputs:
        outputs.add(escape(f"{v.name}: {describe_type(v.type)}"))


def _task(task: task_pb2.Task) -> None:
    tree = _header("task", task.id, task.closure.digest, task.closure.created_at)
    t = task.spec.template
    _interface(tree, t.interface)
    code = tree.add("code")
    code.add(f"{t.code.module}.{t.code.function}")
    code.add(f"code digest {t.code.code_digest}")
    code.add(f"bundle {t.code.bundle_digest}")
    m = t.metadata
    meta = tree.add("metadata")
    meta.add(f"retries {m.retries}")
    if m.HasField("timeout"):
        meta.add(f"timeout {m.timeout.ToTimedelta()}")
    if m.cache.enabled:
        meta.add(escape(f"cache on (version {m.cache.version or 'from code digest'})"))
    console.print(tree)


def _workflow(workflow: workflow_pb2.Workflow) -> None:
    tree = _header("workflow", workflow.id, workflow.closure.digest, workflow.closure.created_at)
    template = workflow.spec.template
    _interface(tree, template.interface)
    nodes = tree.add("nodes")
    by_id = {n.id: n for n in template.nodes}
    for node_id in workflow.closure.node_order or list(by_id):
        _node(nodes, by_id[node_id])
    if template.HasField("failure_node"):
        _node(tree.add("on failure"), template.failure_node)
    console.print(tree)


def _node(parent: Tree, node: workflow_pb2.Node) -> None:
    """One node as "id: kind target version"; a branch's case nodes nested under it."""
    target = node.WhichOneof("target")
    if target == "task_node":
        parent.add(f"{node.id}: {_versioned(node.task_node.task_id)}")
    elif target == "array_node":
        parent.add(f"{node.id}: map {_versioned(node.array_node.task_id)}")
    elif target == "workflow_node":
        reference = node.workflow_node
        if reference.HasField("launch_plan_id"):
            parent.add(f"{node.id}: launch plan {_versioned(reference.launch_plan_id)}")
        else:
            parent.add(f"{node.id}: subworkflow {_versioned(reference.sub_workflow_id)}")
    elif target == "gate_node":
        parent.add(escape(f"{node.id}: gate, {gate_detail(node.gate_node)}"))
    elif target == "branch_node":
        branch = node.branch_node
        label = f" {node.metadata.name}" if node.metadata.name else ""
        cases = parent.add(escape(f"{node.id}: branch{label}"))
        for case in branch.cases:
            _node(cases, case.then_node)
        if branch.HasField("else_node"):
            _node(cases, branch.else_node)
        elif branch.HasField("else_fail"):
            cases.add(escape(f"else: fail {branch.else_fail!r}"))


def _versioned(identifier: identifier_pb2.Identifier) -> str:
    return f"{escape(identifier.name)} [cyan]{escape(identifier.version)}[/]"


def _launch_plan(plan: launch_plan_pb2.LaunchPlan) -> None:
    tree = _header("launch plan", plan.id, plan.closure.digest, plan.closure.created_at)
    w = plan.spec.workflow_id
    tree.add(f"workflow {w.name} [cyan]{w.version}[/]")
    tree.add(f"fixed inputs: {', '.join(sorted(plan.spec.fixed_inputs.literals)) or '-'}")
    tree.add(f"default inputs: {', '.join(sorted(plan.spec.default_inputs.literals)) or '-'}")
    console.print(tree)

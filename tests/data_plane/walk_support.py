"""Driving the walk (``graven.data_plane.walk``) with no Ray, no control plane and no store.

``MemoryReads`` is the ``Reads`` port over a few dicts. ``Driver`` carries out a walk's
actions the way the executor does, in memory: a ``Submit`` becomes an attempt that "Ray"
runs once every upstream attempt it was submitted behind has a result, by calling the task's
Python behaviour on its resolved inputs (``Tasks``); timers wait in a heap on an injectable
clock; cache questions, signals and child executions wait for the test to answer them. An
attempt's *execution* and the *delivery* of its result to the walk are separate steps, so a
test (or hypothesis) can deliver completions in any order, as Ray's callbacks may.

The builders make the new node kinds (branch, map, subworkflow, launch plan, gate, failure
node) as protos, store-free, beside ``dp_support``'s task nodes.
"""

from __future__ import annotations

import datetime
import functools
import heapq
import inspect
import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import grpc
from dp_support import DOMAIN, PROJECT
from dp_support import task as make_task
from dp_support import workflow as make_workflow

from graven.data_plane.bindings import resolve_all
from graven.data_plane.cache_hits import output_hashes
from graven.data_plane.cache_reservations import CacheResult
from graven.data_plane.outcomes import NodeFailure, NodeOutcome, NodeSuccess, UpstreamFailed
from graven.data_plane.walk import Walk
from graven.data_plane.walk_actions import (
    Action,
    Ask,
    Cancel,
    Committed,
    Emit,
    Finish,
    Record,
    Release,
    Remember,
    StartChild,
    StopWaiting,
    Submit,
    SubmitBatch,
    Timer,
    WaitSignal,
)
from graven.data_plane.walk_nodes import Backoff
from graven.literals import to_literal, to_python
from graven.store import layout
from graven.v1 import execution_pb2 as pb
from graven.v1.agent_service_pb2 import (
    CACHE_DECISION_HIT,
    CACHE_DECISION_RUN,
    CACHE_DECISION_WAIT,
    CacheAnswer,
    ChildExecutionRequest,
    ClaimExecutionResponse,
    ReserveCacheRequest,
    ReserveCacheResponse,
    SignalWait,
)
from graven.v1.cache_pb2 import CacheEntry
from graven.v1.identifier_pb2 import (
    RESOURCE_TYPE_LAUNCH_PLAN,
    RESOURCE_TYPE_WORKFLOW,
    ExecutionIdentifier,
    Identifier,
    NodeExecutionIdentifier,
    ResourceType,
)
from graven.v1.lineage_pb2 import LineageRecord
from graven.v1.literals_pb2 import Literal, LiteralMap
from graven.v1.signal_pb2 import Signal
from graven.v1.task_pb2 import CachePolicy, Task
from graven.v1.types_pb2 import LiteralType
from graven.v1.workflow_pb2 import (
    FAILURE_POLICY_UNSPECIFIED,
    LOGICAL_OPERATOR_AND,
    LOGICAL_OPERATOR_OR,
    UNARY_OPERATOR_IS_FALSE,
    UNARY_OPERATOR_IS_NONE,
    UNARY_OPERATOR_IS_TRUE,
    ApproveCondition,
    ArrayNode,
    Binding,
    BindingData,
    BooleanExpression,
    BranchCase,
    BranchNode,
    ComparisonExpression,
    ComparisonOperator,
    ConjunctionExpression,
    FailurePolicy,
    GateNode,
    Node,
    SignalCondition,
    UnaryExpression,
    Workflow,
    WorkflowNode,
)

BUNDLE = "sha256:" + "ab" * 32
EXECUTION = ExecutionIdentifier(project=PROJECT, domain=DOMAIN, name="walk")
INPUTS_URI = "mem://executions/walk/inputs.pb"
START = 1_000.0


# --- tasks with Python behaviours ------------------------------------------------------------


@dataclass(frozen=True)
class Behaviour:
    fn: Callable[..., object]
    inputs: Mapping[str, object]
    outputs: Mapping[str, object]
    # Which of ``node_id`` and ``attempt`` the function takes.
    extras: frozenset[str]


class Tasks:
    """Task specs, each with the Python function "Ray" runs for it. A function may take
    ``node_id`` and ``attempt`` besides its inputs; one output ``o0`` is returned as is,
    several as a dict."""

    def __init__(self) -> None:
        self.behaviours: dict[str, Behaviour] = {}

    def define(
        self,
        name: str,
        inputs: Mapping[str, object],
        outputs: Mapping[str, object] | object,
        fn: Callable[..., object],
        *,
        retries: int = 0,
        timeout: float | None = None,
        cache: bool = False,
        ignore: Sequence[str] = (),
    ) -> Task:
        named = dict(outputs) if isinstance(outputs, Mapping) else {"o0": outputs}
        spec = make_task(BUNDLE, "steps", name, inputs, named, retries=retries, timeout=timeout)
        spec.spec.template.code.code_digest = f"code-of-{name}"
        if cache:
            spec.spec.template.metadata.cache.CopyFrom(
                CachePolicy(enabled=True, ignore_inputs=list(ignore))
            )
        extras = frozenset(inspect.signature(fn).parameters) & {"node_id", "attempt"}
        self.behaviours[name] = Behaviour(fn, inputs, named, extras)
        return spec

    def run(self, name: str, inputs: LiteralMap, node_id: str, attempt: int) -> LiteralMap:
        """The outputs of one call; raises what the function raises."""
        behaviour = self.behaviours[name]
        kwargs: dict[str, Any] = {
            n: to_python(inputs.literals[n], tp) for n, tp in behaviour.inputs.items()
        }
        if "node_id" in behaviour.extras:
            kwargs["node_id"] = node_id
        if "attempt" in behaviour.extras:
            kwargs["attempt"] = attempt
        value = behaviour.fn(**kwargs)
        values = value if len(behaviour.outputs) != 1 else {"o0": value}
        assert isinstance(values, Mapping)
        return LiteralMap(
            literals={n: to_literal(values[n], tp) for n, tp in behaviour.outputs.items()}
        )


# --- the store, in memory -------------------------------------------------------------------


def uri_of(key: str) -> str:
    return f"mem://{key}"


def outputs_uri(node_id: str) -> str:
    return uri_of(layout.node_outputs_key(EXECUTION, node_id))


@dataclass
class MemoryReads:
    """The ``Reads`` port over dicts the test (and the driver) fill in."""

    by_uri: dict[str, LiteralMap] = field(default_factory=dict)
    by_hash: dict[str, Literal] = field(default_factory=dict)
    committed_by_node: dict[str, Committed] = field(default_factory=dict)
    inputs_by_node: dict[str, LiteralMap] = field(default_factory=dict)
    started: dict[tuple[str, int], float] = field(default_factory=dict)
    # Cache keys whose entries' objects the store lost.
    lost: set[str] = field(default_factory=set)
    foresight: dict[str, LiteralMap] = field(default_factory=dict)

    def keep(self, outputs: LiteralMap) -> None:
        for literal in outputs.literals.values():
            self.by_hash[literal.hash] = literal

    def commit(
        self, node_id: str, outputs: LiteralMap, records: Sequence[LineageRecord] = ()
    ) -> str:
        """Outputs a worker committed for ``node_id`` (its success never reported)."""
        uri = outputs_uri(node_id)
        self.by_uri[uri] = outputs
        self.keep(outputs)
        self.committed_by_node[node_id] = Committed(outputs, uri, list(records))
        return uri

    def outputs(self, uri: str) -> LiteralMap:
        return self.by_uri[uri]

    def artifacts(self, hashes: Mapping[str, str]) -> LiteralMap:
        return LiteralMap(literals={name: self.by_hash[h] for name, h in hashes.items()})

    def committed(self, node_id: str) -> Committed | None:
        return self.committed_by_node.get(node_id)

    def inputs(self, node_id: str) -> LiteralMap:
        return self.inputs_by_node[node_id]

    def started_at(self, node_id: str, attempt: int) -> float | None:
        return self.started.get((node_id, attempt))

    def entry_outputs(self, entry: CacheEntry, known: LiteralMap | None) -> LiteralMap | None:
        if entry.key in self.lost or not all(h in self.by_hash for h in entry.outputs.values()):
            return None
        return self.artifacts(entry.outputs)

    def foresee(self, key: str) -> LiteralMap | None:
        return self.foresight.get(key)

    def uri(self, key: str) -> str:
        return uri_of(key)


class Clock:
    def __init__(self, now: float = START) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


# --- claims ---------------------------------------------------------------------------------


def literals(**values: tuple[object, object]) -> LiteralMap:
    """Workflow inputs from ``name=(value, type)``."""
    return LiteralMap(literals={n: to_literal(v, tp) for n, (v, tp) in values.items()})


def walk_claim(
    wf: Workflow,
    reads: MemoryReads,
    inputs: LiteralMap | None = None,
    *,
    recorded: Sequence[pb.NodeExecution] = (),
    overwrite_cache: bool = False,
) -> ClaimExecutionResponse:
    """What ClaimExecution would answer, its inputs kept in ``reads``."""
    reads.by_uri[INPUTS_URI] = inputs or LiteralMap()
    execution = pb.Execution(
        id=EXECUTION,
        spec=pb.ExecutionSpec(inputs_uri=INPUTS_URI, overwrite_cache=overwrite_cache),
    )
    return ClaimExecutionResponse(
        execution=execution, workflow=wf, node_executions=list(recorded), store_url="mem://"
    )


def recorded_node(
    node_id: str,
    phase: pb.NodePhase,
    *,
    attempts: Sequence[tuple[int, pb.NodePhase]] = (),
    outputs_uri: str = "",
    error_type: str = "",
) -> pb.NodeExecution:
    """A node execution as an earlier walk left it on record."""
    return pb.NodeExecution(
        id=NodeExecutionIdentifier(execution_id=EXECUTION, node_id=node_id),
        phase=phase,
        outputs_uri=outputs_uri,
        attempts=[
            pb.NodeAttempt(attempt=a, phase=p, error=pb.ExecutionError(type=error_type))
            for a, p in attempts
        ],
    )


# --- node and workflow builders ---------------------------------------------------------------


def versioned(kind: ResourceType, name: str) -> Identifier:
    return Identifier(resource_type=kind, project=PROJECT, domain=DOMAIN, name=name, version="v1")


def graph(
    nodes: list[Node],
    tasks: list[Task],
    *,
    name: str = "wf",
    inputs: Mapping[str, object] | None = None,
    outputs: Mapping[str, tuple[BindingData, object]] | None = None,
    failure_policy: FailurePolicy = FAILURE_POLICY_UNSPECIFIED,
    subs: Sequence[Workflow] = (),
    failure_node: Node | None = None,
) -> Workflow:
    """A workflow (or a subworkflow, to pass in a parent's ``subs``) with an id."""
    wf = make_workflow(nodes, tasks, inputs=inputs, outputs=outputs, failure_policy=failure_policy)
    wf.id.CopyFrom(versioned(RESOURCE_TYPE_WORKFLOW, name))
    for sub in subs:
        wf.closure.sub_workflows.append(sub)
        known = {(t.id.name, t.id.version) for t in wf.closure.tasks}
        wf.closure.tasks.extend(
            t for t in sub.closure.tasks if (t.id.name, t.id.version) not in known
        )
    if failure_node is not None:
        wf.spec.template.failure_node.CopyFrom(failure_node)
    return wf


def _bindings(inputs: Mapping[str, BindingData]) -> list[Binding]:
    return [Binding(name=n, binding=b) for n, b in inputs.items()]


def compare(left: BindingData, op: ComparisonOperator, right: BindingData) -> BooleanExpression:
    return BooleanExpression(comparison=ComparisonExpression(operator=op, left=left, right=right))


def is_true(operand: BindingData) -> BooleanExpression:
    return BooleanExpression(
        unary=UnaryExpression(operator=UNARY_OPERATOR_IS_TRUE, operand=operand)
    )


def is_false(operand: BindingData) -> BooleanExpression:
    return BooleanExpression(
        unary=UnaryExpression(operator=UNARY_OPERATOR_IS_FALSE, operand=operand)
    )


def is_none(operand: BindingData) -> BooleanExpression:
    return BooleanExpression(
        unary=UnaryExpression(operator=UNARY_OPERATOR_IS_NONE, operand=operand)
    )


def both(left: BooleanExpression, right: BooleanExpression) -> BooleanExpression:
    return BooleanExpression(
        conjunction=ConjunctionExpression(operator=LOGICAL_OPERATOR_AND, left=left, right=right)
    )


def either(left: BooleanExpression, right: BooleanExpression) -> BooleanExpression:
    return BooleanExpression(
        conjunction=ConjunctionExpression(operator=LOGICAL_OPERATOR_OR, left=left, right=right)
    )


def branch(
    node_id: str,
    cases: Sequence[tuple[BooleanExpression, Node]],
    *,
    else_node: Node | None = None,
    else_fail: str | None = None,
) -> Node:
    spec = BranchNode(cases=[BranchCase(condition=c, then_node=n) for c, n in cases])
    if else_node is not None:
        spec.else_node.CopyFrom(else_node)
    elif else_fail is not None:
        spec.else_fail = else_fail
    return Node(id=node_id, branch_node=spec)


def map_node(
    node_id: str,
    target: Task,
    mapped: Sequence[str],
    *,
    concurrency: int = 0,
    min_success_ratio: float | None = None,
    **inputs: BindingData,
) -> Node:
    array = ArrayNode(task_id=target.id, mapped_inputs=list(mapped), concurrency=concurrency)
    if min_success_ratio is not None:
        array.min_success_ratio = min_success_ratio
    return Node(id=node_id, inputs=_bindings(inputs), array_node=array)


def sub_node(node_id: str, sub: Workflow, **inputs: BindingData) -> Node:
    return Node(
        id=node_id, inputs=_bindings(inputs), workflow_node=WorkflowNode(sub_workflow_id=sub.id)
    )


LAUNCH_PLAN = versioned(RESOURCE_TYPE_LAUNCH_PLAN, "child-plan")


def launch_plan_node(node_id: str, **inputs: BindingData) -> Node:
    return Node(
        id=node_id, inputs=_bindings(inputs), workflow_node=WorkflowNode(launch_plan_id=LAUNCH_PLAN)
    )


def sleep_gate(node_id: str, seconds: float) -> Node:
    gate = GateNode()
    gate.sleep.FromTimedelta(datetime.timedelta(seconds=seconds))
    return Node(id=node_id, gate_node=gate)


def signal_gate(node_id: str, name: str, tp: LiteralType, *, timeout: float = 0) -> Node:
    gate = GateNode(signal=SignalCondition(signal_id=name, type=tp))
    if timeout:
        gate.timeout.FromTimedelta(datetime.timedelta(seconds=timeout))
    return Node(id=node_id, gate_node=gate)


def approve_gate(node_id: str, name: str, value: BindingData, *, timeout: float = 0) -> Node:
    gate = GateNode(approve=ApproveCondition(signal_id=name))
    if timeout:
        gate.timeout.FromTimedelta(datetime.timedelta(seconds=timeout))
    return Node(id=node_id, inputs=[Binding(name="value", binding=value)], gate_node=gate)


def error_input() -> BindingData:
    return BindingData(workflow_error=True)


# --- the driver ----------------------------------------------------------------------------

# Picks one of ``n`` possible next steps (hypothesis draws it; the default takes the first).
Chooser = Callable[[int], int]
CacheAnswerer = Callable[[ReserveCacheRequest], CacheResult]


class Stuck(AssertionError):
    """The walk waits for something only the test can give (or for nothing at all)."""


class Driver:
    def __init__(
        self,
        wf: Workflow,
        tasks: Tasks,
        inputs: LiteralMap | None = None,
        *,
        reads: MemoryReads | None = None,
        recorded: Sequence[pb.NodeExecution] = (),
        cached: bool = True,
        overwrite_cache: bool = False,
        backoff: Backoff | None = None,
        cache: CacheAnswerer | None = None,
    ) -> None:
        self.tasks = tasks
        self.reads = reads or MemoryReads()
        self.clock = Clock()
        claim = walk_claim(
            wf, self.reads, inputs, recorded=recorded, overwrite_cache=overwrite_cache
        )
        self.walk = Walk(claim, self.reads, cached=cached, backoff=backoff, clock=self.clock)
        # ``cache``: answers questions in ``run``; None leaves them to the test.
        self.cache = cache
        self.log: list[Action] = []
        self.events: list[pb.Event] = []
        # Every attempt submitted, alone or in a batch (``batches``), in order.
        self.submits: list[Submit] = []
        self.batches: list[SubmitBatch] = []
        # Submitted, neither executed nor cancelled; executed, not yet delivered.
        self.pending: dict[int, Submit] = {}
        self.executed: dict[int, NodeOutcome] = {}
        self.results: dict[int, NodeOutcome] = {}
        self.cancelled: list[int] = []
        self.released: set[int] = set()
        self.questions: dict[int, ReserveCacheRequest] = {}
        self.asked: list[ReserveCacheRequest] = []
        self.remembered: dict[str, dict[str, str]] = {}
        self.timers: list[tuple[float, int, object]] = []
        self._sequence = itertools.count()
        self.waits: dict[str, SignalWait] = {}
        self.children: dict[str, ChildExecutionRequest] = {}
        self.stopped: list[str] = []
        self.records: list[Record] = []
        self.finish: Finish | None = None
        # Per map (or any parent) id: the most attempts in flight at once, as the walk sees
        # them: submitted, and not yet delivered back.
        self.peak: dict[str, int] = {}
        self._in_flight: dict[int, str] = {}

    # Carrying out actions.

    def apply(self, actions: list[Action]) -> list[Action]:
        assert self.finish is None or not actions, f"actions after Finish: {actions}"
        for action in actions:
            self.log.append(action)
            if isinstance(action, Submit):
                self._submitted(action)
            elif isinstance(action, SubmitBatch):
                # One Ray task for several elements: to the walk, each is an attempt of its
                # own, behind nothing, whose outcome comes back on its own token.
                self.batches.append(action)
                for token, request in zip(action.tokens, action.requests, strict=True):
                    self._submitted(Submit(token, request, action.resources, ()))
            elif isinstance(action, Cancel):
                self.cancelled.append(action.token)
                # Ray's cancelled task still ends; the walk must ignore what it says.
                if action.token in self.pending:
                    del self.pending[action.token]
                    self.executed[action.token] = NodeFailure(
                        pb.ERROR_KIND_SYSTEM, "TaskCancelledError", "", "", 0.0, 0.0
                    )
            elif isinstance(action, Release):
                self.released.add(action.token)
            elif isinstance(action, Ask):
                self.questions[action.question] = action.request
                self.asked.append(action.request)
            elif isinstance(action, Remember):
                self.remembered[action.key] = dict(action.outputs)
            elif isinstance(action, Emit):
                self.events.append(action.event)
            elif isinstance(action, Timer):
                heapq.heappush(self.timers, (action.at, next(self._sequence), action.payload))
            elif isinstance(action, Record):
                self.records.append(action)
                self.reads.keep(action.outputs)
                if action.commit:
                    self.reads.by_uri[action.event.outputs_uri] = action.outputs
                self.events.append(pb.Event(node=action.event))
            elif isinstance(action, WaitSignal):
                self.waits[action.node_id] = action.wait
            elif isinstance(action, StartChild):
                self.children[action.node_id] = action.request
            elif isinstance(action, StopWaiting):
                self.stopped.append(action.node_id)
            elif isinstance(action, Finish):
                self.finish = action
        return actions

    def _submitted(self, submit: Submit) -> None:
        for up in submit.upstream:
            if isinstance(up, int):
                assert up not in self.released, f"submit behind released token {up}"
                assert up in self.results or up in self.pending or up in self.executed
        self.submits.append(submit)
        self.pending[submit.token] = submit
        self._in_flight[submit.token] = _parent(node_of(submit))
        self._count_in_flight()

    def _count_in_flight(self) -> None:
        counts: dict[str, int] = {}
        for parent in self._in_flight.values():
            counts[parent] = counts.get(parent, 0) + 1
        for parent, count in counts.items():
            self.peak[parent] = max(self.peak.get(parent, 0), count)

    # Events in.

    def start(self) -> Driver:
        self.apply(self.walk.start())
        return self

    def runnable(self) -> list[int]:
        """Submitted attempts "Ray" can run now: every upstream attempt has a result."""
        return [
            token
            for token, submit in self.pending.items()
            if all(
                not isinstance(up, int) or up in self.executed or up in self.results
                for up in submit.upstream
            )
        ]

    def execute(self, token: int, outcome: NodeOutcome | None = None) -> NodeOutcome:
        """Run the attempt (by its task's behaviour unless ``outcome`` is given)."""
        submit = self.pending.pop(token)
        if outcome is None:
            outcome = self._run(submit)
        self.executed[token] = outcome
        return outcome

    def deliver(self, token: int) -> list[Action]:
        outcome = self.executed.pop(token)
        self.results[token] = outcome
        self._in_flight.pop(token, None)
        return self.apply(self.walk.finished(token, outcome))

    def complete(self, node_id: str, outcome: NodeOutcome | None = None) -> list[Action]:
        """Run the node's latest attempt and deliver its result at once."""
        token = self.token(node_id)
        self.execute(token, outcome)
        return self.deliver(token)

    def fail(
        self, node_id: str, message: str = "boom", kind: pb.ErrorKind = pb.ERROR_KIND_USER
    ) -> list[Action]:
        now = self.clock()
        return self.complete(node_id, NodeFailure(kind, "ValueError", message, "tb", now, now))

    def token(self, node_id: str) -> int:
        tokens = [t for t, s in self.pending.items() if node_of(s) == node_id]
        assert tokens, f"no attempt of {node_id!r} is waiting to run"
        return tokens[-1]

    def _run(self, submit: Submit) -> NodeOutcome:
        request = submit.request
        upstream: dict[str, LiteralMap] = {}
        for node_id, up in zip(request.upstream_ids, submit.upstream, strict=True):
            result = up if isinstance(up, bytes) else self.executed.get(up) or self.results[up]
            if isinstance(result, bytes):
                upstream[node_id] = LiteralMap.FromString(result)
            elif isinstance(result, NodeSuccess):
                upstream[node_id] = LiteralMap.FromString(result.outputs)
            else:
                return UpstreamFailed()
        producer = LineageRecord.FromString(request.producer)
        node_id, attempt = producer.node_id, producer.attempt
        started = self.clock()
        if request.started_key:
            self.reads.started[(node_id, attempt)] = started
        inputs = resolve_all(
            Node.FromString(request.bindings).inputs,
            LiteralMap.FromString(request.workflow_inputs).literals,
            upstream.__getitem__,
            LiteralMap.FromString(request.defaults).literals,
        )
        self.reads.inputs_by_node[node_id] = inputs
        self.reads.keep(inputs)
        try:
            outputs = self.tasks.run(request.function, inputs, node_id, attempt)
        except Exception as error:
            return NodeFailure(
                pb.ERROR_KIND_USER, type(error).__name__, str(error), "tb", started, started
            )
        uri = uri_of(request.outputs_key)
        self.reads.by_uri[uri] = outputs
        self.reads.keep(outputs)
        data = outputs.SerializeToString(deterministic=True)
        return NodeSuccess(data, uri_of(request.inputs_key), uri, started, started)

    def fire(self) -> list[Action]:
        """The earliest timer: the clock moves to it (never back)."""
        at, _, payload = heapq.heappop(self.timers)
        self.clock.now = max(self.clock.now, at)
        return self.apply(self.walk.timer(payload))

    def advance(self, seconds: float) -> None:
        """Let ``seconds`` pass, firing the timers that fall due on the way."""
        until = self.clock.now + seconds
        while self.timers and self.timers[0][0] <= until and self.finish is None:
            self.fire()
        self.clock.now = until

    def answer(self, question: int, result: CacheResult) -> list[Action]:
        del self.questions[question]
        return self.apply(self.walk.answered(question, result))

    def signal(self, node_id: str, value: Literal, set_by: str = "") -> list[Action]:
        wait = self.waits[node_id]
        signal = Signal(id=wait.id, type=wait.type, node_id=node_id, value=value, set_by=set_by)
        return self.apply(self.walk.signalled(node_id, signal))

    def child_moved(
        self,
        node_id: str,
        phase: pb.ExecutionPhase,
        outputs: LiteralMap | None = None,
        error: pb.ExecutionError | None = None,
    ) -> list[Action]:
        execution = pb.Execution(
            id=ExecutionIdentifier(project=PROJECT, domain=DOMAIN, name=f"child-{node_id}"),
            closure=pb.ExecutionClosure(phase=phase, error=error),
        )
        return self.apply(self.walk.child_moved(node_id, execution, outputs))

    def terminate(self) -> list[Action]:
        return self.apply(self.walk.terminate())

    def lease_lost(self) -> list[Action]:
        return self.apply(self.walk.lease_lost())

    # The automatic loop.

    def _ask_cache(self, question: int) -> list[Action]:
        assert self.cache is not None
        return self.answer(question, self.cache(self.questions[question]))

    def run(self, choose: Chooser | None = None, max_steps: int = 100_000) -> Finish:
        """Go on until the walk finishes: run attempts, deliver results, answer questions
        (with ``cache``), in the order ``choose`` picks; timers fire only when nothing else
        can happen (the world is fast next to them)."""
        if self.finish is None and not self.log:
            self.start()
        for _ in range(max_steps):
            if self.finish is not None:
                return self.finish
            steps: list[Callable[[], object]] = []
            steps += [functools.partial(self.execute, t) for t in self.runnable()]
            steps += [functools.partial(self.deliver, t) for t in self.executed]
            if self.cache is not None:
                steps += [functools.partial(self._ask_cache, q) for q in self.questions]
            if steps:
                steps[choose(len(steps)) if choose is not None else 0]()
            elif self.timers:
                self.fire()
            else:
                raise Stuck(
                    f"the walk waits: questions {list(self.questions)}, "
                    f"signals {list(self.waits)}, children {list(self.children)}"
                )
        raise Stuck("too many steps")

    # Reading what happened.

    def node_events(self, node_id: str) -> list[pb.NodeEvent]:
        return [e.node for e in self.events if e.HasField("node") and e.node.id.node_id == node_id]

    def phases(self, node_id: str) -> list[tuple[int, int]]:
        return [(e.attempt, e.phase) for e in self.node_events(node_id)]

    def phase(self, node_id: str) -> int:
        """The node's last reported phase (UNSPECIFIED if none)."""
        events = self.node_events(node_id)
        return events[-1].phase if events else pb.NODE_PHASE_UNSPECIFIED

    def final_phases(self) -> dict[str, int]:
        return {e.node.id.node_id: e.node.phase for e in self.events if e.HasField("node")}

    def execution_phases(self) -> list[int]:
        return [e.execution.phase for e in self.events if e.HasField("execution")]

    def submitted(self, node_id: str) -> list[Submit]:
        return [s for s in self.submits if node_of(s) == node_id]

    def outputs(self, tp: object, name: str = "o0") -> object:
        assert self.finish is not None
        assert self.finish.outputs is not None
        return to_python(self.finish.outputs.literals[name], tp)


def node_of(submit: Submit) -> str:
    return LineageRecord.FromString(submit.request.producer).node_id


def _parent(node_id: str) -> str:
    return node_id.rsplit("/", 1)[0] if "/" in node_id else ""


# --- cache answers ---------------------------------------------------------------------------


def entry(key: str, outputs: LiteralMap, source_node: str = "elsewhere") -> CacheEntry:
    return CacheEntry(
        key=key,
        outputs=output_hashes(outputs),
        source=NodeExecutionIdentifier(
            execution_id=ExecutionIdentifier(project=PROJECT, domain=DOMAIN, name="earlier"),
            node_id=source_node,
        ),
    )


def response(*answers: CacheAnswer) -> ReserveCacheResponse:
    return ReserveCacheResponse(answers=list(answers))


def hit(node_id: str, cache_entry: CacheEntry) -> CacheAnswer:
    return CacheAnswer(node_id=node_id, decision=CACHE_DECISION_HIT, entry=cache_entry)


def run_answer(node_id: str) -> CacheAnswer:
    return CacheAnswer(node_id=node_id, decision=CACHE_DECISION_RUN)


def wait_answer(node_id: str) -> CacheAnswer:
    return CacheAnswer(node_id=node_id, decision=CACHE_DECISION_WAIT)


class MemoryCache:
    """A cache service: HIT for keys it holds (in ``reads``), RUN for the others, and the
    entries of nodes that populate it kept for the next walk."""

    def __init__(self, reads: MemoryReads) -> None:
        self.reads = reads
        self.entries: dict[str, CacheEntry] = {}
        self.questions: list[ReserveCacheRequest] = []

    def __call__(self, request: ReserveCacheRequest) -> CacheResult:
        self.questions.append(request)
        answers = []
        for asked in request.requests:
            held = self.entries.get(asked.key)
            if held is not None and not request.overwrite:
                answers.append(hit(asked.node_id, held))
            else:
                answers.append(run_answer(asked.node_id))
        return response(*answers)

    def populate(self, driver: Driver) -> None:
        """Keep an entry for every node the driver saw populate (or overwrite) a key."""
        for event in driver.events:
            node = event.node
            if (
                event.HasField("node")
                and node.phase == pb.NODE_PHASE_SUCCEEDED
                and node.cache_status
                in (
                    pb.CACHE_STATUS_POPULATED,
                    pb.CACHE_STATUS_OVERWRITTEN,
                )
            ):
                outputs = driver.reads.by_uri[node.outputs_uri]
                self.entries[node.cache_key] = entry(node.cache_key, outputs, node.id.node_id)


def rpc_error(code: grpc.StatusCode, details: str = "") -> grpc.RpcError:
    """A grpc.RpcError as the cache callback passes it."""

    class Refused(grpc.RpcError):
        def code(self) -> grpc.StatusCode:
            return code

        def details(self) -> str:
            return details

    return Refused()

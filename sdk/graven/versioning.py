"""Default versions: what decides that two specs are the same version.

Each entity's default version is the short hash of its spec, so it changes exactly when the
spec does: a task's spec holds its code digest (its function and code closure, see
``graven.code_digest``), a workflow's spec names each task by identifier *with its version*,
a launch plan's names its workflow's. Editing one task therefore re-versions that task and
the workflows (and their launch plans) that use it, and nothing else.

A task spec also names the code bundle it runs from, and the bundle digest changes when any
file of the project changes. Were it hashed into the version, editing one task would
re-version every task. So the version is computed on the spec with ``bundle_digest`` cleared.
That is sound because everything the task may run (its code closure) is in the code digest:
any bundle holding the same closure runs the same task. The control plane must therefore
compare specs with ``version_digest`` too when it decides whether a re-registration is the
same version: an unchanged task registered again from a newer bundle is the same version,
and keeps the bundle it was first registered with.

This module is small and imports no user code, so the control plane can use it.
"""

from __future__ import annotations

from graven.digests import message_digest, short_version
from graven.v1.launch_plan_pb2 import LaunchPlanSpec
from graven.v1.task_pb2 import TaskSpec
from graven.v1.workflow_pb2 import WorkflowSpec

Spec = TaskSpec | WorkflowSpec | LaunchPlanSpec


def version_digest(spec: Spec) -> str:
    """The digest that identifies a spec's content: its digest, less the bundle digest."""
    if isinstance(spec, TaskSpec) and spec.template.code.bundle_digest:
        unbundled = TaskSpec()
        unbundled.CopyFrom(spec)
        unbundled.template.code.ClearField("bundle_digest")
        return message_digest(unbundled)
    return message_digest(spec)


def default_version(spec: Spec) -> str:
    return short_version(version_digest(spec))

"""The digest of an entity, and its default version: the one rule for "same content".

An entity's digest is ``version_digest(spec)``: the sha256 of the spec's canonical bytes with
the task's code bundle digest left out. It is what the control plane stores with a version,
compares when an id is registered again, lists with the versions and returns, and its short
form is the default version. So registering an id that exists with the same digest succeeds
and returns the stored entity (which keeps the bundle it was first registered with), and a
different digest is ALREADY_EXISTS naming the fields that differ.

The bundle is left out because its digest changes whenever any file of the project changes:
hashed in, editing one task would re-version every task. That is sound because a task's spec
holds its code digest, which covers everything the task may run (its function and code
closure, see ``graven.code_digest``): any bundle holding that closure runs the same task.
A workflow's spec names each task by identifier *with its version*, a launch plan's names its
workflow's, so editing one task re-versions that task and the workflows (and their launch
plans) that use it, and nothing else.

This module is small and imports no user code, so the control plane uses it too.
"""

from __future__ import annotations

from graven.digests import message_digest, short_version
from graven.v1.launch_plan_pb2 import LaunchPlanSpec
from graven.v1.task_pb2 import TaskSpec
from graven.v1.workflow_pb2 import WorkflowSpec

Spec = TaskSpec | WorkflowSpec | LaunchPlanSpec


def versioned_part(spec: Spec) -> Spec:
    """What the digest covers: the spec less a task's bundle digest (a copy when it differs)."""
    if isinstance(spec, TaskSpec) and spec.template.code.bundle_digest:
        unbundled = TaskSpec()
        unbundled.CopyFrom(spec)
        unbundled.template.code.ClearField("bundle_digest")
        return unbundled
    return spec


def version_digest(spec: Spec) -> str:
    return message_digest(versioned_part(spec))


def default_version(spec: Spec) -> str:
    return short_version(version_digest(spec))

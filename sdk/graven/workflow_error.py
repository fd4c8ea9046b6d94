"""The value a workflow's failure node receives: which node failed, and how.

The executor builds it with ``to_literal(WorkflowError(...), WorkflowError)`` when a workflow
fails and binds it to the failure node's input bound with ``BindingData(workflow_error=True)``;
a local run (plain Python) hands the same dataclass to the cleanup. Its structured type is
part of the failure node's interface, so every field stays a plain ``str``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class WorkflowError:
    """Why a workflow failed.

    ``node_id`` is the nested node execution id of the node that failed ("n2", "n4/17");
    ``kind`` is "USER", "SYSTEM", "TIMEOUT" or "TERMINATED"; ``type`` is the exception's class
    name; ``traceback`` may be empty when the failure was not a Python exception.
    """

    node_id: str
    kind: str
    type: str
    message: str
    traceback: str

"""An agent joined to an existing two-node Ray cluster by address: a task asking for a custom
resource runs on the node that offers it, and a fan-out spreads over both nodes."""

from __future__ import annotations

from pathlib import Path

from cluster_support import RayCluster, StartAgent, launch
from e2e.e2e_support import finish

from graven.control_plane.app import ControlPlane
from graven.remote import Remote
from graven.v1 import execution_pb2 as ex


def test_a_task_asking_for_a_custom_resource_runs_on_the_node_offering_it(
    ray_cluster: RayCluster,
    plane: ControlPlane,
    remote: Remote,
    versions: dict[str, str],
    agents: StartAgent,
) -> None:
    agents(plane.grpc_address, "agent-1")
    launched = [launch(remote, versions, "pinned") for _ in range(3)]
    for execution_id in launched:
        assert finish(remote, execution_id, 120).closure.phase == ex.EXECUTION_PHASE_SUCCEEDED
        assert remote.outputs(execution_id) == {"o0": ray_cluster.special_node}


def test_a_fan_out_spreads_over_both_nodes(
    ray_cluster: RayCluster,
    plane: ControlPlane,
    remote: Remote,
    versions: dict[str, str],
    agents: StartAgent,
    tmp_path: Path,
) -> None:
    agents(plane.grpc_address, "agent-1")
    execution_id = launch(remote, versions, "spread", folder=str(tmp_path))
    assert finish(remote, execution_id, 120).closure.phase == ex.EXECUTION_PHASE_SUCCEEDED
    # Four leaves held their CPUs at once; each node has two.
    (nodes,) = remote.outputs(execution_id).values()
    assert isinstance(nodes, list)
    assert sorted(nodes) == sorted(2 * [ray_cluster.head_node, ray_cluster.special_node])

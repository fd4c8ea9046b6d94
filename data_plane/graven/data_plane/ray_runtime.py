"""Connecting this process to Ray: a local cluster of its own, or an existing one.

Ray 2.60 turns token authentication on by default for a cluster that ``ray.init`` starts, and
every process that talks to a cluster must agree with its head on ``RAY_AUTH_MODE``. The
embedded local cluster therefore sets the mode explicitly in this process's environment
(``disabled`` unless the user chose otherwise), so the head, its workers and any agent
started from here as a subprocess all inherit one setting. For an existing cluster the
user's environment decides, as it does for the head they started.
"""

from __future__ import annotations

import logging
import os

import ray

AUTH_MODE_VARIABLE = "RAY_AUTH_MODE"
LOCAL_AUTH_MODE = "disabled"
# A namespace of our own keeps Graven's named Ray objects apart from a shared cluster's.
NAMESPACE = "graven"

log = logging.getLogger(__name__)


def connect(address: str | None = None, *, num_cpus: int | None = None) -> None:
    """Connect to ``address`` (``ray://host:port`` or ``host:port``), or start a local cluster.

    A process holds one Ray connection; a second call is a no-op, so embedding Graven in a
    process that already uses Ray keeps that process's connection.
    """
    if ray.is_initialized():
        return
    if address:
        ray.init(address=address, namespace=NAMESPACE, log_to_driver=False)
    else:
        os.environ.setdefault(AUTH_MODE_VARIABLE, LOCAL_AUTH_MODE)
        ray.init(
            num_cpus=num_cpus if num_cpus is not None else os.cpu_count() or 1,
            namespace=NAMESPACE,
            include_dashboard=False,
            log_to_driver=False,
            logging_level=logging.WARNING,
        )
    warm_up()


def cluster_address() -> str:
    """The ``host:port`` another process passes to ``connect`` to join this cluster."""
    address: str = ray.get_runtime_context().gcs_address
    return address


def warm_up() -> None:
    """Start a worker per CPU with the worker module imported, so a first node is not slow."""
    from graven.data_plane.worker import warm_up_remote

    resources: dict[str, float] = ray.cluster_resources()  # type: ignore[no-untyped-call]
    cpus = max(1, int(resources.get("CPU", 1)))
    ray.get([warm_up_remote().remote() for _ in range(cpus)])
    log.info("ray ready: %s CPUs", cpus)

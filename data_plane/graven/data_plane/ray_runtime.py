"""Connecting this process to Ray: a local cluster of its own, or an existing one.

Ray 2.60 turns token authentication on by default for a cluster that ``ray.init`` starts, and
every process that talks to a cluster must agree with its head on ``RAY_AUTH_MODE``. The
embedded local cluster therefore sets the mode explicitly in this process's environment
(``disabled`` unless the user chose otherwise), so the head, its workers and any agent
started from here as a subprocess all inherit one setting. For an existing cluster the
user's environment decides, as it does for the head they started.

Workers write to the object store, so they need its credentials (``GRAVEN_S3_ACCESS_KEY`` /
``GRAVEN_S3_SECRET_KEY``, or ``AWS_ACCESS_KEY_ID`` / ``AWS_SECRET_ACCESS_KEY``). The workers of
an existing cluster were started by its nodes, not by the agent, so the agent hands the
credentials it has to them as the job's runtime environment: one place to configure, the
agent's environment, whichever cluster it drives.
"""

from __future__ import annotations

import logging
import os

import ray

from graven.store.s3 import CREDENTIAL_VARIABLES

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
    environment = worker_environment()
    runtime_env = {"env_vars": environment} if environment else None
    if address:
        ray.init(address=address, namespace=NAMESPACE, log_to_driver=False, runtime_env=runtime_env)
    else:
        os.environ.setdefault(AUTH_MODE_VARIABLE, LOCAL_AUTH_MODE)
        ray.init(
            num_cpus=num_cpus if num_cpus is not None else os.cpu_count() or 1,
            namespace=NAMESPACE,
            include_dashboard=False,
            log_to_driver=False,
            logging_level=logging.WARNING,
            runtime_env=runtime_env,
        )
    warm_up()


def worker_environment() -> dict[str, str]:
    """The variables of this process that the workers of its Ray job need: the object
    store's credentials."""
    names = [name for pair in CREDENTIAL_VARIABLES for name in pair]
    return {name: os.environ[name] for name in names if os.environ.get(name)}


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

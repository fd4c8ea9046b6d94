"""Connecting this process to Ray: a local cluster of its own, or an existing one.

The local cluster is closed: every Ray server in it (GCS, raylet, object manager, workers,
this driver) listens on loopback only, and each refuses a caller without the cluster's token
(Ray's own token authentication). The token lives in a private file of the Graven home, and
only its path travels, in the environment: Ray's processes, its workers and any agent started
from here as a subprocess inherit it, and no command line that ``ps`` shows carries it. For an
existing cluster the user's environment decides (``RAY_AUTH_MODE=token`` and the token, as the
README's "Running a secure Ray cluster" says), as it does for the head they started.

Workers write to the object store, so they need its credentials (``GRAVEN_S3_ACCESS_KEY`` /
``GRAVEN_S3_SECRET_KEY``, or ``AWS_ACCESS_KEY_ID`` / ``AWS_SECRET_ACCESS_KEY``). The workers of
an existing cluster were started by its nodes, not by the agent, so the agent hands the
credentials it has to them as the job's runtime environment: one place to configure, the
agent's environment, whichever cluster it drives.
"""

from __future__ import annotations

import logging
import os
import re
import secrets
from pathlib import Path

import ray
from ray._private import ray_constants
from ray._raylet import AuthenticationTokenLoader, Config  # type: ignore[attr-defined]

from graven.private_files import (
    PRIVATE_FOLDER_MODE,
    is_private_file,
    publish_private_file,
    replace_private_file,
)
from graven.store.s3 import CREDENTIAL_VARIABLES

# Ray's own settings (Ray 2.60), which every Ray process reads from its environment.
AUTH_MODE_VARIABLE = "RAY_AUTH_MODE"
TOKEN_PATH_VARIABLE = "RAY_AUTH_TOKEN_PATH"
TOKEN_VARIABLE = "RAY_AUTH_TOKEN"
# On Linux Ray swaps a loopback node address for the machine's own, so that other machines
# can join; with this off a node keeps 127.0.0.1, and Ray's servers then bind to it alone.
MULTI_NODE_VARIABLE = "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"
LOOPBACK = "127.0.0.1"
TOKEN_FILE = "ray-token"
# 256 random bits, as Ray's own `ray get-auth-token --generate` makes; a file holding anything
# shorter, or other than one word of printable ASCII, is not trusted as a token and is replaced.
TOKEN_BYTES = 32
TOKEN_PATTERN = re.compile(rb"[!-~]{32,}")
# A namespace of our own keeps Graven's named Ray objects apart from a shared cluster's.
NAMESPACE = "graven"

log = logging.getLogger(__name__)


def connect(
    address: str | None = None, *, num_cpus: int | None = None, token_path: Path | None = None
) -> None:
    """Connect to ``address`` (``ray://host:port`` or ``host:port``), or start a local
    cluster closed by the token in ``token_path`` (default: ``ray-token`` in the Graven home
    of ``GRAVEN_HOME``, ``~/.graven`` as for the CLI), created if missing.

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
        close_local_cluster(token_path or default_token_path())
        ray.init(
            num_cpus=num_cpus if num_cpus is not None else os.cpu_count() or 1,
            namespace=NAMESPACE,
            include_dashboard=False,
            log_to_driver=False,
            logging_level=logging.WARNING,
            runtime_env=runtime_env,
            _node_ip_address=LOOPBACK,
        )
    warm_up()


def default_token_path() -> Path:
    home = Path(os.environ.get("GRAVEN_HOME") or "~/.graven").expanduser()
    return home / TOKEN_FILE


def close_local_cluster(token_path: Path) -> None:
    """Set this process up so that the cluster ``ray.init`` starts next binds to loopback and
    requires the token in ``token_path``; so do its workers and the processes started from
    here, which inherit the environment."""
    token_path = ensure_token(token_path)
    os.environ[AUTH_MODE_VARIABLE] = "token"
    os.environ[TOKEN_PATH_VARIABLE] = str(token_path)
    # A token in the environment would win over the file.
    os.environ.pop(TOKEN_VARIABLE, None)
    os.environ[MULTI_NODE_VARIABLE] = "0"
    # This process read both settings when it imported Ray (the child processes will read
    # them afresh): tell it again, before ray.init resolves the node's address and loads the
    # token.
    ray_constants.ENABLE_RAY_CLUSTER = False
    Config.initialize("")
    AuthenticationTokenLoader.instance().reset_cache()


def ensure_token(path: Path) -> Path:
    """``path`` (made absolute) once it is a private file holding a token: the one there if it
    is this user's, private and well-formed, or a new one."""
    path = path.expanduser().absolute()
    path.parent.mkdir(mode=PRIVATE_FOLDER_MODE, parents=True, exist_ok=True)
    if holds_token(path):
        return path
    token = secrets.token_hex(TOKEN_BYTES)
    # Of several processes creating it at once, the first one's token is everyone's.
    if not publish_private_file(path, token) and not holds_token(path):
        log.warning("replacing %s: it was not a private file holding a Ray token", path)
        replace_private_file(path, token)
    return path


def holds_token(path: Path) -> bool:
    return is_private_file(path) and TOKEN_PATTERN.fullmatch(path.read_bytes().strip()) is not None


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

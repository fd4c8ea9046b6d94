"""Graven: immutable, versioned, content-addressed workflows on Ray.

Users write ``from graven import task, workflow``. The ``graven`` package is split over the
repository's top-level folders (sdk/, control_plane/, data_plane/, proto/); extending
``__path__`` here lets ``graven.control_plane``, ``graven.data_plane`` and ``graven.v1``
resolve from their own folders in a source checkout and an editable install alike.
"""

from pkgutil import extend_path

__path__ = extend_path(__path__, __name__)

from graven.conditional import conditional
from graven.files import Directory, File
from graven.gates import approve, sleep, wait_for_input
from graven.launch_plan import LaunchPlan
from graven.local_signals import local_signals
from graven.mapping import map
from graven.notifications import Email, Webhook
from graven.options import Cache, Resources
from graven.schedules import Cron, FixedRate
from graven.task import task
from graven.types import Pickled
from graven.version import __version__
from graven.workflow import workflow
from graven.workflow_error import WorkflowError

__all__ = [
    "Cache",
    "Cron",
    "Directory",
    "Email",
    "File",
    "FixedRate",
    "LaunchPlan",
    "Pickled",
    "Resources",
    "Webhook",
    "WorkflowError",
    "__version__",
    "approve",
    "conditional",
    "local_signals",
    "map",
    "sleep",
    "task",
    "wait_for_input",
    "workflow",
]

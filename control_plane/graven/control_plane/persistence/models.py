"""Every table, imported in one place: Alembic's target metadata is ``Base.metadata`` after
this module is imported, so a new models module is added here and nowhere else."""

from graven.control_plane.persistence import (
    cache_models,
    execution_models,
    lineage_models,
    notification_models,
    registry_models,
    schedule_models,
    signal_models,
    token_models,
    upload_models,
)
from graven.control_plane.persistence.base import Base

__all__ = [
    "Base",
    "cache_models",
    "execution_models",
    "lineage_models",
    "notification_models",
    "registry_models",
    "schedule_models",
    "signal_models",
    "token_models",
    "upload_models",
]

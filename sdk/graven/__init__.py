"""Graven: immutable, versioned, content-addressed workflows on Ray.

Users write ``from graven import task, workflow``. The ``graven`` package is split over the
repository's top-level folders (sdk/, control_plane/, data_plane/, proto/); extending
``__path__`` here lets ``graven.control_plane``, ``graven.data_plane`` and ``graven.v1``
resolve from their own folders in a source checkout and an editable install alike.
"""

from pkgutil import extend_path

__path__ = extend_path(__path__, __name__)

from graven.version import __version__

__all__ = ["__version__"]

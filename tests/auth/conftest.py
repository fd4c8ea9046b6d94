from __future__ import annotations

import pytest
from database_fixtures import on_every_backend


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    on_every_backend(metafunc)

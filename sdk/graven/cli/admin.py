"""`graven admin`: repairs done offline, on the database and store `graven up` serves."""

from __future__ import annotations

import typer

from graven.cli.options import DEFAULT_HOME, Database, Home, Store
from graven.cli.output import console

admin_app = typer.Typer(
    help="Offline repairs of a stack's database and store.", no_args_is_help=True
)


def install(app: typer.Typer) -> None:
    app.add_typer(admin_app, name="admin")
    admin_app.command()(reindex)


def reindex(home: Home = DEFAULT_HOME, db: Database = None, store: Store = None) -> None:
    """Rebuild the lineage index from the lineage records in the store alone.

    Run it with the control plane stopped, on the same --home, --db and --store as
    `graven up`: after the database was lost or restored from an older backup."""
    from sqlalchemy.exc import SQLAlchemyError

    from graven.control_plane.config import Settings, prepare_private_state
    from graven.control_plane.service.reindex import reindex as rebuild

    settings = Settings.for_home(home.expanduser(), db_url=db, store_url=store)
    # As `graven up` would: a home that does not exist yet gets its database there, and the
    # home and database are private (0700/0600) from the start.
    prepare_private_state(settings)
    try:
        with console.status(f"Indexing the lineage records in {settings.store_url}…"):
            count = rebuild(settings)
    except SQLAlchemyError as error:
        # The first line only: the rest is SQLAlchemy's link to its own docs.
        raise ValueError(f"database: {str(error).splitlines()[0]}") from None
    console.print(f"Reindexed {count} lineage record(s) from {settings.store_url}")

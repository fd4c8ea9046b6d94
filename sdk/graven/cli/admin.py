"""`graven admin`: repairs done offline, on the database and store `graven up` serves."""

from __future__ import annotations

from typing import Annotated

import typer

from graven.cli.options import DEFAULT_HOME, Database, Home, Store
from graven.cli.output import console

# The control plane's own grace (Settings.upload_grace_seconds); the control plane is
# imported only by the commands that run it, so `graven --help` stays quick.
DEFAULT_GRACE_HOURS = 24.0

admin_app = typer.Typer(
    help="Offline repairs of a stack's database and store.", no_args_is_help=True
)


def install(app: typer.Typer) -> None:
    app.add_typer(admin_app, name="admin")
    admin_app.command()(reindex)
    admin_app.command(name="verify-store")(verify_store)
    admin_app.command(name="collect-uploads")(collect_uploads)


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


def verify_store(home: Home = DEFAULT_HOME, db: Database = None, store: Store = None) -> None:
    """Re-hash every content-addressed object of the store, quarantine the corrupt ones, and
    report the lineage records the database indexed that the store no longer holds.

    Safe beside a running control plane: an object is moved to quarantine/ only when its
    bytes, hashed again as it is moved, do not match its key. Exits 1 when anything was
    found; the next run that produces a quarantined value stores it again."""
    from rich.markup import escape
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )
    from sqlalchemy import inspect
    from sqlalchemy.exc import SQLAlchemyError

    from graven.control_plane.config import Settings, sqlite_file
    from graven.control_plane.persistence.base import make_engine
    from graven.control_plane.service.store_scrub import (
        ScrubReport,
        addressed_keys,
        missing_records,
        scrub_objects,
    )
    from graven.store import open_store
    from graven.store.open import file_store_folder

    settings = Settings.for_home(home.expanduser(), db_url=db, store_url=store)
    folder = file_store_folder(settings.store_url)
    if folder is not None and not folder.is_dir():
        # Opening would make an empty store there, and report it clean.
        raise ValueError(f"no store at {folder} (check --home or --store)")
    objects = open_store(settings.store_url)
    report = ScrubReport()
    with console.status(f"Listing {settings.store_url}…"):
        keys = addressed_keys(objects)
    columns = (TextColumn("Hashing"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        bar = progress.add_task("objects", total=len(keys))
        intact = scrub_objects(objects, keys, report, lambda key, size: progress.advance(bar))
    for bad in report.quarantined:
        console.print(
            f"[red]corrupt[/] {escape(bad.key)} (hashes to sha256:{bad.sha256}): "
            f"moved to {escape(bad.moved_to)}",
            highlight=False,
        )
    database = sqlite_file(settings.db_url)
    if database is not None and not database.exists():
        console.print(f"No database at {database}: lineage records not checked")
    else:
        engine = make_engine(settings.db_url)
        try:
            if inspect(engine).has_table("lineage_records"):
                report.missing_records.extend(missing_records(engine, intact))
        except SQLAlchemyError as error:
            raise ValueError(f"database: {str(error).splitlines()[0]}") from None
        finally:
            engine.dispose()
    for missing in report.missing_records:
        console.print(
            f"[yellow]missing[/] lineage record {escape(missing.key)} of "
            f"{escape(missing.producer)}",
            highlight=False,
        )
    console.print(
        f"Checked {report.checked} object(s), {report.bytes} bytes, in {settings.store_url}: "
        f"{len(report.quarantined)} corrupt (quarantined), "
        f"{len(report.missing_records)} lineage record(s) missing",
        highlight=False,
    )
    if not report.clean:
        raise typer.Exit(1)


def collect_uploads(
    home: Home = DEFAULT_HOME,
    db: Database = None,
    store: Store = None,
    grace_hours: Annotated[
        float,
        typer.Option(
            "--grace-hours",
            min=0,
            help="Collect uploads older than this that nothing references.",
        ),
    ] = DEFAULT_GRACE_HOURS,
) -> None:
    """Collect uploaded content (UploadContent: a file input sent before its launch) that no
    execution, lineage record, launch plan or signal references, once older than the grace:
    moved aside, put back if something comes to reference it, deleted after a second grace.

    `graven up` runs the same collection every hour; this runs one now, on the same --home,
    --db and --store, and is safe beside a running control plane."""
    from datetime import timedelta

    from sqlalchemy.exc import SQLAlchemyError

    from graven.control_plane.config import Settings
    from graven.control_plane.service.upload_collection import collect_uploads as collect

    settings = Settings.for_home(home.expanduser(), db_url=db, store_url=store)
    try:
        with console.status(f"Collecting unreferenced uploads in {settings.store_url}…"):
            collected = collect(settings, timedelta(hours=grace_hours))
    except SQLAlchemyError as error:
        raise ValueError(f"database: {str(error).splitlines()[0]}") from None
    console.print(
        f"Collected {collected.objects} unreferenced upload(s), {collected.bytes} bytes, "
        f"from {settings.store_url}; {collected.restored} put back (referenced again), "
        f"{collected.deleted} deleted after their second grace",
        highlight=False,
    )

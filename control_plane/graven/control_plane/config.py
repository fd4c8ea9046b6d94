"""Settings of one control plane: where its state lives and where it listens."""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import make_url
from sqlalchemy.exc import ArgumentError

# The home holds the database, the store and credentials: only its owner reads it. The modes
# are the shared package's, which the data plane (the Ray token's file) uses too.
from graven.private_files import PRIVATE_FILE_MODE as PRIVATE_FILE_MODE
from graven.private_files import PRIVATE_FOLDER_MODE as PRIVATE_FOLDER_MODE

DEFAULT_GRPC_PORT = 8089
DEFAULT_HTTP_PORT = 8080
# Room for large workflow closures; code bundles stream in chunks well below this.
DEFAULT_MAX_MESSAGE_BYTES = 64 << 20
# Limits on what one request may ask for (README, Configuration).
DEFAULT_MAX_UPLOAD_BYTES = 5 << 30
DEFAULT_UPLOAD_GRACE_SECONDS = 24 * 3600.0
DEFAULT_UPLOAD_COLLECTION_SECONDS = 3600.0
DEFAULT_MAX_LINEAGE_STEPS = 10_000
DATABASE_FILE = "graven.db"
WEBHOOK_SECRET_ENV = "GRAVEN_WEBHOOK_SECRET_"
# The files SQLite keeps beside a database (it gives them the database file's mode).
SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal")


@dataclass(frozen=True)
class Settings:
    home: Path
    db_url: str
    store_url: str
    grpc_port: int = DEFAULT_GRPC_PORT
    # The console and its Connect API (`graven up` serves them on DEFAULT_HTTP_PORT); None
    # serves neither, for a control plane that only needs gRPC (most tests).
    http_port: int | None = None
    max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES
    # Host-header names the HTTP port answers to besides loopback's own, when it is bound
    # to loopback (any other name is a DNS-rebinding page): a proxy's or an SSH tunnel's.
    http_allowed_hosts: tuple[str, ...] = ()
    # Loopback by default: the embedded stack is for this machine only.
    host: str = "127.0.0.1"
    # An agent holds a claimed execution this long past its last heartbeat (agents beat
    # several times per lease); then another agent may resume it.
    lease_seconds: float = 10.0
    # The longest a ClaimExecution call waits for work before answering "nothing".
    max_claim_wait_seconds: float = 30.0
    # PEM files: with both, the gRPC and HTTP ports speak TLS only (clients verify the
    # certificate: --ca / GRAVEN_CA for a private CA).
    tls_cert: Path | None = None
    tls_key: Path | None = None
    # gRPC threads for blocking service work: unary calls of the client services, a
    # reserved pool for AgentService (an agent's heartbeats always find one), and uploads
    # (a slow client holds its thread). Streams and long polls wait holding no thread.
    grpc_workers: int = 16
    grpc_agent_workers: int = 8
    grpc_upload_workers: int = 8
    # The most WatchExecution streams (gRPC and Connect, counted apart), and ClaimExecution
    # long polls, one client (network address) may have open at once; beyond,
    # RESOURCE_EXHAUSTED.
    max_watches_per_client: int = 1000
    max_claims_per_client: int = 64
    # The largest content one UploadContent may store.
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES
    # Uploaded content nothing references is deleted once this old, by a collection that
    # runs this often (`graven admin collect-uploads` runs one at once).
    upload_grace_seconds: float = DEFAULT_UPLOAD_GRACE_SECONDS
    upload_collection_seconds: float = DEFAULT_UPLOAD_COLLECTION_SECONDS
    # The most steps one GetLineage page holds (a smaller page_size asks for fewer).
    max_lineage_steps: int = DEFAULT_MAX_LINEAGE_STEPS
    # How often the scheduler looks for due ticks (README, Schedules); 0: this control plane
    # runs no scheduler (another one on the same database does).
    scheduler_seconds: float = 1.0
    # Notifications (README, Notifications). The SMTP server mail goes through (none: email
    # deliveries fail, recorded as such) and the sender address.
    smtp_host: str | None = field(default_factory=lambda: os.environ.get("GRAVEN_SMTP_HOST"))
    smtp_port: int = field(default_factory=lambda: int(os.environ.get("GRAVEN_SMTP_PORT", "25")))
    smtp_from: str = field(
        default_factory=lambda: os.environ.get("GRAVEN_SMTP_FROM", "graven@localhost")
    )
    # The HMAC keys webhooks name (WebhookNotification.secret): key name -> key, from
    # GRAVEN_WEBHOOK_SECRET_<NAME>. Keys live here, never in a spec.
    webhook_secrets: tuple[tuple[str, bytes], ...] = field(default_factory=lambda: env_secrets())
    # How long one webhook or SMTP attempt may take, how often due deliveries are looked
    # for, and the retries: at most this many attempts, the first retry after this long,
    # each later one twice as late.
    notification_timeout_seconds: float = 10.0
    notification_poll_seconds: float = 1.0
    notification_max_attempts: int = 5
    notification_first_retry_seconds: float = 10.0

    @classmethod
    def for_home(
        cls,
        home: Path,
        *,
        db_url: str | None = None,
        store_url: str | None = None,
        grpc_port: int = DEFAULT_GRPC_PORT,
        http_port: int | None = None,
        max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES,
        host: str = "127.0.0.1",
    ) -> Settings:
        """Settings whose database (SQLite) and store (a folder) default to files in ``home``."""
        home = home.expanduser().resolve()
        return cls(
            home=home,
            db_url=db_url or f"sqlite:///{home / 'graven.db'}",
            store_url=store_url or (home / "store").as_uri(),
            grpc_port=grpc_port,
            http_port=http_port,
            max_message_bytes=max_message_bytes,
            host=host,
        )


def env_secrets() -> tuple[tuple[str, bytes], ...]:
    """The webhook HMAC keys of the environment (GRAVEN_WEBHOOK_SECRET_<NAME>=<key>)."""
    return tuple(
        sorted(
            (name.removeprefix(WEBHOOK_SECRET_ENV), value.encode())
            for name, value in os.environ.items()
            if name.startswith(WEBHOOK_SECRET_ENV) and name != WEBHOOK_SECRET_ENV
        )
    )


def prepare_private_state(settings: Settings) -> None:
    """Create the home (0700) and the SQLite database file (0600) before anything writes.

    The rule for what exists already: Graven tightens only what is its own. The home is
    tightened when it is new or already holds Graven's database (a home made by an earlier
    Graven, when these were world-readable); a folder given as ``--home`` that holds no
    database may be anything (``~``), so it is left alone. A SQLite database file and its
    -wal/-shm/-journal files are Graven's wherever they are and always become 0600: created
    empty with that mode, SQLite keeps it, and gives the side files the same mode."""
    home = settings.home
    ours = not home.exists() or (home / DATABASE_FILE).exists()
    home.mkdir(mode=PRIVATE_FOLDER_MODE, parents=True, exist_ok=True)
    if ours:
        home.chmod(PRIVATE_FOLDER_MODE)
    default_store = home / "store"
    if ours and settings.store_url == default_store.as_uri() and default_store.is_dir():
        default_store.chmod(PRIVATE_FOLDER_MODE)
    database = sqlite_file(settings.db_url)
    if database is None or not database.parent.is_dir():
        # A missing folder is not made here: opening the database then says what is wrong.
        return
    # O_CREAT with a mode makes the file private from its first byte (no window in which
    # SQLite's default 0644 file exists); an existing file is only tightened.
    os.close(os.open(database, os.O_RDWR | os.O_CREAT, PRIVATE_FILE_MODE))
    for path in (database, *(database.with_name(database.name + s) for s in SQLITE_SIDE_FILES)):
        with contextlib.suppress(FileNotFoundError):
            path.chmod(PRIVATE_FILE_MODE)


def sqlite_file(db_url: str) -> Path | None:
    """The file of a SQLite database URL; None for another database or an in-memory one,
    and for a malformed URL (which opening the database reports as the user's error)."""
    try:
        url = make_url(db_url)
    except ArgumentError:
        return None
    database = url.database
    if url.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return None
    if database.startswith("file:"):
        # A SQLite URI (?uri=true): its path part, unless it names a memory database.
        path = database.removeprefix("file:").partition("?")[0]
        return None if not path or "mode=memory" in database else Path(path)
    return Path(database)

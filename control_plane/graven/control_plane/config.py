"""Settings of one control plane: where its state lives and where it listens."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

DEFAULT_GRPC_PORT = 8089
DEFAULT_HTTP_PORT = 8080
# Room for large workflow closures; code bundles stream in chunks well below this.
DEFAULT_MAX_MESSAGE_BYTES = 64 << 20


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
    # Loopback by default: the embedded stack is for this machine only.
    host: str = "127.0.0.1"
    # An agent holds a claimed execution this long past its last heartbeat (agents beat
    # several times per lease); then another agent may resume it.
    lease_seconds: float = 10.0
    # The longest a ClaimExecution call waits for work before answering "nothing".
    max_claim_wait_seconds: float = 30.0

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

"""The certificate and key both ports serve TLS with, read once at start."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import grpc


@dataclass(frozen=True)
class Tls:
    cert: Path
    key: Path

    @classmethod
    def of(cls, cert: Path | None, key: Path | None) -> Tls | None:
        """None without either; both or neither must be given."""
        if cert is None and key is None:
            return None
        if cert is None or key is None:
            raise ValueError("TLS needs both a certificate and its key (tls_cert, tls_key)")
        for path in (cert, key):
            if not path.is_file():
                raise FileNotFoundError(f"TLS file {path} does not exist")
        return cls(cert, key)

    def grpc_credentials(self) -> grpc.ServerCredentials:
        return grpc.ssl_server_credentials([(self.key.read_bytes(), self.cert.read_bytes())])

"""TLS on both ports when the settings hold a certificate and key: a client that verifies
against the CA gets in (with its token still required), one that does not trust it or speaks
plaintext does not. The certificate is made here, self-signed, by `cryptography`."""

from __future__ import annotations

import dataclasses
import datetime
import ipaddress
import json
import ssl
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from auth_cases import WAIT
from auth_support import admin_token
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from graven.channels import open_channel
from graven.control_plane.app import ControlPlane
from graven.control_plane.config import Settings
from graven.remote import Remote
from graven.v1 import execution_service_pb2 as es
from graven.v1.execution_service_pb2_grpc import ExecutionServiceStub

LIST = es.ListExecutionsRequest(project="p", domain="dev")


def self_signed(folder: Path, name: str) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and localhost, its own CA: (cert.pem, key.pem)."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = folder / f"{name}.pem", folder / f"{name}.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@pytest.fixture
def tls_plane(tmp_path: Path) -> Iterator[tuple[ControlPlane, Path]]:
    cert, key = self_signed(tmp_path / "tls", "graven")
    base = Settings.for_home(tmp_path / "home", grpc_port=0, http_port=0)
    with ControlPlane(dataclasses.replace(base, tls_cert=cert, tls_key=key)) as plane:
        yield plane, cert


def test_grpc_over_tls_is_verified_and_still_needs_a_token(
    tls_plane: tuple[ControlPlane, Path], tmp_path: Path
) -> None:
    plane, ca = tls_plane
    with open_channel(plane.grpc_address, admin_token(plane), ca=ca) as channel:
        ExecutionServiceStub(channel).ListExecutions(LIST, timeout=WAIT)
    with open_channel(plane.grpc_address, None, ca=ca) as channel:
        with pytest.raises(grpc.RpcError) as anonymous:
            ExecutionServiceStub(channel).ListExecutions(LIST, timeout=WAIT)
        assert anonymous.value.code() == grpc.StatusCode.UNAUTHENTICATED
    with Remote(plane.grpc_address, token=admin_token(plane), ca=ca) as remote:
        assert list(remote.list_executions("p", "dev")) == []
    # Plaintext, or a certificate signed by a CA the client does not trust: no call at all.
    other_ca, _ = self_signed(tmp_path / "other", "impostor")
    for authority in (None, other_ca):
        with open_channel(plane.grpc_address, admin_token(plane), ca=authority) as channel:
            with pytest.raises(grpc.RpcError) as refused:
                ExecutionServiceStub(channel).ListExecutions(LIST, timeout=WAIT)
            assert refused.value.code() == grpc.StatusCode.UNAVAILABLE


def test_the_http_port_serves_https_only(tls_plane: tuple[ControlPlane, Path]) -> None:
    plane, ca = tls_plane
    url = f"https://127.0.0.1:{plane.http_port}/graven.v1.ExecutionService/ListExecutions"
    request = urllib.request.Request(
        url,
        data=json.dumps({"project": "p", "domain": "dev"}).encode(),
        headers={
            "content-type": "application/json",
            "authorization": f"Bearer {admin_token(plane)}",
        },
    )
    verified = ssl.create_default_context(cafile=str(ca))
    with urllib.request.urlopen(request, timeout=WAIT, context=verified) as response:
        assert response.status == 200
        assert json.loads(response.read()) == {}
    with pytest.raises(urllib.error.URLError, match="CERTIFICATE_VERIFY_FAILED"):
        urllib.request.urlopen(request, timeout=WAIT, context=ssl.create_default_context())
    plain = urllib.request.Request(url.replace("https:", "http:"), data=b"{}")
    with pytest.raises((urllib.error.URLError, ConnectionError)):
        urllib.request.urlopen(plain, timeout=WAIT)


def test_half_a_tls_setting_is_refused(tmp_path: Path) -> None:
    cert, _ = self_signed(tmp_path / "tls", "graven")
    base = Settings.for_home(tmp_path / "home", grpc_port=0)
    with pytest.raises(ValueError, match="both a certificate and its key"):
        ControlPlane(dataclasses.replace(base, tls_cert=cert))

"""The S3 backend, MinIO or any S3: ``s3://bucket[/prefix]?endpoint=host:port[&secure=false]
[&region=…]``, with credentials from the environment so that URLs can be logged and recorded.

What S3 gives for write-once, and how the writes use it:

- An object that fits in one part (PART_SIZE) is written by one conditional PUT
  (``If-None-Match: *``): the server refuses to replace an object, so of two concurrent writers
  of one key the first wins, as in the local store. MinIO and AWS S3 honour the condition; on a
  server that ignores it, the existence check made before the PUT leaves a short window in
  which the later writer wins.
- A larger stream is checked for, then uploaded in parts. S3 puts a completed object in place
  atomically, so a reader never sees part of one, but this client sends no condition with a
  multipart upload: two writers racing on one key both succeed and the later one wins. Large
  streams go to content-addressed keys (artifacts, code bundles), where both hold the same bytes.
- ``put_content`` reads the content twice: once to hash it, once to upload it to its content
  key, skipped when the key exists. A stream that cannot seek back is spooled to a local
  temporary file while it is hashed. The alternative, uploading to a temporary key and copying
  server-side, makes the server write every new byte twice (measured: 0.40 of a raw write for
  1 GiB, against 0.5+ for hashing first).

Streams of unknown length are limited to 10,000 parts by S3: 78 GiB per object.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, BinaryIO, NoReturn, cast
from urllib.parse import parse_qsl, unquote, urlencode, urlparse

import certifi
import urllib3
from minio import Minio
from minio.commonconfig import CopySource
from minio.error import MinioException, S3Error
from minio.helpers import check_bucket_name
from urllib3.util import Retry, Timeout

from graven.store.base import CHUNK_SIZE, TEMP_MARK, StoreError, check_key
from graven.store.content import ContentRef, HashingReader
from graven.store.integrity import expected_sha256, quarantine_key, sha256_of_stream

if TYPE_CHECKING:
    from _typeshed import SupportsRead, WriteableBuffer

# The client uploads three parts at a time, so a stream holds about five parts in memory
# (40 MiB); larger parts were no faster on MinIO, and 8 MiB still allows 78 GiB per stream.
PART_SIZE = 8 << 20

CREDENTIAL_VARIABLES = (
    ("GRAVEN_S3_ACCESS_KEY", "GRAVEN_S3_SECRET_KEY"),
    ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"),
)
_OPTIONS = ("endpoint", "secure", "region")
_MISSING = ("NoSuchKey", "NoSuchObject")
_DENIED = ("AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch")


@dataclass(frozen=True)
class S3Location:
    """Where an S3 store lives; everything but the credentials."""

    bucket: str
    prefix: str
    endpoint: str
    secure: bool = True
    region: str | None = None

    @classmethod
    def parse(cls, url: str) -> S3Location:
        parsed = urlparse(url)
        if parsed.scheme != "s3" or not parsed.netloc:
            raise StoreError(f"S3 store URL must be s3://bucket[/prefix]?endpoint=…, not {url!r}")
        options = dict(parse_qsl(parsed.query, keep_blank_values=True))
        unknown = sorted(set(options) - set(_OPTIONS))
        if unknown:
            raise StoreError(f"S3 store URL {url!r}: unknown option(s) {', '.join(unknown)}")
        endpoint = options.get("endpoint", "")
        if not endpoint:
            raise StoreError(
                f"S3 store URL {url!r} needs ?endpoint=host:port (s3.amazonaws.com for AWS)"
            )
        secure = options.get("secure", "true").lower()
        if secure not in ("true", "false"):
            raise StoreError(f"S3 store URL {url!r}: secure must be true or false")
        try:
            check_bucket_name(parsed.netloc, strict=True)
        except ValueError as error:
            raise StoreError(f"S3 store URL {url!r}: {error}") from None
        prefix = unquote(parsed.path).strip("/")
        if prefix:
            check_key(prefix)
        return cls(
            bucket=parsed.netloc,
            prefix=prefix,
            endpoint=endpoint,
            secure=secure == "true",
            region=options.get("region") or None,
        )

    @property
    def url(self) -> str:
        """The canonical URL, which ``parse`` turns back into this location."""
        options = {"endpoint": self.endpoint, "secure": str(self.secure).lower()}
        if self.region:
            options["region"] = self.region
        return f"{self.base}?{urlencode(options, safe=':')}"

    @property
    def base(self) -> str:
        """``s3://bucket[/prefix]``: what a key's URI starts with."""
        return f"s3://{self.bucket}" + (f"/{self.prefix}" if self.prefix else "")


def credentials_from_environment() -> tuple[str, str]:
    for access_variable, secret_variable in CREDENTIAL_VARIABLES:
        access_key, secret_key = os.environ.get(access_variable), os.environ.get(secret_variable)
        if access_key and secret_key:
            return access_key, secret_key
    wanted = " or ".join(f"{a} and {s}" for a, s in CREDENTIAL_VARIABLES)
    raise StoreError(f"the S3 store needs credentials: set {wanted}")


def _http_client() -> urllib3.PoolManager:
    """The client's own default waits five minutes to connect and retries five times; an
    unreachable endpoint should fail within seconds."""
    return urllib3.PoolManager(
        timeout=Timeout(connect=10, read=300),
        maxsize=10,
        cert_reqs="CERT_REQUIRED",
        ca_certs=os.environ.get("SSL_CERT_FILE") or certifi.where(),
        retries=Retry(total=2, backoff_factor=0.2, status_forcelist=[500, 502, 503, 504]),
    )


class S3Store:
    def __init__(self, location: S3Location, access_key: str, secret_key: str) -> None:
        self.location = location
        self.url = location.url
        self._bucket = location.bucket
        self._root = f"{location.prefix}/" if location.prefix else ""
        try:
            self._client = Minio(
                location.endpoint,
                access_key=access_key,
                secret_key=secret_key,
                secure=location.secure,
                region=location.region,
                http_client=_http_client(),
            )
        except ValueError as error:
            raise StoreError(f"S3 store {self.url}: {error}") from None
        with self._errors("creating the bucket"):
            if not self._client.bucket_exists(self._bucket):
                try:
                    self._client.make_bucket(self._bucket, location=location.region)
                except S3Error as error:
                    # Another process made it between the check and the creation.
                    if error.code != "BucketAlreadyOwnedByYou":
                        raise

    @classmethod
    def from_url(cls, url: str) -> S3Store:
        return cls(S3Location.parse(url), *credentials_from_environment())

    def _name(self, key: str) -> str:
        return self._root + check_key(key)

    def uri(self, key: str) -> str:
        return f"{self.location.base}/{check_key(key)}"

    def key_of(self, uri: str) -> str:
        prefix = self.location.base + "/"
        if not uri.startswith(prefix):
            raise StoreError(f"{uri!r} is not in the store {self.location.base}")
        return check_key(uri.removeprefix(prefix))

    def exists(self, key: str) -> bool:
        return self._stat(key) is not None

    def size(self, key: str) -> int:
        size = self._stat(key)
        if size is None:
            raise StoreError(f"{self.uri(key)} does not exist")
        return size

    def _stat(self, key: str) -> int | None:
        name = self._name(key)
        with self._errors(f"looking up {self.uri(key)}"):
            try:
                return cast(int, self._client.stat_object(self._bucket, name).size)
            except S3Error as error:
                if error.code in _MISSING:
                    return None
                raise

    @contextlib.contextmanager
    def deferred_sync(self) -> Iterator[S3Store]:
        """An acknowledged PUT is durable already: nothing to defer."""
        yield self

    def put_bytes(self, key: str, data: bytes) -> None:
        self.put_stream(key, io.BytesIO(data))

    def put_stream(self, key: str, stream: BinaryIO) -> None:
        if not self.exists(key):
            self._write(self._name(key), _Parts(stream), self.uri(key))

    def put_all(self, items: Mapping[str, bytes]) -> None:
        # An object appears only once its PUT is acknowledged, and then it is durable.
        for key, data in items.items():
            self.put_bytes(key, data)

    def put_content(self, stream: BinaryIO) -> ContentRef:
        """Hash first, then upload straight to the content key (or not at all when it is
        there): S3 names an object before its bytes arrive, and a server-side copy from a
        temporary key would write every byte twice. A stream that cannot be read twice is
        spooled to a local temporary file on the way."""
        if not _rereadable(stream):
            with tempfile.TemporaryFile() as spool:
                shutil.copyfileobj(stream, spool, CHUNK_SIZE)
                spool.seek(0)
                return self.put_content(cast(BinaryIO, spool))
        start = stream.tell()
        reader = HashingReader(stream)
        while reader.read(CHUNK_SIZE):
            pass
        ref = reader.ref()
        stream.seek(start)
        # Two writers of one content may both upload it; they write the same bytes. Stored
        # bytes of another size are corrupt for certain: quarantined, then replaced.
        stored = self._stat(ref.key)
        if stored is not None and stored != ref.size:
            self.quarantine(ref.key)
            stored = self._stat(ref.key)
        if stored is None:
            with self._errors(f"writing {self.uri(ref.key)}"):
                name = self._name(ref.key)
                if ref.size <= PART_SIZE:
                    put_if_absent(self._client, self._bucket, name, stream.read(ref.size))
                else:
                    self._client.put_object(
                        self._bucket, name, stream, length=ref.size, part_size=PART_SIZE
                    )
        return ref

    def _write(self, name: str, source: _Parts, what: str) -> None:
        with self._errors(f"writing {what}"):
            if source.fits_one_part:
                put_if_absent(self._client, self._bucket, name, source.read())
            else:
                self._client.put_object(
                    self._bucket, name, cast(BinaryIO, source), length=-1, part_size=PART_SIZE
                )

    def get_bytes(self, key: str) -> bytes:
        with self.open(key) as stream:
            return stream.read()

    def open(self, key: str) -> BinaryIO:
        uri = self.uri(key)
        with self._errors(f"reading {uri}"):
            try:
                response = self._client.get_object(self._bucket, self._name(key))
            except S3Error as error:
                if error.code in _MISSING:
                    raise StoreError(f"{uri} does not exist") from None
                raise
        return io.BufferedReader(_ObjectReader(response, uri), CHUNK_SIZE)

    def quarantine(self, key: str) -> str | None:
        """Each step is conditional on the ETag of the bytes hashed: they are read with
        If-Match, copied aside only if the object still has that ETag, and deleted with
        If-Match. AWS S3 honours a conditional delete; MinIO (tested) ignores it, so there
        the check is a fresh look-up just before the delete. Conditional single-part writes
        cannot replace the corrupt object meanwhile; a multipart write of the right bytes
        landing in that last moment would be deleted, which leaves the key missing (the
        next write stores it), never wrong."""
        expected = expected_sha256(key)
        name = self._name(key)
        with self._errors(f"quarantining {self.uri(key)}"):
            etag = self._etag(name)
            if etag is None:
                return None
            try:
                response = self._client.get_object(
                    self._bucket, name, request_headers={"If-Match": f'"{etag}"'}
                )
            except S3Error as error:
                if error.code in (*_MISSING, "PreconditionFailed"):
                    return None  # gone or replaced since: nothing provably bad to move
                raise
            with io.BufferedReader(_ObjectReader(response, self.uri(key)), CHUNK_SIZE) as f:
                if sha256_of_stream(f) == expected:
                    return None
            moved = quarantine_key(key)
            try:
                self._client.copy_object(
                    self._bucket, self._name(moved), CopySource(self._bucket, name, match_etag=etag)
                )
            except S3Error as error:
                if error.code in (*_MISSING, "PreconditionFailed"):
                    return None
                raise
            if self._etag(name) == etag:
                try:
                    self._client._execute(
                        "DELETE", self._bucket, name, headers={"If-Match": f'"{etag}"'}
                    )
                except S3Error as error:
                    # Replaced since (by the right bytes, the only ones a write may bring).
                    if error.code != "PreconditionFailed":
                        raise
            return moved

    def _etag(self, name: str) -> str | None:
        try:
            return cast(str, self._client.stat_object(self._bucket, name).etag)
        except S3Error as error:
            if error.code in _MISSING:
                return None
            raise

    def list(self, prefix: str) -> Iterator[str]:
        # MinIO refuses a prefix that ends in "." or "..", so ask for the folder and filter.
        partial = prefix.rpartition("/")[2]
        asked = prefix.removesuffix(partial) if partial in (".", "..") else prefix
        with self._errors(f"listing {self.location.base}/{prefix}"):
            for item in self._client.list_objects(
                self._bucket, prefix=self._root + asked, recursive=True
            ):
                key = str(item.object_name).removeprefix(self._root)
                if (
                    not item.is_dir
                    and key.startswith(prefix)
                    and not any(part.startswith(TEMP_MARK) for part in key.split("/"))
                ):
                    yield key

    def delete(self, key: str) -> None:
        # S3 answers a delete of a missing object with success.
        with self._errors(f"deleting {self.uri(key)}"):
            self._client.remove_object(self._bucket, self._name(key))

    @contextlib.contextmanager
    def _errors(self, action: str) -> Iterator[None]:
        """Client and connection failures, as StoreErrors a person can act on."""
        try:
            yield
        except S3Error as error:
            _raise_s3_error(error, action, self.location)
        except (MinioException, urllib3.exceptions.HTTPError) as error:
            raise StoreError(
                f"{action} failed: cannot talk to the S3 endpoint {self.location.endpoint} "
                f"({_reason(error)})"
            ) from error


def put_if_absent(client: Minio, bucket: str, name: str, data: bytes) -> bool:
    """One PUT that the server refuses when the object exists; whether it wrote.

    The client's put_object passes unknown headers on as user metadata, so the conditional
    request goes through its lower-level call, which sends headers as given."""
    try:
        client._put_object(
            bucket,
            name,
            data,
            headers={"If-None-Match": "*", "Content-Type": "application/octet-stream"},
        )
    except S3Error as error:
        if error.code == "PreconditionFailed":
            return False
        raise
    return True


class _Parts:
    """A stream whose first part is read ahead, to learn whether one PUT can hold it all."""

    def __init__(self, stream: SupportsRead[bytes]) -> None:
        self._head = _read_up_to(stream, PART_SIZE + 1)
        self._rest = stream
        self.fits_one_part = len(self._head) <= PART_SIZE

    def read(self, n: int = -1) -> bytes:
        # The head is let go of as soon as it is read: the client holds its own parts.
        if not self._head:
            return self._rest.read(n)
        if n < 0:
            data, self._head = self._head + self._rest.read(), b""
        else:
            data, self._head = self._head[:n], self._head[n:]
        return data


def _rereadable(stream: BinaryIO) -> bool:
    try:
        return stream.seekable()
    except (AttributeError, ValueError):
        return False


def _read_up_to(stream: SupportsRead[bytes], size: int) -> bytes:
    """``size`` bytes, or fewer at the end of the stream (a pipe may return less per read)."""
    data = stream.read(size)
    if len(data) in (0, size):
        return data
    buffer = bytearray(data)
    while len(buffer) < size and (chunk := stream.read(size - len(buffer))):
        buffer += chunk
    return bytes(buffer)


def _raise_s3_error(error: S3Error, action: str, location: S3Location) -> NoReturn:
    if error.code == "NoSuchBucket":
        message = f"the bucket {location.bucket!r} does not exist at {location.endpoint}"
    elif error.code in _DENIED:
        message = (
            f"{location.endpoint} refused the credentials for bucket {location.bucket!r} "
            f"({error.code}: {error.message})"
        )
    else:
        message = f"{error.code}: {error.message}"
    raise StoreError(f"{action} failed: {message}") from error


def _reason(error: Exception) -> str:
    reason = getattr(error, "reason", None)
    return str(reason or error)


class _ObjectReader(io.RawIOBase):
    """An object's bytes as they arrive, so reading a large object never holds it whole."""

    def __init__(self, response: urllib3.BaseHTTPResponse, uri: str) -> None:
        self._response = response
        self._uri = uri

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        try:
            return self._response.readinto(memoryview(buffer))
        except urllib3.exceptions.HTTPError as error:
            raise StoreError(f"reading {self._uri} failed: {_reason(error)}") from error

    def close(self) -> None:
        if not self.closed:
            self._response.close()
            self._response.release_conn()
        super().close()

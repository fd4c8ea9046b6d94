"""The S3 backend against a real MinIO, seen also through a plain S3 client."""

from __future__ import annotations

import hashlib
import io
import re
import time

import pytest

from graven.store import StoreError, open_store
from graven.store.minio_process import MinioServer
from graven.store.s3 import CREDENTIAL_VARIABLES, S3Location, S3Store, put_if_absent

LAYOUT = re.compile(
    r"cas/sha256/(?P<hh>[0-9a-f]{2})/(?P<hash>[0-9a-f]{64})"
    r"|executions/[^/]+/[^/]+/[^/]+/.+"
    r"|bundles/sha256/[0-9a-f]{64}\.tar\.gz"
)


def bucket_of(url: str) -> str:
    return S3Location.parse(url).bucket


def test_a_plain_s3_client_sees_the_documented_layout(minio_server: MinioServer) -> None:
    url = minio_server.url()
    store = open_store(url)
    small = store.put_content(io.BytesIO(b"a small output"))
    large = store.put_content(io.BytesIO(bytes(range(256)) * 70_000))  # several parts
    store.put_bytes("executions/proj/dev/e1/nodes/n0/outputs.pb", b"outputs")
    bundle = hashlib.sha256(b"bundle").hexdigest()
    store.put_stream(f"bundles/sha256/{bundle}.tar.gz", io.BytesIO(b"bundle"))

    client = minio_server.client()
    names = [o.object_name for o in client.list_objects(bucket_of(url), recursive=True)]
    assert sorted(names) == sorted(
        [
            small.key,
            large.key,
            "executions/proj/dev/e1/nodes/n0/outputs.pb",
            f"bundles/sha256/{bundle}.tar.gz",
        ]
    )
    for name in names:
        match = LAYOUT.fullmatch(name)
        assert match, f"{name} is not in the documented layout"
        if match["hash"]:
            response = client.get_object(bucket_of(url), name)
            try:
                assert hashlib.sha256(response.read()).hexdigest() == match["hash"]
                assert match["hh"] == match["hash"][:2]
            finally:
                response.close()
                response.release_conn()


def test_a_prefix_is_a_folder_of_the_bucket(minio_server: MinioServer) -> None:
    url = minio_server.url(prefix="team/graven")
    store = open_store(url)
    ref = store.put_content(io.BytesIO(b"x"))
    client = minio_server.client()
    names = [o.object_name for o in client.list_objects(bucket_of(url), recursive=True)]
    assert names == [f"team/graven/{ref.key}"]
    assert list(store.list("")) == [ref.key]
    assert store.uri(ref.key) == f"s3://{bucket_of(url)}/team/graven/{ref.key}"


def test_content_already_stored_is_not_written_again(minio_server: MinioServer) -> None:
    url = minio_server.url()
    store = open_store(url)
    client = minio_server.client()
    for data in (b"small", b"L" * (20 << 20)):
        ref = store.put_content(io.BytesIO(data))
        before = client.stat_object(bucket_of(url), ref.key)
        assert store.put_content(io.BytesIO(data)) == ref
        after = client.stat_object(bucket_of(url), ref.key)
        assert (after.etag, after.last_modified) == (before.etag, before.last_modified)
    # No temporary upload is left behind.
    assert len(list(client.list_objects(bucket_of(url), recursive=True))) == 2


def test_the_server_refuses_to_replace_an_object(minio_server: MinioServer) -> None:
    """What keeps small writes first-wins even when two writers pass the existence check."""
    url = minio_server.url()
    open_store(url)
    client = minio_server.client()
    assert put_if_absent(client, bucket_of(url), "k", b"first")
    assert not put_if_absent(client, bucket_of(url), "k", b"second")
    response = client.get_object(bucket_of(url), "k")
    try:
        assert response.read() == b"first"
    finally:
        response.close()
        response.release_conn()


def test_in_flight_uploads_are_hidden(minio_server: MinioServer) -> None:
    url = minio_server.url()
    store = open_store(url)
    client = minio_server.client()
    client.put_object(bucket_of(url), "cas/sha256/.tmp-abc", io.BytesIO(b"partial"), 7)
    store.put_bytes("cas/x", b"x")
    assert list(store.list("")) == ["cas/x"]


def test_the_bucket_is_created_when_missing(minio_server: MinioServer) -> None:
    url = minio_server.url()
    client = minio_server.client()
    assert not client.bucket_exists(bucket_of(url))
    open_store(url)
    assert client.bucket_exists(bucket_of(url))
    open_store(url)  # and found the next time


def test_a_bucket_removed_under_the_store_is_a_clear_error(minio_server: MinioServer) -> None:
    url = minio_server.url()
    store = open_store(url)
    minio_server.client().remove_bucket(bucket_of(url))
    with pytest.raises(StoreError, match=r"bucket '.*' does not exist at 127\.0\.0\.1:"):
        store.put_bytes("k", b"v")


def test_credentials_fall_back_to_the_aws_variables(
    minio_server: MinioServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GRAVEN_S3_ACCESS_KEY")
    monkeypatch.delenv("GRAVEN_S3_SECRET_KEY")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", minio_server.access_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", minio_server.secret_key)
    store = open_store(minio_server.url())
    store.put_bytes("k", b"v")
    assert store.get_bytes("k") == b"v"


def test_missing_credentials_are_named(monkeypatch: pytest.MonkeyPatch) -> None:
    for variables in CREDENTIAL_VARIABLES:
        for variable in variables:
            monkeypatch.delenv(variable, raising=False)
    with pytest.raises(StoreError, match="set GRAVEN_S3_ACCESS_KEY and GRAVEN_S3_SECRET_KEY"):
        open_store("s3://bucket?endpoint=127.0.0.1:9&secure=false")


def test_wrong_credentials_are_a_clear_error(minio_server: MinioServer) -> None:
    location = S3Location.parse(minio_server.url())
    with pytest.raises(StoreError, match="refused the credentials"):
        S3Store(location, minio_server.access_key, "not-the-secret")


def test_an_unreachable_endpoint_fails_fast_and_clearly(
    minio_server: MinioServer, unused_port: int
) -> None:
    start = time.monotonic()
    with pytest.raises(
        StoreError, match=rf"cannot talk to the S3 endpoint 127\.0\.0\.1:{unused_port}"
    ):
        open_store(f"s3://bucket?endpoint=127.0.0.1:{unused_port}&secure=false")
    assert time.monotonic() - start < 10


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("s3://?endpoint=h:1", "must be s3://bucket"),
        ("s3://bucket", "needs \\?endpoint=host:port"),
        ("s3://bucket?endpoint=h:1&secure=maybe", "secure must be true or false"),
        ("s3://bucket?endpoint=h:1&regoin=x", "unknown option\\(s\\) regoin"),
        ("s3://Bad_Bucket?endpoint=h:1", "invalid bucket name"),
        ("s3://bucket/a/../b?endpoint=h:1", "invalid object-store key"),
        ("gs://bucket?endpoint=h:1", "unsupported object-store URL"),
    ],
)
def test_bad_urls_say_what_is_wrong(url: str, problem: str) -> None:
    with pytest.raises(StoreError, match=problem):
        open_store(url)


@pytest.mark.parametrize(
    "url",
    [
        "s3://bucket?endpoint=127.0.0.1:9000&secure=false",
        "s3://bucket/a/b?endpoint=s3.amazonaws.com&secure=true&region=eu-west-1",
    ],
)
def test_urls_are_canonical(url: str) -> None:
    location = S3Location.parse(url)
    assert location.url == url
    assert S3Location.parse(location.url) == location
    assert S3Location.parse("s3://bucket?endpoint=h:1").secure

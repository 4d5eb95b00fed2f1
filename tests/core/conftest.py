"""Fixtures for the core tests: one moto S3 server on 127.0.0.1 for the session, HMAC clients,
fresh buckets, and a request counter.

The server is moto 5's ``ThreadedMotoServer`` on a free port; moto does not check signatures,
so any HMAC key pair works.  Nothing here reaches beyond 127.0.0.1.
"""
from __future__ import annotations

import logging
import os
import sys
from typing import Any, Iterator

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HERE = os.path.dirname(os.path.abspath(__file__))
for path in (REPO, HERE):
    if path not in sys.path:
        sys.path.insert(0, path)

from core_helpers import RequestRecorder, empty_bucket, free_port, make_client, unique_bucket_name  # noqa: E402
from ibm_botocore.config import Config  # noqa: E402

_ENV_PREFIXES = ("AWS_", "IBM_", "COS_", "BOTO_")


@pytest.fixture(scope="module", autouse=True)
def isolated_environment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """No credentials, profiles or SDK settings from the machine running the tests."""
    saved = dict(os.environ)
    missing = str(tmp_path_factory.mktemp("no-config") / "absent")
    for name in list(os.environ):
        if name.startswith(_ENV_PREFIXES) and name != "AWS_CA_BUNDLE":
            del os.environ[name]
    os.environ.update(
        {
            "AWS_CONFIG_FILE": missing,
            "AWS_SHARED_CREDENTIALS_FILE": missing,
            "COS_CREDENTIALS_FILE": missing,
            "NO_PROXY": "127.0.0.1,localhost",
        }
    )
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """``http://127.0.0.1:<port>`` of a moto S3 server that lives for the test session."""
    server_module = pytest.importorskip("moto.server")
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    port = free_port()
    server = server_module.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield "http://127.0.0.1:%d" % port
    finally:
        server.stop()


@pytest.fixture
def client(moto_endpoint: str) -> Iterator[Any]:
    """An HMAC (SigV4) client for the moto server."""
    s3 = make_client(moto_endpoint, config=Config(retries={"max_attempts": 1}))
    yield s3
    s3.close()


@pytest.fixture
def bucket(client: Any) -> Iterator[str]:
    """A new empty bucket; emptied (objects, versions, uploads) and deleted afterwards."""
    name = unique_bucket_name()
    client.create_bucket(Bucket=name)
    yield name
    try:
        empty_bucket(client, name)
        client.delete_bucket(Bucket=name)
    except client.exceptions.NoSuchBucket:
        pass


@pytest.fixture
def recorder(client: Any) -> RequestRecorder:
    record = RequestRecorder()
    client.meta.events.register("before-send.s3.*", record)
    return record


@pytest.fixture
def emulator_client(cos_emulator: Any) -> Iterator[Any]:
    """An HMAC (SigV4) client of the session's ibm_cos_emulator, for tests whose server must
    answer as COS does on every moto version in the declared range: raw moto before 5.2 sends no
    CreateBucket ``Location``, 5.0 wants Content-MD5 on every object PUT in an object-lock
    bucket and answers some errors as HTML; the emulator does not."""
    import ibm_boto3

    s3 = ibm_boto3.client("s3", aws_access_key_id=cos_emulator.access_key_id,
                          aws_secret_access_key=cos_emulator.secret_access_key,
                          endpoint_url=cos_emulator.endpoint_url, config=Config(retries={"max_attempts": 1}))
    yield s3
    s3.close()

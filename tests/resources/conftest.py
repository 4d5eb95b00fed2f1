"""Fixtures for the resource-layer tests: a moto S3 server and resources talking to it."""
from __future__ import annotations

import logging
import os
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if REPO not in sys.path:
    sys.path.insert(0, REPO)

import ibm_boto3  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from resource_helpers import Recorder, unique  # noqa: E402


@pytest.fixture(scope="session")
def moto_endpoint():
    pytest.importorskip("moto")
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield "http://%s:%d" % (host, port)
    finally:
        server.stop()


@pytest.fixture
def session():
    return ibm_boto3.session.Session()


@pytest.fixture
def s3(session, moto_endpoint):
    return session.resource("s3", aws_access_key_id="testing", aws_secret_access_key="testing",
                            region_name="us-east-1", endpoint_url=moto_endpoint)


@pytest.fixture
def bucket(s3):
    return s3.create_bucket(Bucket=unique())


@pytest.fixture
def recorder(s3):
    return Recorder(s3.meta.client)

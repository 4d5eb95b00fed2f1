"""The generated API reference covers the whole model and says what ``help()`` says."""
from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

import ibm_boto3
from ibm_botocore import xform_name

DOCS = Path(__file__).resolve().parents[2] / "docs"
MODEL = Path(ibm_boto3.__file__).resolve().parents[1] / "ibm_botocore" / "data" / "s3" / "2006-03-01"


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    spec = importlib.util.spec_from_file_location("cosref", DOCS / "_ext" / "cosref.py")
    cosref = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(cosref)
    return Path(cosref.generate(str(tmp_path_factory.mktemp("docs"))))


@pytest.fixture(scope="module")
def client():
    return ibm_boto3.client("s3", aws_access_key_id="a", aws_secret_access_key="b", endpoint_url="http://127.0.0.1:9")


def test_every_operation_has_a_page_with_the_help_text(generated, client):
    operations = json.loads((MODEL / "service-2.json").read_text())["operations"]
    assert len(operations) >= 95
    for name in operations:
        method = xform_name(name)
        page = (generated / "client" / (method + ".rst")).read_text()
        assert ".. py:method:: S3.Client.%s(**kwargs)" % method in page
        body = "\n".join(line[3:] if line.strip() else "" for line in page.splitlines()[5:])
        assert str(getattr(client, method).__doc__).strip() == body.strip(), method


def test_put_object_page_states_types_required_enums_and_wire(generated):
    page = (generated / "client" / "put_object.rst").read_text()
    assert ":param Bucket: **[REQUIRED]** Sent as URI path." in page
    assert ":param Metadata: Sent as headers ``x-amz-meta-*`` (one per key)." in page
    assert "Valid values: ``private``, ``public-read``" in page
    assert ":param RetentionPeriod: Sent as header ``Retention-Period``." in page
    assert "'ETag': 'string'," in page and "'ResponseMetadata': {...}," in page


def test_cos_only_and_aws_only_operations_are_marked(generated):
    assert "IBM COS only" in (generated / "client" / "add_legal_hold.rst").read_text()
    assert "ibm-cos-sdk 2.16.2 does not have" in (generated / "client" / "put_bucket_policy.rst").read_text()
    assert "IBM COS only" not in (generated / "client" / "put_object.rst").read_text()


def test_modeled_errors_are_listed(generated):
    page = (generated / "client" / "get_object.rst").read_text()
    assert "``client.exceptions.NoSuchKey``" in page


def test_resources_paginators_waiters_and_settings(generated):
    resources = json.loads((Path(ibm_boto3.__file__).parent / "data" / "s3" / "2006-03-01" / "resources-1.json").read_text())
    for name in resources["resources"]:
        assert (generated / "resources" / (name + ".rst")).exists(), name
    bucket = (generated / "resources" / "Bucket.rst").read_text()
    assert "``objects``: :doc:`ObjectSummary` items from :doc:`../client/list_objects`" in bucket
    assert "``wait_until_exists()``" in bucket
    paginators = (generated / "paginators.rst").read_text()
    for name in json.loads((MODEL / "paginators-1.json").read_text())["pagination"]:
        assert "``'%s'``" % xform_name(name) in paginators
    waiters = (generated / "waiters.rst").read_text()
    assert "``'object_exists'``" in waiters and "5 s, 20" in waiters
    config = (generated / "config.rst").read_text()
    assert "``multipart_threshold``" in config and "``8388608``" in config
    assert "``max_pool_connections``" in config and "``10``" in config

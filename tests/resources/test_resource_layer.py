"""The resource layer against a real S3 server (moto on 127.0.0.1)."""
from __future__ import annotations

import datetime
import io
import json
from concurrent.futures import ThreadPoolExecutor

import pytest

import ibm_boto3
from ibm_boto3.exceptions import ResourceLoadException
from ibm_botocore.exceptions import ClientError

from resource_helpers import unique

WAIT = {"Delay": 0.05, "MaxAttempts": 5}


# -- the service resource -------------------------------------------------------------------------------
def test_service_resource_surface(s3):
    assert repr(s3) == "s3.ServiceResource()"
    assert type(s3).__name__ == "s3.ServiceResource"
    assert isinstance(s3, ibm_boto3.resources.base.ServiceResource)
    assert s3.meta.service_name == "s3"
    assert s3.meta.identifiers == []
    assert repr(s3.meta) == "ResourceMeta('s3', identifiers=[])"
    assert s3.meta.client.meta.config.user_agent_extra == "Resource"
    subs = s3.get_available_subresources()
    for name in ("Bucket", "BucketAcl", "BucketCors", "BucketLifecycleConfiguration", "BucketProtection",
                 "BucketTagging", "BucketVersioning", "BucketWebsite", "MultipartUpload", "MultipartUploadPart",
                 "Object", "ObjectAcl", "ObjectProtection", "ObjectSummary", "ObjectVersion"):
        assert name in subs
    assert subs == sorted(subs)
    assert callable(s3.create_bucket)
    assert repr(s3.buckets) == "s3.bucketsCollectionManager(s3.ServiceResource(), s3.Bucket)"
    assert repr(s3.buckets.all()) == "s3.bucketsCollection(s3.ServiceResource(), s3.Bucket)"


def test_create_bucket_action_and_buckets_collection(s3, recorder):
    name = unique()
    bucket = s3.create_bucket(Bucket=name)
    assert bucket == s3.Bucket(name)
    assert repr(bucket) == "s3.Bucket(name=%r)" % name
    listed = [b for b in s3.buckets.all() if b.name == name]
    assert listed == [bucket]
    recorder.clear()
    # Built from the listing, the bucket already has its data: no request.
    assert isinstance(listed[0].creation_date, datetime.datetime)
    assert recorder.requests == []
    assert name in [b.name for b in s3.buckets.filter()]
    assert len(list(s3.buckets.limit(1))) == 1


# -- identifiers, equality, reprs ---------------------------------------------------------------------------
def test_identifiers_positional_keyword_and_errors(s3):
    obj = s3.Object("b", "k")
    assert obj == s3.Object(bucket_name="b", key="k") == s3.Object("b", key="k")
    assert obj.bucket_name == "b" and obj.key == "k"
    assert repr(obj) == "s3.Object(bucket_name='b', key='k')"
    assert obj.meta.identifiers == ["bucket_name", "key"]
    assert hash(obj) == hash(s3.Object("b", "k"))
    assert len({obj, s3.Object("b", "k"), s3.Object("b", "other")}) == 2
    assert obj != s3.ObjectSummary("b", "k")
    assert obj != s3.Object("b", "k2")
    assert obj != "s3.Object(bucket_name='b', key='k')"
    with pytest.raises(ValueError, match="Required parameter key not set"):
        s3.Object("b")
    with pytest.raises(ValueError, match="Required parameter bucket_name not set"):
        s3.Object(None, "k")
    with pytest.raises(ValueError, match="takes 2 arguments"):
        s3.Object("b", "k", "extra")
    with pytest.raises(ValueError, match="Unknown keyword argument: colour"):
        s3.Object("b", "k", colour="red")
    with pytest.raises(AttributeError):
        obj.key = "other"
    part = s3.MultipartUploadPart("b", "k", "upload", 3)
    assert repr(part) == ("s3.MultipartUploadPart(bucket_name='b', object_key='k', "
                          "multipart_upload_id='upload', part_number=3)")
    assert repr(s3.ObjectVersion("b", "k", "v")) == "s3.ObjectVersion(bucket_name='b', object_key='k', id='v')"


def test_meta_and_copy(s3):
    obj = s3.Object("b", "k")
    assert obj.meta.client is s3.meta.client
    assert obj.meta.data is None
    assert obj.meta.resource_model.name == "Object"
    assert obj.meta.resource_model.shape == "HeadObjectOutput"
    duplicate = obj.meta.copy()
    assert duplicate == obj.meta and duplicate is not obj.meta
    duplicate.identifiers.append("x")
    assert obj.meta.identifiers == ["bucket_name", "key"]
    # Each instance has its own meta.
    other = s3.Object("b", "k2")
    obj.meta.data = {"ContentLength": 1}
    assert other.meta.data is None


def test_sub_resources_and_references(s3):
    bucket = s3.Bucket("bk")
    assert bucket.Object("k") == s3.Object("bk", "k")
    assert bucket.Object(key="k") == s3.Object("bk", "k")
    assert bucket.Acl() == s3.BucketAcl("bk")
    assert bucket.Versioning() == s3.BucketVersioning("bk")
    assert bucket.Protection() == s3.BucketProtection("bk")
    assert bucket.Policy() == s3.BucketPolicy("bk")
    assert bucket.Logging() == s3.BucketLogging("bk")
    assert bucket.Notification() == s3.BucketNotification("bk")
    assert bucket.get_available_subresources() == [
        "Acl", "Cors", "LifecycleConfiguration", "Logging", "Notification", "Object", "Policy", "Protection",
        "Tagging", "Versioning", "Website"]
    obj = s3.Object("bk", "k")
    assert obj.Bucket() == bucket
    assert obj.Acl() == s3.ObjectAcl("bk", "k")
    assert obj.Version("v1") == s3.ObjectVersion("bk", "k", "v1")
    assert obj.MultipartUpload("u") == s3.MultipartUpload("bk", "k", "u")
    assert obj.Protection() == s3.ObjectProtection("bk", "k")
    assert s3.ObjectSummary("bk", "k").Object() == obj
    assert s3.MultipartUpload("bk", "k", "u").Part(2) == s3.MultipartUploadPart("bk", "k", "u", 2)
    assert s3.MultipartUploadPart("bk", "k", "u", 2).MultipartUpload() == s3.MultipartUpload("bk", "k", "u")
    assert s3.ObjectVersion("bk", "k", "v").Object() == obj
    assert s3.BucketAcl("bk").Bucket() == bucket
    with pytest.raises(ValueError, match="Required parameter key not set"):
        bucket.Object()
    with pytest.raises(ValueError, match="Required parameter id not set"):
        obj.Version()
    with pytest.raises(ValueError, match="takes 1 argument"):
        bucket.Object("a", "b")


def test_unknown_service_and_version(session, moto_endpoint):
    from ibm_boto3.exceptions import ResourceNotExistsError, UnknownAPIVersionError
    from ibm_boto3.resources.factory import create_service_resource

    client = session.client("s3", aws_access_key_id="a", aws_secret_access_key="b", endpoint_url=moto_endpoint)
    with pytest.raises(ResourceNotExistsError, match="no 'sqs' resource"):
        create_service_resource(session, "sqs", client)
    with pytest.raises(UnknownAPIVersionError, match="1999-01-01"):
        create_service_resource(session, "s3", client, "1999-01-01")


# -- lazy loading -----------------------------------------------------------------------------------------
def test_object_lazy_load_and_reload(bucket, recorder):
    obj = bucket.put_object(Key="lazy.txt", Body=b"hello", ContentType="text/plain", Metadata={"colour": "blue"})
    assert obj == bucket.Object("lazy.txt")
    recorder.clear()
    assert obj.meta.data is None
    assert obj.content_length == 5
    assert recorder.count("HEAD") == 1
    assert obj.content_type == "text/plain"
    assert obj.metadata == {"colour": "blue"}
    assert obj.e_tag == '"5d41402abc4b2a76b9719d911017c592"'
    assert recorder.count("HEAD") == 1  # loaded once
    obj.put(Body=b"hello world")
    assert obj.content_length == 5  # still the loaded data
    obj.reload()
    assert obj.content_length == 11
    assert recorder.count("HEAD") == 2
    obj.load()
    assert recorder.count("HEAD") == 3


def test_bucket_load_is_injected_and_lazy(s3, bucket, recorder):
    fresh = s3.Bucket(bucket.name)
    recorder.clear()
    assert isinstance(fresh.creation_date, datetime.datetime)
    assert recorder.count("GET") == 1  # ListBuckets
    assert fresh.meta.data["Name"] == bucket.name
    fresh.reload()
    assert recorder.count("GET") == 2
    assert s3.Bucket(unique("missing")).creation_date is None


def test_object_summary_load_is_injected(s3, bucket, recorder):
    bucket.put_object(Key="sum", Body=b"12345678")
    summary = s3.ObjectSummary(bucket.name, "sum")
    assert summary.meta.data is None
    recorder.clear()
    assert summary.size == 8  # HeadObject; ContentLength becomes Size
    assert recorder.count("HEAD") == 1
    assert "ContentLength" not in summary.meta.data
    summary.reload()
    assert recorder.count("HEAD") == 2
    assert summary.Object().get()["Body"].read() == b"12345678"


def test_resources_without_load_raise(s3):
    with pytest.raises(ResourceLoadException, match="s3.MultipartUpload has no load method"):
        s3.MultipartUpload("b", "k", "u").initiated
    with pytest.raises(ResourceLoadException, match="s3.ObjectVersion has no load method"):
        s3.ObjectVersion("b", "k", "v").size
    with pytest.raises(ResourceLoadException):
        s3.MultipartUploadPart("b", "k", "u", 1).e_tag
    assert not hasattr(s3.MultipartUpload("b", "k", "u"), "load")


def test_load_failure_is_a_client_error(s3, bucket):
    with pytest.raises(ClientError) as info:
        s3.Object(bucket.name, "absent").content_length
    assert info.value.response["Error"]["Code"] in ("404", "NoSuchKey")


# -- actions ----------------------------------------------------------------------------------------------
def test_raw_actions_return_the_response(s3, bucket):
    obj = s3.Object(bucket.name, "raw")
    put = obj.put(Body=b"payload")
    assert put["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert put["ETag"]
    got = obj.get(Range="bytes=0-2")
    assert got["Body"].read() == b"pay"
    copy = s3.Object(bucket.name, "raw-copy").copy_from(CopySource={"Bucket": bucket.name, "Key": "raw"})
    assert "CopyObjectResult" in copy
    assert s3.Object(bucket.name, "raw-copy").get()["Body"].read() == b"payload"
    deleted = obj.delete()
    assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 204
    with pytest.raises(ClientError):
        obj.get()


def test_restore_object_action(s3, bucket):
    obj = bucket.put_object(Key="cold", Body=b"ice", StorageClass="GLACIER")
    response = obj.restore_object(RestoreRequest={"Days": 1})
    assert response["ResponseMetadata"]["HTTPStatusCode"] in (200, 202)
    obj.reload()
    assert obj.restore is not None


def test_bucket_actions_create_delete_and_waiters(s3):
    bucket = s3.Bucket(unique())
    bucket.create()
    bucket.wait_until_exists(WaiterConfig=WAIT)
    assert bucket.name in [b.name for b in s3.buckets.all()]
    bucket.delete()
    bucket.wait_until_not_exists(WaiterConfig=WAIT)
    assert bucket.name not in [b.name for b in s3.buckets.all()]


def test_object_waiters(bucket):
    obj = bucket.Object("waited")
    obj.wait_until_not_exists(WaiterConfig=WAIT)
    obj.put(Body=b"x")
    obj.wait_until_exists(WaiterConfig=WAIT)
    summary = next(iter(bucket.objects.all()))
    summary.wait_until_exists(WaiterConfig=WAIT)
    obj.delete()
    obj.wait_until_not_exists(WaiterConfig=WAIT)
    from ibm_botocore.exceptions import WaiterError

    with pytest.raises(WaiterError):
        obj.wait_until_exists(WaiterConfig={"Delay": 0.01, "MaxAttempts": 2})


def test_bucket_delete_objects_action(bucket):
    for key in ("a", "b", "c"):
        bucket.put_object(Key=key, Body=b"x")
    response = bucket.delete_objects(Delete={"Objects": [{"Key": "a"}, {"Key": "b"}]})
    assert sorted(d["Key"] for d in response["Deleted"]) == ["a", "b"]
    assert [o.key for o in bucket.objects.all()] == ["c"]


def test_multipart_upload_resources(s3, bucket):
    source = bucket.put_object(Key="source", Body=b"S" * 1024)
    obj = bucket.Object("big")
    mpu = obj.initiate_multipart_upload(ContentType="application/octet-stream")
    assert mpu == s3.MultipartUpload(bucket.name, "big", mpu.id)
    assert mpu.Object() == obj
    # The bucket's multipart_uploads collection knows it, with its listing data.
    listed = [u for u in bucket.multipart_uploads.all() if u.id == mpu.id]
    assert listed == [mpu]
    assert isinstance(listed[0].initiated, datetime.datetime)
    assert listed[0].key == "big"
    part1 = mpu.Part(1)
    first = part1.upload(Body=b"A" * (5 * 1024 * 1024))
    part2 = mpu.Part(2)
    second = part2.copy_from(CopySource={"Bucket": bucket.name, "Key": source.key})
    parts = list(mpu.parts.all())
    assert parts == [part1, part2]
    assert parts[0].size == 5 * 1024 * 1024
    assert parts[0].e_tag == first["ETag"]
    assert parts[1].MultipartUpload() == mpu
    completed = mpu.complete(MultipartUpload={"Parts": [
        {"PartNumber": 1, "ETag": first["ETag"]},
        {"PartNumber": 2, "ETag": second["CopyPartResult"]["ETag"]},
    ]})
    assert completed == obj
    assert completed.content_length == 5 * 1024 * 1024 + 1024
    assert [u for u in bucket.multipart_uploads.all() if u.id == mpu.id] == []

    other = bucket.Object("abandoned").initiate_multipart_upload()
    assert other.abort()["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert list(bucket.multipart_uploads.all()) == []


def test_summary_initiate_multipart_upload(bucket):
    bucket.put_object(Key="s", Body=b"x")
    summary = next(iter(bucket.objects.all()))
    mpu = summary.initiate_multipart_upload()
    assert (mpu.bucket_name, mpu.object_key) == (bucket.name, "s")
    mpu.abort()


# -- bucket sub-resources -------------------------------------------------------------------------------
def test_bucket_versioning_and_object_versions(s3, bucket, recorder):
    versioning = bucket.Versioning()
    assert versioning.status is None
    versioning.enable()
    versioning.reload()
    assert versioning.status == "Enabled"
    obj = bucket.Object("v.txt")
    first = obj.put(Body=b"one")["VersionId"]
    second = obj.put(Body=b"two")["VersionId"]
    obj.delete()  # a delete marker
    versions = list(bucket.object_versions.all())
    assert len(versions) == 3
    assert {v.id for v in versions} >= {first, second}
    assert all(v.object_key == "v.txt" for v in versions)
    markers = [v for v in versions if v.id not in (first, second)]
    assert len(markers) == 1
    by_id = {v.id: v for v in versions}
    recorder.clear()
    assert by_id[first].size == 3 and by_id[first].is_latest is False
    assert recorder.requests == []
    assert obj.Version(first).get()["Body"].read() == b"one"
    assert s3.ObjectVersion(bucket.name, "v.txt", second).head()["ContentLength"] == 3
    by_id[first].delete()
    assert {v.id for v in bucket.object_versions.all()} == {second, markers[0].id}
    responses = bucket.object_versions.delete()
    assert len(responses) == 1 and len(responses[0]["Deleted"]) == 2
    assert list(bucket.object_versions.all()) == []
    versioning.suspend()
    versioning.reload()
    assert versioning.status == "Suspended"


def test_bucket_configuration_resources(s3, bucket):
    cors = bucket.Cors()
    cors.put(CORSConfiguration={"CORSRules": [{"AllowedMethods": ["GET"], "AllowedOrigins": ["*"]}]})
    assert cors.cors_rules[0]["AllowedMethods"] == ["GET"]
    cors.delete()
    with pytest.raises(ClientError):
        cors.reload()

    tagging = s3.BucketTagging(bucket.name)
    tagging.put(Tagging={"TagSet": [{"Key": "team", "Value": "storage"}]})
    assert tagging.tag_set == [{"Key": "team", "Value": "storage"}]
    tagging.delete()

    website = bucket.Website()
    website.put(WebsiteConfiguration={"IndexDocument": {"Suffix": "index.html"}})
    assert website.index_document == {"Suffix": "index.html"}
    website.delete()

    lifecycle = bucket.LifecycleConfiguration()
    lifecycle.put(LifecycleConfiguration={"Rules": [
        {"ID": "expire", "Status": "Enabled", "Filter": {"Prefix": "tmp/"}, "Expiration": {"Days": 3}}]})
    assert lifecycle.rules[0]["ID"] == "expire"
    assert lifecycle.Bucket() == bucket
    lifecycle.delete()

    acl = bucket.Acl()
    assert acl.owner["ID"]
    acl.put(ACL="public-read")
    acl.reload()
    assert any(g["Permission"] == "READ" and g["Grantee"].get("URI", "").endswith("AllUsers") for g in acl.grants)

    policy = bucket.Policy()
    document = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
        "Resource": "arn:aws:s3:::%s/*" % bucket.name}]}
    policy.put(Policy=json.dumps(document))
    assert json.loads(policy.policy)["Statement"][0]["Action"] == "s3:GetObject"
    policy.delete()

    assert bucket.Logging().logging_enabled is None
    notification = bucket.Notification()
    assert notification.topic_configurations is None
    notification.put(NotificationConfiguration={})


def test_object_acl_resource(s3, bucket):
    bucket.put_object(Key="acl", Body=b"x")
    acl = s3.Object(bucket.name, "acl").Acl()
    assert acl.owner["ID"]
    acl.put(ACL="public-read")
    acl.reload()
    assert len(acl.grants) >= 2
    assert acl.Object() == s3.Object(bucket.name, "acl")


# -- collections ------------------------------------------------------------------------------------------
@pytest.fixture
def filled(bucket):
    for key in ["logs/%02d" % i for i in range(7)] + ["data/a", "data/b", "top"]:
        bucket.put_object(Key=key, Body=key.encode())
    return bucket


def test_collection_filter_iteration(filled, recorder):
    recorder.clear()
    logs = filled.objects.filter(Prefix="logs/")
    assert recorder.requests == []  # lazy until iterated
    found = [(o.key, o.size) for o in logs]
    assert found == [("logs/%02d" % i, 7) for i in range(7)]
    assert recorder.count("GET") == 1
    assert [o.key for o in filled.objects.all()][-1] == "top"
    assert len(list(filled.objects)) == 10
    assert [o.key for o in filled.objects.iterator(Prefix="data/")] == ["data/a", "data/b"]
    assert [o.key for o in filled.objects.filter(Delimiter="/")] == ["top"]
    summary = found and next(iter(logs))
    assert isinstance(summary.last_modified, datetime.datetime)
    assert repr(logs) == "s3.Bucket.objectsCollection(%r, s3.ObjectSummary)" % filled


def test_collection_limit_and_page_size(filled, recorder):
    recorder.clear()
    assert [o.key for o in filled.objects.limit(3)] == ["data/a", "data/b", "logs/00"]
    assert recorder.count("GET") == 1
    recorder.clear()
    pages = list(filled.objects.page_size(3).pages())
    assert [len(p) for p in pages] == [3, 3, 3, 1]
    assert recorder.count("GET") == 4
    assert all("max-keys=3" in url for _, url in recorder.requests)
    recorder.clear()
    limited = list(filled.objects.page_size(3).limit(4))
    assert len(limited) == 4
    assert recorder.count("GET") == 2  # stops fetching once the limit is reached
    pages = list(filled.objects.filter(Prefix="logs/").page_size(5).limit(6).pages())
    assert [len(p) for p in pages] == [5, 1]
    assert list(filled.objects.limit(0)) == []


def test_collections_are_immutable_and_reusable(filled):
    base = filled.objects.filter(Prefix="logs/")
    narrowed = base.filter(Marker="logs/04")
    limited = base.limit(2)
    assert len(list(base)) == 7
    assert [o.key for o in narrowed] == ["logs/05", "logs/06"]
    assert len(list(limited)) == 2
    assert len(list(base)) == 7  # unchanged by the refinements
    assert len(list(base)) == 7  # and iterable again


def test_collection_pages_of_the_manager(filled):
    pages = list(filled.objects.pages())
    assert len(pages) == 1 and len(pages[0]) == 10


def test_batch_delete_with_filter(filled):
    responses = filled.objects.filter(Prefix="logs/").delete()
    assert len(responses) == 1
    assert sorted(d["Key"] for d in responses[0]["Deleted"]) == ["logs/%02d" % i for i in range(7)]
    assert [o.key for o in filled.objects.all()] == ["data/a", "data/b", "top"]
    assert filled.objects.filter(Prefix="nothing/").delete() == []


def test_batch_delete_in_groups_of_at_most_1000(s3, bucket, recorder):
    client = s3.meta.client
    keys = ["bulk/%05d" % i for i in range(1234)]
    with ThreadPoolExecutor(max_workers=24) as pool:
        list(pool.map(lambda key: client.put_object(Bucket=bucket.name, Key=key, Body=b""), keys))
    bucket.put_object(Key="keep", Body=b"x")
    recorder.clear()
    responses = bucket.objects.filter(Prefix="bulk/").delete()
    deletes = [url for method, url in recorder.requests if method == "POST" and "delete" in url]
    assert len(deletes) == len(responses) == 2
    sizes = [len(r["Deleted"]) for r in responses]
    assert sizes == [1000, 234]
    assert sorted(d["Key"] for r in responses for d in r["Deleted"]) == keys
    assert [o.key for o in bucket.objects.all()] == ["keep"]


def test_batch_delete_page_size_groups(filled, recorder):
    recorder.clear()
    responses = filled.objects.page_size(4).delete()
    assert [len(r["Deleted"]) for r in responses] == [4, 4, 2]
    assert list(filled.objects.all()) == []


def test_batch_action_extra_arguments(filled, recorder):
    # Keyword arguments are merged into the modeled parameters (nested dicts too), so
    # Quiet is added next to the modeled object list instead of replacing it.
    recorder.clear()
    responses = filled.objects.filter(Prefix="data/").delete(Delete={"Quiet": True})
    assert len(responses) == 1
    body = recorder.bodies[-1]
    body = body.decode() if isinstance(body, bytes) else body
    assert "<Quiet>true</Quiet>" in body and "<Key>data/a</Key>" in body and "<Key>data/b</Key>" in body
    assert [o.key for o in filled.objects.filter(Prefix="data/")] == []
    assert [o.key for o in filled.objects.all()][-1] == "top"


# -- injection and events ---------------------------------------------------------------------------------
def test_transfer_methods_are_injected(s3):
    bucket = s3.Bucket("b")
    for name in ("upload_file", "download_file", "upload_fileobj", "download_fileobj", "copy", "load"):
        assert callable(getattr(bucket, name))
    obj = s3.Object("b", "k")
    for name in ("upload_file", "download_file", "upload_fileobj", "download_fileobj", "copy"):
        assert callable(getattr(obj, name))
    assert callable(s3.ObjectSummary("b", "k").load)


def test_transfer_methods_run(bucket, tmp_path):
    pytest.importorskip("ibm_boto3.s3.transfer")
    source = tmp_path / "up.bin"
    source.write_bytes(b"transfer me")
    bucket.upload_file(str(source), "up.bin")
    target = io.BytesIO()
    bucket.Object("up.bin").download_fileobj(target)
    assert target.getvalue() == b"transfer me"


def test_creating_resource_class_event(moto_endpoint):
    seen = []

    def handler(class_attributes, base_classes, service_context, event_name, **kwargs):
        seen.append(event_name)
        if event_name.endswith(".Object"):
            class_attributes["describe"] = lambda self: "object %s/%s" % (self.bucket_name, self.key)
            base_classes.append(Marker)

    class Marker:
        pass

    session = ibm_boto3.session.Session()
    session.events.register("creating-resource-class.s3", handler)
    s3 = session.resource("s3", aws_access_key_id="a", aws_secret_access_key="b", endpoint_url=moto_endpoint)
    obj = s3.Object("b", "k")
    assert obj.describe() == "object b/k"
    assert isinstance(obj, Marker)
    s3.Object("b", "k2")
    assert seen == ["creating-resource-class.s3.ServiceResource", "creating-resource-class.s3.Object"]


def test_custom_resource_model_from_data_path(tmp_path, moto_endpoint):
    """A user data path can supply resources-1.json; references and data paths work."""
    import ibm_botocore.session

    model = {
        "service": {
            "has": {"Thing": {"resource": {"type": "Thing", "identifiers": [{"target": "Name", "source": "input"}]}}},
            "hasMany": {"Things": {"request": {"operation": "ListBuckets"},
                                   "resource": {"type": "Thing", "path": "Buckets[]",
                                                "identifiers": [{"target": "Name", "source": "response",
                                                                 "path": "Buckets[].Name"}]}}},
        },
        "resources": {
            "Thing": {
                "identifiers": [{"name": "Name"}],
                "shape": "Bucket",
                "actions": {"Owner": {"request": {"operation": "ListBuckets"}, "path": "Owner.ID"},
                            "Tag": {"request": {"operation": "PutBucketTagging", "params": [
                                {"target": "Bucket", "source": "identifier", "name": "Name"},
                                {"target": "Tagging.TagSet[0].Key", "source": "string", "value": "k"},
                                {"target": "Tagging.TagSet[0].Value", "source": "data", "path": "Name"}]}}},
                "has": {"Twin": {"resource": {"type": "Thing", "identifiers": [
                    {"target": "Name", "source": "data", "path": "Name"}]}}},
            }
        },
    }
    folder = tmp_path / "s3" / "2006-03-01"
    folder.mkdir(parents=True)
    (folder / "resources-1.json").write_text(json.dumps(model))
    core = ibm_botocore.session.Session()
    core.set_config_variable("data_path", str(tmp_path))
    session = ibm_boto3.session.Session(botocore_session=core)
    custom = session.resource("s3", aws_access_key_id="a", aws_secret_access_key="b", region_name="us-east-1",
                              endpoint_url=moto_endpoint)
    name = unique("custom")
    custom.meta.client.create_bucket(Bucket=name)
    thing = [t for t in custom.things.all() if t.name == name][0]
    assert thing.twin == thing  # a reference (from data) is a snake_case property
    assert isinstance(thing.owner(), str)  # an action with a response path
    thing.tag()
    tags = custom.meta.client.get_bucket_tagging(Bucket=name)["TagSet"]
    assert tags == [{"Key": "k", "Value": name}]
    with pytest.raises(ResourceLoadException):
        custom.Thing("x").twin  # no data and no load action

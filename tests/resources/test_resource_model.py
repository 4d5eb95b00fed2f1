"""The S3 resource model (resources-1.json) against the service model, and the generated surface."""
from __future__ import annotations

import json
import os

import pytest

import ibm_boto3
from ibm_boto3.resources.params import merge_params, set_path

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RESOURCES = os.path.join(REPO, "ibm_boto3", "data", "s3", "2006-03-01", "resources-1.json")
BOTO_DATA = os.path.join(REPO, "ibm_botocore", "data", "s3", "2006-03-01")


def load(path):
    with open(path) as fh:
        return json.load(fh)


@pytest.fixture(scope="module")
def model():
    return load(RESOURCES)


@pytest.fixture(scope="module")
def service():
    return load(os.path.join(BOTO_DATA, "service-2.json"))


def _definitions(model):
    yield "ServiceResource", model["service"]
    yield from model["resources"].items()


def _check_target(service, shape_name, target):
    """Each segment of a request target path must be a member of the shape it walks."""
    shape = service["shapes"][shape_name]
    for segment in target.split("."):
        name = segment.split("[")[0]
        assert name in shape["members"], "%s has no member %s" % (shape_name, name)
        shape = service["shapes"][shape["members"][name]["shape"]]
        if "[" in segment:
            assert shape["type"] == "list"
            shape = service["shapes"][shape["member"]["shape"]]


def test_every_reference_is_consistent(model, service):
    resources = model["resources"]
    waiters = load(os.path.join(BOTO_DATA, "waiters-2.json"))["waiters"]
    operations = service["operations"]

    def check_request(request):
        op = operations[request["operation"]]
        for param in request.get("params", []):
            _check_target(service, op["input"]["shape"], param["target"])
            if param["source"] == "identifier":
                assert param["name"] in own_identifiers, param

    def check_resource(definition, sources):
        target = resources[definition["type"]]
        wanted = {i["name"] for i in target["identifiers"]}
        given = {i["target"] for i in definition["identifiers"]}
        assert given == wanted, (definition["type"], given, wanted)
        for ident in definition["identifiers"]:
            assert ident["source"] in sources
            if ident["source"] == "identifier":
                assert ident["name"] in own_identifiers

    for name, definition in _definitions(model):
        own_identifiers = {i["name"] for i in definition.get("identifiers", [])}
        if "shape" in definition:
            assert definition["shape"] in service["shapes"]
        if "load" in definition:
            check_request(definition["load"]["request"])
        for group in ("actions", "batchActions"):
            for action in definition.get(group, {}).values():
                check_request(action["request"])
                if "resource" in action:
                    check_resource(action["resource"], {"identifier", "requestParameter", "response"})
        for related in definition.get("has", {}).values():
            check_resource(related["resource"], {"identifier", "input", "data"})
        for collection in definition.get("hasMany", {}).values():
            check_request(collection["request"])
            check_resource(collection["resource"], {"identifier", "response"})
        for waiter in definition.get("waiters", {}).values():
            assert waiter["waiterName"] in waiters
            op = operations[waiters[waiter["waiterName"]]["operation"]]
            for param in waiter["params"]:
                _check_target(service, op["input"]["shape"], param["target"])
                assert param["name"] in own_identifiers


def test_resource_names(model):
    assert sorted(model["resources"]) == sorted([
        "Bucket", "BucketAcl", "BucketCors", "BucketLifecycleConfiguration", "BucketLogging",
        "BucketNotification", "BucketPolicy", "BucketProtection", "BucketTagging", "BucketVersioning",
        "BucketWebsite", "MultipartUpload", "MultipartUploadPart", "Object", "ObjectAcl", "ObjectProtection",
        "ObjectSummary", "ObjectVersion"])
    assert sorted(model["service"]["has"]) == sorted(model["resources"])


# What each class offers (spec 7.2/7.3): (identifiers, actions, sub-resources, collections, waiters, attributes)
SURFACE = {
    "Bucket": (["name"], ["create", "delete", "delete_objects", "put_object", "load", "reload"],
               ["Acl", "Cors", "LifecycleConfiguration", "Logging", "Notification", "Object", "Policy", "Protection",
                "Tagging", "Versioning", "Website"],
               ["multipart_uploads", "object_versions", "objects"], True,
               ["creation_date", "creation_template_id", "location_constraint"]),
    "BucketAcl": (["bucket_name"], ["put", "load", "reload"], ["Bucket"], [], False, ["grants", "owner"]),
    "BucketCors": (["bucket_name"], ["delete", "put"], ["Bucket"], [], False, ["cors_rules"]),
    "BucketLifecycleConfiguration": (["bucket_name"], ["delete", "put"], ["Bucket"], [], False, ["rules"]),
    "BucketLogging": (["bucket_name"], ["put"], ["Bucket"], [], False, ["logging_enabled"]),
    "BucketNotification": (["bucket_name"], ["put"], ["Bucket"], [], False,
                           ["topic_configurations", "queue_configurations", "lambda_function_configurations"]),
    "BucketPolicy": (["bucket_name"], ["delete", "put"], ["Bucket"], [], False, ["policy"]),
    "BucketProtection": (["bucket_name"], ["put"], ["Bucket"], [], False,
                         ["status", "minimum_retention", "default_retention", "maximum_retention",
                          "enable_permanent_retention"]),
    "BucketTagging": (["bucket_name"], ["delete", "put"], ["Bucket"], [], False, ["tag_set"]),
    "BucketVersioning": (["bucket_name"], ["enable", "suspend", "put"], ["Bucket"], [], False,
                         ["status", "mfa_delete"]),
    "BucketWebsite": (["bucket_name"], ["delete", "put"], ["Bucket"], [], False,
                      ["error_document", "index_document", "redirect_all_requests_to", "routing_rules"]),
    "MultipartUpload": (["bucket_name", "object_key", "id"], ["abort", "complete"], ["Object", "Part"], ["parts"],
                        False, ["initiated", "initiator", "key", "owner", "storage_class", "upload_id"]),
    "MultipartUploadPart": (["bucket_name", "object_key", "multipart_upload_id", "part_number"],
                            ["copy_from", "upload"], ["MultipartUpload"], [], False,
                            ["e_tag", "last_modified", "size", "checksum_crc32"]),
    "Object": (["bucket_name", "key"],
               ["copy_from", "delete", "get", "initiate_multipart_upload", "put", "restore_object", "load", "reload",
                "upload_file", "download_file", "copy", "upload_fileobj", "download_fileobj"],
               ["Acl", "Bucket", "MultipartUpload", "Protection", "Version"], [], True,
               ["content_length", "e_tag", "metadata", "retention_period", "retention_expiration_date",
                "retention_legal_hold_count", "ibm_transition", "ibm_restored_copy_storage_class", "version_id"]),
    "ObjectAcl": (["bucket_name", "object_key"], ["put"], ["Object"], [], False, ["grants", "owner", "request_charged"]),
    "ObjectProtection": (["bucket_name", "object_key"],
                         ["add_legal_hold", "delete_legal_hold", "extend_object_retention", "list_legal_holds"],
                         ["Object"], [], False,
                         ["create_time", "legal_holds", "retention_period", "retention_period_expiration_date"]),
    "ObjectSummary": (["bucket_name", "key"],
                      ["copy_from", "delete", "get", "initiate_multipart_upload", "put", "restore_object", "load"],
                      ["Acl", "Bucket", "MultipartUpload", "Object", "Version"], [], True,
                      ["e_tag", "last_modified", "owner", "size", "storage_class"]),
    "ObjectVersion": (["bucket_name", "object_key", "id"], ["delete", "get", "head"], ["Object"], [], False,
                      ["e_tag", "is_latest", "key", "last_modified", "size", "version_id"]),
}


@pytest.mark.parametrize("name", sorted(SURFACE))
def test_generated_class_surface(name):
    s3 = ibm_boto3.session.Session().resource("s3", aws_access_key_id="a", aws_secret_access_key="b",
                                              endpoint_url="http://127.0.0.1:9")
    identifiers, actions, subresources, collections, waiters, attributes = SURFACE[name]
    resource = getattr(s3, name)(*["x%d" % i for i in range(len(identifiers))])
    assert resource.meta.identifiers == identifiers
    assert resource.get_available_subresources() == subresources
    for attr in actions + subresources + collections:
        assert callable(getattr(resource, attr)) or attr in collections, attr
    for attr in collections:
        assert type(getattr(resource, attr)).__name__ == "s3.%s.%sCollectionManager" % (name, attr)
    assert hasattr(resource, "wait_until_exists") is waiters
    assert hasattr(resource, "wait_until_not_exists") is waiters
    cls = type(resource)
    for attr in attributes:
        assert isinstance(getattr(cls, attr), property), attr
    for ident in identifiers:
        assert isinstance(getattr(cls, ident), property)
    assert cls.__doc__.startswith("The s3.%s resource." % name)


def test_set_path_targets():
    params = {}
    set_path(params, "Bucket", "b")
    set_path(params, "VersioningConfiguration.Status", "Enabled")
    assert params == {"Bucket": "b", "VersioningConfiguration": {"Status": "Enabled"}}
    batch = {}
    for index, (key, version) in enumerate([("a", "1"), ("b", "2")]):
        set_path(batch, "Delete.Objects[*].Key", key, index)
        set_path(batch, "Delete.Objects[*].VersionId", version, index)
    assert batch == {"Delete": {"Objects": [{"Key": "a", "VersionId": "1"}, {"Key": "b", "VersionId": "2"}]}}
    appended = {}
    set_path(appended, "Delete.Objects[].Key", "a")
    set_path(appended, "Delete.Objects[].Key", "b")
    assert appended == {"Delete": {"Objects": [{"Key": "a"}, {"Key": "b"}]}}
    fixed = {}
    set_path(fixed, "Tags[1].Key", "k")
    assert fixed == {"Tags": [{}, {"Key": "k"}]}
    with pytest.raises(ValueError):
        set_path({}, "Bad..Path", 1)


def test_merge_params_keeps_modeled_values_and_inputs():
    modeled = {"Bucket": "b", "Delete": {"Objects": [{"Key": "a"}]}}
    given = {"Delete": {"Quiet": True}, "MFA": "x"}
    merged = merge_params(modeled, given)
    assert merged == {"Bucket": "b", "Delete": {"Objects": [{"Key": "a"}], "Quiet": True}, "MFA": "x"}
    assert modeled == {"Bucket": "b", "Delete": {"Objects": [{"Key": "a"}]}}
    assert given == {"Delete": {"Quiet": True}, "MFA": "x"}
    assert merge_params({"Bucket": "b"}, {"Bucket": "c"}) == {"Bucket": "c"}

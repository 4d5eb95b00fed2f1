"""Every example of the IBM COS Python guide, run with the real ibm-cos-sdk against an endpoint.

This file runs inside a Python that has ``ibm-cos-sdk`` installed (not this repo's packages);
``run_guide_with_ibm_cos_sdk.py`` starts it. Configuration comes from the environment:

  COS_ENDPOINT, COS_AUTH_ENDPOINT, COS_API_KEY_ID, COS_INSTANCE_CRN,
  COS_HMAC_ACCESS_KEY_ID, COS_HMAC_SECRET_ACCESS_KEY, COS_AUTH_MODE ("iam" or "hmac"),
  COS_BUCKET_LOCATION (default us-south-standard), COS_RUN_ID (makes bucket names unique).

The example bodies follow the guide's code (the guide prints errors instead of raising, so
each example's printed output is checked for "CLIENT ERROR"/"Unable to", and the resulting
state is verified with extra calls). One line of JSON is printed per example:
``@@RESULT {"name": ..., "status": "pass"|"fail"|"quirk", "detail": ...}``.
"""
import contextlib
import io
import json
import math
import os
import shutil
import sys
import tempfile
import traceback

import ibm_boto3
import ibm_boto3.s3.transfer
from ibm_botocore.client import ClientError, Config
from ibm_botocore.exceptions import ParamValidationError

COS_ENDPOINT = os.environ["COS_ENDPOINT"]
COS_AUTH_ENDPOINT = os.environ["COS_AUTH_ENDPOINT"]
COS_API_KEY_ID = os.environ["COS_API_KEY_ID"]
COS_INSTANCE_CRN = os.environ["COS_INSTANCE_CRN"]
COS_SERVICE_CRN = COS_INSTANCE_CRN
COS_RESOURCE_CRN = COS_INSTANCE_CRN
COS_HMAC_ACCESS_KEY_ID = os.environ.get("COS_HMAC_ACCESS_KEY_ID", "")
COS_HMAC_SECRET_ACCESS_KEY = os.environ.get("COS_HMAC_SECRET_ACCESS_KEY", "")
AUTH_MODE = os.environ.get("COS_AUTH_MODE", "iam")
COS_BUCKET_LOCATION = os.environ.get("COS_BUCKET_LOCATION", "us-south-standard")
RUN_ID = os.environ.get("COS_RUN_ID", "run")
COS_KP_ALGORITHM = "AES256"
COS_KP_ROOTKEY_CRN = ("crn:v1:bluemix:public:kms:us-south:a/3d624cd74a0dea86ed8efe3101341742:"
                      "90b6a1db-0fe1-4fe9-b91e-962c327df531:key:0bg3e33e-a866-50f2-b715-5cba2bc93234")

MB = 1024 * 1024
WORK = tempfile.mkdtemp(prefix="cos-guide-")


def make_client():
    """The guide's client creation; in HMAC mode the same endpoint with HMAC keys instead."""
    if AUTH_MODE == "iam":
        return ibm_boto3.client("s3",
                                ibm_api_key_id=COS_API_KEY_ID,
                                ibm_service_instance_id=COS_INSTANCE_CRN,
                                ibm_auth_endpoint=COS_AUTH_ENDPOINT,
                                config=Config(signature_version="oauth"),
                                endpoint_url=COS_ENDPOINT)
    return ibm_boto3.client("s3",
                            aws_access_key_id=COS_HMAC_ACCESS_KEY_ID,
                            aws_secret_access_key=COS_HMAC_SECRET_ACCESS_KEY,
                            ibm_service_instance_id=COS_INSTANCE_CRN,
                            endpoint_url=COS_ENDPOINT)


def make_resource():
    if AUTH_MODE == "iam":
        return ibm_boto3.resource("s3",
                                  ibm_api_key_id=COS_API_KEY_ID,
                                  ibm_service_instance_id=COS_INSTANCE_CRN,
                                  ibm_auth_endpoint=COS_AUTH_ENDPOINT,
                                  config=Config(signature_version="oauth"),
                                  endpoint_url=COS_ENDPOINT)
    return ibm_boto3.resource("s3",
                              aws_access_key_id=COS_HMAC_ACCESS_KEY_ID,
                              aws_secret_access_key=COS_HMAC_SECRET_ACCESS_KEY,
                              ibm_service_instance_id=COS_INSTANCE_CRN,
                              endpoint_url=COS_ENDPOINT)


cos_client = None
cos_resource = None


def log_error(msg):
    print("Unable to " + msg if not msg.startswith("Unable") else msg)


def make_file(name, size):
    path = os.path.join(WORK, name)
    block = os.urandom(MB)
    with open(path, "wb") as fh:
        left = size
        while left > 0:
            fh.write(block[:min(left, MB)])
            left -= MB
    return path


# ---------------------------------------------------------------------------------------------
# The guide's examples (bodies as in the guide; client construction via make_client()).
# ---------------------------------------------------------------------------------------------

def create_bucket(bucket_name):
    print("Creating new bucket: {0}".format(bucket_name))
    try:
        cos_client.create_bucket(
            Bucket=bucket_name,
            CreateBucketConfiguration={
                "LocationConstraint": COS_BUCKET_LOCATION
            }
        )
        print("Bucket: {0} created!".format(bucket_name))
    except ClientError as be:
        print("CLIENT ERROR: {0}\n".format(be))
    except Exception as e:
        print("Unable to create bucket: {0}".format(e))


def create_text_file(bucket_name, item_name, file_text):
    print("Creating new item: {0}".format(item_name))
    try:
        cos_client.put_object(
            Bucket=bucket_name,
            Key=item_name,
            Body=file_text
        )
        print("Item: {0} created!".format(item_name))
    except ClientError as be:
        print("CLIENT ERROR: {0}\n".format(be))
    except Exception as e:
        print("Unable to create text file: {0}".format(e))


def get_buckets():
    print("Retrieving list of buckets")
    try:
        buckets = cos_client.list_buckets()
        for bucket in buckets["Buckets"]:
            print("Bucket Name: {0}".format(bucket["Name"]))
    except ClientError as be:
        print("CLIENT ERROR: {0}\n".format(be))
    except Exception as e:
        print("Unable to retrieve list buckets: {0}".format(e))


def get_bucket_contents(bucket_name):
    print("Retrieving bucket contents from: {0}".format(bucket_name))
    try:
        files = cos_client.list_objects(Bucket=bucket_name)
        for file in files.get("Contents", []):
            print("Item: {0} ({1} bytes).".format(file["Key"], file["Size"]))
    except ClientError as be:
        print("CLIENT ERROR: {0}\n".format(be))
    except Exception as e:
        print("Unable to retrieve bucket contents: {0}".format(e))


def get_item(bucket_name, item_name):
    print("Retrieving item from bucket: {0}, key: {1}".format(bucket_name, item_name))
    try:
        file = cos_client.get_object(Bucket=bucket_name, Key=item_name)
        print("File Contents: {0}".format(file["Body"].read()))
    except ClientError as be:
        print("CLIENT ERROR: {0}\n".format(be))
    except Exception as e:
        print("Unable to retrieve file contents: {0}".format(e))


def delete_item(bucket_name, object_name):
    try:
        cos_client.delete_object(Bucket=bucket_name, Key=object_name)
        print("Item: {0} deleted!\n".format(object_name))
    except ClientError as be:
        print("CLIENT ERROR: {0}\n".format(be))
    except Exception as e:
        print("Unable to delete object: {0}".format(e))


def delete_items(bucket_name):
    try:
        delete_request = {
            "Objects": [
                {"Key": "deletetest/testfile1.txt"},
                {"Key": "deletetest/testfile2.txt"},
                {"Key": "deletetest/testfile3.txt"},
                {"Key": "deletetest/testfile4.txt"},
                {"Key": "deletetest/testfile5.txt"}
            ]
        }
        response = cos_client.delete_objects(
            Bucket=bucket_name,
            Delete=delete_request
        )
        print("Deleted items for {0}\n".format(bucket_name))
        print(json.dumps(response.get("Deleted"), indent=4))
        return response
    except ClientError as be:
        print("CLIENT ERROR: {0}\n".format(be))
    except Exception as e:
        print("Unable to copy item: {0}".format(e))


def delete_bucket(bucket_name):
    print("Deleting bucket: {0}".format(bucket_name))
    try:
        cos_client.delete_bucket(Bucket=bucket_name)
        print("Bucket: {0} deleted!".format(bucket_name))
    except ClientError as be:
        print("CLIENT ERROR: {0}\n".format(be))
    except Exception as e:
        print("Unable to delete bucket: {0}".format(e))


def multi_part_upload(bucket_name, item_name, file_path):
    try:
        print("Starting file transfer for {0} to bucket: {1}\n".format(item_name, bucket_name))
        # set 5 MB chunks
        part_size = 1024 * 1024 * 5
        # set threadhold to 15 MB
        file_threshold = 1024 * 1024 * 15
        # set the transfer threshold and chunk size
        transfer_config = ibm_boto3.s3.transfer.TransferConfig(
            multipart_threshold=file_threshold,
            multipart_chunksize=part_size
        )
        # the upload_fileobj method will automatically execute a multi-part upload
        # in 5 MB chunks for all files over 15 MB
        with open(file_path, "rb") as file_data:
            cos_client.upload_fileobj(
                Bucket=bucket_name,
                Key=item_name,
                Fileobj=file_data,
                Config=transfer_config
            )
        print("Transfer for {0} Complete!\n".format(item_name))
    except ClientError as be:
        print("CLIENT ERROR: {0}\n".format(be))
    except Exception as e:
        print("Unable to complete multi-part upload: {0}".format(e))


def multi_part_upload_manual(bucket_name, item_name, file_path):
    try:
        # create client object
        cos_client = make_client()
        print("Starting multi-part upload for {0} to bucket: {1}\n".format(item_name, bucket_name))
        # initiate the multi-part upload
        mp = cos_client.create_multipart_upload(
            Bucket=bucket_name,
            Key=item_name
        )
        upload_id = mp["UploadId"]
        # min 20MB part size
        part_size = 1024 * 1024 * 20
        file_size = os.stat(file_path).st_size
        part_count = int(math.ceil(file_size / float(part_size)))
        data_packs = []
        position = 0
        part_num = 0
        # begin uploading the parts
        with open(file_path, "rb") as file:
            for i in range(part_count):
                part_num = i + 1
                part_size = min(part_size, (file_size - position))
                print("Uploading to {0} (part {1} of {2})".format(item_name, part_num, part_count))
                file_data = file.read(part_size)
                mp_part = cos_client.upload_part(
                    Bucket=bucket_name,
                    Key=item_name,
                    PartNumber=part_num,
                    Body=file_data,
                    ContentLength=part_size,
                    UploadId=upload_id
                )
                data_packs.append({
                    "ETag": mp_part["ETag"],
                    "PartNumber": part_num
                })
                position += part_size
        # complete upload
        cos_client.complete_multipart_upload(
            Bucket=bucket_name,
            Key=item_name,
            UploadId=upload_id,
            MultipartUpload={
                "Parts": data_packs
            }
        )
        print("Upload for {0} Complete!\n".format(item_name))
    except ClientError as be:
        # abort the upload
        cos_client.abort_multipart_upload(
            Bucket=bucket_name,
            Key=item_name,
            UploadId=upload_id
        )
        print("Multi-part upload aborted for {0}\n".format(item_name))
        print("CLIENT ERROR: {0}\n".format(be))
    except Exception as e:
        print("Unable to complete multi-part upload: {0}".format(e))


def multi_part_upload_manual_with_failure(bucket_name, item_name, file_path):
    """The guide's manual upload, with a wrong ETag so that its ClientError/abort branch runs."""
    upload_id = None
    try:
        cos_client = make_client()
        mp = cos_client.create_multipart_upload(Bucket=bucket_name, Key=item_name)
        upload_id = mp["UploadId"]
        with open(file_path, "rb") as file:
            file_data = file.read()
        cos_client.upload_part(Bucket=bucket_name, Key=item_name, PartNumber=1, Body=file_data,
                               ContentLength=len(file_data), UploadId=upload_id)
        cos_client.complete_multipart_upload(
            Bucket=bucket_name, Key=item_name, UploadId=upload_id,
            MultipartUpload={"Parts": [{"ETag": '"00000000000000000000000000000000"', "PartNumber": 1}]})
        print("Upload for {0} Complete!\n".format(item_name))
        return upload_id, False
    except ClientError as be:
        # abort the upload
        cos_client.abort_multipart_upload(
            Bucket=bucket_name,
            Key=item_name,
            UploadId=upload_id
        )
        print("Multi-part upload aborted for {0}\n".format(item_name))
        print("(expected) client error: {0}\n".format(be))
        return upload_id, True


def upload_large_file(bucket_name, item_name, file_path):
    print("Starting large file upload for {0} to bucket: {1}".format(item_name, bucket_name))
    # set the chunk size to 5 MB
    part_size = 1024 * 1024 * 5
    # set threadhold to 5 MB
    file_threshold = 1024 * 1024 * 5
    # Create client connection
    cos_client = make_client()
    # set the transfer threshold and chunk size in config settings
    transfer_config = ibm_boto3.s3.transfer.TransferConfig(
        multipart_threshold=file_threshold,
        multipart_chunksize=part_size
    )
    # create transfer manager
    transfer_mgr = ibm_boto3.s3.transfer.TransferManager(cos_client, config=transfer_config)
    try:
        # initiate file upload
        future = transfer_mgr.upload(file_path, bucket_name, item_name)
        # wait for upload to complete
        future.result()
        print("Large file upload complete!")
    except Exception as e:
        print("Unable to complete large file upload: {0}".format(e))
    finally:
        transfer_mgr.shutdown()


def get_bucket_contents_v2(bucket_name, max_keys):
    print("Retrieving bucket contents from: {0}".format(bucket_name))
    seen = []
    pages = 0
    try:
        # create client object
        cos_client = make_client()
        more_results = True
        next_token = ""
        while (more_results):
            response = cos_client.list_objects_v2(Bucket=bucket_name, MaxKeys=max_keys, ContinuationToken=next_token)
            pages += 1
            files = response["Contents"]
            for file in files:
                print("Item: {0} ({1} bytes).".format(file["Key"], file["Size"]))
                seen.append(file["Key"])
            if (response["IsTruncated"]):
                next_token = response["NextContinuationToken"]
                print("...More results in next batch!\n")
            else:
                more_results = False
                next_token = ""
    except ClientError as be:
        print("CLIENT ERROR: {0}\n".format(be))
    except Exception as e:
        print("Unable to retrieve bucket contents: {0}".format(e))
    return seen, pages


def create_bucket_kp(bucket_name):
    print("Creating new encrypted bucket: {0}".format(bucket_name))
    try:
        cos_client.create_bucket(
            Bucket=bucket_name,
            CreateBucketConfiguration={
                "LocationConstraint": COS_BUCKET_LOCATION
            },
            IBMSSEKPEncryptionAlgorithm=COS_KP_ALGORITHM,
            IBMSSEKPCustomerRootKeyCrn=COS_KP_ROOTKEY_CRN
        )
        print("Encrypted Bucket: {0} created!".format(bucket_name))
    except ClientError as be:
        print("CLIENT ERROR: {0}\n".format(be))
    except Exception as e:
        print("Unable to create encrypted bucket: {0}".format(e))


def update_metadata_put(bucket_name, item_name, key, value):
    try:
        # retrieve the existing item to reload the contents
        response = cos_client.get_object(Bucket=bucket_name, Key=item_name)
        existing_body = response.get("Body").read()
        # set the new metadata
        new_metadata = {
            key: value
        }
        cos_client.put_object(Bucket=bucket_name, Key=item_name, Body=existing_body, Metadata=new_metadata)
        print("Metadata update (PUT) for {0} Complete!\n".format(item_name))
    except ClientError as be:
        print("CLIENT ERROR: {0}\n".format(be))
    except Exception as e:
        log_error("Unable to update metadata: {0}".format(e))


def update_metadata_copy(bucket_name, item_name, key, value):
    try:
        # set the new metadata
        new_metadata = {
            key: value
        }
        # set the copy source to itself
        copy_source = {
            "Bucket": bucket_name,
            "Key": item_name
        }
        cos_client.copy_object(Bucket=bucket_name, Key=item_name, CopySource=copy_source, Metadata=new_metadata,
                               MetadataDirective="REPLACE")
        print("Metadata update (COPY) for {0} Complete!\n".format(item_name))
    except ClientError as be:
        print("CLIENT ERROR: {0}\n".format(be))
    except Exception as e:
        log_error("Unable to update metadata: {0}".format(e))


def add_protection_configuration_to_bucket(bucket_name):
    try:
        new_protection_config = {
            "Status": "Retention",
            "MinimumRetention": {"Days": 10},
            "DefaultRetention": {"Days": 100},
            "MaximumRetention": {"Days": 1000}
        }
        cos_client.put_bucket_protection_configuration(Bucket=bucket_name, ProtectionConfiguration=new_protection_config)
        print("Protection added to bucket {0}\n".format(bucket_name))
    except ClientError as be:
        print("CLIENT ERROR: {0}\n".format(be))
    except Exception as e:
        print("Unable to set bucket protection config: {0}".format(e))


def get_protection_configuration_on_bucket(bucket_name):
    try:
        response = cos_client.get_bucket_protection_configuration(Bucket=bucket_name)
        protection_config = response.get("ProtectionConfiguration")
        print("Bucket protection config for {0}\n".format(bucket_name))
        print(protection_config)
        print("\n")
        return protection_config
    except ClientError as be:
        print("CLIENT ERROR: {0}\n".format(be))
    except Exception as e:
        print("Unable to get bucket protection config: {0}".format(e))


def put_object_add_legal_hold(bucket_name, object_name, file_text, legal_hold_id):
    print("Add legal hold {0} to {1} in bucket {2} with a putObject operation.\n".format(legal_hold_id, object_name, bucket_name))
    cos_client.put_object(
        Bucket=bucket_name,
        Key=object_name,
        Body=file_text,
        RetentionLegalHoldId=legal_hold_id)
    print("Legal hold {0} added to object {1} in bucket {2}\n".format(legal_hold_id, object_name, bucket_name))


def copy_protected_object(source_bucket_name, source_object_name, destination_bucket_name, new_object_name):
    print("Copy protected object {0} from bucket {1} to {2}/{3}.\n".format(source_object_name, source_bucket_name, destination_bucket_name, new_object_name))
    copy_source = {
        "Bucket": source_bucket_name,
        "Key": source_object_name
    }
    cos_client.copy_object(
        Bucket=destination_bucket_name,
        Key=new_object_name,
        CopySource=copy_source,
        RetentionDirective="Copy"
    )
    print("Protected object copied from {0}/{1} to {2}/{3}\n".format(source_bucket_name, source_object_name, destination_bucket_name, new_object_name))


def complete_multipart_upload_with_retention(bucket_name, object_name, upload_id, retention_period):
    print("Completing multi-part upload for object {0} in bucket {1}\n".format(object_name, bucket_name))
    cos_client.complete_multipart_upload(
        Bucket=bucket_name,
        Key=object_name,
        MultipartUpload={
            "Parts": [{
                "ETag": part["ETag"],
                "PartNumber": 1
            }]
        },
        UploadId=upload_id,
        RetentionPeriod=retention_period
    )
    print("Multi-part upload completed for object {0} in bucket {1}\n".format(object_name, bucket_name))


def upload_file_with_retention(bucket_name, object_name, path_to_file, retention_period):
    print("Uploading file {0} to object {1} in bucket {2}\n".format(path_to_file, object_name, bucket_name))
    args = {
        "RetentionPeriod": retention_period
    }
    cos_client.upload_file(
        Filename=path_to_file,
        Bucket=bucket_name,
        Key=object_name,
        ExtraArgs=args
    )
    print("File upload complete to object {0} in bucket {1}\n".format(object_name, bucket_name))


def add_legal_hold_to_object(bucket_name, object_name, legal_hold_id):
    print("Adding legal hold {0} to object {1} in bucket {2}\n".format(legal_hold_id, object_name, bucket_name))
    cos_client.add_legal_hold(
        Bucket=bucket_name,
        Key=object_name,
        RetentionLegalHoldId=legal_hold_id
    )
    print("Legal hold {0} added to object {1} in bucket {2}!\n".format(legal_hold_id, object_name, bucket_name))


def delete_legal_hold_from_object(bucket_name, object_name, legal_hold_id):
    print("Deleting legal hold {0} from object {1} in bucket {2}\n".format(legal_hold_id, object_name, bucket_name))
    cos_client.delete_legal_hold(
        Bucket=bucket_name,
        Key=object_name,
        RetentionLegalHoldId=legal_hold_id
    )
    print("Legal hold {0} deleted from object {1} in bucket {2}!\n".format(legal_hold_id, object_name, bucket_name))


def extend_retention_period_on_object(bucket_name, object_name, additional_seconds):
    print("Extend the retention period on {0} in bucket {1} by {2} seconds.\n".format(object_name, bucket_name, additional_seconds))
    # the guide writes Bucket=bucket_ame here (a NameError); the intended name is used
    cos_client.extend_object_retention(
        Bucket=bucket_name,
        Key=object_name,
        AdditionalRetentionPeriod=additional_seconds
    )
    print("New retention period on {0} is {1}\n".format(object_name, additional_seconds))


def list_legal_holds_on_object(bucket_name, object_name):
    print("List all legal holds on object {0} in bucket {1}\n".format(object_name, bucket_name))
    response = cos_client.list_legal_holds(
        Bucket=bucket_name,
        Key=object_name
    )
    print("Legal holds on bucket {0}: {1}\n".format(bucket_name, response))
    return response


def putBucketWebsiteConfiguration(bucket_name):
    website_defaults = {
        'ErrorDocument': {'Key': 'error.html'},
        'IndexDocument': {'Suffix': 'index.html'},
    }
    cos_client.put_bucket_website(Bucket=bucket_name, WebsiteConfiguration=website_defaults)
    print("Website configuration set on bucket {0}\n".format(bucket_name))


# ---------------------------------------------------------------------------------------------
# Runner
# ---------------------------------------------------------------------------------------------

RESULTS = []


class Failed(Exception):
    pass


class Quirk(Exception):
    pass


def expect(cond, message):
    if not cond:
        raise Failed(message)


def run(name, func):
    out = io.StringIO()
    status, detail = "pass", ""
    try:
        with contextlib.redirect_stdout(out):
            func()
        printed = out.getvalue()
        for marker in ("CLIENT ERROR", "Unable to"):
            if marker in printed:
                line = next(l for l in printed.splitlines() if marker in l)
                raise Failed("guide code reported: " + line.strip())
    except Quirk as exc:
        status, detail = "quirk", str(exc)
    except Failed as exc:
        status, detail = "fail", str(exc)
    except Exception as exc:  # noqa: BLE001
        status, detail = "fail", "{0}: {1}\n{2}".format(type(exc).__name__, exc, traceback.format_exc(limit=4))
    RESULTS.append((name, status))
    print("@@RESULT " + json.dumps({"name": name, "status": status, "detail": detail,
                                    "auth": AUTH_MODE}), flush=True)


def main():
    global cos_client, cos_resource
    prefix = "guide-{0}-{1}".format(RUN_ID, AUTH_MODE)
    bucket = prefix + "-main"
    kp_bucket = prefix + "-kp"
    protected = prefix + "-protected"
    protected2 = prefix + "-protected2"
    web_bucket = prefix + "-web"
    doomed = prefix + "-doomed"

    def ex_resource():
        global cos_resource
        cos_resource = make_resource()
        cos_resource.Bucket(prefix + "-resource").create(
            CreateBucketConfiguration={"LocationConstraint": COS_BUCKET_LOCATION})
        cos_resource.Object(prefix + "-resource", "hello.txt").put(Body=b"hello from the resource")
        names = [b.name for b in cos_resource.buckets.all()]
        expect(prefix + "-resource" in names, "resource bucket not listed")
        body = cos_resource.Object(prefix + "-resource", "hello.txt").get()["Body"].read()
        expect(body == b"hello from the resource", "resource object body differs")
    run("create resource", ex_resource)

    def ex_client():
        global cos_client
        cos_client = make_client()
        cos_client.list_buckets()
    run("create client", ex_client)

    def ex_create_bucket():
        create_bucket(bucket)
        cos_client.head_bucket(Bucket=bucket)
        loc = cos_client.get_bucket_location(Bucket=bucket)["LocationConstraint"]
        expect(loc == COS_BUCKET_LOCATION, "location is {0!r}".format(loc))
    run("create bucket", ex_create_bucket)

    def ex_create_bucket_kp():
        create_bucket_kp(kp_bucket)
        head = cos_client.head_bucket(Bucket=kp_bucket)
        expect(head.get("IBMSSEKPEnabled") is True, "IBMSSEKPEnabled missing: {0}".format(head))
        expect(head.get("IBMSSEKPCrkId") == COS_KP_ROOTKEY_CRN, "IBMSSEKPCrkId differs")
    run("create bucket with Key Protect", ex_create_bucket_kp)

    def ex_text_file():
        create_text_file(bucket, "hello.txt", "Hello, COS!")
        for i in range(1, 6):
            create_text_file(bucket, "deletetest/testfile{0}.txt".format(i), "delete me {0}".format(i))
        for i in range(7):
            create_text_file(bucket, "listing/item{0}.txt".format(i), "x" * (i + 1))
        obj = cos_client.get_object(Bucket=bucket, Key="hello.txt")["Body"].read()
        expect(obj == b"Hello, COS!", "body differs: {0!r}".format(obj))
    run("create text file", ex_text_file)

    def ex_list_buckets():
        get_buckets()
        names = [b["Name"] for b in cos_client.list_buckets()["Buckets"]]
        expect(bucket in names and kp_bucket in names, "buckets missing from {0}".format(names))
    run("list buckets", ex_list_buckets)

    def ex_list_objects():
        get_bucket_contents(bucket)
        keys = [o["Key"] for o in cos_client.list_objects(Bucket=bucket).get("Contents", [])]
        expect("hello.txt" in keys and len(keys) == 13, "keys: {0}".format(keys))
    run("list objects", ex_list_objects)

    def ex_list_objects_v2():
        seen, pages = get_bucket_contents_v2(bucket, 5)
        expect(len(seen) == 13 and len(set(seen)) == 13, "saw {0}".format(seen))
        expect(pages == 3, "pages: {0}".format(pages))
    run("list objects v2 (ContinuationToken='' loop)", ex_list_objects_v2)

    def ex_get_item():
        get_item(bucket, "hello.txt")
    run("get item", ex_get_item)

    def ex_delete_item():
        create_text_file(bucket, "to-delete.txt", "bye")
        delete_item(bucket, "to-delete.txt")
        try:
            cos_client.head_object(Bucket=bucket, Key="to-delete.txt")
            raise Failed("object still exists")
        except ClientError as err:
            expect(err.response["Error"]["Code"] in ("404", "NoSuchKey"), str(err))
    run("delete item", ex_delete_item)

    def ex_delete_items():
        response = delete_items(bucket)
        deleted = sorted(d["Key"] for d in (response or {}).get("Deleted", []))
        expect(len(deleted) == 5, "deleted: {0}".format(deleted))
        left = [o["Key"] for o in cos_client.list_objects_v2(Bucket=bucket, Prefix="deletetest/").get("Contents", [])]
        expect(not left, "left: {0}".format(left))
    run("delete items", ex_delete_items)

    def ex_multipart_fileobj():
        path = make_file("fileobj.bin", 16 * MB + 123)
        multi_part_upload(bucket, "big/fileobj.bin", path)
        head = cos_client.head_object(Bucket=bucket, Key="big/fileobj.bin")
        expect(head["ContentLength"] == 16 * MB + 123, "size {0}".format(head["ContentLength"]))
        expect(head["ETag"].strip('"').endswith("-4"), "not a 4-part upload: {0}".format(head["ETag"]))
        with open(path, "rb") as fh:
            expect(cos_client.get_object(Bucket=bucket, Key="big/fileobj.bin")["Body"].read() == fh.read(),
                   "downloaded data differs")
    run("multipart upload_fileobj with TransferConfig", ex_multipart_fileobj)

    def ex_multipart_manual():
        path = make_file("manual.bin", 25 * MB)
        multi_part_upload_manual(bucket, "big/manual.bin", path)
        head = cos_client.head_object(Bucket=bucket, Key="big/manual.bin")
        expect(head["ContentLength"] == 25 * MB, "size {0}".format(head["ContentLength"]))
        expect(head["ETag"].strip('"').endswith("-2"), "etag {0}".format(head["ETag"]))
    run("manual multipart upload", ex_multipart_manual)

    def ex_multipart_abort():
        path = make_file("abort.bin", 1 * MB)
        upload_id, aborted = multi_part_upload_manual_with_failure(bucket, "big/aborted.bin", path)
        expect(aborted, "complete with a wrong ETag did not fail")
        uploads = cos_client.list_multipart_uploads(Bucket=bucket).get("Uploads", [])
        expect(all(u["UploadId"] != upload_id for u in uploads), "upload still listed after abort")
        try:
            cos_client.list_parts(Bucket=bucket, Key="big/aborted.bin", UploadId=upload_id)
            raise Failed("list_parts works on an aborted upload")
        except ClientError as err:
            expect(err.response["Error"]["Code"] == "NoSuchUpload", str(err))
    run("manual multipart upload: abort on ClientError", ex_multipart_abort)

    def ex_transfer_manager():
        path = make_file("tm.bin", 6 * MB)
        upload_large_file(bucket, "big/tm.bin", path)
        head = cos_client.head_object(Bucket=bucket, Key="big/tm.bin")
        expect(head["ContentLength"] == 6 * MB and head["ETag"].strip('"').endswith("-2"),
               "head: {0} {1}".format(head["ContentLength"], head["ETag"]))
    run("TransferManager upload", ex_transfer_manager)

    def ex_metadata_put():
        update_metadata_put(bucket, "hello.txt", "color", "blue")
        head = cos_client.head_object(Bucket=bucket, Key="hello.txt")
        expect(head["Metadata"] == {"color": "blue"}, "metadata {0}".format(head["Metadata"]))
        expect(cos_client.get_object(Bucket=bucket, Key="hello.txt")["Body"].read() == b"Hello, COS!", "body")
    run("update metadata (PUT)", ex_metadata_put)

    def ex_metadata_copy():
        update_metadata_copy(bucket, "hello.txt", "shape", "round")
        head = cos_client.head_object(Bucket=bucket, Key="hello.txt")
        expect(head["Metadata"] == {"shape": "round"}, "metadata {0}".format(head["Metadata"]))
    run("update metadata (COPY)", ex_metadata_copy)

    def ex_protection():
        create_bucket(protected)
        create_bucket(protected2)
        add_protection_configuration_to_bucket(protected)
        add_protection_configuration_to_bucket(protected2)
        config = get_protection_configuration_on_bucket(protected)
        expect(config == {"Status": "Retention", "MinimumRetention": {"Days": 10},
                          "DefaultRetention": {"Days": 100}, "MaximumRetention": {"Days": 1000}},
               "config {0}".format(config))
    run("protection configuration put/get", ex_protection)

    def ex_put_legal_hold():
        put_object_add_legal_hold(protected, "held.txt", "keep me", "case-001")
        holds = cos_client.list_legal_holds(Bucket=protected, Key="held.txt")
        expect([h["ID"] for h in holds.get("LegalHolds", [])] == ["case-001"], "holds {0}".format(holds))
        head = cos_client.head_object(Bucket=protected, Key="held.txt")
        expect(head.get("RetentionLegalHoldCount") == 1 and head.get("RetentionPeriod") == 100 * 86400,
               "head {0}".format({k: head.get(k) for k in ("RetentionLegalHoldCount", "RetentionPeriod")}))
        try:
            cos_client.delete_object(Bucket=protected, Key="held.txt")
            raise Failed("deleting a held object succeeded")
        except ClientError as err:
            expect(err.response["ResponseMetadata"]["HTTPStatusCode"] == 403, str(err))
    run("put_object with legal hold id", ex_put_legal_hold)

    def ex_copy_protected():
        create_text_file(protected, "source.txt", "protected source")
        copy_protected_object(protected, "source.txt", protected2, "copied.txt")
        head = cos_client.head_object(Bucket=protected2, Key="copied.txt")
        expect(head.get("RetentionPeriod") == 100 * 86400, "retention {0}".format(head.get("RetentionPeriod")))
    run("copy protected object (RetentionDirective)", ex_copy_protected)

    def ex_complete_mpu_retention():
        global part
        upload_id = cos_client.create_multipart_upload(Bucket=protected, Key="mpu-retained.bin")["UploadId"]
        part = cos_client.upload_part(Bucket=protected, Key="mpu-retained.bin", PartNumber=1,
                                      UploadId=upload_id, Body=os.urandom(1024))
        complete_multipart_upload_with_retention(protected, "mpu-retained.bin", upload_id, 20 * 86400)
        head = cos_client.head_object(Bucket=protected, Key="mpu-retained.bin")
        expect(head.get("RetentionPeriod") == 20 * 86400, "retention {0}".format(head.get("RetentionPeriod")))
    run("complete multipart upload with retention", ex_complete_mpu_retention)

    def ex_upload_file_retention():
        path = make_file("retained-small.bin", 1 * MB)
        upload_file_with_retention(protected, "retained-small.bin", path, 30 * 86400)
        head = cos_client.head_object(Bucket=protected, Key="retained-small.bin")
        expect(head.get("RetentionPeriod") == 30 * 86400, "retention {0}".format(head.get("RetentionPeriod")))
        expect(head.get("RetentionExpirationDate") is not None, "no RetentionExpirationDate")
    run("upload_file with retention", ex_upload_file_retention)

    def ex_upload_file_retention_multipart():
        path = make_file("retained-big.bin", 9 * MB)
        try:
            upload_file_with_retention(protected, "retained-big.bin", path, 30 * 86400)
        except ParamValidationError as err:
            raise Quirk("ibm-cos-sdk quirk: multipart upload_file does not accept RetentionPeriod "
                        "(ParamValidationError: {0})".format(" ".join(str(err).split())))
    run("upload_file with retention above multipart threshold", ex_upload_file_retention_multipart)

    def ex_legal_holds():
        create_text_file(protected, "lh.txt", "legal hold target")
        add_legal_hold_to_object(protected, "lh.txt", "hold-A")
        add_legal_hold_to_object(protected, "lh.txt", "hold.B_(x)*!")
        ids = [h["ID"] for h in cos_client.list_legal_holds(Bucket=protected, Key="lh.txt")["LegalHolds"]]
        expect(ids == ["hold-A", "hold.B_(x)*!"], "ids {0}".format(ids))
        delete_legal_hold_from_object(protected, "lh.txt", "hold-A")
        ids = [h["ID"] for h in cos_client.list_legal_holds(Bucket=protected, Key="lh.txt")["LegalHolds"]]
        expect(ids == ["hold.B_(x)*!"], "ids after delete {0}".format(ids))
        try:
            add_legal_hold_to_object(protected, "lh.txt", "hold.B_(x)*!")
            raise Failed("duplicate legal hold accepted")
        except ClientError as err:
            expect(err.response["ResponseMetadata"]["HTTPStatusCode"] == 409, str(err))
    run("add/delete legal hold", ex_legal_holds)

    def ex_extend():
        before = cos_client.head_object(Bucket=protected, Key="lh.txt")["RetentionPeriod"]
        extend_retention_period_on_object(protected, "lh.txt", 3600)
        after = cos_client.head_object(Bucket=protected, Key="lh.txt")["RetentionPeriod"]
        expect(after == before + 3600, "before {0} after {1}".format(before, after))
        try:
            cos_client.extend_object_retention(Bucket=protected, Key="lh.txt", NewRetentionPeriod=before)
            raise Failed("shortening the retention was accepted")
        except ClientError as err:
            expect(err.response["ResponseMetadata"]["HTTPStatusCode"] == 400, str(err))
    run("extend retention", ex_extend)

    def ex_list_holds():
        response = list_legal_holds_on_object(protected, "lh.txt")
        expect(response.get("RetentionPeriod") == 100 * 86400 + 3600, "period {0}".format(response))
        expect(response.get("CreateTime") is not None and response.get("RetentionPeriodExpirationDate") is not None,
               "dates missing")
        expect([h["ID"] for h in response["LegalHolds"]] == ["hold.B_(x)*!"], "holds {0}".format(response))
    run("list legal holds", ex_list_holds)

    def ex_website():
        create_bucket(web_bucket)
        putBucketWebsiteConfiguration(web_bucket)
        site = cos_client.get_bucket_website(Bucket=web_bucket)
        expect(site["IndexDocument"] == {"Suffix": "index.html"} and site["ErrorDocument"] == {"Key": "error.html"},
               "website {0}".format(site))
    run("bucket website configuration", ex_website)

    def ex_delete_bucket():
        create_bucket(doomed)
        delete_bucket(doomed)
        names = [b["Name"] for b in cos_client.list_buckets()["Buckets"]]
        expect(doomed not in names, "bucket still listed")
    run("delete bucket", ex_delete_bucket)

    # COS-only calls the guide mentions without a code sample
    def ex_extras():
        ext = cos_client.list_buckets_extended(IBMServiceInstanceId=COS_INSTANCE_CRN)
        locs = {b["Name"]: b.get("LocationConstraint") for b in ext["Buckets"]}
        expect(locs.get(bucket) == COS_BUCKET_LOCATION, "extended listing {0}".format(locs))
        aspera = cos_client.get_bucket_aspera(Bucket=bucket)
        expect(aspera["AccessKey"]["Id"] and aspera["ATSEndpoint"].startswith("https://"), "aspera {0}".format(aspera))
        failures = cos_client.list_bucket_replication_failures(Bucket=bucket)
        expect("ListReplicationFailureResult" in failures, "replication failures {0}".format(failures))
    run("extras: list_buckets_extended, get_bucket_aspera, list_bucket_replication_failures", ex_extras)

    failed = [n for n, s in RESULTS if s == "fail"]
    return 1 if failed else 0


if __name__ == "__main__":
    try:
        code = main()
    finally:
        shutil.rmtree(WORK, ignore_errors=True)
    sys.exit(code)

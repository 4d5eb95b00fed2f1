#!/usr/bin/env python3
"""Quickstart: the IBM COS Python guide, end to end.

With no configuration it starts a local COS (``ibm_cos_emulator``) inside this process
and authenticates with an IBM Cloud API key exchanged for an IAM token, exactly as
against the real service. With ``COS_ENDPOINT``, ``COS_API_KEY_ID`` and
``COS_INSTANCE_CRN`` set (optionally ``COS_AUTH_ENDPOINT`` and ``COS_BUCKET_LOCATION``)
it runs the same steps against real IBM Cloud Object Storage, in a bucket it creates
and deletes again.

    python3 examples/quickstart.py
"""
from __future__ import annotations

import contextlib
import hashlib
import os
import sys
import tempfile
import time
import uuid
from typing import Any, Dict, Iterator

import ibm_boto3
from ibm_botocore.client import ClientError, Config

MiB = 1024 * 1024


def say(text: str) -> None:
    print(text, flush=True)


@contextlib.contextmanager
def cos_settings() -> Iterator[Dict[str, Any]]:
    """Connection settings: real COS from the environment, else an embedded emulator."""
    endpoint = os.environ.get("COS_ENDPOINT")
    api_key = os.environ.get("COS_API_KEY_ID")
    instance = os.environ.get("COS_INSTANCE_CRN")
    if endpoint and api_key and instance:
        say("Using IBM Cloud Object Storage at %s" % endpoint)
        settings = {
            "endpoint_url": endpoint,
            "ibm_api_key_id": api_key,
            "ibm_service_instance_id": instance,
        }
        if os.environ.get("COS_AUTH_ENDPOINT"):
            settings["ibm_auth_endpoint"] = os.environ["COS_AUTH_ENDPOINT"]
        yield {"client": settings, "location": os.environ.get("COS_BUCKET_LOCATION", "us-south-standard"), "local": False}
        return
    try:
        from ibm_cos_emulator import Emulator
    except ImportError:
        sys.exit("The local COS needs the emulator extra: python3 -m pip install -e '.[emulator]'")
    with Emulator() as emulator:
        say("Started a local IBM COS at %s (IAM at %s)" % (emulator.endpoint_url, emulator.auth_endpoint))
        yield {
            "client": {
                "endpoint_url": emulator.endpoint_url,
                "ibm_api_key_id": emulator.api_key,
                "ibm_service_instance_id": emulator.instance_id,
                "ibm_auth_endpoint": emulator.auth_endpoint,
            },
            "location": "us-south-standard",
            "local": True,
        }


class ProgressBar:
    """A Callback for upload/download: prints a bar as bytes move."""

    def __init__(self, label: str, total: int) -> None:
        self._label = label
        self._total = max(total, 1)
        self._seen = 0
        self._last = -1

    def __call__(self, bytes_amount: int) -> None:
        self._seen += bytes_amount
        filled = int(30 * self._seen / self._total)
        if filled != self._last:
            self._last = filled
            sys.stdout.write("\r  %s [%s%s] %5.1f%%" % (self._label, "#" * filled, "." * (30 - filled), 100.0 * self._seen / self._total))
            sys.stdout.flush()
        if self._seen >= self._total:
            sys.stdout.write("\n")


def main() -> int:
    with cos_settings() as settings:
        # Create the client as the COS guide does: API key + instance id + oauth.
        cos = ibm_boto3.client("s3", config=Config(signature_version="oauth"), **settings["client"])
        cos_resource = ibm_boto3.resource("s3", config=Config(signature_version="oauth"), **settings["client"])
        bucket = "quickstart-%s" % uuid.uuid4().hex[:12]
        workdir = tempfile.mkdtemp(prefix="cos-quickstart-")
        try:
            run_guide(cos, cos_resource, bucket, settings["location"], workdir)
        finally:
            cleanup(cos, bucket)
            for name in os.listdir(workdir):
                os.remove(os.path.join(workdir, name))
            os.rmdir(workdir)
    say("Done.")
    return 0


def run_guide(cos: Any, cos_resource: Any, bucket: str, location: str, workdir: str) -> None:
    say("1. Create bucket %s (LocationConstraint %s)" % (bucket, location))
    cos.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": location})

    say("2. Create a text file")
    cos.put_object(Bucket=bucket, Key="hello.txt", Body="Hello from the COS quickstart!")

    say("3. List buckets")
    for entry in cos.list_buckets()["Buckets"]:
        if entry["Name"] == bucket:
            say("   Bucket Name: %s" % entry["Name"])

    say("4. Multipart upload of a generated 24 MiB file (TransferConfig: 5 MiB parts above 15 MiB)")
    source = os.path.join(workdir, "large.bin")
    with open(source, "wb") as fh:
        for index in range(24):
            fh.write(hashlib.sha256(b"block-%d" % index).digest() * (MiB // 32))
    transfer_config = ibm_boto3.s3.transfer.TransferConfig(multipart_threshold=15 * MiB, multipart_chunksize=5 * MiB)
    size = os.path.getsize(source)
    started = time.perf_counter()
    with open(source, "rb") as file_data:
        cos.upload_fileobj(Bucket=bucket, Key="large.bin", Fileobj=file_data, Config=transfer_config,
                           Callback=ProgressBar("upload  ", size))
    say("   uploaded %d bytes in %.2f s, ETag %s" % (size, time.perf_counter() - started,
                                                   cos.head_object(Bucket=bucket, Key="large.bin")["ETag"]))

    say("5. List objects (list_objects_v2, 2 keys per page)")
    token = ""
    while True:
        page = cos.list_objects_v2(Bucket=bucket, MaxKeys=2, ContinuationToken=token)
        for item in page.get("Contents", []):
            say("   Item: %s (%d bytes)" % (item["Key"], item["Size"]))
        if not page["IsTruncated"]:
            break
        token = page["NextContinuationToken"]

    say("6. Download and verify")
    target = os.path.join(workdir, "large.copy")
    cos.download_file(Bucket=bucket, Key="large.bin", Filename=target, Config=transfer_config,
                      Callback=ProgressBar("download", size))
    same = _sha256(source) == _sha256(target)
    say("   content identical: %s" % same)
    if not same:
        raise SystemExit("downloaded content differs")
    say("   Item text: %s" % cos.get_object(Bucket=bucket, Key="hello.txt")["Body"].read().decode())

    say("7. Update metadata by COPY (MetadataDirective REPLACE)")
    cos.copy_object(Bucket=bucket, Key="hello.txt", CopySource={"Bucket": bucket, "Key": "hello.txt"},
                    Metadata={"reviewed": "yes"}, MetadataDirective="REPLACE")
    say("   metadata now %s" % cos.head_object(Bucket=bucket, Key="hello.txt")["Metadata"])

    say("8. Website configuration")
    cos.put_bucket_website(Bucket=bucket, WebsiteConfiguration={"ErrorDocument": {"Key": "error.html"},
                                                                 "IndexDocument": {"Suffix": "index.html"}})
    say("   %s" % {k: v for k, v in cos.get_bucket_website(Bucket=bucket).items() if k != "ResponseMetadata"})
    cos.delete_bucket_website(Bucket=bucket)

    say("9. Immutable Object Storage: protection, retention, legal hold (resource API)")
    protection = cos_resource.BucketProtection(bucket)
    protection.put(ProtectionConfiguration={"Status": "Retention", "MinimumRetention": {"Days": 0},
                                            "DefaultRetention": {"Days": 0}, "MaximumRetention": {"Days": 1}})
    say("   protection: %s" % cos.get_bucket_protection_configuration(Bucket=bucket)["ProtectionConfiguration"])
    cos.put_object(Bucket=bucket, Key="record.txt", Body=b"keep me", RetentionPeriod=5)
    cos.add_legal_hold(Bucket=bucket, Key="record.txt", RetentionLegalHoldId="audit-2024")
    holds = cos.list_legal_holds(Bucket=bucket, Key="record.txt")
    say("   retention period %s s, legal holds %s" % (holds.get("RetentionPeriod"), [h["ID"] for h in holds.get("LegalHolds", [])]))
    try:
        cos.delete_object(Bucket=bucket, Key="record.txt")
        say("   unexpected: the protected object was deleted")
    except ClientError as error:
        say("   delete refused as expected: %s" % error.response["Error"]["Code"])
    cos.extend_object_retention(Bucket=bucket, Key="record.txt", AdditionalRetentionPeriod=1)
    cos.delete_legal_hold(Bucket=bucket, Key="record.txt", RetentionLegalHoldId="audit-2024")
    say("   legal hold removed; waiting for the retention period to pass")
    time.sleep(7)


def cleanup(cos: Any, bucket: str) -> None:
    say("10. Clean up: delete the items and the bucket")
    try:
        keys = [{"Key": item["Key"]} for item in cos.list_objects_v2(Bucket=bucket).get("Contents", [])]
        if keys:
            result = cos.delete_objects(Bucket=bucket, Delete={"Objects": keys})
            for failure in result.get("Errors", []):
                say("   could not delete %s: %s" % (failure["Key"], failure["Code"]))
        cos.delete_bucket(Bucket=bucket)
        say("   Bucket: %s deleted!" % bucket)
    except ClientError as error:
        say("   CLIENT ERROR: %s" % error)


def _sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(MiB), b""):
            digest.update(block)
    return digest.hexdigest()


if __name__ == "__main__":
    sys.exit(main())

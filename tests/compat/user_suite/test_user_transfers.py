"""Transfers tested the way users test them: Stubber with expected_params, subscribers, fake bodies."""
import io
import os
import socket

import pytest

from ibm_boto3.s3.transfer import TransferConfig as Boto3TransferConfig
from ibm_botocore.response import StreamingBody
from ibm_botocore.stub import ANY, Stubber
from ibm_s3transfer.exceptions import RetriesExceededError
from ibm_s3transfer.manager import TransferConfig, TransferManager
from ibm_s3transfer.subscribers import BaseSubscriber
from ibm_s3transfer.utils import OSUtils

from user_suite_helpers import ReadOnlyBody, make_client

MB = 1024 * 1024
SMALL = TransferConfig(multipart_threshold=5 * MB, multipart_chunksize=5 * MB, max_request_concurrency=1)


def body_of(data):
    return StreamingBody(io.BytesIO(data), len(data))


class Recorder(BaseSubscriber):
    def __init__(self):
        self.calls = []

    def on_queued(self, future, **kwargs):
        self.calls.append("queued")

    def on_progress(self, future, bytes_transferred, **kwargs):
        self.calls.append(("progress", bytes_transferred))

    def on_done(self, future, **kwargs):
        self.calls.append("done")


# -- uploads ----------------------------------------------------------------------------------
@pytest.mark.parametrize("which", ["client", "https_client"])
def test_put_object_from_upload_fileobj_gets_the_documented_parameters(request, which):
    s3 = request.getfixturevalue(which)
    with Stubber(s3) as stubber:
        stubber.add_response("put_object", {"ETag": '"e"'},
                             {"Bucket": "bkt", "Key": "k", "Body": ANY, "ChecksumAlgorithm": "CRC32"})
        s3.upload_fileobj(io.BytesIO(b"hello"), "bkt", "k")
        stubber.assert_no_pending_responses()


def test_upload_file_with_extra_args_passes_them_unchanged(client, tmp_path):
    path = tmp_path / "f.txt"
    path.write_bytes(b"some text")
    with Stubber(client) as stubber:
        stubber.add_response("put_object", {}, {"Bucket": "bkt", "Key": "k", "Body": ANY, "ContentType": "text/plain",
                                                "Metadata": {"a": "b"}, "ChecksumAlgorithm": "CRC32"})
        client.upload_file(str(path), "bkt", "k", ExtraArgs={"ContentType": "text/plain", "Metadata": {"a": "b"}})
        stubber.assert_no_pending_responses()


def test_multipart_upload_requests_carry_only_the_original_parameters(client):
    data = os.urandom(6 * MB)
    with Stubber(client) as stubber:
        stubber.add_response("create_multipart_upload", {"UploadId": "up-1"},
                             {"Bucket": "bkt", "Key": "big", "ChecksumAlgorithm": "CRC32"})
        for number in (1, 2):
            stubber.add_response("upload_part", {"ETag": '"p%d"' % number},
                                 {"Bucket": "bkt", "Key": "big", "UploadId": "up-1", "PartNumber": number,
                                  "Body": ANY, "ChecksumAlgorithm": "CRC32"})
        stubber.add_response("complete_multipart_upload", {},
                             {"Bucket": "bkt", "Key": "big", "UploadId": "up-1",
                              "MultipartUpload": {"Parts": [{"ETag": '"p1"', "PartNumber": 1},
                                                            {"ETag": '"p2"', "PartNumber": 2}]}})
        with TransferManager(client, SMALL) as manager:
            manager.upload(io.BytesIO(data), "bkt", "big").result()
        stubber.assert_no_pending_responses()


def test_bodies_handed_to_put_object_and_upload_part_read_as_bytes(client, tmp_path):
    path = tmp_path / "big.bin"
    path.write_bytes(b"A" * (6 * MB))
    seen = []

    def peek(params, **kwargs):
        body = params["Body"]
        first = body.read(4)
        rest = body.read()
        body.seek(0)
        seen.append((kwargs["event_name"].rsplit(".", 1)[1], type(first), first, type(rest), len(rest)))

    client.meta.events.register("before-parameter-build.s3.PutObject", peek)
    client.meta.events.register("before-parameter-build.s3.UploadPart", peek)
    with Stubber(client) as stubber:
        stubber.add_response("put_object", {})
        stubber.add_response("create_multipart_upload", {"UploadId": "u"})
        stubber.add_response("upload_part", {"ETag": '"1"'})
        stubber.add_response("upload_part", {"ETag": '"2"'})
        stubber.add_response("complete_multipart_upload", {})
        with TransferManager(client, SMALL) as manager:
            manager.upload(io.BytesIO(b"tiny"), "bkt", "small").result()
            manager.upload(str(path), "bkt", "big").result()
    assert seen == [
        ("PutObject", bytes, b"tiny", bytes, 0),
        ("UploadPart", bytes, b"AAAA", bytes, 5 * MB - 4),
        ("UploadPart", bytes, b"AAAA", bytes, MB - 4),
    ]


def test_checksum_algorithm_is_passed_as_spelled(client):
    with Stubber(client) as stubber:
        stubber.add_response("put_object", {}, {"Bucket": "bkt", "Key": "k", "Body": ANY, "ChecksumAlgorithm": "sha1"})
        with TransferManager(client) as manager:
            manager.upload(io.BytesIO(b"abc"), "bkt", "k", extra_args={"ChecksumAlgorithm": "sha1"}).result()
        stubber.assert_no_pending_responses()


def test_upload_subscribers_are_told_once(client):
    recorder = Recorder()
    with Stubber(client) as stubber:
        stubber.add_response("put_object", {})
        with TransferManager(client) as manager:
            manager.upload(io.BytesIO(b"abc"), "bkt", "k", subscribers=[recorder]).result()
    assert recorder.calls.count("queued") == 1
    assert recorder.calls[0] == "queued" and recorder.calls[-1] == "done"


# -- downloads --------------------------------------------------------------------------------
def test_download_head_and_get_carry_only_the_original_parameters(client):
    out = io.BytesIO()
    with Stubber(client) as stubber:
        stubber.add_response("head_object", {"ContentLength": 6, "ETag": '"e"'}, {"Bucket": "bkt", "Key": "k"})
        stubber.add_response("get_object", {"Body": body_of(b"abcdef"), "ContentLength": 6}, {"Bucket": "bkt", "Key": "k"})
        client.download_fileobj("bkt", "k", out)
        stubber.assert_no_pending_responses()
    assert out.getvalue() == b"abcdef"


def test_ranged_download_asks_an_open_ended_last_range(client, tmp_path):
    data = os.urandom(12 * MB)
    ranges = ["bytes=0-5242879", "bytes=5242880-10485759", "bytes=10485760-"]
    target = tmp_path / "out.bin"
    with Stubber(client) as stubber:
        stubber.add_response("head_object", {"ContentLength": len(data)}, {"Bucket": "bkt", "Key": "k"})
        for spec in ranges:
            start = int(spec[6:].split("-")[0])
            chunk = data[start:start + 5 * MB]
            stubber.add_response("get_object", {"Body": body_of(chunk), "ContentLength": len(chunk)},
                                 {"Bucket": "bkt", "Key": "k", "Range": spec})
        with TransferManager(client, SMALL) as manager:
            manager.download("bkt", "k", str(target)).result()
        stubber.assert_no_pending_responses()
    assert target.read_bytes() == data


def test_a_stubbed_body_with_only_read_downloads(client, tmp_path):
    target = tmp_path / "out.txt"
    with Stubber(client) as stubber:
        stubber.add_response("head_object", {"ContentLength": 5})
        stubber.add_response("get_object", {"Body": ReadOnlyBody(b"12345")})
        client.download_file("bkt", "k", str(target))
    assert target.read_bytes() == b"12345"


def test_an_oserror_from_the_body_is_raised_without_retrying(client):
    with Stubber(client) as stubber:
        stubber.add_response("head_object", {"ContentLength": 5})
        stubber.add_response("get_object", {"Body": ReadOnlyBody(b"", OSError("disk says no"))})
        stubber.add_response("get_object", {"Body": ReadOnlyBody(b"12345")})
        with TransferManager(client) as manager:
            future = manager.download("bkt", "k", io.BytesIO())
            with pytest.raises(OSError, match="disk says no"):
                future.result()
        with pytest.raises(AssertionError):
            stubber.assert_no_pending_responses()


def test_a_socket_timeout_is_retried_until_attempts_run_out(client):
    with Stubber(client) as stubber:
        stubber.add_response("head_object", {"ContentLength": 5})
        for _ in range(5):
            stubber.add_response("get_object", {"Body": ReadOnlyBody(b"", socket.timeout("slow"))})
        with TransferManager(client) as manager:
            with pytest.raises(RetriesExceededError):
                manager.download("bkt", "k", io.BytesIO()).result()
        stubber.assert_no_pending_responses()


def test_a_size_given_by_a_subscriber_saves_the_head_object(client):
    class KnownSize(BaseSubscriber):
        def on_queued(self, future, **kwargs):
            future.meta.provide_transfer_size(4)

    out = io.BytesIO()
    with Stubber(client) as stubber:
        stubber.add_response("get_object", {"Body": body_of(b"wxyz")}, {"Bucket": "bkt", "Key": "k"})
        with TransferManager(client) as manager:
            manager.download("bkt", "k", out, subscribers=[KnownSize()]).result()
        stubber.assert_no_pending_responses()
    assert out.getvalue() == b"wxyz"


class CountingOSUtils(OSUtils):
    def __init__(self):
        self.calls = []

    def open(self, filename, mode):
        self.calls.append(("open", os.path.basename(filename).split(".")[0], mode))
        return super().open(filename, mode)

    def rename_file(self, current_filename, new_filename):
        self.calls.append(("rename", os.path.basename(new_filename)))
        return super().rename_file(current_filename, new_filename)


def test_a_custom_osutil_opens_and_renames_the_download(client, tmp_path):
    osutil = CountingOSUtils()
    with Stubber(client) as stubber:
        stubber.add_response("head_object", {"ContentLength": 3})
        stubber.add_response("get_object", {"Body": body_of(b"xyz")})
        with TransferManager(client, osutil=osutil) as manager:
            manager.download("bkt", "k", str(tmp_path / "target")).result()
    assert osutil.calls == [("open", "target", "wb"), ("rename", "target")]
    assert (tmp_path / "target").read_bytes() == b"xyz"
    assert os.listdir(tmp_path) == ["target"]


# -- copies and deletes -----------------------------------------------------------------------
def test_multipart_copy_does_not_copy_content_type_or_metadata_from_the_head(client):
    size = 12 * MB
    source = {"Bucket": "src", "Key": "sk"}
    with Stubber(client) as stubber:
        stubber.add_response("head_object", {"ContentLength": size, "ContentType": "text/plain", "Metadata": {"a": "b"}},
                             {"Bucket": "src", "Key": "sk"})
        stubber.add_response("create_multipart_upload", {"UploadId": "u"}, {"Bucket": "dst", "Key": "dk"})
        for number, spec in enumerate(["bytes=0-5242879", "bytes=5242880-10485759", "bytes=10485760-12582911"], 1):
            stubber.add_response("upload_part_copy", {"CopyPartResult": {"ETag": '"c%d"' % number}},
                                 {"Bucket": "dst", "Key": "dk", "UploadId": "u", "PartNumber": number,
                                  "CopySource": source, "CopySourceRange": spec})
        stubber.add_response("complete_multipart_upload", {})
        with TransferManager(client, SMALL) as manager:
            manager.copy(source, "dst", "dk").result()
        stubber.assert_no_pending_responses()


@pytest.mark.parametrize("copy_source", [["src", "sk"], "src/sk"])
def test_a_copy_source_that_is_not_a_dict_raises_type_error(client, copy_source):
    with Stubber(client):
        with TransferManager(client) as manager:
            future = manager.copy(copy_source, "dst", "dk")
            with pytest.raises(TypeError, match="Expecting dictionary formatted"):
                future.result()


def test_delete_tells_on_queued_once(client):
    recorder = Recorder()
    with Stubber(client) as stubber:
        stubber.add_response("delete_object", {}, {"Bucket": "bkt", "Key": "k"})
        with TransferManager(client) as manager:
            manager.delete("bkt", "k", subscribers=[recorder]).result()
    assert recorder.calls == ["queued", "done"]


# -- settings ---------------------------------------------------------------------------------
@pytest.mark.parametrize("config_cls", [TransferConfig, Boto3TransferConfig])
def test_max_bandwidth_may_be_a_float(config_cls):
    assert config_cls(max_bandwidth=524288.0).max_bandwidth == 524288.0


def test_max_bandwidth_must_be_positive():
    with pytest.raises(ValueError):
        TransferConfig(max_bandwidth=-1)


def test_a_custom_osutil_opens_the_file_being_uploaded(server, tmp_path):
    s3 = make_client(server.url)
    source = tmp_path / "source.txt"
    source.write_bytes(b"through osutil")
    osutil = CountingOSUtils()
    with TransferManager(s3, osutil=osutil) as manager:
        manager.upload(str(source), "bkt", "up").result()
    assert osutil.calls == [("open", "source", "rb")]
    assert server.objects["/bkt/up"] == b"through osutil"

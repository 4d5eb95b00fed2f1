"""The original ``ibm_s3transfer`` interface (S3Transfer, MultipartDownloader, ReadFileChunk), stubbed."""
import io
import os

import pytest

import ibm_s3transfer
from ibm_botocore.response import StreamingBody
from ibm_botocore.stub import ANY, Stubber
from ibm_s3transfer import MultipartDownloader, ReadFileChunk, S3Transfer, TransferConfig

from user_suite_helpers import ReadOnlyBody

MB = 1024 * 1024


def test_multipart_downloader_uses_the_given_object_size(client, tmp_path):
    data = os.urandom(10 * MB)
    target = tmp_path / "out.bin"
    config = TransferConfig(multipart_chunksize=5 * MB, max_concurrency=1)
    with Stubber(client) as stubber:
        for spec, chunk in (("bytes=0-5242879", data[:5 * MB]), ("bytes=5242880-", data[5 * MB:])):
            stubber.add_response("get_object", {"Body": StreamingBody(io.BytesIO(chunk), len(chunk))},
                                 {"Bucket": "bkt", "Key": "k", "Range": spec})
        MultipartDownloader(client, config, ibm_s3transfer.OSUtils()).download_file("bkt", "k", str(target), len(data), {})
        stubber.assert_no_pending_responses()
    assert target.read_bytes() == data


def test_s3transfer_download_retries_an_oserror_from_get_object(client, tmp_path):
    target = tmp_path / "out.txt"
    with Stubber(client) as stubber:
        stubber.add_response("head_object", {"ContentLength": 5}, {"Bucket": "bkt", "Key": "k"})
        stubber.add_response("get_object", {"Body": ReadOnlyBody(b"", OSError("connection dropped"))}, {"Bucket": "bkt", "Key": "k"})
        stubber.add_response("get_object", {"Body": ReadOnlyBody(b"hello")}, {"Bucket": "bkt", "Key": "k"})
        S3Transfer(client).download_file("bkt", "k", str(target))
        stubber.assert_no_pending_responses()
    assert target.read_bytes() == b"hello"
    assert os.listdir(tmp_path) == ["out.txt"]


def test_s3transfer_download_gives_up_after_num_download_attempts(client, tmp_path):
    with Stubber(client) as stubber:
        stubber.add_response("head_object", {"ContentLength": 5})
        for _ in range(2):
            stubber.add_response("get_object", {"Body": ReadOnlyBody(b"", OSError("down"))})
        with pytest.raises(ibm_s3transfer.RetriesExceededError):
            S3Transfer(client, TransferConfig(num_download_attempts=2)).download_file("bkt", "k", str(tmp_path / "x"))
    assert os.listdir(tmp_path) == []


def test_s3transfer_upload_passes_only_the_callers_arguments(client, tmp_path):
    path = tmp_path / "f.txt"
    path.write_bytes(b"legacy")
    with Stubber(client) as stubber:
        stubber.add_response("put_object", {}, {"Bucket": "bkt", "Key": "k", "Body": ANY, "ContentType": "text/plain"})
        S3Transfer(client).upload_file(str(path), "bkt", "k", extra_args={"ContentType": "text/plain"})
        stubber.assert_no_pending_responses()


def test_s3transfer_rejects_unknown_extra_args(client, tmp_path):
    with pytest.raises(ValueError, match="Invalid extra_args key"):
        S3Transfer(client).download_file("bkt", "k", str(tmp_path / "x"), extra_args={"Nope": 1})


def test_read_file_chunk_from_filename_reports_to_its_callback(tmp_path):
    path = tmp_path / "c.bin"
    path.write_bytes(bytes(range(50)))
    heard = []
    with ReadFileChunk.from_filename(str(path), 10, 8, callback=heard.append) as chunk:
        assert len(chunk) == 8
        assert chunk.read(3) == bytes(range(10, 13))
        assert chunk.read() == bytes(range(13, 18))
        assert chunk.read() == b""
        chunk.seek(2)
        assert chunk.tell() == 2
        chunk.disable_callback()
        assert chunk.read(1) == bytes([12])
    assert heard == [3, 5, 0, -6]


def test_s3transfer_multipart_upload_passes_only_the_callers_arguments(client, tmp_path):
    path = tmp_path / "big.bin"
    path.write_bytes(os.urandom(10 * MB))
    config = TransferConfig(multipart_threshold=5 * MB, multipart_chunksize=5 * MB, max_concurrency=1)
    with Stubber(client) as stubber:
        stubber.add_response("create_multipart_upload", {"UploadId": "u"}, {"Bucket": "bkt", "Key": "k", "ContentType": "x/y"})
        for number in (1, 2):
            stubber.add_response("upload_part", {"ETag": '"p%d"' % number},
                                 {"Bucket": "bkt", "Key": "k", "UploadId": "u", "PartNumber": number, "Body": ANY})
        stubber.add_response("complete_multipart_upload", {},
                             {"Bucket": "bkt", "Key": "k", "UploadId": "u",
                              "MultipartUpload": {"Parts": [{"ETag": '"p1"', "PartNumber": 1}, {"ETag": '"p2"', "PartNumber": 2}]}})
        S3Transfer(client, config).upload_file(str(path), "bkt", "k", extra_args={"ContentType": "x/y"})
        stubber.assert_no_pending_responses()

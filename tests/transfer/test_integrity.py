"""Download integrity of objects that carry no stored checksum (the ETag check), the checksum
conventions servers use, and the FlexibleChecksumError retry rule. Faults come from the emulator."""
from __future__ import annotations

import io
import logging
import os

import pytest

from cos_test_support import hmac_client as make_client
from transfer_helpers import MB

from ibm_boto3.s3.transfer import TransferConfig
from ibm_botocore.exceptions import FlexibleChecksumError
from ibm_s3transfer.integrity import Verifier, etag_check_enabled, plan_verification
from ibm_s3transfer.manager import TransferConfig as ManagerConfig
from ibm_s3transfer.processpool import ProcessPoolDownloader, ProcessTransferConfig

SMALL = TransferConfig(multipart_threshold=5 * MB, multipart_chunksize=5 * MB)


@pytest.fixture
def plain(emu):
    """A client that stores no checksums (as other tools and older SDKs do)."""
    c = make_client(emu, request_checksum_calculation="when_required")
    yield c
    c.close()


def _no_checksum_object(plain, client, bucket, key, size):
    data = os.urandom(size)
    plain.put_object(Bucket=bucket, Key=key, Body=data)
    head = client.head_object(Bucket=bucket, Key=key, ChecksumMode="ENABLED")
    assert not [name for name in head if name.startswith("Checksum")], head
    assert "-" not in head["ETag"]
    return data


def _no_checksum_multipart(plain, client, bucket, key, sizes):
    data = os.urandom(sum(sizes))
    upload_id = plain.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
    parts, offset = [], 0
    for number, size in enumerate(sizes, 1):
        etag = plain.upload_part(Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=number,
                                 Body=data[offset : offset + size])["ETag"]
        parts.append({"ETag": etag, "PartNumber": number})
        offset += size
    plain.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id, MultipartUpload={"Parts": parts})
    head = client.head_object(Bucket=bucket, Key=key, ChecksumMode="ENABLED")
    assert head["ETag"].strip('"').endswith("-%d" % len(sizes))
    assert not [name for name in head if name.startswith("Checksum") and name != "ChecksumType"], head
    return data


def _gets(recorder, key):
    return [r for r in recorder.matching("GET", "/" + key) if "uploads" not in r["url"]]


def test_flipped_byte_in_a_ranged_get_of_a_no_checksum_object_is_refetched(emu, client, plain, bucket, recorder, tmp_path):
    """The key case: 40 MiB stored by a single PUT without checksums, default TransferConfig, http."""
    data = _no_checksum_object(plain, client, bucket, "big", 40 * MB)
    rule = emu.faults.corrupt(method="GET", path="/big$", offset=123_457)
    target = tmp_path / "big.bin"
    client.download_file(bucket, "big", str(target))
    assert rule.hits == 1
    assert target.read_bytes() == data
    assert len(_gets(recorder, "big")) == 10  # 5 ranges of 8 MiB, fetched twice
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big.bin"]


def test_multipart_etag_is_checked_part_by_part(emu, client, plain, bucket, tmp_path):
    data = _no_checksum_multipart(plain, client, bucket, "mp", [5 * MB, 5 * MB, 3 * MB])
    rule = emu.faults.corrupt(method="GET", path="/mp$", offset=2 * MB)
    target = tmp_path / "mp.bin"
    client.download_file(bucket, "mp", str(target), Config=SMALL)
    assert rule.hits == 1 and target.read_bytes() == data
    # parts larger than the range size: each part's MD5 is fed by several ranges in order
    small = TransferConfig(multipart_threshold=1 * MB, multipart_chunksize=1 * MB, max_concurrency=4)
    emu.faults.corrupt(method="GET", path="/mp$", offset=99)
    client.download_file(bucket, "mp", str(target), Config=small)
    assert target.read_bytes() == data


def test_unequal_parts_of_a_multipart_etag(emu, client, plain, bucket, tmp_path):
    data = _no_checksum_multipart(plain, client, bucket, "u", [6 * MB, 5 * MB, 7 * MB])
    rule = emu.faults.corrupt(method="GET", path="/u$", offset=777)
    client.download_file(bucket, "u", str(tmp_path / "u.bin"), Config=SMALL)
    assert rule.hits == 1 and (tmp_path / "u.bin").read_bytes() == data


@pytest.mark.parametrize("target_kind", ["bytesio", "stream"])
def test_download_fileobj_checks_the_etag(emu, client, plain, bucket, target_kind):
    data = _no_checksum_object(plain, client, bucket, "f", 12 * MB)
    rule = emu.faults.corrupt(method="GET", path="/f$", offset=6 * MB + 1)

    class Stream(io.RawIOBase):  # not seekable: ranges are written in order
        def __init__(self):
            self.chunks = []

        def writable(self):
            return True

        def write(self, b):
            self.chunks.append(bytes(b))
            return len(b)

    out = io.BytesIO() if target_kind == "bytesio" else Stream()
    if target_kind == "bytesio":
        client.download_fileobj(bucket, "f", out, Config=SMALL)
        assert rule.hits == 1 and out.getvalue() == data
    else:
        # the corrupt range was already written to the stream: the download must say so
        from ibm_s3transfer.exceptions import ChecksumMismatchError

        with pytest.raises(ChecksumMismatchError):
            client.download_fileobj(bucket, "f", out, Config=SMALL)
        # clean data is checked and accepted
        out = Stream()
        client.download_fileobj(bucket, "f", out, Config=SMALL)
        assert b"".join(out.chunks) == data


def test_two_identical_fetches_are_accepted_when_the_etag_is_not_an_md5(emu, client, plain, bucket, tmp_path, caplog):
    data = _no_checksum_object(plain, client, bucket, "e", 11 * MB)
    # the same bytes every time: what a server whose ETag is not an MD5 looks like
    emu.faults.corrupt(method="GET", path="/e$", offset=4, times=None)
    target = tmp_path / "e.bin"
    with caplog.at_level(logging.DEBUG, logger="ibm_s3transfer"):
        client.download_file(bucket, "e", str(target), Config=SMALL)
    got = target.read_bytes()
    assert len(got) == len(data)
    starts = [0, 5 * MB, 10 * MB]  # byte 4 of each range body is flipped
    for start, end in zip(starts, starts[1:] + [len(data)]):
        assert got[start + 4] != data[start + 4]
        assert got[start : start + 4] == data[start : start + 4] and got[start + 5 : end] == data[start + 5 : end]
    assert any("two fetches agree" in r.getMessage() and r.levelno == logging.DEBUG for r in caplog.records)


def test_verify_etag_false_turns_the_check_off(emu, client, plain, bucket, tmp_path, recorder):
    data = _no_checksum_object(plain, client, bucket, "off", 11 * MB)
    emu.faults.corrupt(method="GET", path="/off$", offset=10)
    config = TransferConfig(multipart_threshold=5 * MB, multipart_chunksize=5 * MB, verify_etag=False)
    client.download_file(bucket, "off", str(tmp_path / "off.bin"), Config=config)
    assert (tmp_path / "off.bin").read_bytes() != data  # nothing checked: the flip went through
    assert len(_gets(recorder, "off")) == 3


def test_etag_policy():
    class Meta:
        def __init__(self, url):
            self.endpoint_url = url

    class Client:
        def __init__(self, url):
            self.meta = Meta(url)

    assert etag_check_enabled(ManagerConfig(), Client("http://127.0.0.1:1")) is True
    assert etag_check_enabled(ManagerConfig(), Client("https://s3.us-south.cloud-object-storage.appdomain.cloud")) is False
    assert etag_check_enabled(ManagerConfig(verify_etag=True), Client("https://x")) is True
    assert etag_check_enabled(TransferConfig(verify_etag=False), Client("http://x")) is False
    with pytest.raises(ValueError, match="verify_etag"):
        ManagerConfig(verify_etag="yes")


def test_process_pool_checks_the_etag(emu, client, plain, bucket, tmp_path):
    single = _no_checksum_object(plain, client, bucket, "s", 11 * MB)
    multi = _no_checksum_multipart(plain, client, bucket, "m", [5 * MB, 5 * MB, 1 * MB])
    kwargs = {"endpoint_url": emu.endpoint_url, "aws_access_key_id": emu.access_key_id,
              "aws_secret_access_key": emu.secret_access_key}
    config = ProcessTransferConfig(multipart_threshold=5 * MB, multipart_chunksize=5 * MB, max_request_processes=2)
    with ProcessPoolDownloader(client_kwargs=kwargs, config=config) as downloader:
        for key, data, offset in (("s", single, 5 * MB + 3), ("m", multi, 7)):
            rule = emu.faults.corrupt(method="GET", path="/%s$" % key, offset=offset)
            downloader.download_file(bucket, key, str(tmp_path / key)).result()
            assert rule.hits == 1
            assert (tmp_path / key).read_bytes() == data


# -- checksum conventions ------------------------------------------------------------------------
def _head(**fields):
    head = {"ETag": '"%s"' % ("0" * 32), "ContentLength": 10}
    head.update(fields)
    return head


@pytest.mark.parametrize("fields, mode", [
    ({"ChecksumCRC32": "AAAAAA=="}, "crc32"),
    ({"ChecksumCRC32": "AAAAAA==", "ChecksumType": "FULL_OBJECT"}, "crc32"),
    ({"ChecksumCRC32": "AAAAAA==", "ChecksumType": "full_object"}, "crc32"),
    ({"ChecksumSHA256": "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="}, "sha256"),
    # not understood: the ETag decides, nothing fails
    ({"ChecksumCRC32": "AAAAAA==", "ChecksumType": "SOMETHING_NEW"}, "md5"),
    ({"ChecksumCRC32": "not base64!"}, "md5"),
    ({"ChecksumCRC32": "AAAAAA==-x"}, "md5"),
    ({"ChecksumCRC32": "AAAAAA==-3", "ChecksumType": "FULL_OBJECT"}, "md5"),
    ({"ChecksumCRC32": "AAAAAA==", "ChecksumType": "COMPOSITE"}, "md5"),
    ({"ChecksumCRC32C": "AAAAAA=="}, "md5"),
    ({}, "md5"),
])
def test_checksum_conventions_are_read(fields, mode):
    verifier, layout = plan_verification(None, _head(**fields), "b", "k", {}, 10, ManagerConfig(verify_etag=True))
    assert verifier.mode == mode and layout is None
    # with the ETag check off, an unreadable checksum still falls back to the ETag, unless forced off
    off, _ = plan_verification(None, _head(**fields), "b", "k", {}, 10, ManagerConfig(verify_etag=False))
    assert off.mode == (mode if mode != "md5" else "none")


def test_multipart_checksum_without_type_or_suffix_accepts_either_reading(emu, client, bucket, tmp_path):
    """Servers differ on a multipart object's CRC32 (older moto: no ``-N``, no type): both
    readings are tried on part-aligned ranges, and a download never fails on the convention."""
    from ibm_s3transfer.utils import composite_crc32, crc32_to_b64

    data = os.urandom(11 * MB)
    client.upload_fileobj(io.BytesIO(data), bucket, "c", Config=SMALL)
    head = client.head_object(Bucket=bucket, Key="c", ChecksumMode="ENABLED")
    import zlib

    parts = [data[i : i + 5 * MB] for i in range(0, len(data), 5 * MB)]
    full = crc32_to_b64(zlib.crc32(data))
    composite = crc32_to_b64(composite_crc32([zlib.crc32(p) for p in parts]))
    for value in (full, composite):
        fields = {k: v for k, v in head.items() if k not in ("ChecksumCRC32", "ChecksumType")}
        fields["ChecksumCRC32"] = value
        verifier, layout = plan_verification(client, fields, bucket, "c", {}, len(data), ManagerConfig())
        assert verifier.mode == "either" and layout == [5 * MB, 5 * MB, 1 * MB]
        ranges = [(0, 5 * MB), (5 * MB, 5 * MB), (10 * MB, 1 * MB)]
        verifier.part_bounds = [0, 5 * MB, 10 * MB]
        assert verifier.check(ranges, [zlib.crc32(p) for p in parts])


def test_a_misread_convention_is_settled_by_the_etag(emu, client, plain, bucket, tmp_path):
    """A stored checksum that keeps failing on identical bytes, while the ETag matches: accepted."""
    data = _no_checksum_object(plain, client, bucket, "x", 11 * MB)
    head = client.head_object(Bucket=bucket, Key="x")
    head["ChecksumCRC32"] = "AAAAAA=="  # a checksum that is not of these bytes (a convention we misread)
    verifier, _ = plan_verification(client, head, bucket, "x", {}, len(data), ManagerConfig())
    assert verifier.mode == "crc32"
    etag = verifier.etag_check()
    assert isinstance(etag, Verifier) and etag.mode == "md5"
    from ibm_s3transfer.integrity import md5_of_written

    buffer = memoryview(data)

    def read_at(offset, view):
        chunk = buffer[offset : offset + len(view)]
        view[: len(chunk)] = chunk
        return len(chunk)

    assert md5_of_written(etag, read_at, len(data)) is True


# -- FlexibleChecksumError -----------------------------------------------------------------------
def test_response_checksum_error_is_retried_once_then_raised(emu, client, bucket, tmp_path):
    data = os.urandom(2 * MB)
    client.put_object(Bucket=bucket, Key="fc", Body=data)  # a single GET carries the CRC32 header
    rule = emu.faults.corrupt(method="GET", path="/fc$", offset=50, times=None)
    with pytest.raises(FlexibleChecksumError):
        client.download_file(bucket, "fc", str(tmp_path / "fc.bin"), ExtraArgs={"ChecksumMode": "ENABLED"})
    assert rule.hits == 2
    assert list(tmp_path.iterdir()) == []
    emu.faults.clear()
    rule = emu.faults.corrupt(method="GET", path="/fc$", offset=50, times=1)
    client.download_file(bucket, "fc", str(tmp_path / "fc.bin"), ExtraArgs={"ChecksumMode": "ENABLED"})
    assert rule.hits == 1 and (tmp_path / "fc.bin").read_bytes() == data

"""Transfers through a misbehaving network (tests/faults/fault_proxy.py): resets mid-request
and mid-response, stalls, 500 and 503 SlowDown (with and without Retry-After), short bodies,
flipped bytes, HEAD requests included, bearer tokens that expire during a transfer.

Every scenario ends byte-identical, or (for faults that never stop) with a public
exception; a target file is never left corrupt or half-written, and no multipart upload is
left open. Offsets are drawn from a fixed seed, so every run is the same."""
from __future__ import annotations

import io
import os
import random

import pytest

import ibm_boto3
from ibm_boto3.exceptions import RetriesExceededError as Boto3RetriesExceededError
from ibm_boto3.exceptions import S3UploadFailedError
from ibm_boto3.s3.transfer import TransferConfig
from ibm_botocore.client import Config
from ibm_botocore.exceptions import BotoCoreError, ClientError
from ibm_s3transfer.exceptions import ChecksumMismatchError, RetriesExceededError

MB = 1024 * 1024
SEED = 13
SMALL = TransferConfig(multipart_threshold=5 * MB, multipart_chunksize=5 * MB, max_concurrency=4)
PUBLIC = (ClientError, BotoCoreError, S3UploadFailedError, Boto3RetriesExceededError, RetriesExceededError,
          ChecksumMismatchError)
SIZES = [0, 1, 100 * 1024, 6 * MB + 3, 12 * MB]
OPERATIONS = ["upload_file", "upload_fileobj", "put_object", "download_file", "download_fileobj", "get_object", "copy"]
UPLOADS = {"upload_file", "upload_fileobj", "put_object"}
_KEYS = ["", ""]


@pytest.fixture(autouse=True)
def _emulator_keys(cos_emulator):
    _KEYS[:] = [cos_emulator.access_key_id, cos_emulator.secret_access_key]


def _client(proxy, emu, auth="hmac", **config):
    kwargs = emu.client_kwargs(auth)
    kwargs["endpoint_url"] = proxy.endpoint
    settings = {"read_timeout": 1, "connect_timeout": 2, "retries": {"max_attempts": 6, "mode": "standard"}}
    if auth == "iam":
        settings["signature_version"] = "oauth"
    settings.update(config)
    return ibm_boto3.client("s3", config=Config(**settings), **kwargs)


def _object(direct, bucket, key, size, rng, checksum=True):
    data = rng.randbytes(size) if hasattr(rng, "randbytes") else os.urandom(size)
    if checksum:
        direct.upload_fileobj(io.BytesIO(data), bucket, key, Config=SMALL)
    else:
        # as other tools store objects: a single PUT without any checksum
        plain = ibm_boto3.client("s3", endpoint_url=direct.meta.endpoint_url, aws_access_key_id=_KEYS[0],
                                 aws_secret_access_key=_KEYS[1], config=Config(request_checksum_calculation="when_required"))
        plain.put_object(Bucket=bucket, Key=key, Body=data)
    return data


def _run(op, client, direct, bucket, size, rng, tmp_path):
    """Run ``op``; returns (expected bytes, where the result can be read)."""
    if op in UPLOADS:
        data = rng.randbytes(size) if hasattr(rng, "randbytes") else os.urandom(size)
        if op == "upload_file":
            source = tmp_path / "src.bin"
            source.write_bytes(data)
            client.upload_file(str(source), bucket, "up", Config=SMALL)
        elif op == "upload_fileobj":
            client.upload_fileobj(io.BytesIO(data), bucket, "up", Config=SMALL)
        else:
            client.put_object(Bucket=bucket, Key="up", Body=data)
        return data, lambda: direct.get_object(Bucket=bucket, Key="up")["Body"].read()
    data = _object(direct, bucket, "obj", size, rng)
    if op == "download_file":
        target = tmp_path / "out.bin"
        client.download_file(bucket, "obj", str(target), Config=SMALL)
        return data, target.read_bytes
    if op == "download_fileobj":
        out = io.BytesIO()
        client.download_fileobj(bucket, "obj", out, Config=SMALL)
        return data, out.getvalue
    if op == "get_object":
        body = client.get_object(Bucket=bucket, Key="obj", ChecksumMode="ENABLED")["Body"].read()
        return data, lambda: body
    client.copy({"Bucket": bucket, "Key": "obj"}, bucket, "copied", Config=SMALL)
    return data, lambda: direct.get_object(Bucket=bucket, Key="copied")["Body"].read()


def _faults_for(op):
    """(name, proxy rule arguments) for one operation; every fault fires once or twice."""
    write = "PUT" if op != "copy" else "PUT"
    read = "GET" if op not in UPLOADS and op != "copy" else None
    common = [
        ("head-503-slowdown", dict(action="status", method="HEAD", status=503, code="SlowDown")),
        ("500-internal", dict(action="status", status=500, code="InternalError", method=read or write)),
        ("503-retry-after", dict(action="status", status=503, code="SlowDown", retry_after="0", method=read or write)),
        ("503-no-retry-after", dict(action="status", status=503, code="SlowDown", times=2, method=read or write)),
        ("head-reset", dict(action="reset-request", method="HEAD")),
        ("stall", dict(action="stall", delay=1.5, method=read or write)),
    ]
    if op in UPLOADS:
        common.append(("reset-mid-request", dict(action="reset-request", method="PUT", after=1)))
        common.append(("reset-mid-response", dict(action="reset-response", method="PUT", after=0)))
    elif op == "copy":
        common.append(("reset-mid-response", dict(action="reset-response", method="PUT", after=10)))
    else:
        common.append(("reset-mid-response", dict(action="reset-response", method="GET", after=1000)))
        common.append(("short-body", dict(action="short", method="GET", after=777)))
        common.append(("flipped-byte", dict(action="flip", method="GET", offset=None)))
    return common


def _scenarios():
    rng = random.Random(SEED)
    out = []
    for op in OPERATIONS:
        for name, rule in _faults_for(op):
            size = SIZES[rng.randrange(len(SIZES))]
            if name == "flipped-byte":
                # get_object: a single-part object, whose full-object CRC32 the client checks
                size = 100 * 1024 if op == "get_object" else rng.choice(SIZES[3:])
            out.append(pytest.param(op, name, dict(rule), size, rng.randrange(1 << 30), id="%s-%s-%d" % (op, name, size)))
    return out


@pytest.mark.parametrize("op, fault, rule, size, seed", _scenarios())
def test_a_single_fault_is_survived(cos_emulator, faults, direct, bucket, tmp_path, op, fault, rule, size, seed):
    rng = random.Random(seed)
    if rule.get("action") == "flip":
        rule["offset"] = rng.randrange(max(1, min(size, 5 * MB)))
    if op == "get_object" and fault in ("reset-mid-response", "short-body"):
        pytest.skip("a cut get_object body is the caller's to retry (as in ibm-cos-sdk)")
    if op == "get_object" and fault == "flipped-byte":
        return _flipped_get_object(cos_emulator, faults, direct, bucket, rule, size, rng)
    client = _client(faults, cos_emulator)
    added = faults.add(**rule)
    expected, result = _run(op, client, direct, bucket, size, rng, tmp_path)
    assert result() == expected
    if fault not in ("head-503-slowdown", "head-reset") or op not in UPLOADS | {"get_object"}:
        assert added.hits >= 1, faults.log
    assert not direct.list_multipart_uploads(Bucket=bucket).get("Uploads")
    assert sorted(p.name for p in tmp_path.iterdir()) in ([], ["out.bin"], ["src.bin"])


def _flipped_get_object(emu, faults, direct, bucket, rule, size, rng):
    from ibm_botocore.exceptions import FlexibleChecksumError

    _object(direct, bucket, "obj", size, rng)
    client = _client(faults, emu)
    faults.add(**rule)
    with pytest.raises(FlexibleChecksumError):
        client.get_object(Bucket=bucket, Key="obj", ChecksumMode="ENABLED")["Body"].read()


@pytest.mark.parametrize("size", [12 * MB, 40 * MB])
def test_flipped_byte_in_a_ranged_get_of_an_object_without_checksum(cos_emulator, faults, direct, bucket, tmp_path, size):
    """The key case: nothing stored but the ETag, plain http, default TransferConfig."""
    rng = random.Random(SEED + size)
    data = _object(direct, bucket, "plain", size, rng, checksum=False)
    assert not [k for k in direct.head_object(Bucket=bucket, Key="plain", ChecksumMode="ENABLED") if k.startswith("Checksum")]
    client = _client(faults, cos_emulator)
    flip = faults.add("flip", method="GET", path="/plain$", offset=rng.randrange(8 * MB))
    target = tmp_path / "plain.bin"
    client.download_file(bucket, "plain", str(target))
    assert flip.hits == 1
    assert target.read_bytes() == data
    ranges = -(-size // (8 * MB))
    assert len([entry for entry in faults.log if entry[0] == "GET"]) == 2 * ranges  # detected, fetched again


@pytest.mark.parametrize("op", ["download_file", "upload_file", "copy"])
def test_a_fault_that_never_stops_ends_cleanly(cos_emulator, faults, direct, bucket, tmp_path, op):
    rng = random.Random(SEED)
    target = tmp_path / "out.bin"
    target.write_bytes(b"previous")
    if op == "download_file":
        _object(direct, bucket, "obj", 12 * MB, rng)
        faults.add("flip", method="GET", offset=99, times=None)
    elif op == "upload_file":
        faults.add("reset-request", method="PUT", after=1, path="partNumber=2", times=None)
    else:
        _object(direct, bucket, "obj", 12 * MB, rng)
        faults.add("status", method="PUT", path="partNumber=2", status=500, code="InternalError", times=None)
    client = _client(faults, cos_emulator, retries={"max_attempts": 2, "mode": "standard"})
    with pytest.raises(PUBLIC) as info:
        if op == "download_file":
            client.download_file(bucket, "obj", str(target), Config=SMALL)
        elif op == "upload_file":
            source = tmp_path / "src.bin"
            source.write_bytes(os.urandom(12 * MB))
            client.upload_file(str(source), bucket, "up", Config=SMALL)
        else:
            client.copy({"Bucket": bucket, "Key": "obj"}, bucket, "copied", Config=SMALL)
    assert not isinstance(info.value, (TypeError, KeyError, AttributeError))
    assert target.read_bytes() == b"previous"
    assert sorted(p.name for p in tmp_path.iterdir()) in (["out.bin"], ["out.bin", "src.bin"])
    assert not direct.list_multipart_uploads(Bucket=bucket).get("Uploads")


def test_64_mib_multipart_round_trip_through_resets(cos_emulator, faults, direct, bucket, tmp_path):
    rng = random.Random(SEED)
    data = rng.randbytes(64 * MB) if hasattr(rng, "randbytes") else os.urandom(64 * MB)
    source = tmp_path / "src.bin"
    source.write_bytes(data)
    client = _client(faults, cos_emulator)
    config = TransferConfig(multipart_threshold=8 * MB, multipart_chunksize=8 * MB)
    up = faults.add("reset-request", method="PUT", path="partNumber=3", after=MB)
    down = faults.add("reset-response", method="GET", after=3 * MB, times=2)
    flip = faults.add("flip", method="GET", offset=12345)
    client.upload_file(str(source), bucket, "big", Config=config)
    client.download_file(bucket, "big", str(tmp_path / "big.bin"), Config=config)
    assert (up.hits, down.hits, flip.hits) == (1, 2, 1)
    assert (tmp_path / "big.bin").read_bytes() == data
    assert not direct.list_multipart_uploads(Bucket=bucket).get("Uploads")


def test_bearer_token_expiring_client_side_mid_transfer(tmp_path):
    """Tokens that live three seconds (an emulator of its own): transfers keep going across
    more than two token lifetimes, and the client refreshes the token along the way.

    The loop runs until two refreshes were seen (not for a fixed time: a refresh starts
    on the first use inside a token's last quarter, so a fixed 4.5 s could end just
    before the second one)."""
    import time
    from urllib.parse import urlsplit

    from fault_proxy import FaultProxy
    from ibm_cos_emulator.server import Emulator

    with Emulator(token_ttl=3) as emu:
        parts = urlsplit(emu.endpoint_url)
        proxy = FaultProxy(parts.hostname, parts.port)
        try:
            client = _client(proxy, emu, auth="iam")
            client.create_bucket(Bucket="tokens")
            data = os.urandom(6 * MB)
            config = TransferConfig(multipart_threshold=5 * MB, multipart_chunksize=5 * MB, max_concurrency=2)
            before = len(emu.iam_requests)
            deadline = time.monotonic() + 30
            rounds = 0
            while (len(emu.iam_requests) - before < 2 or rounds < 2) and time.monotonic() < deadline:
                proxy.add("reset-response", method="GET", after=1000)
                client.upload_fileobj(io.BytesIO(data), "tokens", "tok", Config=config)
                out = io.BytesIO()
                client.download_fileobj("tokens", "tok", out, Config=config)
                assert out.getvalue() == data
                rounds += 1
            assert len(emu.iam_requests) - before >= 2  # refreshed along the way
        finally:
            proxy.close()


def test_bearer_token_expiring_server_side_mid_transfer(tmp_path):
    """The server stops accepting the token while a multipart upload and a ranged download
    are under way (the client still thinks it has an hour left): the next requests are
    refused, the client fetches a new token and resends them; the bytes round-trip and no
    upload is left open."""
    import threading
    import time

    from ibm_cos_emulator.server import Emulator

    def expire_when(rule, emu, done):
        deadline = time.monotonic() + 30
        while rule.hits < 1 and time.monotonic() < deadline:
            time.sleep(0.01)
        done.append(emu.expire_tokens())

    with Emulator() as emu:
        kwargs = emu.client_kwargs("iam")
        client = ibm_boto3.client("s3", config=Config(signature_version="oauth", retries={"max_attempts": 3}), **kwargs)
        client.create_bucket(Bucket="tokens-server-side")
        data = os.urandom(16 * MB)
        source = tmp_path / "src.bin"
        source.write_bytes(data)
        config = TransferConfig(multipart_threshold=5 * MB, multipart_chunksize=5 * MB, max_concurrency=2)
        for direction in ("upload", "download"):
            method, query = ("PUT", "partNumber=2") if direction == "upload" else ("GET", None)
            rule = emu.faults.delay(0.4, times=1, method=method, path="^/tokens-server-side/big$", query=query)
            tokens_before = len(emu.iam_requests)
            expired: list = []
            watcher = threading.Thread(target=expire_when, args=(rule, emu, expired), daemon=True)
            watcher.start()
            if direction == "upload":
                client.upload_file(str(source), "tokens-server-side", "big", Config=config)
            else:
                client.download_file("tokens-server-side", "big", str(tmp_path / "big.bin"), Config=config)
            watcher.join(30)
            assert expired and expired[0] >= 1  # a live token was expired mid-transfer
            assert len(emu.iam_requests) > tokens_before  # and the client fetched a new one
        assert (tmp_path / "big.bin").read_bytes() == data
        assert not client.list_multipart_uploads(Bucket="tokens-server-side").get("Uploads")
        assert [p for p in os.listdir(tmp_path) if p.startswith("big.bin.")] == []

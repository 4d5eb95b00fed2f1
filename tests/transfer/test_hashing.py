"""ibm_s3transfer.hashing: MD5 streams hashed off the feeding threads give hashlib's digests."""
import hashlib
import os
import random
import threading

import pytest

from ibm_s3transfer import hashing, md5lanes


def feed(stream, pieces, errors):
    try:
        for piece in pieces:
            stream.update(piece)
    except BaseException as exc:  # reported by the test
        errors.append(exc)


def pieces_of(data, rng, most=40):
    cuts = sorted(rng.randrange(0, len(data) + 1) for _ in range(rng.randrange(0, most)))
    return [data[a:b] for a, b in zip([0] + cuts, cuts + [len(data)])]


@pytest.mark.parametrize("threads", [1, 3, 16, 24])
def test_concurrent_streams_give_hashlibs_digests(threads):
    rng = random.Random(threads)
    streams = []
    for _ in range(threads):
        data = os.urandom(rng.randrange(0, 3 * 1024 * 1024))
        streams.append((data, pieces_of(data, rng), hashing.Stream()))
    errors = []
    workers = [threading.Thread(target=feed, args=(stream, pieces, errors)) for _, pieces, stream in streams]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    assert errors == []
    assert [stream.hexdigest() for _, _, stream in streams] == [hashlib.md5(data).hexdigest() for data, _, _ in streams]


def test_the_caller_may_reuse_its_buffer_at_once():
    # update() returns before the block is hashed: it must have taken a copy
    data = os.urandom(5 * 1024 * 1024 + 17)
    buffer = bytearray(1024 * 1024)
    stream = hashing.Stream()
    for start in range(0, len(data), len(buffer)):
        piece = data[start : start + len(buffer)]
        buffer[: len(piece)] = piece
        stream.update(memoryview(buffer)[: len(piece)])
        buffer[:] = b"\0" * len(buffer)  # overwritten before the hashing thread gets to it
    assert stream.digest() == hashlib.md5(data).digest()


def test_more_queued_than_buffers_waits_instead_of_growing():
    # 40 MiB queued at once through 16 x 1 MiB buffers: bounded memory, right digests
    data = os.urandom(40 * 1024 * 1024)
    streams = [hashing.Stream() for _ in range(4)]
    errors = []
    workers = [threading.Thread(target=feed, args=(stream, [data[i::4]], errors)) for i, stream in enumerate(streams)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    assert errors == []
    assert [s.hexdigest() for s in streams] == [hashlib.md5(data[i::4]).hexdigest() for i in range(4)]
    assert hashing._SERVICE._allocated <= hashing.BUFFERS


def test_a_block_that_is_not_bytes_is_a_type_error():
    with pytest.raises(TypeError):
        hashing.Stream().update(12345)


def test_lanes_are_reported():
    assert md5lanes.LANES in (1, 8, 16)
    assert md5lanes.ACCELERATED == (md5lanes.LANES > 1)


def test_a_stream_shorter_than_a_block_is_hashed_in_the_callers_thread():
    data = os.urandom(64 * 1024)
    stream = hashing.Stream(len(data))
    stream.update(data)
    assert stream._pending == 0  # nothing was queued
    assert stream.digest() == hashlib.md5(data).digest()


def test_idle_buffers_are_given_back(monkeypatch):
    monkeypatch.setattr(hashing, "IDLE_SECONDS", 0.2)
    if not md5lanes.ACCELERATED:
        pytest.skip("no hashing thread without the extension")
    stream = hashing.Stream()
    stream.update(os.urandom(3 * 1024 * 1024))
    stream.digest()
    service = hashing._SERVICE
    with service._cond:  # wake the thread so that it waits again with the short idle time
        service._cond.notify_all()
    import time

    deadline = time.monotonic() + 10
    while service._allocated and time.monotonic() < deadline:
        time.sleep(0.05)
    assert service._allocated == 0 and service._free == []

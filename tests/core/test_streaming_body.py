"""``GetObject``'s ``Body``: ibm_botocore.response.StreamingBody, over real HTTP responses."""
from __future__ import annotations

import io
import socketserver
import threading
from typing import Iterator

import pytest

from core_helpers import make_client
from ibm_botocore.config import Config
from ibm_botocore.exceptions import IncompleteReadError, ResponseStreamingError
from ibm_botocore.response import StreamingBody

TEXT = b"line one\nline two\r\nline three\rno newline at the end"


@pytest.fixture
def text_object(client, bucket):
    client.put_object(Bucket=bucket, Key="text.txt", Body=TEXT)
    return lambda: client.get_object(Bucket=bucket, Key="text.txt")["Body"]


def test_read_in_pieces_and_tell(text_object):
    body = text_object()
    assert isinstance(body, StreamingBody)
    assert body.readable()
    assert body.read(4) == b"line"
    assert body.tell() == 4
    assert body.read(5) == b" one\n"
    assert body.read() == TEXT[9:]
    assert body.tell() == len(TEXT)
    assert body.read() == b""
    assert body.read(10) == b""


def test_iter_chunks(text_object):
    chunks = list(text_object().iter_chunks(chunk_size=7))
    assert b"".join(chunks) == TEXT
    assert all(len(c) == 7 for c in chunks[:-1])
    assert 0 < len(chunks[-1]) <= 7
    assert b"".join(text_object()) == TEXT  # __iter__ yields 1024-byte chunks


def test_iter_lines(text_object):
    assert list(text_object().iter_lines(chunk_size=3)) == [b"line one", b"line two", b"line three", b"no newline at the end"]
    kept = list(text_object().iter_lines(keepends=True))
    assert kept == [b"line one\n", b"line two\r\n", b"line three\r", b"no newline at the end"]


def test_readinto_and_readlines(text_object):
    body = text_object()
    buffer = bytearray(10)
    assert body.readinto(buffer) == 10
    assert bytes(buffer) == TEXT[:10]
    rest = bytearray()
    chunk = bytearray(16)
    while True:
        count = body.readinto(chunk)
        if not count:
            break
        rest += chunk[:count]
    assert bytes(rest) == TEXT[10:]
    assert text_object().readlines() == TEXT.splitlines(True)


def test_context_manager_closes(text_object):
    with text_object() as body:
        assert body.read(4) == b"line"
    assert body.closed


def test_large_object_streams_in_bounded_reads(client, bucket):
    data = bytes(range(256)) * 8192  # 2 MiB
    client.put_object(Bucket=bucket, Key="big", Body=data)
    body = client.get_object(Bucket=bucket, Key="big")["Body"]
    total = 0
    digest = bytearray()
    for chunk in body.iter_chunks(chunk_size=65536):
        assert len(chunk) <= 65536
        total += len(chunk)
        digest += chunk[:1]
    assert total == len(data)
    assert bytes(digest) == bytes([0]) * (len(data) // 65536)


# --- lying servers -----------------------------------------------------------------------------------
class _LyingHandler(socketserver.BaseRequestHandler):
    mode = "chunked"

    def handle(self) -> None:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = self.request.recv(65536)
            if not chunk:
                return
            data += chunk
        body = b"0123456789"
        if self.server.mode == "chunked":
            # Content-Length promises 100 bytes; the (authoritative) chunked framing ends after 10.
            response = (b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\nTransfer-Encoding: chunked\r\nContent-Type: text/plain\r\n\r\n"
                        b"a\r\n" + body + b"\r\n0\r\n\r\n")
        else:
            # Content-Length promises 100 bytes and the connection just closes after 10.
            response = b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\nContent-Type: text/plain\r\n\r\n" + body
        self.request.sendall(response)
        self.request.close()


@pytest.fixture(params=["chunked", "truncated"])
def lying_endpoint(request) -> Iterator[tuple]:
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _LyingHandler)
    server.daemon_threads = True
    server.mode = request.param
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield request.param, "http://127.0.0.1:%d" % server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def test_short_body_is_detected(lying_endpoint):
    mode, endpoint = lying_endpoint
    s3 = make_client(endpoint, config=Config(retries={"max_attempts": 0}, response_checksum_validation="when_required"))
    try:
        body = s3.get_object(Bucket="lying-bucket", Key="k")["Body"]
        if mode == "chunked":
            # the stream ends cleanly after 10 of the announced 100 bytes
            with pytest.raises(IncompleteReadError) as info:
                body.read()
            assert info.value.kwargs == {"actual_bytes": 10, "expected_bytes": 100}
            assert str(info.value) == "10 read, but total bytes expected is 100."
        else:
            # the connection drops mid-body: urllib3 notices first
            with pytest.raises(ResponseStreamingError):
                body.read()
    finally:
        s3.close()


def test_incomplete_read_with_amt_reads_and_unit_level():
    body = StreamingBody(io.BytesIO(b"abc"), 5)
    assert body.read(2) == b"ab"
    assert body.read(2) == b"c"
    with pytest.raises(IncompleteReadError):
        body.read(2)  # the end is reached with 3 of 5 bytes
    exact = StreamingBody(io.BytesIO(b"abcde"), 5)
    assert exact.read() == b"abcde"
    too_long = StreamingBody(io.BytesIO(b"abcdef"), 5)
    with pytest.raises(IncompleteReadError):
        too_long.read()

"""The HTTP contract both transports keep: the same bytes on the wire, the same public
exceptions for each network failure, and the same defences against a misbehaving server.

Every test runs twice (``transport`` fixture: direct and urllib3) against a raw-socket
server that reads request bodies only when the test says so."""
from __future__ import annotations

import os
import resource
import socket
import threading
import time
from typing import Any, List

import pytest

from ibm_botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ProxyConnectionError,
    ReadTimeoutError,
    ResponseStreamingError,
    SSLError,
)
import ibm_boto3
from ibm_botocore.config import Config
from rawserver import ACCESS_KEY, SECRET_KEY, HEAD_OK, make_client, response, s3_error, serve_forever

FORGED = response(200, [("ETag", '"forged"'), ("x-amz-request-id", "FORGED")])
KNOWN_METHODS = ("GET", "PUT", "HEAD", "POST", "DELETE")


def _head_ok(peer, request):
    peer.send(HEAD_OK)
    return True


def _read_and(answer: bytes):
    def handle(peer, request):
        peer.read_body(request)
        peer.send(answer)
        return True
    return handle


# --- the same request on both transports ---------------------------------------------------------
def test_same_bytes_on_the_wire(server, monkeypatch):
    """put_object, get_object and head_object send identical request heads and bodies."""
    heads = {}
    for transport in ("direct", "urllib3"):
        if transport == "urllib3":
            monkeypatch.setenv("IBM_COS_SDK_HTTP", "urllib3")
        else:
            monkeypatch.delenv("IBM_COS_SDK_HTTP", raising=False)
        raw = server(serve_forever(_echo_answer))
        client = make_client(raw.url, region_name="us-south")
        client.put_object(Bucket="bucket1", Key="dir/a b+c", Body=b"payload", Metadata={"m": "v"}, ContentType="text/plain")
        client.put_object(Bucket="bucket1", Key="big", Body=b"z" * (200 * 1024))
        client.get_object(Bucket="bucket1", Key="k", Range="bytes=0-2")["Body"].read()
        client.head_object(Bucket="bucket1", Key="k")
        heads[transport] = [(_stable(request.head), request.body) for request in raw.requests]
        assert raw.connections == 1
    assert heads["direct"] == heads["urllib3"]


def _echo_answer(peer, request):
    peer.read_body(request)
    if request.method == "HEAD":
        peer.send(HEAD_OK)
    elif request.method == "GET":
        peer.send(response(206, [("Content-Range", "bytes 0-2/3")], b"abc"))
    else:
        peer.send(response(200, [("ETag", '"e"')]))
    return True


def _stable(head: bytes) -> bytes:
    """The head with the values that change per call (time, ids, signature) blanked."""
    lines = []
    for line in head.split(b"\r\n"):
        name = line.split(b":", 1)[0].lower()
        if name in (b"x-amz-date", b"authorization", b"amz-sdk-invocation-id", b"host"):
            line = name + b": *"
        lines.append(line)
    return b"\r\n".join(lines)


# --- failures map to the same public exceptions --------------------------------------------------
def test_reset_is_connection_closed_and_retried(server, transport):
    raw = server(lambda peer: peer.read_request() and peer.reset())
    client = make_client(raw.url, attempts=3)
    with pytest.raises(ConnectionClosedError) as info:
        client.list_buckets()
    assert type(info.value) is ConnectionClosedError
    assert raw.url in str(info.value)
    assert len(raw.requests) == 3


def test_no_answer_even_after_the_resend_is_connection_closed(server, transport):
    """The first answer keeps the connection alive; from then on the server closes every
    connection without answering: the reused connection fails, the one resend on a fresh
    connection fails too, and the caller sees the public exception, retried per policy."""
    def handler(peer):
        request = peer.read_request()
        if request is not None and len(peer.server.requests) == 1:
            peer.send(HEAD_OK)
            peer.read_request()  # the next request on this connection: closed unanswered

    raw = server(handler)
    client = make_client(raw.url, attempts=2)
    client.head_object(Bucket="bucket1", Key="k")
    with pytest.raises(ConnectionClosedError) as info:
        client.head_object(Bucket="bucket1", Key="k")
    assert type(info.value) is ConnectionClosedError
    assert raw.url in str(info.value)
    assert 3 <= len(raw.requests) <= 4


def test_stall_is_read_timeout_naming_the_endpoint(server, transport):
    stop = threading.Event()
    raw = server(lambda peer: peer.read_request() and stop.wait(10))
    client = make_client(raw.url, attempts=2, read_timeout=0.3)
    try:
        with pytest.raises(ReadTimeoutError) as info:
            client.list_buckets()
    finally:
        stop.set()
    assert type(info.value) is ReadTimeoutError
    assert info.value.kwargs["endpoint_url"].startswith(raw.url)
    assert len(raw.requests) == 2


def _stalled_body(server, stop):
    """A server that sends 10 of 100 body bytes, then nothing until ``stop`` is set."""
    def handler(peer):
        peer.read_request()
        peer.send(response(200, [("Content-Length", "100")], b"0123456789"))
        stop.wait(10)

    return server(handler)


def test_stall_inside_a_streamed_body_is_read_timeout(server, transport):
    stop = threading.Event()
    raw = _stalled_body(server, stop)
    client = make_client(raw.url, read_timeout=0.3)
    body = client.get_object(Bucket="bucket1", Key="k")["Body"]
    try:
        with pytest.raises(ReadTimeoutError) as info:
            body.read()
    finally:
        stop.set()
    assert info.value.kwargs["endpoint_url"] == raw.url + "/bucket1/k"


def test_socket_timeout_of_a_streamed_body_can_be_changed(server, transport):
    stop = threading.Event()
    raw = _stalled_body(server, stop)
    client = make_client(raw.url, read_timeout=30)
    body = client.get_object(Bucket="bucket1", Key="k")["Body"]
    body.set_socket_timeout(0.3)
    started = time.monotonic()
    try:
        with pytest.raises(ReadTimeoutError):
            body.read()
    finally:
        stop.set()
    assert time.monotonic() - started < 5


def test_truncated_body_is_a_public_error(server, transport):
    def handler(peer):
        peer.read_request()
        peer.send(response(200, [("Content-Length", "100")], b"0123456789"))

    raw = server(handler)
    client = make_client(raw.url, attempts=2)
    with pytest.raises(ResponseStreamingError):
        client.list_buckets()
    assert len(raw.requests) == 2
    body = client.get_object(Bucket="bucket1", Key="k")["Body"]
    with pytest.raises(ResponseStreamingError):
        body.read()


def test_truncated_head_is_connection_closed(server, transport):
    raw = server(lambda peer: peer.read_request() and peer.send(b"HTTP/1.1 200 OK\r\nContent-Le"))
    client = make_client(raw.url, attempts=2)
    with pytest.raises(ConnectionClosedError):
        client.head_object(Bucket="bucket1", Key="k")
    assert len(raw.requests) == 2


def test_refused_connection_is_endpoint_connection_error(transport):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = make_client("http://127.0.0.1:%d" % port, attempts=2)
    with pytest.raises(EndpointConnectionError) as info:
        client.list_buckets()
    assert type(info.value) is EndpointConnectionError
    assert "127.0.0.1:%d" % port in str(info.value)


def test_connect_timeout_is_connect_timeout_error(transport):
    # A listener that never accepts, with its backlog full: the next SYN goes unanswered.
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers: List[socket.socket] = []
    try:
        for _ in range(8):
            filler = socket.socket()
            filler.setblocking(False)
            filler.connect_ex(("127.0.0.1", port))
            fillers.append(filler)
        time.sleep(0.1)
        probe = socket.socket()
        probe.settimeout(0.3)
        try:
            probe.connect(("127.0.0.1", port))
            pytest.skip("this kernel accepts connections beyond a full backlog")
        except socket.timeout:
            pass
        finally:
            probe.close()
        client = make_client("http://127.0.0.1:%d" % port, connect_timeout=0.3)
        with pytest.raises(ConnectTimeoutError) as info:
            client.list_buckets()
        assert type(info.value) is ConnectTimeoutError
        assert "127.0.0.1:%d" % port in str(info.value)
    finally:
        for filler in fillers:
            filler.close()
        listener.close()


def test_unreachable_proxy_is_proxy_connection_error(transport, monkeypatch):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.delenv("NO_PROXY", raising=False)
    client = make_client("http://127.0.0.1:9", proxies={"http": "http://127.0.0.1:%d" % port})
    with pytest.raises(ProxyConnectionError) as info:
        client.list_buckets()
    assert "127.0.0.1:%d" % port in str(info.value)


def test_bad_certificate_is_ssl_error(server, transport, certificate):
    raw = server(serve_forever(_head_ok), tls=certificate["context"])
    client = make_client(raw.url, attempts=2)
    with pytest.raises(SSLError) as info:
        client.head_object(Bucket="bucket1", Key="k")
    assert type(info.value) is SSLError
    assert raw.url in str(info.value)
    assert raw.requests == []


# --- a misbehaving server ------------------------------------------------------------------------
@pytest.mark.parametrize("where", ["head", "interim", "trailers"])
def test_folded_header_flood_is_refused_quickly(server, transport, where):
    flood = b"X-Flood: start\r\n" + b" folded continuation line\r\n" * 300000  # ~8 MB
    if where == "head":
        answer = b"HTTP/1.1 200 OK\r\n" + flood + b"Content-Length: 0\r\n\r\n"
    elif where == "interim":
        answer = b"HTTP/1.1 102 Processing\r\n" + flood + b"\r\n" + response(200)
    else:
        answer = (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\n<a>\r\n0\r\n" + flood + b"\r\n")

    def handler(peer):
        peer.read_request()
        try:
            peer.send(answer)
        except OSError:
            pass

    raw = server(handler)
    client = make_client(raw.url)
    started = time.monotonic()
    if where == "trailers" and transport == "urllib3":
        # http.client reads trailers in linear time but does not bound them
        assert client.get_object(Bucket="bucket1", Key="k")["Body"].read() == b"<a>"
    elif where == "trailers":
        with pytest.raises(ResponseStreamingError):
            client.get_object(Bucket="bucket1", Key="k")["Body"].read()
    else:
        with pytest.raises(ConnectionClosedError):
            client.list_buckets()
    assert time.monotonic() - started < 3


def test_bytes_after_a_framed_response_are_never_read_as_the_next_answer(server, transport):
    def handler(peer):
        while True:
            request = peer.read_request()
            if request is None:
                return
            if len(peer.server.requests) == 1:  # Content-Length: 0, then a forged answer
                peer.send(response(200, [("ETag", '"first"')]) + FORGED)
            else:
                peer.send(HEAD_OK)

    raw = server(handler)
    client = make_client(raw.url)
    assert client.head_object(Bucket="bucket1", Key="k")["ETag"] == '"first"'
    for _ in range(2):
        answer = client.head_object(Bucket="bucket1", Key="k")
        assert answer["ETag"] == '"0123456789abcdef0123456789abcdef"'
        assert answer["ResponseMetadata"]["RequestId"] == "RAW"


def test_head_answer_carrying_a_body_does_not_break_the_next_call(server, transport):
    def answer(peer, request):
        if request.method == "HEAD":
            peer.send(response(200, [("Content-Length", "5"), ("ETag", '"h"')]) + b"hello")
        else:
            peer.send(response(200, body=b"<ok/>"))
        return True

    raw = server(serve_forever(answer))
    client = make_client(raw.url)
    assert client.head_object(Bucket="bucket1", Key="k")["ETag"] == '"h"'
    assert client.get_object(Bucket="bucket1", Key="k")["Body"].read() == b"<ok/>"
    assert client.head_object(Bucket="bucket1", Key="k")["ContentLength"] == 5


def test_folded_and_repeated_headers_read_alike(server, transport):
    answer = (b"HTTP/1.1 200 OK\r\nX-Folded: a\r\n  b\r\n\tc\r\nX-Rep: 1\r\nx-rep: 2\r\n"
              b"Content-Length: 0\r\nETag: \"e\"\r\n\r\n")
    raw = server(serve_forever(lambda peer, request: peer.send(answer) is None))
    headers = make_client(raw.url).head_object(Bucket="bucket1", Key="k")["ResponseMetadata"]["HTTPHeaders"]
    # urllib3 1.26 keeps the fold's own whitespace; the value is the same
    assert " ".join(headers["x-folded"].split()) == "a b c"
    if transport == "direct":
        assert headers["x-folded"] == "a b c"
    assert headers["x-rep"] == "1, 2"
    assert headers["etag"] == '"e"'


@pytest.mark.parametrize("code", ["-200", "20000000000000000000", "99", "600", "1000", "2x0", ""])
def test_invalid_status_code_is_refused(server, transport, code):
    raw = server(serve_forever(lambda peer, request: peer.send(("HTTP/1.1 %s Odd\r\nContent-Length: 0\r\n\r\n" % code).encode()) is None))
    client = make_client(raw.url)
    with pytest.raises(ConnectionClosedError):
        client.head_object(Bucket="bucket1", Key="k")


@pytest.mark.parametrize("close", [True, False], ids=["then-close", "keep-open"])
def test_early_rejection_of_a_large_put_is_the_servers_error(server, transport, close):
    """The server answers 403 to the request head and never reads the 8 MiB body."""
    def answer(peer, request):
        if request.method == "PUT":
            peer.send(s3_error(403, "AccessDenied", "Forbidden"))
            return not close
        peer.send(HEAD_OK)
        return True

    raw = server(serve_forever(answer))
    client = make_client(raw.url, attempts=3)
    with pytest.raises(ClientError) as info:
        client.put_object(Bucket="bucket1", Key="k", Body=b"\0" * (8 * 1024 * 1024))
    assert info.value.response["Error"]["Code"] == "AccessDenied"
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert len(raw.requests) == 1
    if transport == "direct":
        assert raw.bytes_received < 64 * 1024  # the body was never sent
    # and the next call works (on a new connection: the old one has an unfinished request)
    assert client.head_object(Bucket="bucket1", Key="k")["ContentLength"] == 0
    assert [r.method for r in raw.requests] == ["PUT", "HEAD"]


@pytest.mark.parametrize("size", [1024, 5 * 1024 * 1024])
def test_put_to_missing_bucket_leaves_no_unread_body_behind(server, transport, size):
    """As Ceph RGW does: 404 NoSuchBucket at once, the body left unread, the connection
    kept open. The next request must not be parsed behind the leftover body."""
    def answer(peer, request):
        if request.method not in KNOWN_METHODS:
            peer.send(s3_error(405, "MethodNotAllowed", "Method Not Allowed"))
            return True
        if request.method == "PUT":
            peer.send(s3_error(404, "NoSuchBucket", "Not Found"))
            return True
        peer.send(HEAD_OK)
        return True

    raw = server(serve_forever(answer))
    client = make_client(raw.url, attempts=3)
    with pytest.raises(ClientError) as info:
        client.put_object(Bucket="bucket1", Key="k", Body=b"x" * size)
    assert info.value.response["Error"]["Code"] == "NoSuchBucket"
    assert client.head_object(Bucket="bucket1", Key="k")["ETag"] == '"0123456789abcdef0123456789abcdef"'
    assert [r.method for r in raw.requests] == ["PUT", "HEAD"]


def test_expect_continue_waits_for_100_then_sends_the_body(server, transport):
    def answer(peer, request):
        if request.headers.get("expect") == "100-continue":
            peer.send(b"HTTP/1.1 100 Continue\r\n\r\n")
        peer.read_body(request)
        peer.send(response(200, [("ETag", '"e"')]))
        return True

    raw = server(serve_forever(answer))
    client = make_client(raw.url)
    data = os.urandom(300 * 1024)
    assert client.put_object(Bucket="bucket1", Key="k", Body=data)["ETag"] == '"e"'
    assert raw.requests[0].body == data
    assert raw.connections == 1
    client.put_object(Bucket="bucket1", Key="k", Body=data)
    assert raw.connections == 1


@pytest.mark.parametrize("tls", [False, True], ids=["http", "https"])
def test_expect_continue_without_an_answer_sends_the_body_after_a_short_wait(server, transport, certificate, tls):
    # Over TLS 1.3 the server's session tickets make the socket readable with no answer
    # in it: that must not count as an answer (it once meant waiting for the read timeout).
    raw = server(serve_forever(_read_and(response(200, [("ETag", '"e"')]))), tls=certificate["context"] if tls else None)
    client = ibm_boto3.client("s3", aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY,
                              endpoint_url=raw.url, verify=certificate["file"] if tls else None,
                              config=Config(read_timeout=20, retries={"max_attempts": 0},
                                            request_checksum_calculation="when_required"))
    data = os.urandom(300 * 1024)
    started = time.monotonic()
    assert client.put_object(Bucket="bucket1", Key="k", Body=data)["ETag"] == '"e"'
    assert time.monotonic() - started < 5
    assert raw.requests[0].headers["expect"] == "100-continue"
    assert raw.requests[0].body == data


@pytest.mark.parametrize("size", [300 * 1024, 1024 * 1024])
def test_expect_continue_with_a_body_up_to_1_mib_sends_it_at_once(server, transport, tmp_path, size):
    # No round trip per small upload: the server never sends 100 Continue and the body
    # still arrives at once (a wait would take _CONTINUE_TIMEOUT, 1 s).
    waited: List[float] = []

    def answer(peer, request):
        started = time.monotonic()
        body = peer.read_body(request)
        waited.append(time.monotonic() - started)
        peer.send(response(200, [("ETag", '"%d"' % len(body))]))
        return True

    raw = server(serve_forever(answer))
    client = make_client(raw.url)
    path = tmp_path / "body"
    path.write_bytes(os.urandom(size))
    with open(path, "rb") as body:
        assert client.put_object(Bucket="bucket1", Key="k", Body=body)["ETag"] == '"%d"' % size
    assert raw.requests[0].headers["expect"] == "100-continue"
    assert raw.requests[0].body == path.read_bytes()
    assert waited[0] < 0.8


def test_idle_checks_work_above_descriptor_1024(server, transport):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < 1200:
        pytest.skip("cannot open 1,100 descriptors here")
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, 1200) if hard == resource.RLIM_INFINITY else min(max(soft, 1200), hard), hard))
    opened: List[int] = []
    try:
        while not opened or opened[-1] < 1100:
            opened.append(os.open(os.devnull, os.O_RDONLY))
        raw = server(serve_forever(_head_ok))
        client = make_client(raw.url)
        for _ in range(26):
            client.head_object(Bucket="bucket1", Key="k")
        assert raw.connections == 1
    finally:
        for fd in opened:
            os.close(fd)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def test_a_file_body_that_shrinks_while_sent_is_a_public_error(server, transport, tmp_path):
    """A file region offered for sendfile(2) that ends early (the file was truncated)."""
    from ibm_botocore.awsrequest import AWSRequest
    from ibm_botocore.exceptions import HTTPClientError
    from ibm_botocore.httpsession import URLLib3Session

    path = tmp_path / "shrinking"
    path.write_bytes(b"a" * 1000)
    raw = server(serve_forever(_read_and(response(200))))
    fd = os.open(str(path), os.O_RDONLY)
    try:
        class ShrunkFileBody:
            """A body whose file is 1,000 bytes although 4,000 were announced."""
            def read(self, amount=-1):
                return os.pread(fd, 4000 if amount is None or amount < 0 else amount, 0)

            def sendfile_region(self):
                return fd, 0, 4000, None

        request = AWSRequest(method="PUT", url=raw.url + "/bucket1/k", data=ShrunkFileBody(),
                             headers={"Content-Length": "4000"}).prepare()
        session = URLLib3Session()
        with pytest.raises(HTTPClientError) as info:
            session.send(request)
        assert "ended after 1000 of 4000 bytes" in str(info.value)
        session.close()
    finally:
        os.close(fd)

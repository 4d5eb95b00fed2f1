"""The HTTP server's defences: authentication before the body, strict framing, header limits,
deadlines a drip cannot extend, a connection cap, and bounded memory under unsigned uploads."""
import contextlib
import json
import os
import socket
import subprocess
import sys
import threading
import time

import pytest

import emu_http
from emu_http import obj_path

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _connect(port, timeout=10):
    return socket.create_connection(("127.0.0.1", port), timeout=timeout)


def _read_response(sock):
    data = b""
    while b"\r\n\r\n" not in data:
        got = sock.recv(65536)
        if not got:
            break
        data += got
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0") or 0)
    while len(rest) < length:
        got = sock.recv(65536)
        if not got:
            break
        rest += got
    return lines[0] if lines else "", headers, rest


def _closed(sock, wait=5.0):
    sock.settimeout(wait)
    try:
        return sock.recv(1) == b""
    except (ConnectionResetError, BrokenPipeError):
        return True
    except socket.timeout:
        return False


def test_unauthenticated_put_is_refused_before_100_continue(emu, bucket):
    with _connect(emu.port) as sock:
        sock.sendall((f"PUT /{bucket}/x HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1073741824\r\n"
                      f"Expect: 100-continue\r\n\r\n").encode())
        status, headers, body = _read_response(sock)
        assert status.startswith("HTTP/1.1 403"), status  # not "100 Continue"
        assert b"<Code>AccessDenied</Code>" in body
        assert headers.get("connection") == "close"
        assert _closed(sock)


def test_bad_signature_is_refused_before_the_body(emu, bucket):
    client = emu_http.Client(emu.endpoint_url, "hmac", emu.access_key_id, "not-the-secret")
    hdrs = emu_http.sigv4_headers("PUT", client.host, f"/{bucket}/x", [], {"Content-Length": str(1 << 30)}, b"",
                                  emu.access_key_id, "not-the-secret", payload_hash="UNSIGNED-PAYLOAD")
    hdrs.pop("_seed_signature"), hdrs.pop("_scope")
    with _connect(emu.port) as sock:
        head = f"PUT /{bucket}/x HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in hdrs.items())
        sock.sendall((head + "Expect: 100-continue\r\n\r\n").encode())
        status, _, body = _read_response(sock)
        assert status.startswith("HTTP/1.1 403") and b"SignatureDoesNotMatch" in body
    assert emu_http.Client(emu.endpoint_url, "hmac", emu.access_key_id,
                           emu.secret_access_key).request("GET", obj_path(bucket, "x")).status == 404


def test_signed_payload_hash_is_checked_while_streaming(hmac_client, bucket):
    import hashlib

    resp = hmac_client.request("PUT", obj_path(bucket, "h"), body=b"real body",
                               payload_hash=hashlib.sha256(b"other body").hexdigest())
    assert resp.status == 400 and resp.code in ("XAmzContentSHA256Mismatch", "SignatureDoesNotMatch")
    assert hmac_client.request("GET", obj_path(bucket, "h")).status == 404


def test_authorized_upload_gets_100_continue(emu, bucket):
    token = emu_http.get_token(emu.endpoint_url, emu.api_key)
    with _connect(emu.port) as sock:
        sock.sendall((f"PUT /{bucket}/cont HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
                      f"Content-Length: 3\r\nExpect: 100-continue\r\n\r\n").encode())
        assert sock.recv(1024).startswith(b"HTTP/1.1 100 Continue\r\n\r\n")
        sock.sendall(b"abc")
        status, _, _ = _read_response(sock)
        assert status.startswith("HTTP/1.1 200")


@pytest.mark.parametrize("framing, status", [
    ("Transfer-Encoding: chunked\r\nContent-Length: 5\r\n", "400"),
    ("Transfer-Encoding: xchunkedx\r\n", "501"),
    ("Transfer-Encoding: gzip, chunked\r\n", "501"),
    ("Content-Length: 5\r\nContent-Length: 6\r\n", "400"),
    ("Content-Length: +5\r\n", "400"),
    ("Content-Length: -1\r\n", "400"),
])
def test_ambiguous_framing_is_400_and_closes(emu, bucket, framing, status):
    token = emu_http.get_token(emu.endpoint_url, emu.api_key)
    with _connect(emu.port) as sock:
        sock.sendall((f"PUT /{bucket}/smuggle HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
                      f"{framing}\r\n0\r\n\r\nGET /{bucket}/smuggle HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").encode())
        line, headers, _ = _read_response(sock)
        assert line.split()[1] == status and headers.get("connection") == "close"
        assert _closed(sock)
    client = emu_http.Client(emu.endpoint_url, "bearer", token=token)
    assert client.request("GET", obj_path(bucket, "smuggle")).status == 404


def test_header_limits(emu):
    with _connect(emu.port) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-%d: %s\r\n" % (i, b"v" * 1000)
                                                            for i in range(80)) + b"\r\n")
        assert _read_response(sock)[0].split()[1] == "431"
    with _connect(emu.port) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-%d: v\r\n" % i for i in range(150)) + b"\r\n")
        assert _read_response(sock)[0].split()[1] == "431"


def test_a_drip_cannot_extend_the_header_deadline():
    from ibm_cos_emulator import Emulator

    with Emulator(header_timeout=0.6, idle_timeout=0.8) as e:
        with _connect(e.port) as sock:
            start = time.monotonic()
            sock.sendall(b"GET / HTTP/1.1\r\n")
            closed = False
            while time.monotonic() - start < 5:
                try:
                    sock.sendall(b"X")  # one byte every 0.2 s keeps every single recv short
                except OSError:
                    closed = True
                    break
                time.sleep(0.2)
                sock.setblocking(False)
                try:
                    if sock.recv(1) == b"":
                        closed = True
                        break
                except BlockingIOError:
                    pass
                except OSError:
                    closed = True
                    break
                finally:
                    sock.setblocking(True)
            assert closed and time.monotonic() - start < 3
        with _connect(e.port) as idle:
            start = time.monotonic()
            assert _closed(idle, wait=4) and time.monotonic() - start < 3  # idle keep-alive closes too


def test_connection_cap_answers_503_and_frees_up():
    from ibm_cos_emulator import Emulator

    with Emulator(max_connections=3, header_timeout=2.0) as e:
        held = [_connect(e.port) for _ in range(3)]
        for sock in held:
            sock.sendall(b"GET / HTTP/1.1\r\n")  # half-sent requests
        time.sleep(0.3)
        with _connect(e.port) as extra:
            extra.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            assert _read_response(extra)[0].split()[1] == "503"
        for sock in held:
            sock.close()
        deadline = time.monotonic() + 5
        while e._server.connection_count and time.monotonic() < deadline:
            time.sleep(0.05)
        client = emu_http.Client(e.endpoint_url, "hmac", e.access_key_id, e.secret_access_key)
        assert client.request("GET", "/").status == 200


def test_request_lines_are_logged_at_info_without_queries(caplog, emu, hmac_client, bucket):
    import logging

    caplog.set_level(logging.INFO, logger="ibm_cos_emulator")
    hmac_client.request("GET", "/" + bucket, [("list-type", "2"), ("prefix", "secretprefix")])
    assert f"GET /{bucket} -> 200" in caplog.text and "secretprefix" not in caplog.text


def _rss_kib(pid, field="VmRSS"):
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise AssertionError(field)


@contextlib.contextmanager
def _subprocess_emulator(tmp_path, bucket):
    """A CLI emulator in its own process (so its memory can be measured) and a client with a bucket."""
    env = dict(os.environ)
    env["PYTHONPATH"] = REPO
    proc = subprocess.Popen([sys.executable, "-m", "ibm_cos_emulator", "--json"], cwd=str(tmp_path), env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        info = json.loads(proc.stdout.readline())
        client = emu_http.Client(info["endpoint_url"], "hmac", info["access_key_id"], info["secret_access_key"])
        assert client.request("PUT", "/" + bucket).status == 200
        yield proc, client
    finally:
        proc.terminate()
        proc.communicate(timeout=20)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_unsigned_uploads_do_not_grow_memory(tmp_path):
    """20 concurrent unsigned 256 MiB PUTs against a subprocess emulator: RSS grows < 64 MiB."""
    with _subprocess_emulator(tmp_path, "memtest") as (proc, client):
        port = client.port
        before = _rss_kib(proc.pid)
        size = 256 * 1024 * 1024
        block = b"\0" * (1024 * 1024)
        answers = []

        def upload(i):
            try:
                with _connect(port, timeout=30) as sock:
                    expect = "Expect: 100-continue\r\n" if i % 2 else ""
                    sock.sendall((f"PUT /memtest/big{i} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {size}\r\n"
                                  f"x-amz-content-sha256: UNSIGNED-PAYLOAD\r\n{expect}\r\n").encode())
                    if not expect:
                        sent = 0
                        try:
                            while sent < size:
                                sock.sendall(block)
                                sent += len(block)
                        except OSError:
                            pass
                    try:
                        answers.append(_read_response(sock)[0])
                    except OSError:
                        answers.append("reset")
            except OSError as exc:
                answers.append(f"error {exc}")

        threads = [threading.Thread(target=upload, args=(i,)) for i in range(20)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        peak = _rss_kib(proc.pid, "VmHWM")
        assert len(answers) == 20
        assert sum(a.startswith("HTTP/1.1 403") for a in answers) >= 10, answers  # all Expect ones at least
        assert peak - before < 64 * 1024, (before, peak)
        assert client.request("GET", "/memtest", [("list-type", "2")]).body.count(b"<Key>") == 0


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_large_authenticated_body_is_spooled_not_copied(tmp_path):
    """A 64 MiB signed PUT: the server reads it to a temporary file; what memory grows by is the
    engine's own copies (two), not three as when the server held the body too."""
    with _subprocess_emulator(tmp_path, "spool") as (proc, client):
        size = 64 * 1024 * 1024
        hdrs = emu_http.sigv4_headers("PUT", client.host, "/spool/big", [], {"Content-Length": str(size)}, b"",
                                      client.access_key, client.secret, payload_hash="UNSIGNED-PAYLOAD")
        hdrs.pop("_seed_signature"), hdrs.pop("_scope")
        before = _rss_kib(proc.pid)
        with _connect(client.port, timeout=60) as sock:
            sock.sendall(("PUT /spool/big HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in hdrs.items())
                          + "\r\n").encode())
            block = bytes(range(256)) * 4096
            for _ in range(size // len(block)):
                sock.sendall(block)
            assert _read_response(sock)[0].startswith("HTTP/1.1 200")
        growth_mib = (_rss_kib(proc.pid, "VmHWM") - before) / 1024
        assert growth_mib < 2.5 * 64, growth_mib
        head = client.request("HEAD", "/spool/big")
        assert head.status == 200 and head.header("content-length") == str(size)

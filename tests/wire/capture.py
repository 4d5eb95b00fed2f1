"""Runs the wire case table against one SDK and records what it would send and what it returns.

Both interpreters run this file:

* ours:  ``python tests/wire/capture.py --side ours --out ours.json``
* ibm:   ``/path/to/venv/bin/python -I tests/wire/capture.py --side ibm --out ibm.json``
  (run from a directory outside the repo: with ``-I`` neither the current directory nor the
  script's directory is put on ``sys.path``, so ``import ibm_boto3`` finds the real SDK;
  the script checks that).

Nothing goes over the network.  A handler on ``before-send.s3.*`` (registered on
``client.meta.events``) records method, URL, headers and the body bytes (file-like and
aws-chunked bodies are read to the end) and answers with the case's canned response built
from the SDK's own ``awsrequest.AWSResponse``; the parsed result or the raised error is
recorded too.  The only listening socket is a fake IAM token service on 127.0.0.1 for the
API-key variant.

To make signatures comparable, the clock the signers read (``<sdk>.auth.datetime``,
``<sdk>.auth.formatdate``), the invocation id (``<sdk>.endpoint.uuid``) and the retry sleep
(``<sdk>.endpoint.time``) are replaced while the cases run, in both SDKs alike.

``diff_record`` compares two records; ``compare_with_ibm_cos_sdk.py`` and
``test_wire_snapshots.py`` use it.
"""
from __future__ import annotations

import argparse
import base64
import contextlib
import copy
import datetime
import fnmatch
import hashlib
import http.client
import io
import json
import os
import socketserver
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import types
import uuid
import warnings
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, Iterator, List, Optional, Tuple
from urllib.parse import parse_qsl, urlsplit

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

import wire_cases  # noqa: E402  (stdlib only; safe in both interpreters)

FROZEN_NOW = datetime.datetime(2030, 1, 2, 3, 4, 5)
FROZEN_AMZ_DATE = "20300102T030405Z"
FROZEN_HTTP_DATE = "Wed, 02 Jan 2030 03:04:05 GMT"
FROZEN_UUID = uuid.UUID("00000000-0000-4000-8000-0000000000aa")


# --- which SDK ------------------------------------------------------------------------------------
class SDK:
    """The imported modules of one SDK (ours or ibm-cos-sdk)."""

    def __init__(self, side: str) -> None:
        if side == "ours" and REPO not in sys.path:
            sys.path.insert(0, REPO)
        import ibm_boto3
        import ibm_boto3.session
        import ibm_botocore
        import ibm_botocore.auth
        import ibm_botocore.awsrequest
        import ibm_botocore.config
        import ibm_botocore.endpoint
        import ibm_botocore.exceptions

        inside_repo = os.path.abspath(ibm_botocore.__file__).startswith(REPO + os.sep)
        if side == "ibm" and inside_repo:
            raise SystemExit("--side ibm imported this repo's ibm_botocore (%s); run with -I from outside the repo" % ibm_botocore.__file__)
        self.side = side
        self.boto3 = ibm_boto3
        self.botocore = ibm_botocore
        self.auth = ibm_botocore.auth
        self.awsrequest = ibm_botocore.awsrequest
        self.config = ibm_botocore.config
        self.endpoint = ibm_botocore.endpoint
        self.exceptions = ibm_botocore.exceptions
        self.version = getattr(ibm_boto3, "__version__", "?")
        self.location = os.path.dirname(os.path.abspath(ibm_botocore.__file__))


# --- deterministic clock, ids and retries ------------------------------------------------------------
class _FrozenDateTime(datetime.datetime):
    @classmethod
    def utcnow(cls):  # type: ignore[override]
        return cls(2030, 1, 2, 3, 4, 5)

    @classmethod
    def now(cls, tz=None):  # type: ignore[override]
        if tz is None:
            return cls(2030, 1, 2, 3, 4, 5)
        return cls(2030, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc).astimezone(tz)


def _frozen_datetime_module() -> types.ModuleType:
    shim = types.ModuleType("datetime")
    for name in dir(datetime):
        if not name.startswith("__"):
            setattr(shim, name, getattr(datetime, name))
    shim.datetime = _FrozenDateTime  # type: ignore[attr-defined]
    return shim


def _frozen_formatdate(timeval: Any = None, localtime: bool = False, usegmt: bool = False) -> str:
    if timeval is None:
        return FROZEN_HTTP_DATE
    from email.utils import formatdate

    return formatdate(timeval, localtime, usegmt)


def _uuid_module() -> types.ModuleType:
    shim = types.ModuleType("uuid")
    for name in dir(uuid):
        if not name.startswith("__"):
            setattr(shim, name, getattr(uuid, name))
    shim.uuid4 = lambda: FROZEN_UUID  # type: ignore[attr-defined]
    return shim


def _time_module() -> types.ModuleType:
    shim = types.ModuleType("time")
    for name in dir(time):
        if not name.startswith("__"):
            setattr(shim, name, getattr(time, name))
    shim.sleep = lambda seconds: None  # type: ignore[attr-defined]
    return shim


@contextlib.contextmanager
def frozen(sdk: SDK) -> Iterator[None]:
    """Freeze what makes requests differ run to run (restored afterwards)."""
    patches = [
        (sdk.auth, "datetime", _frozen_datetime_module()),
        (sdk.auth, "formatdate", _frozen_formatdate),
        (sdk.auth, "_http_date", lambda: FROZEN_HTTP_DATE),
        (sdk.endpoint, "uuid", _uuid_module()),
        (sdk.endpoint, "uuid4_str", lambda: str(FROZEN_UUID)),
        (sdk.endpoint, "time", _time_module()),
    ]
    saved = []
    for module, name, value in patches:
        if hasattr(module, name):
            saved.append((module, name, getattr(module, name)))
            setattr(module, name, value)
    try:
        yield
    finally:
        for module, name, value in saved:
            setattr(module, name, value)


_ENV_PREFIXES = ("AWS_", "IBM_", "COS_", "BOTO_")


@contextlib.contextmanager
def clean_environment() -> Iterator[None]:
    """No credentials, profiles or checksum/retry settings from the environment."""
    saved = dict(os.environ)
    try:
        for name in list(os.environ):
            if name.startswith(_ENV_PREFIXES) and name != "AWS_CA_BUNDLE":
                del os.environ[name]
        missing = os.path.join(tempfile.gettempdir(), "wire-harness-no-such-file")
        os.environ["AWS_CONFIG_FILE"] = missing
        os.environ["AWS_SHARED_CREDENTIALS_FILE"] = missing
        os.environ["COS_CREDENTIALS_FILE"] = missing
        os.environ["NO_PROXY"] = "127.0.0.1,localhost"
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


# --- fake IAM token service (127.0.0.1 only) -------------------------------------------------------------
class FakeIAM:
    """Answers every POST with a token; remembers what was asked."""

    COMPARED_HEADERS = ("accept", "authorization", "cache-control", "content-type")

    def __init__(self) -> None:
        self.requests: List[Dict[str, Any]] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode("utf-8")
                owner.requests.append(
                    {
                        "method": "POST",
                        "path": self.path,
                        "headers": {k.lower(): v for k, v in self.headers.items() if k.lower() in FakeIAM.COMPARED_HEADERS},
                        "form": [list(pair) for pair in sorted(parse_qsl(body, keep_blank_values=True))],
                    }
                )
                payload = json.dumps(
                    {"access_token": wire_cases.TOKEN, "refresh_token": "r", "token_type": "Bearer", "expires_in": 3600,
                     "expiration": int(time.time()) + 3600}
                ).encode("utf-8")
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = "http://127.0.0.1:%d/identity/token" % self.server.server_address[1]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


# --- a raw HTTP(S) capture server (socket variants) -------------------------------------------------------------
def make_tls_context(directory: str) -> Optional[ssl.SSLContext]:
    """A server TLS context with a throw-away self-signed certificate for 127.0.0.1 (needs openssl)."""
    cert, key = os.path.join(directory, "cert.pem"), os.path.join(directory, "key.pem")
    command = ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
               "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"]
    try:
        subprocess.run(command, check=True, capture_output=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return None
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return context


class RawCaptureServer:
    """Reads requests off the socket exactly as sent and answers with the current canned responses.

    Records the request line, the header lines (as sent) and the body: the HTTP chunked
    framing, if any, is removed (its chunk sizes are the transport's business) and noted.
    """

    def __init__(self, tls_context: Optional[ssl.SSLContext] = None) -> None:
        self.requests: List[Dict[str, Any]] = []
        self.responses: List[Dict[str, Any]] = [{"status": 200, "headers": {}, "body": b""}]
        owner = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                connection = self.request
                if tls_context is not None:
                    try:
                        connection = tls_context.wrap_socket(connection, server_side=True)
                    except (ssl.SSLError, OSError):
                        return
                stream = connection.makefile("rb")
                try:
                    while owner._serve_one(connection, stream):
                        pass
                except (OSError, ValueError):
                    pass
                finally:
                    stream.close()

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()
        scheme = "https" if tls_context is not None else "http"
        self.endpoint = "%s://127.0.0.1:%d" % (scheme, self.server.server_address[1])

    def reset(self, responses: List[Dict[str, Any]]) -> None:
        self.requests = []
        self.responses = list(responses)

    def _serve_one(self, connection: Any, stream: Any) -> bool:
        line = stream.readline()
        if not line:
            return False
        method, target, _ = line.decode("latin-1").rstrip("\r\n").split(" ", 2)
        header_lines: List[Tuple[str, str]] = []
        while True:
            raw = stream.readline()
            if raw in (b"\r\n", b"\n", b""):
                break
            name, _, value = raw.decode("latin-1").rstrip("\r\n").partition(":")
            header_lines.append((name, value.strip()))
        headers = {name.lower(): value for name, value in header_lines}
        if headers.get("expect", "").lower() == "100-continue":
            connection.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
        framing = "none"
        body = b""
        if "chunked" in headers.get("transfer-encoding", "").lower():
            framing, pieces = "chunked", []
            while True:
                size = int(stream.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while stream.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    break
                pieces.append(stream.read(size))
                stream.readline()
            body = b"".join(pieces)
        elif "content-length" in headers:
            framing = "length"
            body = stream.read(int(headers["content-length"]))
        self.requests.append({"method": method, "target": target, "header_lines": header_lines, "headers": headers,
                              "body": body, "framing": framing})
        spec = self.responses[min(len(self.requests), len(self.responses)) - 1]
        payload = spec.get("body", b"")
        lines = ["HTTP/1.1 %d %s" % (spec["status"], http.client.responses.get(spec["status"], "Unknown"))]
        response_headers = dict(spec.get("headers", {}))
        if not any(name.lower() in ("content-length", "transfer-encoding") for name in response_headers):
            response_headers["Content-Length"] = str(len(payload))
        for name, value in response_headers.items():
            lines.append("%s: %s" % (name, value))
        connection.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (b"" if method == "HEAD" else payload))
        return headers.get("connection", "").lower() != "close"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def record_socket_request(raw: Dict[str, Any]) -> Dict[str, Any]:
    """A socket-captured request in the same form as record_request (host port normalized)."""
    parts = urlsplit(raw["target"])
    query = []
    if parts.query:
        for piece in parts.query.split("&"):
            key, sep, value = piece.partition("=")
            query.append([key, value] if sep else [key, None])
    headers = dict(raw["headers"])
    host = headers.pop("host", "")
    return {
        "method": raw["method"],
        "scheme": "socket",
        "host": host.rsplit(":", 1)[0] + ":<port>" if ":" in host else host,
        "path": parts.path,
        "query": sorted(query, key=lambda pair: (pair[0], pair[1] or "")),
        "headers": headers,
        "framing": raw["framing"],
        "body": encode_bytes(raw["body"]),
    }


# --- the fake transport --------------------------------------------------------------------------------------
class FakeRaw:
    """Stands in for the urllib3 response: read/readinto/stream over canned bytes."""

    def __init__(self, data: bytes) -> None:
        self._buffer = io.BytesIO(data)
        self.closed = False

    def read(self, amt: Optional[int] = None, decode_content: Any = None) -> bytes:
        return self._buffer.read() if amt is None else self._buffer.read(amt)

    def readinto(self, target: Any) -> int:
        return self._buffer.readinto(target)

    def stream(self, amt: int = 1024, decode_content: Any = None) -> Iterator[bytes]:
        while True:
            chunk = self._buffer.read(amt)
            if not chunk:
                return
            yield chunk

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        self.closed = True

    def release_conn(self) -> None:
        pass


def _read_body(body: Any) -> bytes:
    if body is None:
        return b""
    if isinstance(body, (bytes, bytearray, memoryview)):
        return bytes(body)
    if isinstance(body, str):
        return body.encode("utf-8")
    if hasattr(body, "read"):
        chunks = []
        while True:
            chunk = body.read(65536)
            if not chunk:
                break
            chunks.append(chunk.encode("utf-8") if isinstance(chunk, str) else bytes(chunk))
        return b"".join(chunks)
    return b"".join(bytes(part) for part in body)


LONG_BODY = 1024


def encode_bytes(data: bytes) -> str:
    """Bytes as readable text when they are UTF-8, else base64 (prefixed so both are unambiguous).

    Long payloads are kept as a digest plus their first bytes (enough to compare, small to store).
    """
    if len(data) > LONG_BODY:
        return "sha256:%s len=%d head=%r" % (hashlib.sha256(data).hexdigest(), len(data), data[:48])
    try:
        return "text:" + data.decode("utf-8")
    except UnicodeDecodeError:
        return "b64:" + base64.b64encode(data).decode("ascii")


def _header_text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("latin-1")
    return str(value)


def record_request(request: Any) -> Dict[str, Any]:
    parts = urlsplit(request.url)
    query = []
    if parts.query:
        for piece in parts.query.split("&"):
            key, sep, value = piece.partition("=")
            query.append([key, value] if sep else [key, None])
    headers = {}
    for name, value in request.headers.items():
        headers[name.lower()] = _header_text(value)
    return {
        "method": request.method,
        "scheme": parts.scheme,
        "host": parts.netloc,
        "path": parts.path,
        "query": sorted(query, key=lambda pair: (pair[0], pair[1] or "")),
        "headers": headers,
        "body": encode_bytes(_read_body(request.body)),
    }


class Transport:
    """The before-send handler: records requests, answers with canned responses in turn."""

    def __init__(self, sdk: SDK) -> None:
        self.sdk = sdk
        self.requests: List[Dict[str, Any]] = []
        self.responses: List[Dict[str, Any]] = []

    def reset(self, responses: List[Dict[str, Any]]) -> None:
        self.requests = []
        self.responses = list(responses)

    def __call__(self, request: Any = None, **kwargs: Any) -> Any:
        self.requests.append(record_request(request))
        spec = self.responses[min(len(self.requests), len(self.responses)) - 1]
        awsrequest = self.sdk.awsrequest
        headers = awsrequest.HeadersDict(spec.get("headers", {}))
        return awsrequest.AWSResponse(request.url, spec["status"], headers, FakeRaw(spec.get("body", b"")))


# --- normalizing results ------------------------------------------------------------------------------------
def normalize(value: Any) -> Any:
    """Parsed responses -> JSON-able data that keeps types visible (datetimes, bytes, streams)."""
    if isinstance(value, dict):
        return {str(k): normalize(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [normalize(v) for v in value]
    if isinstance(value, bool) or value is None or isinstance(value, (str, int, float)):
        return value
    if isinstance(value, datetime.datetime):
        return {"$datetime": value.isoformat(), "tz": value.tzinfo is not None and value.utcoffset() is not None}
    if isinstance(value, (bytes, bytearray)):
        return {"$bytes": encode_bytes(bytes(value))}
    if hasattr(value, "read"):
        out: Dict[str, Any] = {"$stream": None}
        chunks = []
        try:
            while True:
                chunk = value.read(7)
                if not chunk:
                    break
                chunks.append(chunk)
        except Exception as exc:  # the error a user reading the body would see
            out["$stream_error"] = type(exc).__name__
        out["$stream"] = encode_bytes(b"".join(chunks))
        return out
    return {"$type": type(value).__name__}


def describe_exception(exc: BaseException, sdk: SDK) -> Dict[str, Any]:
    out: Dict[str, Any] = {
        "class": type(exc).__name__,
        "is_client_error": isinstance(exc, sdk.exceptions.ClientError),
        "is_botocore_error": isinstance(exc, sdk.exceptions.BotoCoreError),
        "message": str(exc),
    }
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        out["response"] = normalize(response)
        out["operation_name"] = getattr(exc, "operation_name", None)
    return out


def describe_params(params: Any) -> Any:
    if isinstance(params, dict):
        return {str(k): describe_params(v) for k, v in params.items()}
    if isinstance(params, (list, tuple)):
        return [describe_params(v) for v in params]
    if isinstance(params, datetime.datetime):
        return {"$datetime": params.isoformat()}
    if isinstance(params, (bytes, bytearray)):
        return {"$bytes": encode_bytes(bytes(params))}
    if hasattr(params, "read") and hasattr(params, "seek"):
        position = params.tell()
        data = params.read()
        params.seek(position)
        return {"$file": encode_bytes(data if isinstance(data, bytes) else data.encode("utf-8")), "position": position}
    return params


def params_digest(params: Any) -> str:
    text = json.dumps(describe_params(params), sort_keys=True, ensure_ascii=True)
    return hashlib.sha256(text.encode("ascii")).hexdigest()[:16]


class ParamContext:
    """Handed to a case's params builder: opens files that are closed after the call."""

    def __init__(self, directory: str) -> None:
        self.directory = directory
        self.opened: List[Any] = []

    def file(self, content: bytes) -> Any:
        path = os.path.join(self.directory, "body-%d.bin" % len(self.opened))
        with open(path, "wb") as handle:
            handle.write(content)
        handle = open(path, "rb")
        self.opened.append(handle)
        return handle

    @staticmethod
    def seek(stream: Any, position: int) -> Any:
        stream.seek(position)
        return stream

    def close(self) -> None:
        for handle in self.opened:
            handle.close()
        self.opened = []


# --- clients ------------------------------------------------------------------------------------------------
def _merge(base: Dict[str, Any], extra: Dict[str, Any]) -> Dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def make_client(sdk: SDK, variant: str, overrides: Dict[str, Any], iam_url: str, endpoint: Optional[str] = None) -> Any:
    spec = wire_cases.VARIANTS[variant]
    config = _merge(spec["config"], overrides)
    if config.get("signature_version") == "UNSIGNED":
        config["signature_version"] = sdk.botocore.UNSIGNED
    kwargs: Dict[str, Any] = {"endpoint_url": endpoint or spec["endpoint"], "config": sdk.config.Config(**config)}
    if spec.get("socket"):
        kwargs["verify"] = False  # the capture server's certificate is self-signed
    auth = spec["auth"]
    if auth == "hmac":
        kwargs.update(aws_access_key_id=wire_cases.ACCESS_KEY, aws_secret_access_key=wire_cases.SECRET_KEY)
    elif auth == "oauth-fn":
        kwargs.update(auth_function=wire_cases.auth_function)
    elif auth == "oauth-apikey":
        kwargs.update(ibm_api_key_id=wire_cases.API_KEY, auth_function=wire_cases.ignored_auth_function, ibm_auth_endpoint=iam_url)
    if spec.get("service_instance_id"):
        kwargs["ibm_service_instance_id"] = spec["service_instance_id"]
    session = sdk.boto3.session.Session()  # one session per client: the instance id lives on the session
    return session.client("s3", **kwargs)


# --- running ------------------------------------------------------------------------------------------------
def _selected(name: str, patterns: Optional[List[str]]) -> bool:
    return not patterns or any(fnmatch.fnmatchcase(name, pattern) for pattern in patterns)


def _auth_record(headers: Dict[str, str]) -> Dict[str, Any]:
    """Authorization, comparable when the clock was frozen; otherwise without the signature."""
    value = headers.get("authorization")
    frozen_ok = headers.get("x-amz-date", FROZEN_AMZ_DATE) == FROZEN_AMZ_DATE and headers.get("date", FROZEN_HTTP_DATE) == FROZEN_HTTP_DATE
    if value is None:
        return {"authorization": None}
    if value.startswith("AWS4-HMAC-SHA256 ") and frozen_ok:
        # credential scope and signed headers in full, the signature shortened (64 hex -> 16)
        head, _, signature = value.partition(", Signature=")
        return {"authorization": "%s, Signature=%s..." % (head, signature[:16])}
    if not frozen_ok:
        if value.startswith("AWS4-HMAC-SHA256"):
            value = value.split(", Signature=")[0]
        elif value.startswith("AWS "):
            value = value.split(":")[0]
        return {"authorization": value, "clock": "not frozen"}
    return {"authorization": value}


def run_cases(
    side: str,
    case_patterns: Optional[List[str]] = None,
    variant_patterns: Optional[List[str]] = None,
    sdk: Optional[SDK] = None,
) -> Dict[str, Any]:
    """Run the selected cases on the selected variants; returns the result document."""
    sdk = sdk or SDK(side)
    cases = [case for case in wire_cases.CASES if _selected(case.id, case_patterns)]
    variants = [name for name in wire_cases.VARIANTS if _selected(name, variant_patterns)]
    results: Dict[str, Any] = {}
    iam_requests: Dict[str, Any] = {}
    tmpdir = tempfile.mkdtemp(prefix="wire-capture-")
    iam = FakeIAM()
    try:
        with clean_environment(), frozen(sdk), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # urllib3's InsecureRequestWarning for the self-signed capture server
            for variant in variants:
                server = _socket_server(variant, tmpdir)
                if server is False:
                    # no openssl for the TLS capture server: that variant cannot run here
                    for case in cases:
                        if variant in case.variants:
                            results.setdefault(case.id, {})[variant] = {"skipped": "openssl is needed for the TLS capture server"}
                    continue
                clients: Dict[str, Any] = {}
                try:
                    for case in cases:
                        if variant not in case.variants:
                            continue
                        key = json.dumps(case.config, sort_keys=True)
                        if key not in clients:
                            clients[key] = _client_or_error(sdk, variant, case.config, iam.url, server)
                        record = _run_one(sdk, clients[key], case, tmpdir, server)
                        results.setdefault(case.id, {})[variant] = record
                finally:
                    for entry in clients.values():
                        if not isinstance(entry, dict):
                            entry.close()
                    if server is not None:
                        server.close()
                if iam.requests:
                    iam_requests[variant] = iam.requests[:1]
                    iam.requests.clear()
    finally:
        iam.close()
    return {
        "side": side,
        "sdk_version": sdk.version,
        "sdk_location": sdk.location,
        "python": sys.version.split()[0],
        "results": results,
        "iam_requests": iam_requests,
    }


def _socket_server(variant: str, tmpdir: str) -> Any:
    """The capture server of a socket variant (None for hook variants, False when TLS is unavailable)."""
    spec = wire_cases.VARIANTS[variant]
    if not spec.get("socket"):
        return None
    if spec["endpoint"].startswith("https"):
        context = make_tls_context(tmpdir)
        if context is None:
            return False
        return RawCaptureServer(context)
    return RawCaptureServer()


def _client_or_error(sdk: SDK, variant: str, overrides: Dict[str, Any], iam_url: str, server: Any = None) -> Any:
    try:
        client = make_client(sdk, variant, overrides, iam_url, server.endpoint if server else None)
    except Exception as exc:
        return {"client_error": describe_exception(exc, sdk)}
    if server is None:
        transport = Transport(sdk)
        client.meta.events.register("before-send.s3.*", transport)
        client._wire_transport = transport
    return client


SAME_AS_RESPONSE = "$ the response's headers, lower-cased"


def _drop_server_headers(outcome: Dict[str, Any]) -> None:
    """Socket variants: the capture server adds Content-Length to what was canned; compare the rest."""
    holder = outcome.get("result") or (outcome.get("error") or {}).get("response") or {}
    metadata = holder.get("ResponseMetadata") if isinstance(holder, dict) else None
    if isinstance(metadata, dict) and isinstance(metadata.get("HTTPHeaders"), dict):
        metadata["HTTPHeaders"].pop("content-length", None)


def _compact_http_headers(outcome: Dict[str, Any], response: Dict[str, Any]) -> None:
    """ResponseMetadata.HTTPHeaders that merely repeat the canned headers are recorded as such."""
    expected = {name.lower(): value for name, value in response.get("headers", {}).items()}
    holder = outcome.get("result") or (outcome.get("error") or {}).get("response") or {}
    metadata = holder.get("ResponseMetadata") if isinstance(holder, dict) else None
    if isinstance(metadata, dict) and metadata.get("HTTPHeaders") == expected:
        metadata["HTTPHeaders"] = SAME_AS_RESPONSE


def _run_one(sdk: SDK, client: Any, case: Any, tmpdir: str, server: Any = None) -> Dict[str, Any]:
    context = ParamContext(tmpdir)
    try:
        params = case.params(context)
        digest = params_digest(params)
        if isinstance(client, dict):  # the client could not be created
            return {"params_digest": digest, "requests": [], "outcome": {"client_error": client["client_error"]}}
        if not hasattr(client, case.method):
            return {"params_digest": digest, "unsupported": True}
        transport = server if server is not None else client._wire_transport
        transport.reset(case.responses)
        try:
            result = getattr(client, case.method)(**params)
            outcome: Dict[str, Any] = {"result": normalize(result)}
        except Exception as exc:
            outcome = {"error": describe_exception(exc, sdk)}
        if server is not None:
            requests = [record_socket_request(raw) for raw in server.requests]
            for request in requests:
                # the signature covers the capture server's random port: keep the signed header list only
                request["auth"] = {"authorization": (request["headers"].get("authorization") or "").split(", Signature=")[0]}
                request["headers"].pop("authorization", None)
            for name in wire_cases.VOLATILE_HEADERS:
                for request in requests:
                    request["headers"].pop(name, None)
            if requests:
                _compact_http_headers(outcome, case.responses[min(len(requests), len(case.responses)) - 1])
                _drop_server_headers(outcome)
            return {"params_digest": digest, "requests": requests, "outcome": outcome}
        requests = transport.requests
        if requests:
            _compact_http_headers(outcome, case.responses[min(len(requests), len(case.responses)) - 1])
        for request in requests:
            request["auth"] = _auth_record(request["headers"])
            for name in wire_cases.VOLATILE_HEADERS:
                request["headers"].pop(name, None)
        return {"params_digest": digest, "requests": requests, "outcome": outcome}
    finally:
        context.close()


# --- comparing ----------------------------------------------------------------------------------------------
def _short(value: Any, limit: int = 160) -> str:
    text = json.dumps(value, ensure_ascii=False, sort_keys=True) if not isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _diff_values(path: str, expected: Any, actual: Any, out: List[Tuple[str, str]]) -> None:
    if isinstance(expected, dict) and isinstance(actual, dict):
        for key in sorted(set(expected) | set(actual)):
            sub = "%s.%s" % (path, key)
            if key not in actual:
                out.append((sub, "missing in ours (ibm: %s)" % _short(expected[key])))
            elif key not in expected:
                out.append((sub, "only in ours: %s" % _short(actual[key])))
            else:
                _diff_values(sub, expected[key], actual[key], out)
        return
    if isinstance(expected, list) and isinstance(actual, list):
        if len(expected) != len(actual):
            out.append((path, "list length ibm=%d ours=%d: ibm=%s ours=%s" % (len(expected), len(actual), _short(expected), _short(actual))))
            return
        for index, (left, right) in enumerate(zip(expected, actual)):
            _diff_values("%s[%d]" % (path, index), left, right, out)
        return
    if expected != actual or type(expected) is not type(actual):
        out.append((path, "ibm=%s ours=%s" % (_short(expected), _short(actual))))


def _body_diff(expected: str, actual: str) -> str:
    index = next((i for i, (a, b) in enumerate(zip(expected, actual)) if a != b), min(len(expected), len(actual)))
    start = max(0, index - 40)
    return "lengths %d/%d, first difference at %d: ibm=%r ours=%r" % (
        len(expected), len(actual), index, expected[start : index + 60], actual[start : index + 60])


def diff_request(index: int, expected: Dict[str, Any], actual: Dict[str, Any]) -> List[Tuple[str, str]]:
    out: List[Tuple[str, str]] = []
    prefix = "request[%d]" % index
    for field in ("method", "scheme", "host", "path", "framing"):
        if expected.get(field) != actual.get(field):
            out.append(("%s.%s" % (prefix, field), "ibm=%r ours=%r" % (expected.get(field), actual.get(field))))
    expected_query = sorted(tuple(pair) for pair in expected["query"])
    actual_query = sorted(tuple(pair) for pair in actual["query"])
    if expected_query != actual_query:
        missing = [p for p in expected_query if p not in actual_query]
        extra = [p for p in actual_query if p not in expected_query]
        out.append(("%s.query" % prefix, "missing in ours %s, only in ours %s" % (missing, extra)))
    headers_e, headers_a = expected["headers"], actual["headers"]
    for name in sorted(set(headers_e) | set(headers_a)):
        if name in wire_cases.VOLATILE_HEADERS:
            continue
        left, right = headers_e.get(name), headers_a.get(name)
        if left != right:
            out.append(("%s.headers.%s" % (prefix, name), "ibm=%r ours=%r" % (left, right)))
    if expected.get("auth") != actual.get("auth"):
        out.append(("%s.auth" % prefix, "ibm=%r ours=%r" % (expected.get("auth"), actual.get("auth"))))
    if expected["body"] != actual["body"]:
        out.append(("%s.body" % prefix, _body_diff(expected["body"], actual["body"])))
    return out


def diff_record(expected: Dict[str, Any], actual: Dict[str, Any]) -> List[Tuple[str, str]]:
    """Differences between ibm-cos-sdk's record (expected) and ours (actual), as (field, text)."""
    out: List[Tuple[str, str]] = []
    if expected.get("params_digest") != actual.get("params_digest"):
        out.append(("params", "the case built different parameters (ibm %s, ours %s): regenerate the snapshot"
                    % (expected.get("params_digest"), actual.get("params_digest"))))
        return out
    if actual.get("unsupported"):
        out.append(("operation", "not available on our client"))
        return out
    left, right = expected.get("requests", []), actual.get("requests", [])
    if len(left) != len(right):
        out.append(("requests.count", "ibm sent %d request(s), ours %d" % (len(left), len(right))))
    for index, (one, two) in enumerate(zip(left, right)):
        out.extend(diff_request(index, one, two))
    _diff_values("outcome", expected.get("outcome"), actual.get("outcome"), out)
    return out


def ours_only_problems(actual: Dict[str, Any]) -> List[str]:
    """Sanity checks for operations ibm-cos-sdk does not have (nothing to compare with)."""
    problems = []
    if actual.get("unsupported"):
        problems.append("operation missing on our client")
        return problems
    if not actual.get("requests"):
        problems.append("no request was sent")
    error = actual.get("outcome", {}).get("error")
    if error and not error.get("is_client_error"):
        problems.append("raised %s: %s" % (error["class"], error["message"]))
    return problems


def classify(case_id: str, variant: str, expected: Dict[str, Any], actual: Dict[str, Any]) -> Tuple[str, List[Tuple[str, str, Optional[str]]]]:
    """('PASS'|'DIFF'|'ALLOWED'|'PENDING'|'OURS-ONLY'|'OURS-ONLY-FAIL', [(field, text, reason)]).

    ALLOWED: every difference is a deliberate one (allowlist); PENDING: every difference is
    allowed or a known open one (``wire_cases.PENDING_DIFFERENCES``), at least one open.
    """
    if actual.get("skipped"):
        return "SKIPPED", [("skipped", actual["skipped"], None)]
    if expected.get("unsupported"):
        problems = ours_only_problems(actual)
        return ("OURS-ONLY-FAIL" if problems else "OURS-ONLY"), [("ours-only", p, None) for p in problems]
    items = []
    pending = False
    for field, text in diff_record(expected, actual):
        reason = wire_cases.allowed_reason(case_id, variant, field)
        if reason is None:
            reason = wire_cases.pending_reason(case_id, variant, field)
            if reason is not None:
                pending = True
                reason = "PENDING: " + reason
        items.append((field, text, reason))
    if not items:
        return "PASS", items
    if not all(reason for _, _, reason in items):
        return "DIFF", items
    return ("PENDING" if pending else "ALLOWED"), items


def strip_for_snapshot(document: Dict[str, Any]) -> Dict[str, Any]:
    """The committed form of an ibm-cos-sdk run (volatile headers were already dropped).

    Per case: the parameter digest, the outcome once when every variant had the same one,
    and per variant the requests (and the outcome where it differs).
    """
    cases: Dict[str, Any] = {}
    for case_id, by_variant in document["results"].items():
        records = list(by_variant.values())
        entry: Dict[str, Any] = {"params_digest": records[0]["params_digest"]}
        if records[0].get("unsupported"):
            entry["unsupported"] = True
            entry["variants"] = sorted(by_variant)
            cases[case_id] = entry
            continue
        outcomes = {json.dumps(r.get("outcome"), sort_keys=True) for r in records}
        shared = len(outcomes) == 1
        if shared:
            entry["outcome"] = records[0].get("outcome")
        base_variant = wire_cases.MAIN_VARIANT if wire_cases.MAIN_VARIANT in by_variant else next(iter(by_variant))
        base = by_variant[base_variant].get("requests", [])
        entry["base_variant"] = base_variant
        entry["requests"] = base
        entry["variants"] = {}
        for variant, record in by_variant.items():
            item: Dict[str, Any] = {}
            requests = record.get("requests", [])
            if variant != base_variant:
                if len(requests) == len(base):
                    item["deltas"] = [_request_delta(one, two) for one, two in zip(requests, base)]
                else:
                    item["requests"] = requests
            if not shared:
                item["outcome"] = record.get("outcome")
            entry["variants"][variant] = item
        cases[case_id] = entry
    return {
        "generated_by": "tests/wire/compare_with_ibm_cos_sdk.py --update-snapshot",
        "sdk": "ibm-cos-sdk %s (python %s)" % (document["sdk_version"], document["python"]),
        "volatile_headers": sorted(wire_cases.VOLATILE_HEADERS),
        "cases": cases,
        "iam_requests": document["iam_requests"],
    }


_REQUEST_FIELDS = ("method", "scheme", "host", "path", "query", "body", "auth", "framing")


def _request_delta(request: Dict[str, Any], base: Dict[str, Any]) -> Dict[str, Any]:
    """What one variant's request has that the base variant's request does not."""
    delta: Dict[str, Any] = {field: request[field] for field in _REQUEST_FIELDS if request.get(field) != base.get(field)}
    changed = {name: value for name, value in request["headers"].items() if base["headers"].get(name) != value}
    removed = sorted(name for name in base["headers"] if name not in request["headers"])
    if changed:
        delta["headers"] = changed
    if removed:
        delta["headers_removed"] = removed
    return delta


def _apply_delta(base: Dict[str, Any], delta: Dict[str, Any]) -> Dict[str, Any]:
    request = copy.deepcopy(base)
    for field in _REQUEST_FIELDS:
        if field in delta:
            request[field] = delta[field]
    request["headers"].update(delta.get("headers", {}))
    for name in delta.get("headers_removed", ()):
        request["headers"].pop(name, None)
    return request


def expand_snapshot(snapshot: Dict[str, Any]) -> Dict[str, Any]:
    """The inverse of strip_for_snapshot: ``{'results': {case: {variant: record}}, 'iam_requests'}``."""
    results: Dict[str, Any] = {}
    for case_id, entry in snapshot["cases"].items():
        by_variant: Dict[str, Any] = {}
        if entry.get("unsupported"):
            for variant in entry["variants"]:
                by_variant[variant] = {"params_digest": entry["params_digest"], "unsupported": True}
        else:
            for variant, item in entry["variants"].items():
                if variant == entry["base_variant"]:
                    requests = entry["requests"]
                elif "deltas" in item:
                    requests = [_apply_delta(base, delta) for base, delta in zip(entry["requests"], item["deltas"])]
                else:
                    requests = item["requests"]
                by_variant[variant] = {
                    "params_digest": entry["params_digest"],
                    "requests": requests,
                    "outcome": item["outcome"] if "outcome" in item else entry.get("outcome"),
                }
        results[case_id] = by_variant
    return {"results": results, "iam_requests": snapshot.get("iam_requests", {})}


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--side", choices=("ours", "ibm"), required=True)
    parser.add_argument("--out", required=True, help="where to write the JSON result document")
    parser.add_argument("--case", action="append", help="fnmatch pattern of case ids (repeatable)")
    parser.add_argument("--variant", action="append", help="fnmatch pattern of variant names (repeatable)")
    args = parser.parse_args(argv)
    document = run_cases(args.side, args.case, args.variant)
    with open(args.out, "w", encoding="utf-8") as handle:
        json.dump(document, handle, ensure_ascii=False, sort_keys=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

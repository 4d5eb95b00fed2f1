"""A fast, canned S3 responder for the benchmarks (stdlib only, any Python >= 3.8).

It is started by ``benchmarks/calls.py`` in its own process, so its CPU time is
not charged to the client being measured.  It speaks just enough HTTP/1.1 for an
S3 SDK on a keep-alive connection:

* parses the request line, the headers and the body (``Content-Length``,
  ``Transfer-Encoding: chunked``, and answers ``Expect: 100-continue``; an
  ``aws-chunked`` body is sent either with a Content-Length or chunked, so it is
  simply read and thrown away);
* never checks signatures;
* answers from precomputed byte strings:

  ======================  ===================================================
  HEAD /bucket/key        200, Content-Length, ETag, Last-Modified,
                          Content-Type, x-amz-request-id (no body)
  GET  /bucket/key        200 with an ``--object-size`` body (1 KiB)
  PUT  /bucket/key        200 with an ETag
  GET  /bucket?list-type=2  ListBucketResult with ``--list-keys`` (1,000)
                          <Contents> (Key, LastModified, ETag, Size,
                          StorageClass, Owner), IsTruncated false
  GET  /bucket            the same listing in the ListObjects (v1) shape
  GET  /                  ListAllMyBucketsResult
  PUT  /bucket            200 (create bucket)
  DELETE ...              204
  POST ...                200 with an empty result document
  ======================  ===================================================

Usage: ``python _responder.py [--host 127.0.0.1] [--port 0]``.  The first line
written to stdout is ``PORT <n>``; the server runs until it is terminated or
its stdin is closed.
"""

import argparse
import hashlib
import os
import socket
import sys
import threading
import time
from email.utils import formatdate
from urllib.parse import parse_qsl, unquote

OWNER_ID = "bench-owner-0123456789abcdef"
OWNER_NAME = "bench-owner"
LAST_MODIFIED_HTTP = "Wed, 01 May 2024 12:00:00 GMT"


class Canned:
    """Every response body and header block, built once."""

    def __init__(self, object_size, list_keys):
        self.object_body = (b"0123456789abcdef" * (object_size // 16 + 1))[:object_size]
        self.object_etag = '"%s"' % hashlib.md5(self.object_body).hexdigest()
        self.list_keys = list_keys
        self._lists = {}
        self._lock = threading.Lock()
        self._date = (0, b"")

    # -- helpers -----------------------------------------------------------

    def date(self):
        now = int(time.time())
        if now != self._date[0]:
            self._date = (now, formatdate(now, usegmt=True).encode("ascii"))
        return self._date[1]

    def listing(self, bucket, query, v2):
        prefix = query.get("prefix", "")
        enc = query.get("encoding-type", "")
        max_keys = query.get("max-keys", "1000")
        cache_key = (bucket, prefix, enc, max_keys, v2)
        body = self._lists.get(cache_key)
        if body is None:
            with self._lock:
                body = self._build_listing(bucket, prefix, enc, max_keys, v2)
                self._lists[cache_key] = body
        return body

    def _build_listing(self, bucket, prefix, enc, max_keys, v2):
        def esc(s):
            return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

        key_prefix = prefix if prefix else "bench/list/"
        parts = [
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">',
            "<Name>%s</Name>" % esc(bucket),
            "<Prefix>%s</Prefix>" % esc(prefix),
        ]
        if v2:
            parts.append("<KeyCount>%d</KeyCount>" % self.list_keys)
        else:
            parts.append("<Marker></Marker>")
        parts.append("<MaxKeys>%s</MaxKeys>" % esc(max_keys))
        parts.append("<Delimiter></Delimiter>")
        if enc:
            parts.append("<EncodingType>%s</EncodingType>" % esc(enc))
        parts.append("<IsTruncated>false</IsTruncated>")
        for i in range(self.list_keys):
            key = "%sobject-%06d.dat" % (key_prefix, i)
            etag = hashlib.md5(key.encode("utf-8")).hexdigest()
            parts.append(
                "<Contents><Key>%s</Key>"
                "<LastModified>2024-05-%02dT%02d:%02d:%02d.000Z</LastModified>"
                "<ETag>&quot;%s&quot;</ETag><Size>%d</Size>"
                "<StorageClass>STANDARD</StorageClass>"
                "<Owner><ID>%s</ID><DisplayName>%s</DisplayName></Owner>"
                "</Contents>"
                % (esc(key), 1 + i % 28, i % 24, i % 60, (i * 7) % 60,
                   etag, 1024 + i, OWNER_ID, OWNER_NAME)
            )
        parts.append("</ListBucketResult>")
        return "".join(parts).encode("utf-8")


def build_response(status, headers, body, date, request_id):
    lines = [b"HTTP/1.1 " + status]
    lines.append(b"Date: " + date)
    lines.append(b"x-amz-request-id: " + request_id)
    lines.append(b"x-amz-id-2: " + request_id)
    lines.append(b"Server: bench-responder")
    for name, value in headers:
        lines.append(name + b": " + value)
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


class Connection(threading.Thread):
    daemon = True

    def __init__(self, sock, canned):
        threading.Thread.__init__(self)
        self.sock = sock
        self.canned = canned
        self.buf = b""
        self.counter = 0

    # -- low level reads ---------------------------------------------------

    def _fill(self):
        data = self.sock.recv(262144)
        if not data:
            raise EOFError
        self.buf += data

    def _read_exact(self, n):
        while len(self.buf) < n:
            self._fill()
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def _read_line(self):
        while True:
            idx = self.buf.find(b"\r\n")
            if idx >= 0:
                line, self.buf = self.buf[:idx], self.buf[idx + 2:]
                return line
            self._fill()

    def _read_chunked(self):
        total = 0
        while True:
            size_line = self._read_line()
            size = int(size_line.split(b";", 1)[0].strip() or b"0", 16)
            if size == 0:
                # trailers, up to an empty line
                while self._read_line():
                    pass
                return total
            self._read_exact(size)
            total += size
            self._read_line()  # CRLF after the chunk data

    # -- request loop ------------------------------------------------------

    def run(self):
        try:
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            while self.handle_one():
                pass
        except (EOFError, OSError, ValueError):
            pass
        finally:
            try:
                self.sock.close()
            except OSError:
                pass

    def handle_one(self):
        while True:
            end = self.buf.find(b"\r\n\r\n")
            if end >= 0:
                break
            self._fill()
        head, self.buf = self.buf[:end], self.buf[end + 4:]
        lines = head.split(b"\r\n")
        method, target, version = lines[0].split(b" ", 2)
        content_length = 0
        chunked = False
        expect = False
        close = version == b"HTTP/1.0"
        host = b""
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                content_length = int(value.strip())
            elif name == b"transfer-encoding":
                chunked = b"chunked" in value.lower()
            elif name == b"expect":
                expect = b"100-continue" in value.lower()
            elif name == b"connection":
                v = value.strip().lower()
                if v == b"close":
                    close = True
                elif v == b"keep-alive":
                    close = False
            elif name == b"host":
                host = value.strip()

        if expect and (chunked or content_length):
            self.sock.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
        if chunked:
            body_len = self._read_chunked()
        elif content_length:
            self._read_exact(content_length)
            body_len = content_length
        else:
            body_len = 0

        self.sock.sendall(self.respond(method, target, host, body_len))
        return not close

    def respond(self, method, target, host, body_len):
        canned = self.canned
        self.counter += 1
        request_id = b"%08X%08X" % (id(self) & 0xFFFFFFFF, self.counter)
        date = canned.date()
        path, _, raw_query = target.decode("latin-1").partition("?")
        path = unquote(path)
        bucket, _, key = path.lstrip("/").partition("/")
        hostname = host.decode("latin-1").rsplit(":", 1)[0] if host else ""
        if hostname and hostname[0].isalpha() and hostname.count(".") >= 1 \
                and not hostname.startswith("localhost"):
            # virtual-hosted style: bucket.endpoint/key
            bucket, key = hostname.split(".", 1)[0], path.lstrip("/")

        if method == b"HEAD":
            if key:
                return build_response(b"200 OK", [
                    (b"Content-Length", b"%d" % len(canned.object_body)),
                    (b"Content-Type", b"application/octet-stream"),
                    (b"ETag", canned.object_etag.encode("ascii")),
                    (b"Last-Modified", LAST_MODIFIED_HTTP.encode("ascii")),
                    (b"Accept-Ranges", b"bytes"),
                ], b"", date, request_id)
            return build_response(b"200 OK", [(b"Content-Length", b"0")], b"", date, request_id)

        if method == b"GET":
            if key:
                body = canned.object_body
                return build_response(b"200 OK", [
                    (b"Content-Length", b"%d" % len(body)),
                    (b"Content-Type", b"application/octet-stream"),
                    (b"ETag", canned.object_etag.encode("ascii")),
                    (b"Last-Modified", LAST_MODIFIED_HTTP.encode("ascii")),
                    (b"Accept-Ranges", b"bytes"),
                ], body, date, request_id)
            query = dict(parse_qsl(raw_query, keep_blank_values=True))
            if bucket:
                body = canned.listing(bucket, query, query.get("list-type") == "2")
            else:
                body = (
                    b'<?xml version="1.0" encoding="UTF-8"?>\n'
                    b'<ListAllMyBucketsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
                    b"<Owner><ID>" + OWNER_ID.encode() + b"</ID><DisplayName>"
                    + OWNER_NAME.encode() + b"</DisplayName></Owner><Buckets><Bucket>"
                    b"<Name>bench-bucket</Name><CreationDate>2024-05-01T12:00:00.000Z"
                    b"</CreationDate></Bucket></Buckets></ListAllMyBucketsResult>"
                )
            return build_response(b"200 OK", [
                (b"Content-Length", b"%d" % len(body)),
                (b"Content-Type", b"application/xml"),
            ], body, date, request_id)

        if method == b"PUT":
            headers = [(b"Content-Length", b"0")]
            if key:
                headers.append((b"ETag", canned.object_etag.encode("ascii")))
            return build_response(b"200 OK", headers, b"", date, request_id)

        if method == b"DELETE":
            return build_response(b"204 No Content", [], b"", date, request_id)

        body = (b'<?xml version="1.0" encoding="UTF-8"?>\n'
                b'<DeleteResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"></DeleteResult>')
        return build_response(b"200 OK", [
            (b"Content-Length", b"%d" % len(body)),
            (b"Content-Type", b"application/xml"),
        ], body, date, request_id)


def serve(host, port, object_size, list_keys, announce=sys.stdout):
    canned = Canned(object_size, list_keys)
    canned.listing("bench-bucket", {"prefix": "bench/list/", "encoding-type": "url"}, True)
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((host, port))
    listener.listen(128)
    announce.write("PORT %d\n" % listener.getsockname()[1])
    announce.flush()
    while True:
        sock, _ = listener.accept()
        Connection(sock, canned).start()


def _exit_when_stdin_closes():
    try:
        while sys.stdin.buffer.read(4096):
            pass
    except (OSError, ValueError):
        pass
    os._exit(0)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--object-size", type=int, default=1024)
    parser.add_argument("--list-keys", type=int, default=1000)
    parser.add_argument("--watch-stdin", action="store_true",
                        help="exit when stdin reaches end of file (parent went away)")
    args = parser.parse_args(argv)
    if args.watch_stdin:
        threading.Thread(target=_exit_when_stdin_closes, daemon=True).start()
    try:
        serve(args.host, args.port, args.object_size, args.list_keys)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()

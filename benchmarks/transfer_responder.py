"""A fast S3-compatible responder for the transfer benchmark (stdlib only, Python >= 3.8).

``benchmarks/transfer.py`` starts it in its own process so that its CPU time is not
charged to the client being measured.  It keeps no data: uploaded bodies are received
into one scratch buffer per connection and thrown away, and every object it serves is
the same synthetic one -- ``--object-size`` bytes of a 1 MiB random pattern repeated --
described as if it had been uploaded in ``--part-size`` parts with CRC32 checksums
(so it has a composite ``x-amz-checksum-crc32`` of the form ``<b64>-<parts>``, like a
real S3 object uploaded by an SDK with the default checksum settings). Its ETag is the
true one of such an upload: the MD5 of the parts' MD5s, then ``-<parts>``. A key that
starts with ``plain`` is the same object stored without any checksum (an upload by a
tool that sends none): downloads of it can only be checked against the ETag.

Supported requests (path-style, signatures are never checked)::

    PUT    /bucket                         create bucket
    PUT    /bucket/key                     PutObject (body discarded)
    POST   /bucket/key?uploads             CreateMultipartUpload
    PUT    /bucket/key?partNumber&uploadId UploadPart (body discarded)
    POST   /bucket/key?uploadId            CompleteMultipartUpload
    DELETE /bucket/key?uploadId            AbortMultipartUpload
    HEAD   /bucket/key[?partNumber=n]      size, ETag, parts count, checksum
    GET    /bucket/key [Range]             the synthetic object (206 for ranges)
    DELETE /bucket/key                     DeleteObject
    GET    /bucket?uploads                 ListMultipartUploads (always empty)
    GET    /bucket?list-type=2             ListObjectsV2 of ``--list-keys`` keys under the
                                           requested prefix, 1,000 a page (benchmarks/fsspec.py)

With ``--file PATH`` every GET/HEAD serves that file's bytes instead of the synthetic object.

Request bodies may be sent with Content-Length or chunked transfer coding, with or
without ``Expect: 100-continue``.  Usage::

    python transfer_responder.py [--port 0] [--object-size N] [--part-size N]
                                 [--tls-cert CERT.pem --tls-key KEY.pem]
                                 [--list-keys N] [--file PATH]

The first line written to stdout is ``PORT <n>``; the server runs until its stdin
is closed or it is terminated.
"""

import argparse
import base64
import hashlib
import os
import random
import socket
import sys
import threading
import time
import uuid
import zlib
from email.utils import formatdate

PATTERN_SIZE = 1 << 20
SCRATCH_SIZE = 1 << 20


class SyntheticObject:
    """The object every GET/HEAD describes: a repeated random pattern."""

    def __init__(self, size, part_size, seed=1234):
        rng = random.Random(seed)
        self.pattern = rng.getrandbits(8 * PATTERN_SIZE).to_bytes(PATTERN_SIZE, "little")
        self.doubled = memoryview(self.pattern + self.pattern)
        self.size = size
        self.part_size = max(PATTERN_SIZE, (part_size // PATTERN_SIZE) * PATTERN_SIZE)
        self.parts = max(1, -(-size // self.part_size))
        self.etag = self._multipart_etag()
        self.composite = self._composite_crc()

    def _md5_of(self, start, length):
        digest = hashlib.md5()
        pos, end = start, start + length
        while pos < end:
            off = pos % PATTERN_SIZE
            n = min(end - pos, PATTERN_SIZE)
            digest.update(self.doubled[off:off + n])
            pos += n
        return digest.digest()

    def _multipart_etag(self):
        """The true ETag of a multipart upload: MD5 of the parts' MD5s, then ``-<parts>``."""
        digests, cache = [], {}
        for i in range(self.parts):
            start = i * self.part_size
            length = min(self.part_size, self.size - start)
            if length not in cache:  # parts start on pattern boundaries: equal lengths, equal bytes
                cache[length] = self._md5_of(start, length)
            digests.append(cache[length])
        return '"%s-%d"' % (hashlib.md5(b"".join(digests)).hexdigest(), self.parts)

    def _crc_of(self, start, length):
        crc = 0
        pos = start
        end = start + length
        while pos < end:
            off = pos % PATTERN_SIZE
            n = min(end - pos, PATTERN_SIZE)
            crc = zlib.crc32(self.doubled[off:off + n], crc)
            pos += n
        return crc

    def _composite_crc(self):
        digests = []
        cache = {}
        for i in range(self.parts):
            start = i * self.part_size
            length = min(self.part_size, self.size - start)
            if length not in cache:
                cache[length] = self._crc_of(start, length)
            digests.append(cache[length].to_bytes(4, "big"))
        value = base64.b64encode(zlib.crc32(b"".join(digests)).to_bytes(4, "big")).decode()
        return "%s-%d" % (value, self.parts)

    def part_range(self, number):
        start = (number - 1) * self.part_size
        return start, min(self.size, start + self.part_size) - 1

    def send(self, sock, start, stop):
        pos = start
        while pos < stop:
            off = pos % PATTERN_SIZE
            n = min(stop - pos, PATTERN_SIZE)
            sock.sendall(self.doubled[off:off + n])
            pos += n


class FileObject(SyntheticObject):
    """``--file``: a real file's bytes (e.g. a Parquet file for pandas to read), memory-mapped."""

    def __init__(self, path, part_size):
        import mmap

        with open(path, "rb") as f:
            self.data = memoryview(mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ))
        self.size = len(self.data)
        self.part_size = max(PATTERN_SIZE, part_size)
        self.parts = max(1, -(-self.size // self.part_size))
        self.etag = '"%s-%d"' % (hashlib.md5(path.encode()).hexdigest(), self.parts)
        self.composite = None

    def send(self, sock, start, stop):
        sock.sendall(self.data[start:stop])


class Server:
    def __init__(self, obj, list_keys=0):
        self.obj = obj
        self.list_keys = list_keys
        self._date = (0, "")

    def date(self):
        now = int(time.time())
        if now != self._date[0]:
            self._date = (now, formatdate(now, usegmt=True))
        return self._date[1]


def _split_target(target):
    path, _, query = target.partition("?")
    args = {}
    for item in query.split("&"):
        if item:
            name, _, value = item.partition("=")
            args[name] = value
    return path, args


class Handler(threading.Thread):
    daemon = True

    def __init__(self, sock, server, tls=None):
        super().__init__()
        self.sock = sock
        self.server = server
        self.tls = tls
        self.rfile = None
        self.scratch = memoryview(bytearray(SCRATCH_SIZE))

    def run(self):
        try:
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if self.tls is not None:  # the handshake runs here, not in the accept loop
                self.sock = self.tls.wrap_socket(self.sock, server_side=True)
            self.rfile = self.sock.makefile("rb", buffering=65536)
            while self.one():
                pass
        except (OSError, ValueError, ConnectionError):
            pass
        finally:
            try:
                if self.rfile is not None:
                    self.rfile.close()
                self.sock.close()
            except OSError:
                pass

    # -- body reading ---------------------------------------------------------------------
    def _discard(self, n):
        rfile, scratch = self.rfile, self.scratch
        while n > 0:
            got = rfile.readinto(scratch[: min(n, SCRATCH_SIZE)])
            if not got:
                raise ConnectionError("client went away")
            n -= got

    def _discard_chunked(self):
        total = 0
        while True:
            line = self.rfile.readline(1024)
            if not line:
                raise ConnectionError("client went away")
            size = int(line.split(b";", 1)[0].strip() or b"0", 16)
            if size == 0:
                while self.rfile.readline(8192) not in (b"\r\n", b"\n", b""):
                    pass
                return total
            self._discard(size)
            total += size
            self.rfile.readline(8)

    # -- one request ----------------------------------------------------------------------
    def one(self):
        line = self.rfile.readline(65537)
        if not line:
            return False
        method, target, version = line.decode("latin-1").split(" ", 2)
        headers = {}
        while True:
            h = self.rfile.readline(65537)
            if h in (b"\r\n", b"\n", b""):
                break
            name, _, value = h.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        chunked = "chunked" in headers.get("transfer-encoding", "").lower()
        length = int(headers.get("content-length", "0") or 0)
        if headers.get("expect", "").lower() == "100-continue" and (chunked or length):
            self.sock.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
        if chunked:
            self._discard_chunked()
        elif length:
            self._discard(length)
        path, args = _split_target(target)
        parts = path.lstrip("/").split("/", 1)
        key = parts[1] if len(parts) > 1 else ""
        self.dispatch(method, key, args, headers)
        return headers.get("connection", "").lower() != "close"

    def send(self, status, headers=(), body=b"", length=None):
        lines = ["HTTP/1.1 %s" % status, "Date: " + self.server.date(), "Server: transfer-responder",
                 "x-amz-request-id: " + uuid.uuid4().hex[:16]]
        lines.extend("%s: %s" % h for h in headers)
        lines.append("Content-Length: %d" % (len(body) if length is None else length))
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        if body and len(body) < 65536:
            self.sock.sendall(head + body)
        else:
            self.sock.sendall(head)
            if body:
                self.sock.sendall(body)

    def dispatch(self, method, key, args, headers):
        echo = [(n, v) for n, v in headers.items() if n.startswith("x-amz-checksum-") and n not in
                ("x-amz-checksum-mode", "x-amz-checksum-algorithm", "x-amz-checksum-type")]
        if method == "PUT" and not key:
            self.send("200 OK", [("Location", "/bucket")])
        elif method == "PUT" and "partNumber" in args:
            self.send("200 OK", [("ETag", '"%s"' % uuid.uuid4().hex)] + echo)
        elif method == "PUT":
            self.send("200 OK", [("ETag", '"%s"' % uuid.uuid4().hex)] + echo)
        elif method == "POST" and "uploads" in args:
            body = ('<?xml version="1.0" encoding="UTF-8"?>\n<InitiateMultipartUploadResult '
                    'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Bucket>bucket</Bucket><Key>%s</Key>'
                    '<UploadId>%s</UploadId></InitiateMultipartUploadResult>' % (key, uuid.uuid4().hex)).encode()
            extra = []
            if headers.get("x-amz-checksum-algorithm"):
                extra.append(("x-amz-checksum-algorithm", headers["x-amz-checksum-algorithm"]))
            self.send("200 OK", [("Content-Type", "application/xml")] + extra, body)
        elif method == "POST" and "uploadId" in args:
            body = ('<?xml version="1.0" encoding="UTF-8"?>\n<CompleteMultipartUploadResult '
                    'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Location>/bucket/%s</Location>'
                    '<Bucket>bucket</Bucket><Key>%s</Key><ETag>"%s-1"</ETag></CompleteMultipartUploadResult>'
                    % (key, key, uuid.uuid4().hex)).encode()
            self.send("200 OK", [("Content-Type", "application/xml")], body)
        elif method == "DELETE":
            self.send("204 No Content")
        elif method == "GET" and not key and "list-type" in args:
            self.list_objects(args)
        elif method == "GET" and not key:
            body = (b'<?xml version="1.0" encoding="UTF-8"?>\n<ListMultipartUploadsResult '
                    b'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Bucket>bucket</Bucket>'
                    b'<IsTruncated>false</IsTruncated></ListMultipartUploadsResult>')
            self.send("200 OK", [("Content-Type", "application/xml")], body)
        elif method in ("HEAD", "GET"):
            self.serve_object(method, args, headers, key)
        else:
            self.send("405 Method Not Allowed")

    def serve_object(self, method, args, headers, key=""):
        obj = self.server.obj
        stored_checksum = not key.startswith("plain")
        common = [("ETag", obj.etag), ("Last-Modified", "Wed, 01 May 2024 12:00:00 GMT"),
                  ("Accept-Ranges", "bytes"), ("Content-Type", "binary/octet-stream")]
        start, end = 0, obj.size - 1
        status = "200 OK"
        extra = []
        if "partNumber" in args:
            number = int(args["partNumber"])
            start, end = obj.part_range(number)
            status = "206 Partial Content"
            extra.append(("x-amz-mp-parts-count", str(obj.parts)))
            extra.append(("Content-Range", "bytes %d-%d/%d" % (start, end, obj.size)))
        elif headers.get("range"):
            spec = headers["range"].split("=", 1)[1]
            a, _, b = spec.partition("-")
            start = int(a)
            end = min(int(b), obj.size - 1) if b else obj.size - 1
            status = "206 Partial Content"
            extra.append(("Content-Range", "bytes %d-%d/%d" % (start, end, obj.size)))
        elif stored_checksum and headers.get("x-amz-checksum-mode", "").upper() == "ENABLED" and obj.composite:
            extra.append(("x-amz-checksum-crc32", obj.composite))
            extra.append(("x-amz-checksum-type", "COMPOSITE"))
        length = max(0, end - start + 1)
        if method == "HEAD":
            self.send(status, common + extra, length=length)
            return
        self.send(status, common + extra, length=length)
        obj.send(self.sock, start, end + 1)

    def list_objects(self, args):
        """ListObjectsV2: keys ``<prefix>00000`` ... of ``--list-keys``, 1,000 (or max-keys) a page."""
        from urllib.parse import unquote

        prefix = unquote(args.get("prefix", ""))
        total = self.server.list_keys
        first = int(args.get("continuation-token") or 0)
        last = min(total, first + min(1000, int(args.get("max-keys") or 1000)))
        entry = ("<Contents><Key>%s%%05d</Key><LastModified>2024-05-01T12:00:00.000Z</LastModified>"
                 "<ETag>&quot;%s&quot;</ETag><Size>1024</Size><StorageClass>STANDARD</StorageClass>"
                 "</Contents>" % (prefix.replace("&", "&amp;").replace("<", "&lt;"), "0" * 32))
        more = last < total
        body = ('<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="http://s3.amazonaws.com/'
                'doc/2006-03-01/"><Name>bucket</Name><Prefix>%s</Prefix><KeyCount>%d</KeyCount><MaxKeys>1000'
                '</MaxKeys><IsTruncated>%s</IsTruncated>%s%s</ListBucketResult>'
                % (prefix, last - first, "true" if more else "false",
                   "<NextContinuationToken>%d</NextContinuationToken>" % last if more else "",
                   "".join(entry % i for i in range(first, last)))).encode()
        self.send("200 OK", [("Content-Type", "application/xml")], body)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--object-size", type=int, default=1 << 30)
    parser.add_argument("--part-size", type=int, default=8 << 20)
    parser.add_argument("--tls-cert", default=None, help="serve https with this PEM certificate ...")
    parser.add_argument("--tls-key", default=None, help="... and this PEM private key")
    parser.add_argument("--list-keys", type=int, default=0, help="keys ListObjectsV2 lists")
    parser.add_argument("--file", default=None, help="serve this file instead of the synthetic object")
    args = parser.parse_args(argv)
    tls = None
    if args.tls_cert:
        import ssl

        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls.load_cert_chain(args.tls_cert, args.tls_key)
    obj = FileObject(args.file, args.part_size) if args.file else SyntheticObject(args.object_size, args.part_size)
    server = Server(obj, args.list_keys)
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((args.host, args.port))
    listener.listen(128)
    sys.stdout.write("PORT %d\n" % listener.getsockname()[1])
    sys.stdout.flush()

    def accept_loop():
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            Handler(conn, server, tls).start()

    threading.Thread(target=accept_loop, daemon=True).start()
    try:
        sys.stdin.read()
    except (KeyboardInterrupt, OSError):
        pass
    os._exit(0)


if __name__ == "__main__":
    main()

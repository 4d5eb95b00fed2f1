"""A fast S3-compatible responder serving synthetic *trees* of objects (stdlib only).

``benchmarks/directories.py`` starts it in its own process. It reuses the HTTP handling
of ``transfer_responder.py`` (keep-alive, Content-Length / chunked bodies,
``100-continue``) and adds many keys, listings and true ETags:

* ``--tree PREFIX=COUNTxSIZE`` (repeatable) describes ``COUNT`` objects
  ``PREFIX/f00000.bin`` ... of ``SIZE`` bytes each. The content of every object is a
  1 MiB random pattern read from an offset derived from its key, so objects differ and
  :func:`object_bytes` gives any client the exact bytes to check a download against.
* Objects below ``--part-size`` have the MD5 of their content as ETag and a full-object
  CRC32; larger ones look uploaded in ``--part-size`` parts: ETag ``<md5 of the part
  MD5s>-<parts>`` and a composite CRC32 (``<b64>-<parts>``), both true to the content.
* ``GET /bucket?list-type=2`` (and v1) lists them: ``prefix``, ``delimiter``,
  ``max-keys`` (at most 1,000), ``continuation-token`` / ``start-after`` / ``marker``.
* Uploads (PutObject, multipart) are received and discarded, as in
  ``transfer_responder.py``; keys outside the trees are 404 on HEAD/GET.

Usage::

    python directory_responder.py [--port 0] --tree tree/small=1000x65536 [--tree ...]

The first line written to stdout is ``PORT <n>``; it runs until stdin is closed.
"""

import argparse
import base64
import hashlib
import os
import socket
import sys
import threading
import zlib
from xml.sax.saxutils import escape

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import transfer_responder as base  # noqa: E402

PATTERN_SIZE = base.PATTERN_SIZE
_PATTERN = None


def pattern():
    """The 1 MiB pattern, twice (so any window of up to 1 MiB is one slice)."""
    global _PATTERN
    if _PATTERN is None:
        _PATTERN = base.SyntheticObject(PATTERN_SIZE, PATTERN_SIZE).doubled
    return _PATTERN


def key_offset(key):
    return int(hashlib.md5(key.encode("utf-8")).hexdigest()[:8], 16) % PATTERN_SIZE


def iter_bytes(key, start, length):
    """The bytes ``start`` .. ``start + length`` of object ``key``, as memoryview slices."""
    doubled = pattern()
    offset = key_offset(key)
    pos, stop = start, start + length
    while pos < stop:
        off = (offset + pos) % PATTERN_SIZE
        n = min(stop - pos, PATTERN_SIZE)
        yield doubled[off:off + n]
        pos += n


def object_bytes(key, size):
    """The whole content of ``key`` (for checking small downloads)."""
    return b"".join(bytes(v) for v in iter_bytes(key, 0, size))


def digests(key, size, part_size):
    """(ETag, CRC32 header value, parts) of ``key`` (see the module documentation)."""
    if size < part_size:
        md5, crc = hashlib.md5(), 0
        for view in iter_bytes(key, 0, size):
            md5.update(view)
            crc = zlib.crc32(view, crc)
        return '"%s"' % md5.hexdigest(), base64.b64encode(crc.to_bytes(4, "big")).decode(), 1
    part_md5s, part_crcs = [], []
    for start in range(0, size, part_size):
        md5, crc = hashlib.md5(), 0
        for view in iter_bytes(key, start, min(part_size, size - start)):
            md5.update(view)
            crc = zlib.crc32(view, crc)
        part_md5s.append(md5.digest())
        part_crcs.append(crc.to_bytes(4, "big"))
    parts = len(part_md5s)
    etag = '"%s-%d"' % (hashlib.md5(b"".join(part_md5s)).hexdigest(), parts)
    composite = "%s-%d" % (base64.b64encode(zlib.crc32(b"".join(part_crcs)).to_bytes(4, "big")).decode(), parts)
    return etag, composite, parts


def multipart_etag_of_file(path, part_size):
    """The ETag a file of ours would have on this responder (to check downloads)."""
    size = os.path.getsize(path)
    with open(path, "rb") as f:
        if size < part_size:
            return '"%s"' % hashlib.md5(f.read()).hexdigest()
        md5s = []
        while True:
            block = f.read(part_size)
            if not block:
                break
            md5s.append(hashlib.md5(block).digest())
    return '"%s-%d"' % (hashlib.md5(b"".join(md5s)).hexdigest(), len(md5s))


class Catalog:
    def __init__(self, trees, part_size):
        self.part_size = part_size
        self.objects = {}  # key -> (size, etag, crc, parts)
        for prefix, count, size in trees:
            for index in range(count):
                key = "%s/f%05d.bin" % (prefix.rstrip("/"), index)
                self.objects[key] = (size,) + digests(key, size, part_size)
        self.keys = sorted(self.objects)


def parse_tree(text):
    prefix, _, spec = text.partition("=")
    count, _, size = spec.lower().partition("x")
    return prefix, int(count), int(size)


class TreeHandler(base.Handler):
    def dispatch(self, method, key, args, headers):
        if method == "GET" and not key and "uploads" not in args:
            self.list_objects(args)
        elif method in ("HEAD", "GET") and key:
            self.serve_tree_object(method, base_unquote(key), args, headers)
        else:
            super().dispatch(method, key, args, headers)

    def list_objects(self, args):
        catalog = self.server.catalog
        prefix = base_unquote(args.get("prefix", ""))
        delimiter = base_unquote(args.get("delimiter", ""))
        v2 = args.get("list-type") == "2"
        after = base_unquote(args.get("continuation-token") or args.get("start-after") or args.get("marker") or "")
        limit = min(1000, int(args.get("max-keys") or 1000))
        contents, prefixes = [], []
        last = None
        truncated = False
        for key in catalog.keys:
            if not key.startswith(prefix) or (after and key <= after):
                continue
            if len(contents) + len(prefixes) >= limit:
                truncated = True
                break
            if delimiter:
                cut = key.find(delimiter, len(prefix))
                if cut >= 0:
                    common = key[: cut + len(delimiter)]
                    if not prefixes or prefixes[-1] != common:
                        prefixes.append(common)
                    last = key
                    continue
            size, etag, _crc, _parts = catalog.objects[key]
            contents.append("<Contents><Key>%s</Key><LastModified>2024-05-01T12:00:00.000Z</LastModified>"
                            "<ETag>%s</ETag><Size>%d</Size><StorageClass>STANDARD</StorageClass></Contents>"
                            % (escape(key), escape(etag).replace('"', "&quot;"), size))
            last = key
        body = ['<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">',
                "<Name>bucket</Name><Prefix>%s</Prefix><MaxKeys>%d</MaxKeys>" % (escape(prefix), limit),
                "<IsTruncated>%s</IsTruncated>" % ("true" if truncated else "false")]
        if v2:
            body.append("<KeyCount>%d</KeyCount>" % (len(contents) + len(prefixes)))
            if truncated:
                body.append("<NextContinuationToken>%s</NextContinuationToken>" % escape(last))
        elif truncated:
            body.append("<NextMarker>%s</NextMarker>" % escape(last))
        body.extend(contents)
        body.extend("<CommonPrefixes><Prefix>%s</Prefix></CommonPrefixes>" % escape(p) for p in prefixes)
        body.append("</ListBucketResult>")
        self.send("200 OK", [("Content-Type", "application/xml")], "".join(body).encode("utf-8"))

    def serve_tree_object(self, method, key, args, headers):
        catalog = self.server.catalog
        entry = catalog.objects.get(key)
        if entry is None:
            body = b"" if method == "HEAD" else (b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NoSuchKey</Code>'
                                                 b"<Message>The specified key does not exist.</Message></Error>")
            self.send("404 Not Found", [("Content-Type", "application/xml")], body)
            return
        size, etag, crc, parts = entry
        common = [("ETag", etag), ("Last-Modified", "Wed, 01 May 2024 12:00:00 GMT"), ("Accept-Ranges", "bytes"),
                  ("Content-Type", "binary/octet-stream")]
        start, end, status, extra = 0, size - 1, "200 OK", []
        checksum = headers.get("x-amz-checksum-mode", "").upper() == "ENABLED"
        if "partNumber" in args:
            number = int(args["partNumber"])
            start = (number - 1) * catalog.part_size
            end = min(size, start + catalog.part_size) - 1 if parts > 1 else size - 1
            status = "206 Partial Content" if parts > 1 else "200 OK"
            extra.append(("x-amz-mp-parts-count", str(parts)))
            if parts > 1:
                extra.append(("Content-Range", "bytes %d-%d/%d" % (start, end, size)))
        elif headers.get("range"):
            first, _, last = headers["range"].split("=", 1)[1].partition("-")
            start = int(first)
            end = min(int(last), size - 1) if last else size - 1
            status = "206 Partial Content"
            extra.append(("Content-Range", "bytes %d-%d/%d" % (start, end, size)))
        elif checksum:
            extra.append(("x-amz-checksum-crc32", crc))
            extra.append(("x-amz-checksum-type", "COMPOSITE" if parts > 1 else "FULL_OBJECT"))
        length = max(0, end - start + 1)
        self.send(status, common + extra, length=length)
        if method == "GET":
            sock = self.sock
            for view in iter_bytes(key, start, length):
                sock.sendall(view)


def base_unquote(text):
    from urllib.parse import unquote

    return unquote(text)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--tree", action="append", type=parse_tree, default=[], help="PREFIX=COUNTxSIZE")
    parser.add_argument("--part-size", type=int, default=8 << 20)
    args = parser.parse_args(argv)
    server = base.Server(base.SyntheticObject(PATTERN_SIZE, PATTERN_SIZE))
    server.catalog = Catalog(args.tree, args.part_size)
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((args.host, args.port))
    listener.listen(512)
    sys.stdout.write("PORT %d\n" % listener.getsockname()[1])
    sys.stdout.flush()

    def accept_loop():
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            TreeHandler(conn, server).start()

    threading.Thread(target=accept_loop, daemon=True).start()
    try:
        sys.stdin.read()
    except (KeyboardInterrupt, OSError):
        pass
    os._exit(0)


if __name__ == "__main__":
    main()

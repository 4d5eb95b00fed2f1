"""What before-send and before-parameter-build handlers see."""
import io

from ibm_botocore.awsrequest import AWSResponse

from user_suite_helpers import make_client


class _Raw:
    """Enough of a raw HTTP response for a before-send handler's short-circuit answer."""

    def __init__(self, data=b""):
        self._data = data

    def stream(self, *args, **kwargs):
        yield self._data

    def read(self, *args, **kwargs):
        data, self._data = self._data, b""
        return data


def _record(client, event="before-send.s3"):
    seen = []

    def handler(request, **kwargs):
        seen.append({name.lower(): value for name, value in request.headers.items()})

    client.meta.events.register(event, handler)
    return seen


def test_before_send_sees_header_values_as_bytes(server):
    s3 = make_client(server.url)
    seen = _record(s3)
    s3.put_object(Bucket="bkt", Key="k", Body=b"hello", ContentType="text/plain", Metadata={"colour": "blue"},
                  ContentDisposition='attachment; filename="\u00e9.txt"')
    s3.head_object(Bucket="bkt", Key="k")
    put, head = seen
    assert put["content-type"] == b"text/plain"
    assert put["x-amz-meta-colour"] == b"blue"
    assert put["content-disposition"] == 'attachment; filename="\u00e9.txt"'.encode("utf-8")
    assert put["x-amz-checksum-crc32"] == b"NhCmhg=="
    assert put["content-length"] == "5"  # added when the request is prepared, as text
    assert isinstance(head["x-amz-date"], bytes) and isinstance(head["authorization"], bytes)
    # the server got the same bytes
    method, path, headers, body = server.requests[0]
    assert (method, path, body) == ("PUT", "/bkt/k", b"hello")
    assert headers["x-amz-meta-colour"] == "blue"


def test_before_send_sees_the_aws_chunked_headers_as_bytes():
    s3 = make_client("https://127.0.0.1:9")
    seen = _record(s3)

    def answer(request, **kwargs):
        return AWSResponse(request.url, 200, {"ETag": '"e"'}, _Raw())

    s3.meta.events.register("before-send.s3", answer)
    s3.put_object(Bucket="bkt", Key="k", Body=b"hello")
    headers = seen[0]
    assert headers["content-encoding"] == b"aws-chunked"
    assert headers["transfer-encoding"] == b"chunked"
    assert headers["x-amz-trailer"] == b"x-amz-checksum-crc32"
    assert headers["x-amz-decoded-content-length"] == b"5"
    assert headers["x-amz-content-sha256"] == b"STREAMING-UNSIGNED-PAYLOAD-TRAILER"


def test_upload_through_the_transfer_manager_reaches_the_server(server):
    s3 = make_client(server.url)
    seen = _record(s3)
    s3.upload_fileobj(io.BytesIO(b"transfer"), "bkt", "t")
    assert server.objects["/bkt/t"] == b"transfer"
    assert seen[0]["x-amz-sdk-checksum-algorithm"] == b"CRC32"
    out = io.BytesIO()
    s3.download_fileobj("bkt", "t", out)
    assert out.getvalue() == b"transfer"


def test_before_parameter_build_handlers_see_the_transfer_parameters(client):
    from ibm_botocore.stub import Stubber
    from ibm_botocore.response import StreamingBody

    seen = []
    client.meta.events.register(
        "before-parameter-build.s3", lambda params, **kwargs: seen.append(sorted(k for k in params if k != "Body"))
    )
    with Stubber(client) as stubber:
        stubber.add_response("put_object", {})
        stubber.add_response("head_object", {"ContentLength": 2})
        stubber.add_response("get_object", {"Body": StreamingBody(io.BytesIO(b"ok"), 2)})
        client.upload_fileobj(io.BytesIO(b"ok"), "bkt", "k")
        client.download_fileobj("bkt", "k", io.BytesIO())
    assert seen == [["Bucket", "ChecksumAlgorithm", "Key"], ["Bucket", "Key"], ["Bucket", "Key"]]

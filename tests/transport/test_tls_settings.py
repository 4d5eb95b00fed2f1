"""One set of TLS decisions (ibm_botocore.tls) for every HTTP client of the SDK: a CA
bundle given as a file or as a hashed directory, or verification switched off, works the
same on the direct transport, the urllib3 transport and the IAM token client."""
from __future__ import annotations

import json

import pytest

import ibm_boto3
from ibm_botocore.config import Config
from ibm_botocore.exceptions import SSLError
from ibm_botocore.tls import ProxySettings, TLSSettings
from rawserver import HEAD_OK, make_client, response, serve_forever


def _iam_and_s3(peer, request):
    """Answers IAM token requests and S3 HEADs on one https port."""
    if request.method == "POST":
        body = peer.read_body(request)
        assert b"grant_type=urn%3Aibm%3Aparams%3Aoauth%3Agrant-type%3Aapikey" in body
        token = json.dumps({"access_token": "tok-1", "refresh_token": "r", "token_type": "Bearer",
                            "expires_in": 3600, "expiration": 4102444800}).encode()
        peer.send(response(200, [("Content-Type", "application/json")], token))
    else:
        peer.send(HEAD_OK)
    return True


@pytest.mark.parametrize("bundle", ["file", "dir"])
def test_ca_bundle_file_or_directory_on_both_transports(server, transport, certificate, bundle):
    raw = server(serve_forever(lambda peer, request: peer.send(HEAD_OK) is None), tls=certificate["context"])
    client = ibm_boto3.client("s3", aws_access_key_id="AK", aws_secret_access_key="SK", endpoint_url=raw.url,
                              verify=certificate[bundle])
    for _ in range(2):
        assert client.head_object(Bucket="bucket1", Key="k")["ContentLength"] == 0
    assert raw.connections == 1


def test_verify_false_and_unknown_certificate(server, transport, certificate):
    raw = server(serve_forever(lambda peer, request: peer.send(HEAD_OK) is None), tls=certificate["context"])
    unchecked = ibm_boto3.client("s3", aws_access_key_id="AK", aws_secret_access_key="SK", endpoint_url=raw.url, verify=False)
    assert unchecked.head_object(Bucket="bucket1", Key="k")["ContentLength"] == 0
    checked = make_client(raw.url)
    with pytest.raises(SSLError):
        checked.head_object(Bucket="bucket1", Key="k")


@pytest.mark.parametrize("bundle", ["file", "dir"])
def test_ca_bundle_file_or_directory_for_the_iam_token_client(server, transport, certificate, bundle):
    raw = server(serve_forever(_iam_and_s3), tls=certificate["context"])
    client = ibm_boto3.client("s3", ibm_api_key_id="key-1", ibm_service_instance_id="crn:v1:instance",
                              ibm_auth_endpoint=raw.url + "/identity/token", endpoint_url=raw.url,
                              verify=certificate[bundle], config=Config(signature_version="oauth"))
    assert client.head_object(Bucket="bucket1", Key="k")["ContentLength"] == 0
    methods = [r.method for r in raw.requests]
    assert methods == ["POST", "HEAD"]
    assert raw.requests[1].headers["authorization"] == "Bearer tok-1"


def test_settings_are_decided_once():
    tls = TLSSettings("/nonexistent/bundle.pem", ("c.pem", "k.pem"))
    assert (tls.verify, tls.ca_file, tls.ca_dir, tls.cert_file, tls.key_file) == (True, "/nonexistent/bundle.pem", None, "c.pem", "k.pem")
    assert TLSSettings(False).verify is False
    assert TLSSettings(None).verify is True
    with pytest.raises(TypeError):
        TLSSettings(True, 5)  # type: ignore[arg-type]
    plain = TLSSettings(True)
    assert plain.ssl_context() is plain.ssl_context()
    proxies = ProxySettings({"https": "proxy:3128", "http://special": "http://p2:80"}, {"proxy_use_forwarding_for_https": True})
    assert proxies.proxy_url_for("https://s3.example/b") == "http://proxy:3128"
    assert proxies.proxy_url_for("http://special/b") == "http://p2:80"
    assert proxies.proxy_url_for("http://other/b") is None
    assert proxies.use_forwarding_for_https is True
    assert ProxySettings().proxy_url_for("https://x/") is None

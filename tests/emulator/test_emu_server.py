"""The HTTP server, the CLI, persistence across restarts, reset(), the WSGI entry and the pytest plugin."""
import json
import os
import signal
import socket
import subprocess
import sys

import emu_http
from emu_http import Client, obj_path, protection_xml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_keep_alive_reuses_the_connection(hmac_client, bucket):
    conn = hmac_client.connection()
    try:
        hmac_client.request("PUT", obj_path(bucket, "ka"), body=b"1", conn=conn)
        first_sock = conn.sock
        for _ in range(3):
            assert hmac_client.request("GET", obj_path(bucket, "ka"), conn=conn).body == b"1"
        assert conn.sock is first_sock and first_sock is not None
    finally:
        conn.close()


def _raw(emu, data: bytes, expect_continue: bool = False) -> bytes:
    with socket.create_connection(("127.0.0.1", emu.port), timeout=10) as sock:
        if expect_continue:
            head, _, body = data.partition(b"\r\n\r\n")
            sock.sendall(head + b"\r\n\r\n")
            interim = sock.recv(1024)
            assert interim.startswith(b"HTTP/1.1 100 Continue")
            sock.sendall(body)
        else:
            sock.sendall(data)
        out = b""
        while b"\r\n\r\n" not in out:
            out += sock.recv(65536)
        return out


def test_expect_100_continue_and_chunked_upload(emu, bucket):
    emu_token = emu_http.get_token(emu.endpoint_url, emu.api_key)
    host = f"127.0.0.1:{emu.port}"
    body = b"hello"
    req = (f"PUT /{bucket}/continued HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {emu_token}\r\n"
           f"Content-Length: {len(body)}\r\nExpect: 100-continue\r\n\r\n").encode() + body
    assert b" 200 " in _raw(emu, req, expect_continue=True).split(b"\r\n")[0]
    chunked = (f"PUT /{bucket}/chunked HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {emu_token}\r\n"
               f"Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n").encode()
    assert b" 200 " in _raw(emu, chunked).split(b"\r\n")[0]
    client = Client(emu.endpoint_url, "bearer", token=emu_token)
    assert client.request("GET", obj_path(bucket, "continued")).body == b"hello"
    assert client.request("GET", obj_path(bucket, "chunked")).body == b"abcde"


def test_head_reports_entity_length(hmac_client, bucket):
    hmac_client.request("PUT", obj_path(bucket, "len"), body=b"x" * 1234)
    resp = hmac_client.request("HEAD", obj_path(bucket, "len"))
    assert resp.status == 200 and resp.header("content-length") == "1234" and resp.body == b""


def test_reset_wipes_state():
    from ibm_cos_emulator import Emulator

    with Emulator() as e:
        client = Client(e.endpoint_url, "hmac", e.access_key_id, e.secret_access_key)
        name = emu_http.unique("reset")
        client.request("PUT", "/" + name)
        token = emu_http.get_token(e.endpoint_url, e.api_key)
        e.faults.error(500, times=None, method="DELETE")
        e.reset()
        assert client.request("HEAD", "/" + name).status == 404
        assert client.request("PUT", "/" + name).status == 200  # name is free again
        assert Client(e.endpoint_url, "bearer", token=token).request("GET", "/" + name).status == 403
        assert e.iam_requests == [] and e.faults.rules == []


def test_persistence_across_restart(tmp_path):
    from ibm_cos_emulator import Emulator

    data_dir = str(tmp_path / "state")
    big = os.urandom(300 * 1024)
    first = Emulator(data_dir=data_dir).start()
    creds = (first.api_key, first.instance_id, first.access_key_id, first.secret_access_key)
    client = Client(first.endpoint_url, "hmac", first.access_key_id, first.secret_access_key)
    bucket = emu_http.unique("persist")
    assert client.request("PUT", "/" + bucket).status == 200
    client.request("PUT", "/" + bucket, [("protection", "")], body=protection_xml(1, 1, 5))
    client.request("PUT", obj_path(bucket, "small.txt"), body=b"small", headers={"x-amz-meta-a": "b"})
    client.request("PUT", obj_path(bucket, "big.bin"), body=big, headers={"Retention-Legal-Hold-ID": "keep"})
    up = client.request("POST", obj_path(bucket, "pending"), [("uploads", "")]).xml().findtext("UploadId")
    token = emu_http.get_token(first.endpoint_url, first.api_key)
    first.stop()
    assert os.path.exists(os.path.join(data_dir, "state.db"))
    assert os.listdir(os.path.join(data_dir, "blobs"))  # the big body is stored as a blob

    second = Emulator(data_dir=data_dir).start()
    try:
        assert (second.api_key, second.instance_id, second.access_key_id, second.secret_access_key) == creds
        client = Client(second.endpoint_url, "hmac", second.access_key_id, second.secret_access_key)
        small = client.request("GET", obj_path(bucket, "small.txt"))
        assert small.body == b"small" and small.header("x-amz-meta-a") == "b"
        got = client.request("GET", obj_path(bucket, "big.bin"))
        assert got.body == big and got.header("retention-legal-hold-count") == "1"
        assert client.request("DELETE", obj_path(bucket, "big.bin")).status == 403
        root = client.request("GET", "/" + bucket, [("protection", "")]).xml()
        assert root.findtext("MaximumRetention/Days") == "5"
        assert client.request("GET", obj_path(bucket, "pending"), [("uploadId", up)]).status == 200
        bearer = Client(second.endpoint_url, "bearer", token=token)
        assert bearer.request("GET", "/", headers={"ibm-service-instance-id": second.instance_id}).status == 200
    finally:
        second.stop()


def test_cli_prints_credentials_persists_and_stops_on_sigterm(tmp_path):
    env = dict(os.environ)
    env["PYTHONPATH"] = REPO + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    data_dir = str(tmp_path / "cli")
    args = [sys.executable, "-m", "ibm_cos_emulator", "--port", "0", "--api-key", "cli-key=cli-instance",
            "--hmac", "AKCLI:SKCLI", "--token-ttl", "600", "--data-dir", data_dir, "--json"]
    proc = subprocess.Popen(args, cwd=str(tmp_path), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    try:
        info = json.loads(proc.stdout.readline())
        assert info["api_key"] == "cli-key" and info["instance_id"] == "cli-instance"
        assert info["access_key_id"] == "AKCLI" and info["secret_access_key"] == "SKCLI"
        assert info["auth_endpoint"] == info["endpoint_url"] + "/identity/token"
        token_resp = emu_http.iam_token(info["endpoint_url"], {
            "grant_type": "urn:ibm:params:oauth:grant-type:apikey", "apikey": "cli-key"})
        assert token_resp.json()["expires_in"] == 600
        client = Client(info["endpoint_url"], "hmac", "AKCLI", "SKCLI")
        bucket = emu_http.unique("cli")
        assert client.request("PUT", "/" + bucket).status == 200
        assert client.request("PUT", obj_path(bucket, "k"), body=b"from cli").status == 200
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert "stopped" in out
    assert "SKCLI" not in err and "cli-key" not in err  # secrets never logged

    proc = subprocess.Popen(args[:3] + ["--data-dir", data_dir, "--json"], cwd=str(tmp_path), env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        info = json.loads(proc.stdout.readline())
        assert info["access_key_id"] == "AKCLI"  # credentials come back from the data dir
        client = Client(info["endpoint_url"], "hmac", "AKCLI", "SKCLI")
        assert client.request("GET", obj_path(bucket, "k")).body == b"from cli"
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=20)
    assert proc.returncode == 0


def test_cli_makes_up_credentials():
    env = dict(os.environ)
    env["PYTHONPATH"] = REPO
    proc = subprocess.Popen([sys.executable, "-m", "ibm_cos_emulator"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        lines = [proc.stdout.readline() for _ in range(6)]
    finally:
        proc.terminate()
        proc.communicate(timeout=20)
    text = "".join(lines)
    assert "listening on http://127.0.0.1:" in text
    assert "ibm_api_key_id" in text and "crn:v1:bluemix:public:cloud-object-storage:global:a/" in text
    assert "aws_access_key_id" in text and "aws_secret_access_key" in text
    assert proc.returncode == 0


def test_plugin_and_package_import_without_moto():
    code = ("import sys; import ibm_cos_emulator, ibm_cos_emulator.pytest_plugin; "
            "print('moto' in sys.modules, 'flask' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False False"


def test_session_fixture(cos_emulator):
    assert cos_emulator.running
    assert cos_emulator.endpoint_url.startswith("http://127.0.0.1:")
    assert cos_emulator.auth_endpoint == cos_emulator.endpoint_url + "/identity/token"
    assert cos_emulator.instance_id.startswith("crn:v1:bluemix:public:cloud-object-storage:global:a/")
    assert len(cos_emulator.access_key_id) == 32 and len(cos_emulator.secret_access_key) == 48
    kwargs = cos_emulator.client_kwargs("iam")
    assert kwargs["ibm_auth_endpoint"] == cos_emulator.auth_endpoint
    assert cos_emulator.cos_credentials()["cos_hmac_keys"]["access_key_id"] == cos_emulator.access_key_id


def test_wsgi_entry_point(emu, bucket):
    import io

    app = emu.app
    token = emu_http.get_token(emu.endpoint_url, emu.api_key)
    captured = {}

    def start_response(status, headers, exc_info=None):
        captured["status"], captured["headers"] = status, dict(headers)

    environ = {"REQUEST_METHOD": "PUT", "PATH_INFO": f"/{bucket}/wsgi", "QUERY_STRING": "",
               "HTTP_HOST": "localhost", "HTTP_AUTHORIZATION": f"Bearer {token}", "CONTENT_LENGTH": "4",
               "wsgi.input": io.BytesIO(b"wsgi")}
    body = b"".join(app(environ, start_response))
    assert captured["status"].startswith("200"), body
    client = Client(emu.endpoint_url, "bearer", token=token)
    assert client.request("GET", obj_path(bucket, "wsgi")).body == b"wsgi"


def test_secrets_are_never_logged(caplog):
    import logging

    from ibm_cos_emulator import Emulator

    caplog.set_level(logging.DEBUG, logger="ibm_cos_emulator")
    with Emulator() as e:
        token_resp = emu_http.iam_token(e.endpoint_url, {"grant_type": "urn:ibm:params:oauth:grant-type:apikey",
                                                         "apikey": e.api_key}).json()
        bearer = Client(e.endpoint_url, "bearer", token=token_resp["access_token"])
        name = emu_http.unique("logs")
        bearer.request("PUT", "/" + name, headers={"ibm-service-instance-id": e.instance_id})
        Client(e.endpoint_url, "hmac", e.access_key_id, e.secret_access_key).request("GET", "/" + name)
        Client(e.endpoint_url, "hmac", e.access_key_id, "wrong").request("GET", "/" + name)
        url = emu_http.presign_v4("GET", f"127.0.0.1:{e.port}", "/" + name, e.access_key_id, e.secret_access_key)
        emu_http.send("GET", url, {"Host": f"127.0.0.1:{e.port}"}, b"", Client(e.endpoint_url, "none"))
        emu_http.iam_token(e.endpoint_url, {"grant_type": "refresh_token",
                                            "refresh_token": token_resp["refresh_token"]})
        secrets = [e.api_key, e.secret_access_key, token_resp["access_token"], token_resp["refresh_token"],
                   url.rsplit("=", 1)[1]]
    text = caplog.text
    assert "GET /" + name in text  # requests are logged ...
    for secret in secrets:
        assert secret not in text  # ... their secrets are not

"""--data-dir: SQLite + blobs, incremental, crash-safe (kill -9), no pickle, private directories."""
import hashlib
import json
import os
import pickle
import signal
import sqlite3
import subprocess
import sys
import threading
import time

import pytest

import emu_http
from emu_http import Client, obj_path

from ibm_cos_emulator import Emulator
from ibm_cos_emulator.persistence import UnsafeDataDir

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _client(e):
    return Client(e.endpoint_url, "hmac", e.access_key_id, e.secret_access_key)


def test_versions_tags_parts_and_config_survive_a_restart(tmp_path):
    data_dir = str(tmp_path / "d")
    with Emulator(data_dir=data_dir) as e:
        c = _client(e)
        assert c.request("PUT", "/vers").status == 200
        c.request("PUT", "/vers", [("versioning", "")],
                  body=b"<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>")
        v1 = c.request("PUT", obj_path("vers", "k"), body=b"one").header("x-amz-version-id")
        c.request("PUT", obj_path("vers", "k"), body=b"two" * 5000, headers={"x-amz-tagging": "a=1"})
        up = c.request("POST", obj_path("vers", "mp"), [("uploads", "")]).xml().findtext("UploadId")
        part = c.request("PUT", obj_path("vers", "mp"), [("partNumber", "1"), ("uploadId", up)], body=b"p" * 5000)
        assert part.status == 200
        c.request("DELETE", obj_path("vers", "gone"))
    with Emulator(data_dir=data_dir) as e:
        c = _client(e)
        assert c.request("GET", obj_path("vers", "k")).body == b"two" * 5000
        assert c.request("GET", obj_path("vers", "k"), [("versionId", v1)]).body == b"one"
        tags = c.request("GET", obj_path("vers", "k"), [("tagging", "")])
        assert b"<Key>a</Key>" in tags.body and b"<Value>1</Value>" in tags.body
        versioning = c.request("GET", "/vers", [("versioning", "")])
        assert b"<Status>Enabled</Status>" in versioning.body
        parts = c.request("GET", obj_path("vers", "mp"), [("uploadId", up)])
        assert emu_http.keys_of(parts, "Part") == [""] and b"<PartNumber>1</PartNumber>" in parts.body
        body = (f"<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>{part.header('etag')}</ETag>"
                f"</Part></CompleteMultipartUpload>").encode()
        assert c.request("POST", obj_path("vers", "mp"), [("uploadId", up)], body=body).status == 200
    with Emulator(data_dir=data_dir) as e:
        got = _client(e).request("GET", obj_path("vers", "mp"))
        assert got.body == b"p" * 5000 and got.header("etag").endswith('-1"')


def test_a_write_touches_only_its_own_rows(tmp_path):
    with Emulator(data_dir=str(tmp_path / "d")) as e:
        c = _client(e)
        c.request("PUT", "/inc")
        for i in range(50):
            c.request("PUT", obj_path("inc", f"k{i}"), body=b"x" * 10)
        before = e._store.db.total_changes
        assert c.request("PUT", obj_path("inc", "one-more"), body=b"y").status == 200
        assert e._store.db.total_changes - before == 1  # one object row; nothing else rewritten
        before = e._store.db.total_changes
        emu_http.get_token(e.endpoint_url, e.api_key)
        assert e._store.db.total_changes - before == 2  # the access and the refresh token


def test_deletes_remove_rows(tmp_path):
    with Emulator(data_dir=str(tmp_path / "d")) as e:
        c = _client(e)
        c.request("PUT", "/del")
        c.request("PUT", obj_path("del", "a"), body=b"1")
        c.request("PUT", obj_path("del", "b"), body=b"2")
        c.request("DELETE", obj_path("del", "a"))
        body = b"<Delete><Object><Key>b</Key></Object></Delete>"
        import base64

        c.request("POST", "/del", [("delete", "")], body=body,
                  headers={"Content-MD5": base64.b64encode(hashlib.md5(body).digest()).decode()})
        rows = e._store.db.execute("SELECT COUNT(*) FROM objects WHERE bucket='del'").fetchone()[0]
        assert rows == 0
        c.request("DELETE", "/del")
        assert e._store.db.execute("SELECT COUNT(*) FROM buckets WHERE name='del'").fetchone()[0] == 0


def test_a_planted_pickle_is_never_loaded(tmp_path):
    data_dir = tmp_path / "d"
    data_dir.mkdir(mode=0o700)
    marker = tmp_path / "pwned"

    class Evil:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    (data_dir / "state.pickle").write_bytes(pickle.dumps(Evil()))
    with Emulator(data_dir=str(data_dir)) as e:
        assert _client(e).request("GET", "/").status == 200
    assert not marker.exists()


def test_stored_records_cannot_name_arbitrary_classes(tmp_path):
    data_dir = str(tmp_path / "d")
    with Emulator(data_dir=data_dir) as e:
        _client(e).request("PUT", "/plant")
    db = sqlite3.connect(os.path.join(data_dir, "state.db"))
    evil = json.dumps({"$d": {"bucket": {"$o": "subprocess:Popen", "$a": {"args": "touch /tmp/x"}}}})
    db.execute("UPDATE buckets SET engine=? WHERE name='plant'", (evil,))
    db.commit()
    db.close()
    with pytest.raises(ValueError, match="refusing to restore a subprocess:Popen"):
        Emulator(data_dir=data_dir).start()


@pytest.mark.skipif(not hasattr(os, "geteuid"), reason="POSIX permissions")
def test_a_data_dir_others_can_write_is_refused(tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o777)
    with pytest.raises(UnsafeDataDir, match="writable by group or others"):
        Emulator(data_dir=str(shared))
    os.chmod(shared, 0o700)
    (shared / "state.db").write_bytes(b"")
    os.chmod(shared / "state.db", 0o666)
    with pytest.raises(UnsafeDataDir):
        Emulator(data_dir=str(shared))
    fresh = tmp_path / "fresh"
    Emulator(data_dir=str(fresh))
    assert (os.stat(fresh).st_mode & 0o777) == 0o700
    assert (os.stat(fresh / "state.db").st_mode & 0o077) == 0


def test_kill_9_during_writes_keeps_every_acknowledged_object(tmp_path):
    data_dir = str(tmp_path / "crash")
    env = dict(os.environ)
    env["PYTHONPATH"] = REPO
    args = [sys.executable, "-m", "ibm_cos_emulator", "--json", "--data-dir", data_dir,
            "--hmac", "AKCRASH:SKCRASH"]
    proc = subprocess.Popen(args, cwd=str(tmp_path), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    acknowledged = {}
    try:
        info = json.loads(proc.stdout.readline())
        c = Client(info["endpoint_url"], "hmac", "AKCRASH", "SKCRASH")
        assert c.request("PUT", "/crash").status == 200
        stop = threading.Event()

        def writer(n):
            i = 0
            while not stop.is_set():
                body = hashlib.sha256(f"{n}-{i}".encode()).digest() * (1 + (i % 3) * 300)  # inline and blob
                try:
                    resp = c.request("PUT", obj_path("crash", f"w{n}/{i}"), body=body)
                except OSError:
                    return
                if resp.status == 200:
                    acknowledged[f"w{n}/{i}"] = body
                i += 1

        threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
        for t in threads:
            t.start()
        time.sleep(1.5)
        os.kill(proc.pid, signal.SIGKILL)
        stop.set()
        for t in threads:
            t.join(10)
    finally:
        proc.kill()
        proc.communicate(timeout=20)
    assert len(acknowledged) > 20
    with Emulator(data_dir=data_dir) as e:
        c = _client(e)
        for key, body in acknowledged.items():
            got = c.request("GET", obj_path("crash", key))
            assert got.status == 200 and got.body == body, key

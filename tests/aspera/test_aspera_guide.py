"""The guide's Aspera examples, verbatim (aspera_guide_snippets.py), against the emulator."""
from __future__ import annotations

import os

import pytest

import aspera_guide_snippets as guide
from aspera_helpers import KB, MB, leftovers, make_tree, objects, same_trees, tree_files
from ibm_botocore.iam import DefaultTokenManager


@pytest.fixture(params=["api-key", "hmac"])
def any_client(request, client, api_key_client):
    return api_key_client if request.param == "api-key" else client


def namespace(client):
    from ibm_s3transfer.aspera.manager import AsperaConfig, AsperaTransferManager
    from ibm_s3transfer.aspera.subscribers import AsperaBaseSubscriber

    return {"client": client, "AsperaConfig": AsperaConfig, "AsperaTransferManager": AsperaTransferManager,
            "AsperaBaseSubscriber": AsperaBaseSubscriber}


def run(snippet, ns, **values):
    """Run ``snippet`` in ``ns``; ``bucket_name=`` fills "<bucket-name>", ``object_prefix=`` "<object prefix>"."""
    names = {k: "object prefix" if k == "object_prefix" else k.replace("_", "-") for k in values}
    exec(compile(guide.fill(snippet, {names[k]: v for k, v in values.items()}), "<guide>", "exec"), ns)
    return ns


def test_client_creation_and_session_configs(emu, bucket, tmp_path, monkeypatch):
    # the guide's client has no ibm_auth_endpoint: point IBM's IAM URL at the emulator
    monkeypatch.setattr(DefaultTokenManager, "API_TOKEN_URL", emu.auth_endpoint)
    ns = namespace(None)
    # the guide's snippet passes ``cos`` (not the ``cos_client`` it made): give it that client
    ns["cos"] = None
    code = guide.fill(guide.INIT, {"endpoint": emu.endpoint_url, "api-key": emu.api_key,
                                   "resource-instance-id": emu.instance_id, "location": "us-south"})
    code = code.replace("transfer_manager = AsperaTransferManager(cos)", "cos = cos_client\n" + "transfer_manager = AsperaTransferManager(cos)")
    exec(compile(code, "<guide>", "exec"), ns)
    ns["client"] = ns["cos_client"]
    path = tmp_path / "f.bin"
    path.write_bytes(os.urandom(3 * MB))
    ns["transfer_manager"].upload(str(path), bucket, "via-init").result()
    run(guide.MULTI_SESSION_2, ns)
    assert ns["ms_transfer_config"].multi_session == 2
    ns["transfer_manager"].upload(str(path), bucket, "via-2-sessions").result()
    run(guide.MULTI_SESSION_ALL, ns)
    assert ns["ms_transfer_config"].is_multi_session_all()
    manager = ns["AsperaTransferManager"](ns["client"], transfer_config=ns["ms_transfer_config"])
    manager.upload(str(path), bucket, "via-all").result()
    manager.shutdown()
    data = path.read_bytes()
    assert objects(ns["client"], bucket) == {"via-init": data, "via-2-sessions": data, "via-all": data}


def test_single_file_upload_and_download(any_client, bucket, tmp_path):
    source = tmp_path / "upload.bin"
    source.write_bytes(os.urandom(20 * MB + 17))
    ns = namespace(any_client)
    run(guide.UPLOAD, ns, bucket_name=bucket, absolute_path_to_file=str(source), item_name="items/upload.bin")
    target = tmp_path / "downloaded.bin"
    run(guide.DOWNLOAD, ns, bucket_name=bucket, absolute_path_to_file=str(target), object_to_download="items/upload.bin")
    assert target.read_bytes() == source.read_bytes()
    assert leftovers(str(tmp_path)) == []


def test_directory_upload_and_download_are_byte_identical(any_client, bucket, tmp_path):
    src = tmp_path / "Upload"
    make_tree(str(src), {"a.txt": 10, "empty": 0, "nested/deeper/big.bin": 17 * MB, "nested/ü.txt": 3 * KB})
    dst = tmp_path / "Download"
    dst.mkdir()
    ns = namespace(any_client)
    run(guide.UPLOAD_DIRECTORY, ns, bucket_name=bucket, absolute_path_to_directory=str(src) + "/", object_prefix="newuploads/")
    assert sorted(objects(any_client, bucket)) == ["newuploads/a.txt", "newuploads/empty", "newuploads/nested/deeper/big.bin",
                                                   "newuploads/nested/ü.txt"]
    run(guide.DOWNLOAD_DIRECTORY, ns, bucket_name=bucket, absolute_path_to_directory=str(dst) + "/", object_prefix="newuploads/")
    assert same_trees(str(src), str(dst))
    assert ns["future"].is_success() and not ns["future"].is_error() and ns["future"].get_last_error() == ""


def test_subscribers_example_prints_in_order(client, bucket, tmp_path, capsys):
    files = {"f%d.bin" % i: 300 * KB for i in range(6)}
    data = make_tree(str(tmp_path / "src"), files)
    for name, body in data.items():
        client.put_object(Bucket=bucket, Key="todownload/" + name, Body=body)
    dst = tmp_path / "dst"
    dst.mkdir()
    ns = namespace(client)
    run(guide.SUBSCRIBERS, ns, bucket_name=bucket, absolute_path_to_directory=str(dst) + "/", object_prefix="todownload/")
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Directory download queued."
    assert lines[-1] == "Downloads complete!"
    progress = [int(line.split(": ")[1].split()[0]) for line in lines[1:-1]]
    assert progress and all(line.startswith("Directory download in progress: ") for line in lines[1:-1])
    assert progress == sorted(progress) and progress[-1] == sum(files.values())
    assert tree_files(str(dst)) == data
    ns["transfer_manager"].shutdown()


def test_pause_resume_cancel_example_leaves_nothing_behind(client, bucket, emu, tmp_path):
    for i in range(8):
        client.put_object(Bucket=bucket, Key="todownload/f%d" % i, Body=os.urandom(2 * MB))
    emu.faults.delay(0.2, times=None, method="GET", path="^/%s/todownload/" % bucket)
    dst = tmp_path / "dst"
    dst.mkdir()
    ns = namespace(client)
    run(guide.PAUSE_RESUME_CANCEL, ns, bucket_name=bucket, absolute_path_to_directory=str(dst) + "/", object_prefix="todownload/")
    future = ns["future"]
    assert future.is_done() and not future.is_success()
    from ibm_s3transfer.exceptions import CancelledError

    with pytest.raises(CancelledError):
        future.result()
    assert leftovers(str(dst)) == []
    assert len(tree_files(str(dst))) < 8

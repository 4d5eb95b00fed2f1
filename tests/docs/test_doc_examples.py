"""Every Python example of the documentation site runs, against the emulator.

Each Markdown page under ``docs/`` is one test: its fenced ``python`` blocks run in order, in one
namespace, in a fresh temporary directory, against a fresh emulator whose connection details are
in the environment variables the pages use (``COS_ENDPOINT``, ``COS_API_KEY_ID``,
``COS_INSTANCE_CRN``, ``COS_AUTH_ENDPOINT``, ``COS_HMAC_ACCESS_KEY_ID``,
``COS_HMAC_SECRET_ACCESS_KEY``). ``HOME`` points at the temporary directory, so no credential
file of the machine is read. A block that raises fails the page, naming the block and its line.

A block is left out only when an HTML comment ``<!-- docs: not run (reason) -->`` stands on the
line before it; the collector below fails if a page has such a block without a reason.
"""
from __future__ import annotations

import os
import re
import traceback
from pathlib import Path
from typing import List, Tuple

import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs"
FENCE = re.compile(r"^(?P<indent> *)(?P<fence>```+|~~~+)\s*(?P<info>[^\n`]*)$")
SKIP = re.compile(r"<!--\s*docs:\s*not run\s*\((?P<why>[^)]+)\)\s*-->")


def python_blocks(text: str) -> List[Tuple[int, str]]:
    """(first line number, source) of every fenced python block that is to run."""
    blocks = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        match = FENCE.match(lines[i])
        if not match:
            i += 1
            continue
        fence, info, indent = match.group("fence"), match.group("info").strip(), len(match.group("indent"))
        end = i + 1
        while end < len(lines) and not lines[end].strip().startswith(fence):
            end += 1
        previous = lines[i - 1].strip() if i else ""
        if info.split()[:1] == ["python"] and not SKIP.search(previous):
            body = "\n".join(line[indent:] for line in lines[i + 1:end])
            blocks.append((i + 2, body))
        i = end + 1
    return blocks


def pages() -> List[Path]:
    found = []
    for path in sorted(DOCS.rglob("*.md")):
        parts = path.relative_to(DOCS).parts
        if parts[0] in ("_build",) or "_generated" in parts:
            continue
        if python_blocks(path.read_text(encoding="utf-8")):
            found.append(path)
    return found


def test_pages_are_found():
    assert len(pages()) >= 5, "the docs runner found almost no pages with examples"


def test_skips_give_reasons():
    for path in DOCS.rglob("*.md"):
        for line in path.read_text(encoding="utf-8").splitlines():
            if "docs:" in line and "not run" in line:
                assert SKIP.search(line), "%s: a skipped example needs a reason: %s" % (path, line)


@pytest.fixture
def page_env(tmp_path, monkeypatch):
    import ibm_boto3
    from ibm_cos_emulator import Emulator

    # Pages create clients through ibm_boto3's default session, which keeps the credentials it
    # found (from the page's environment); give every page a new one, and leave none behind.
    monkeypatch.setattr(ibm_boto3, "DEFAULT_SESSION", None)
    for name in list(os.environ):
        if name.startswith(("AWS_", "IBM_", "COS_")):
            monkeypatch.delenv(name)
    with Emulator() as emulator:
        monkeypatch.setenv("HOME", str(tmp_path))
        monkeypatch.setenv("COS_ENDPOINT", emulator.endpoint_url)
        monkeypatch.setenv("COS_API_KEY_ID", emulator.api_key)
        monkeypatch.setenv("COS_INSTANCE_CRN", emulator.instance_id)
        monkeypatch.setenv("COS_AUTH_ENDPOINT", emulator.auth_endpoint)
        monkeypatch.setenv("COS_HMAC_ACCESS_KEY_ID", emulator.access_key_id)
        monkeypatch.setenv("COS_HMAC_SECRET_ACCESS_KEY", emulator.secret_access_key)
        monkeypatch.chdir(tmp_path)
        yield emulator


@pytest.mark.parametrize("page", pages(), ids=lambda p: str(p.relative_to(DOCS)))
def test_page_examples_run(page, page_env):
    namespace = {"__name__": "__docs_example__"}
    for line, source in python_blocks(page.read_text(encoding="utf-8")):
        try:
            code = compile(source, "%s:%d" % (page.relative_to(DOCS), line), "exec")
            exec(code, namespace)
        except BaseException:  # noqa: B902 - report which block failed, with its traceback
            pytest.fail("example at %s line %d failed:\n%s" % (page.relative_to(DOCS), line, traceback.format_exc()))

"""fsspec's own conformance suites for implementers (copy/get/put/open/pipe), run against
COSFileSystem on the emulator."""
from __future__ import annotations

import posixpath
import uuid

import pytest

pytest.importorskip("fsspec")
pytest.importorskip("moto")

import fsspec.tests.abstract as abstract  # noqa: E402

from ibm_boto3.fsspec import COSFileSystem  # noqa: E402
from fsspec_support import fs_options  # noqa: E402


@pytest.fixture(scope="module")
def abstract_fs(cos_emulator):
    fs = COSFileSystem(skip_instance_cache=True, **fs_options(cos_emulator))
    bucket = "abstract-" + uuid.uuid4().hex[:12]
    fs.mkdir(bucket)
    fs._test_bucket = bucket
    return fs


class COSFixtures(abstract.AbstractFixtures):
    @pytest.fixture
    def fs(self, abstract_fs):
        return abstract_fs

    @pytest.fixture
    def fs_join(self):
        return posixpath.join

    @pytest.fixture
    def fs_path(self, fs):
        return "%s/%s" % (fs._test_bucket, uuid.uuid4().hex[:8])

    @pytest.fixture
    def supports_empty_directories(self):
        return False


def _suite(name):
    """One of fsspec's suites; older fsspec releases (lowest-deps CI) lack some of them."""
    suite = getattr(abstract, name, None)
    if suite is None:
        return pytest.mark.skip(reason="this fsspec has no %s" % name)(type(name, (), {"test_missing": lambda self: None}))
    return suite


class TestCOSCopy(_suite("AbstractCopyTests"), COSFixtures):
    pass


class TestCOSGet(_suite("AbstractGetTests"), COSFixtures):
    pass


class TestCOSPut(_suite("AbstractPutTests"), COSFixtures):
    pass


class TestCOSOpen(_suite("AbstractOpenTests"), COSFixtures):
    pass


class TestCOSPipe(_suite("AbstractPipeTests"), COSFixtures):
    pass

#!/usr/bin/env python3
"""Run the user-style compatibility suite (``tests/compat/user_suite``) with the real
ibm-cos-sdk 2.16.2, so that every test in it is known to describe the original's behaviour.

    python tests/compat/run_user_suite_with_ibm_cos_sdk.py [--python /path/to/python-with-ibm-cos-sdk] [pytest args]

The suite needs no server but the one it starts itself (127.0.0.1). Without ``--python``
(or IBM_COS_SDK_PYTHON) a temporary venv is made and ``ibm-cos-sdk==2.16.2`` installed;
when that is impossible the script says so and exits 0. pytest is taken from the
interpreter running this script when the SDK's interpreter lacks it (only pytest and its
own dependencies are put on that interpreter's path, after its site-packages). The suite
is copied to a scratch directory outside the repository and run from there, so this
repository's packages cannot shadow the SDK; the script checks where ``ibm_boto3`` came
from. Exit status: pytest's. (Not a pytest module: pytest does not collect it.)
"""
from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
from typing import List, Optional

HERE = os.path.dirname(os.path.abspath(__file__))
SUITE = os.path.join(HERE, "user_suite")
sys.path.insert(0, HERE)
from run_guide_with_ibm_cos_sdk import _clean_env, check_sdk, sdk_python  # noqa: E402

# pytest and what it imports, made visible to the SDK's interpreter when it has no pytest
_PYTEST_MODULES = ("pytest", "_pytest", "pluggy", "iniconfig", "packaging", "pygments", "py", "exceptiongroup", "tomli", "colorama")

_BOOTSTRAP = """
import sys
sys.path.append({extra!r})
import ibm_boto3, ibm_botocore, ibm_s3transfer
print("ibm_boto3 %s from %s" % (ibm_boto3.__version__, ibm_boto3.__file__), flush=True)
for module in (ibm_boto3, ibm_botocore, ibm_s3transfer):
    if not module.__file__.startswith({site!r}):
        sys.exit("refusing to run: %s comes from %s, not from the SDK's site-packages" % (module.__name__, module.__file__))
import pytest
sys.exit(pytest.main({args!r}))
"""


def _has_pytest(py: str, workdir: str) -> bool:
    probe = subprocess.run([py, "-c", "import pytest"], cwd=workdir, env=_clean_env(), capture_output=True)
    return probe.returncode == 0


def _pytest_dir(workdir: str) -> str:
    """A directory holding links to pytest and its dependencies, from this interpreter."""
    target = os.path.join(workdir, "pytest-path")
    os.makedirs(target, exist_ok=True)
    for name in _PYTEST_MODULES:
        spec = importlib.util.find_spec(name)
        if spec is None or not spec.origin:
            continue
        source = os.path.dirname(spec.origin) if spec.submodule_search_locations else spec.origin
        os.symlink(source, os.path.join(target, os.path.basename(source)))
    return target


def _site_packages(py: str, workdir: str) -> str:
    out = subprocess.run([py, "-c", "import ibm_boto3, os; print(os.path.dirname(os.path.dirname(ibm_boto3.__file__)))"],
                         cwd=workdir, env=_clean_env(), capture_output=True, text=True, check=True)
    return out.stdout.strip()


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--python", help="a Python with ibm-cos-sdk 2.16.2 installed (or IBM_COS_SDK_PYTHON)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args, pytest_args = parser.parse_known_args(argv)
    workdir = tempfile.mkdtemp(prefix="cos-user-suite-")
    try:
        py, origin = sdk_python(args.python, workdir)
        version = check_sdk(py, workdir) if py else None
        if not py or not version:
            print("SKIP: ibm-cos-sdk is not available (%s)." % origin)
            return 0
        print("ibm-cos-sdk %s from %s" % (version, origin))
        suite = os.path.join(workdir, "user_suite")
        shutil.copytree(SUITE, suite, ignore=shutil.ignore_patterns("__pycache__"))
        extra = "" if _has_pytest(py, workdir) else _pytest_dir(workdir)
        code = _BOOTSTRAP.format(extra=extra, site=_site_packages(py, workdir),
                                 args=["-q", "-p", "no:cacheprovider", "-p", "no:ibm_cos_emulator", suite] + pytest_args)
        return subprocess.run([py, "-I", "-c", code], cwd=workdir, env=_clean_env()).returncode
    finally:
        if args.keep:
            print("kept %s" % workdir)
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

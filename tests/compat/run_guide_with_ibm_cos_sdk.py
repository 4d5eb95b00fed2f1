#!/usr/bin/env python3
"""Run every example of the IBM COS Python guide with the real ibm-cos-sdk 2.16.2 against
``python -m ibm_cos_emulator``, once with API-key (IAM token) auth and once with HMAC auth.

    python tests/compat/run_guide_with_ibm_cos_sdk.py [--python /path/to/python-with-ibm-cos-sdk]

Without ``--python`` (or the IBM_COS_SDK_PYTHON environment variable) a temporary venv is made
and ``ibm-cos-sdk==2.16.2`` installed into it; when that is impossible (no network, no pip)
the script says so and exits 0. It exits 1 when an example fails. Known quirks of the real SDK
are reported as "quirk", not as failures. (Not a pytest module: pytest does not collect it.)
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from typing import Dict, List, Optional, Tuple

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
EXAMPLES = os.path.join(HERE, "guide_examples.py")
SDK_REQUIREMENT = "ibm-cos-sdk==2.16.2"


def sdk_python(explicit: Optional[str], workdir: str) -> Tuple[Optional[str], str]:
    """A Python with ibm-cos-sdk importable (and a note on where it came from)."""
    candidate = explicit or os.environ.get("IBM_COS_SDK_PYTHON")
    if candidate:
        return candidate, f"given interpreter {candidate}"
    venv = os.path.join(workdir, "venv")
    try:
        subprocess.run([sys.executable, "-m", "venv", venv], check=True, capture_output=True, timeout=300)
        py = os.path.join(venv, "bin", "python")
        if not os.path.exists(py):
            py = os.path.join(venv, "Scripts", "python.exe")
        subprocess.run([py, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", SDK_REQUIREMENT],
                       check=True, capture_output=True, timeout=900)
        return py, f"temporary venv with {SDK_REQUIREMENT}"
    except (subprocess.SubprocessError, OSError) as exc:
        detail = getattr(exc, "stderr", b"") or b""
        if isinstance(detail, bytes):
            detail = detail.decode("utf-8", "replace")
        return None, f"could not install {SDK_REQUIREMENT}: {exc} {detail.strip()[-400:]}"


def check_sdk(py: str, workdir: str) -> Optional[str]:
    try:
        probe = subprocess.run([py, "-c", "import ibm_boto3, ibm_botocore; print(ibm_boto3.__version__)"],
                               cwd=workdir, capture_output=True, text=True, env=_clean_env(), timeout=120)
    except (OSError, subprocess.SubprocessError):
        return None
    if probe.returncode != 0:
        return None
    return probe.stdout.strip()


def _clean_env(extra: Optional[Dict[str, str]] = None) -> Dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("AWS_", "IBM_", "COS_")) and k not in ("PYTHONPATH", "PYTHONHOME")}
    env["HOME"] = env.get("HOME", tempfile.gettempdir())
    env.update(extra or {})
    return env


def start_emulator(workdir: str) -> Tuple[subprocess.Popen, Dict[str, str]]:
    env = dict(os.environ)
    env["PYTHONPATH"] = REPO + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    proc = subprocess.Popen([sys.executable, "-m", "ibm_cos_emulator", "--json", "--host", "127.0.0.1",
                             "--port", "0", "--data-dir", os.path.join(workdir, "data")],
                            cwd=workdir, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline() if proc.stdout else ""
    if not line:
        err = proc.stderr.read() if proc.stderr else ""
        raise RuntimeError(f"the emulator did not start: {err[-2000:]}")
    return proc, json.loads(line)


def run_examples(py: str, info: Dict[str, str], mode: str, workdir: str, verbose: bool) -> List[dict]:
    env = _clean_env({
        "COS_ENDPOINT": info["endpoint_url"],
        "COS_AUTH_ENDPOINT": info["auth_endpoint"],
        "COS_API_KEY_ID": info["api_key"],
        "COS_INSTANCE_CRN": info["instance_id"],
        "COS_HMAC_ACCESS_KEY_ID": info["access_key_id"],
        "COS_HMAC_SECRET_ACCESS_KEY": info["secret_access_key"],
        "COS_AUTH_MODE": mode,
        "COS_RUN_ID": uuid.uuid4().hex[:8],
    })
    script = os.path.join(workdir, "guide_examples.py")
    shutil.copyfile(EXAMPLES, script)
    # run from a directory outside the repo, so the repo's own ibm_boto3 cannot shadow the real SDK
    proc = subprocess.run([py, script], cwd=workdir, env=env, capture_output=True, text=True, timeout=1800)
    results = []
    for line in proc.stdout.splitlines():
        if line.startswith("@@RESULT "):
            results.append(json.loads(line[len("@@RESULT "):]))
        elif verbose:
            print("    | " + line)
    if proc.returncode not in (0, 1) or not results:
        results.append({"name": "(runner)", "status": "fail", "auth": mode,
                        "detail": f"exit {proc.returncode}: {proc.stderr[-3000:]}"})
    elif verbose and proc.stderr.strip():
        print(proc.stderr[-3000:])
    return results


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--python", help="a Python with ibm-cos-sdk 2.16.2 installed (or IBM_COS_SDK_PYTHON)")
    parser.add_argument("--auth", choices=("iam", "hmac", "both"), default="both")
    parser.add_argument("--verbose", "-v", action="store_true", help="show the examples' own output")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args(argv)

    import importlib.util

    if importlib.util.find_spec("moto") is None or importlib.util.find_spec("flask") is None:
        print("SKIP: the emulator needs moto[server] in this Python (pip install 'moto[server]').")
        return 0
    workdir = tempfile.mkdtemp(prefix="cos-guide-compat-")
    proc = None
    try:
        py, origin = sdk_python(args.python, workdir)
        version = check_sdk(py, workdir) if py else None
        if not py or not version:
            print(f"SKIP: ibm-cos-sdk is not available ({origin}).")
            return 0
        print(f"ibm-cos-sdk {version} from {origin}")
        proc, info = start_emulator(workdir)
        print(f"emulator at {info['endpoint_url']}")
        modes = ["iam", "hmac"] if args.auth == "both" else [args.auth]
        all_results: List[dict] = []
        for mode in modes:
            started = time.time()
            results = run_examples(py, info, mode, workdir, args.verbose)
            all_results.extend(results)
            print(f"\n== auth: {mode} ({time.time() - started:.1f} s)")
            for r in results:
                mark = {"pass": "PASS ", "fail": "FAIL ", "quirk": "QUIRK"}[r["status"]]
                print(f"  {mark} {r['name']}")
                if r["status"] != "pass" and r.get("detail"):
                    for dl in r["detail"].strip().splitlines()[:12]:
                        print(f"         {dl}")
        counts = {s: sum(1 for r in all_results if r["status"] == s) for s in ("pass", "fail", "quirk")}
        print(f"\n{counts['pass']} passed, {counts['fail']} failed, {counts['quirk']} known SDK quirk(s)")
        return 1 if counts["fail"] else 0
    finally:
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
        if args.keep:
            print(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

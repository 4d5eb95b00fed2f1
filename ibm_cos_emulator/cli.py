"""Command line: ``python -m ibm_cos_emulator [--host H] [--port N] [--api-key KEY=INSTANCE_ID ...]
[--hmac ACCESS_KEY:SECRET_KEY[@INSTANCE_ID] ...] [--token-ttl S] [--data-dir DIR] [--region R]``.
"""
from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import threading
from typing import Dict, List, Optional, Tuple

from .server import Emulator


def _parse_api_keys(values: List[str]) -> Dict[str, str]:
    out: Dict[str, str] = {}
    for value in values:
        key, _, instance = value.partition("=")
        if not key:
            raise argparse.ArgumentTypeError("--api-key wants KEY=INSTANCE_ID")
        out[key] = instance
    return out


def _parse_hmac(values: List[str]) -> Dict[str, Tuple[str, str]]:
    out: Dict[str, Tuple[str, str]] = {}
    for value in values:
        pair, _, instance = value.partition("@")
        access, sep, secret = pair.partition(":")
        if not access or not sep or not secret:
            raise argparse.ArgumentTypeError("--hmac wants ACCESS_KEY:SECRET_KEY[@INSTANCE_ID]")
        out[access] = (secret, instance)
    return out


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m ibm_cos_emulator",
                                description="A local IBM Cloud Object Storage endpoint (S3 API + IAM tokens).")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=0, help="port (default: a free one)")
    p.add_argument("--api-key", action="append", default=[], metavar="KEY=INSTANCE_ID",
                   help="an API key and the service instance (CRN) it belongs to; repeatable")
    p.add_argument("--hmac", action="append", default=[], metavar="ACCESS_KEY:SECRET_KEY",
                   help="an HMAC key pair (optionally @INSTANCE_ID); repeatable")
    p.add_argument("--instance-id", default=None, help="the default service instance id (CRN)")
    p.add_argument("--token-ttl", type=int, default=3600, help="IAM access token lifetime in seconds")
    p.add_argument("--data-dir", default=None, help="keep state in this directory across restarts")
    p.add_argument("--region", default="us-south", help="region for default location constraints")
    p.add_argument("--no-verify-signatures", action="store_true",
                   help="accept any SigV4 signature (access keys still select the instance)")
    p.add_argument("--max-connections", type=int, default=256, help="connections served at once (default 256)")
    p.add_argument("--header-timeout", type=float, default=30.0,
                   help="seconds to receive a request line and headers (default 30)")
    p.add_argument("--idle-timeout", type=float, default=120.0,
                   help="seconds an idle keep-alive connection stays open (default 120)")
    p.add_argument("--json", action="store_true", help="print the connection details as one JSON line")
    p.add_argument("-v", "--verbose", action="count", default=0, help="log requests (-v) or more (-vv)")
    return p


def main(argv: Optional[List[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    level = logging.WARNING if not args.verbose else (logging.INFO if args.verbose == 1 else logging.DEBUG)
    logging.basicConfig(level=level, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    try:
        api_keys = _parse_api_keys(args.api_key) or None
        hmac_keys = _parse_hmac(args.hmac) or None
    except argparse.ArgumentTypeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    emulator = Emulator(host=args.host, port=args.port, api_keys=api_keys, hmac_keys=hmac_keys,
                        token_ttl=args.token_ttl, data_dir=args.data_dir, region=args.region,
                        verify_signatures=not args.no_verify_signatures, instance_id=args.instance_id,
                        max_connections=args.max_connections, header_timeout=args.header_timeout,
                        idle_timeout=args.idle_timeout)
    stop = threading.Event()

    def _on_signal(signum: int, frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)
    emulator.start()
    info = {
        "endpoint_url": emulator.endpoint_url,
        "auth_endpoint": emulator.auth_endpoint,
        "api_key": emulator.api_key,
        "instance_id": emulator.instance_id,
        "access_key_id": emulator.access_key_id,
        "secret_access_key": emulator.secret_access_key,
        "region": emulator.region,
        "data_dir": emulator.data_dir,
    }
    if args.json:
        print(json.dumps(info), flush=True)
    else:
        print(f"ibm_cos_emulator listening on {emulator.endpoint_url}", flush=True)
        print(f"  ibm_auth_endpoint       = {emulator.auth_endpoint}")
        print(f"  ibm_api_key_id          = {emulator.api_key}")
        print(f"  ibm_service_instance_id = {emulator.instance_id}")
        print(f"  aws_access_key_id       = {emulator.access_key_id}")
        print(f"  aws_secret_access_key   = {emulator.secret_access_key}")
        if emulator.data_dir:
            print(f"  data dir                = {emulator.data_dir}")
        print("Press Ctrl-C to stop.", flush=True)
    try:
        while not stop.wait(0.5):
            pass
    finally:
        emulator.stop()
        print("ibm_cos_emulator stopped", flush=True)
    return 0

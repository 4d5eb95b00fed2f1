"""The :class:`Emulator`: wires IAM, auth, the COS layer, moto, faults and persistence
behind one HTTP endpoint, runs it in a background thread, and exposes test hooks.
"""
from __future__ import annotations

import logging
import threading
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

from . import credentials
from .app import EmulatorApp
from .auth import Authenticator
from .clock import Clock
from .cos import CosLayer
from .faults import Faults
from .httpserver import EmulatorHTTPServer, bound_port, serve_in_thread, url_host
from .iam import TOKEN_PATH, IamService
from .state import CosState

log = logging.getLogger("ibm_cos_emulator")

HmacSpec = Union[str, Tuple[str, str]]


class Emulator:
    """A local IBM Cloud Object Storage endpoint (S3 + IAM) for tests and demos.

    Use it as a context manager::

        with Emulator() as cos:
            client = ibm_boto3.client("s3", endpoint_url=cos.endpoint_url,
                                      ibm_api_key_id=cos.api_key, ibm_service_instance_id=cos.instance_id,
                                      ibm_auth_endpoint=cos.auth_endpoint,
                                      config=Config(signature_version="oauth"))

    ``api_keys`` maps API key -> service instance id (CRN); ``hmac_keys`` maps access key id ->
    secret access key, or -> (secret, instance id). When none are given, one of each is made up
    (and kept in ``data_dir`` when that is set, so restarts keep them).

    ``max_connections`` caps the connections served at once (more get 503); the request line and
    headers must arrive within ``header_timeout`` seconds; idle keep-alive connections close after
    ``idle_timeout`` seconds (see ``SECURITY.md``).
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0,
                 api_keys: Optional[Mapping[str, str]] = None,
                 hmac_keys: Optional[Mapping[str, HmacSpec]] = None,
                 token_ttl: int = 3600, data_dir: Optional[str] = None, region: str = "us-south",
                 verify_signatures: bool = True, max_clock_skew: Optional[float] = 900.0,
                 allow_anonymous: bool = False, instance_id: Optional[str] = None,
                 virtual_host_bases: Sequence[str] = ("localhost",), max_connections: int = 256,
                 header_timeout: float = 30.0, idle_timeout: float = 120.0) -> None:
        self.host = host
        self.max_connections = int(max_connections)
        self.header_timeout = float(header_timeout)
        self.idle_timeout = float(idle_timeout)
        self.port = int(port)
        self.region = region
        self.data_dir = data_dir
        self.clock = Clock()
        self.faults = Faults()
        self.state = CosState()
        self._store: Any = None
        if data_dir:
            from .persistence import Store

            self._store = Store(data_dir)
        self._resolve_credentials(api_keys, hmac_keys, instance_id)
        self.iam = IamService(self._api_keys, self.clock, token_ttl=token_ttl)
        self.auth = Authenticator(self.iam, self._hmac_keys, self.clock.time, lambda: self.instance_id,
                                  verify_signatures=verify_signatures, max_clock_skew=max_clock_skew,
                                  allow_anonymous=allow_anonymous)
        self._virtual_host_bases = tuple(virtual_host_bases)
        self.engine: Any = None
        self.app: Optional[EmulatorApp] = None
        self._server: Optional[EmulatorHTTPServer] = None
        self._thread: Optional[threading.Thread] = None
        self._lock = threading.RLock()

    # -- credentials -------------------------------------------------------------------------------
    def _resolve_credentials(self, api_keys: Optional[Mapping[str, str]],
                             hmac_keys: Optional[Mapping[str, HmacSpec]], instance_id: Optional[str]) -> None:
        saved = self._store.load_credentials() if self._store else None
        generated = False
        if instance_id is None:
            if api_keys:
                instance_id = next((v for v in api_keys.values() if v), None)
            if instance_id is None and saved:
                instance_id = saved.get("instance_id")
            if instance_id is None:
                instance_id = credentials.new_instance_crn()
                generated = True
        self.instance_id: str = instance_id
        if api_keys:
            keys = {k: (v or instance_id) for k, v in api_keys.items()}
        elif saved and saved.get("api_keys"):
            keys = dict(saved["api_keys"])
        else:
            keys = {credentials.new_api_key(): instance_id}
            generated = True
        self._api_keys: Dict[str, str] = keys
        pairs: Dict[str, Tuple[str, str]] = {}
        if hmac_keys:
            for access, spec in hmac_keys.items():
                if isinstance(spec, tuple):
                    pairs[access] = (spec[0], spec[1] or instance_id)
                else:
                    pairs[access] = (spec, instance_id)
        elif saved and saved.get("hmac_keys"):
            pairs = {k: (v[0], v[1]) for k, v in saved["hmac_keys"].items()}
        else:
            access, secret = credentials.new_hmac_pair()
            pairs[access] = (secret, instance_id)
            generated = True
        self._hmac_keys: Dict[str, Tuple[str, str]] = pairs
        if self._store and (generated or saved is None):
            self._store.save_credentials({
                "instance_id": instance_id,
                "api_keys": keys,
                "hmac_keys": {k: list(v) for k, v in pairs.items()},
            })

    @property
    def api_key(self) -> str:
        """The first API key (to exchange for an IAM token)."""
        return next(iter(self._api_keys))

    @property
    def api_keys(self) -> Dict[str, str]:
        return dict(self._api_keys)

    @property
    def access_key_id(self) -> str:
        return next(iter(self._hmac_keys))

    @property
    def secret_access_key(self) -> str:
        return self._hmac_keys[self.access_key_id][0]

    @property
    def hmac_keys(self) -> Dict[str, Tuple[str, str]]:
        return dict(self._hmac_keys)

    def add_api_key(self, api_key: str, instance_id: Optional[str] = None) -> None:
        self._api_keys[api_key] = instance_id or self.instance_id
        self.iam.add_api_key(api_key, instance_id or self.instance_id)

    def add_hmac_key(self, access_key_id: str, secret_access_key: str, instance_id: Optional[str] = None) -> None:
        self._hmac_keys[access_key_id] = (secret_access_key, instance_id or self.instance_id)

    # -- addresses -----------------------------------------------------------------------------------
    @property
    def endpoint_url(self) -> str:
        if self._server is None and not self.port:
            raise RuntimeError("the emulator is not started: call start() or use it as a context manager")
        return f"http://{url_host(self.host)}:{self.port}"

    url = endpoint_url

    @property
    def auth_endpoint(self) -> str:
        return self.endpoint_url + TOKEN_PATH

    @property
    def running(self) -> bool:
        return self._server is not None

    def client_kwargs(self, auth: str = "iam") -> Dict[str, Any]:
        """Keyword arguments for ``ibm_boto3.client("s3", **kwargs)`` (add ``config`` for ``auth="iam"``:
        ``Config(signature_version="oauth")``)."""
        common: Dict[str, Any] = {"endpoint_url": self.endpoint_url}
        if auth == "iam":
            common.update(ibm_api_key_id=self.api_key, ibm_service_instance_id=self.instance_id,
                          ibm_auth_endpoint=self.auth_endpoint)
        elif auth == "hmac":
            common.update(aws_access_key_id=self.access_key_id, aws_secret_access_key=self.secret_access_key)
        else:
            raise ValueError("auth must be 'iam' or 'hmac'")
        return common

    def cos_credentials(self) -> Dict[str, Any]:
        """A service-credential document (the ``~/.bluemix/cos_credentials`` format)."""
        return {
            "apikey": self.api_key,
            "endpoints": self.endpoint_url,
            "iam_apikey_description": "ibm_cos_emulator credential",
            "iam_apikey_name": "ibm-cos-emulator",
            "resource_instance_id": self.instance_id,
            "cos_hmac_keys": {"access_key_id": self.access_key_id, "secret_access_key": self.secret_access_key},
        }

    # -- lifecycle --------------------------------------------------------------------------------------
    def _build(self) -> None:
        from .engine import MotoEngine

        account_id = self._store.meta("account_id") if self._store else None
        self.engine = MotoEngine(account_id=account_id)
        if self._store:
            self._restore()
        cos = CosLayer(self.engine, self.state, self.clock, self.region, lambda: self.instance_id,
                       self.auth.verify_post_policy)
        self.app = EmulatorApp(self.iam, self.auth, cos, self.faults, self._virtual_host_bases,
                               on_change=self._persist_change if self._store else None)

    def start(self) -> "Emulator":
        """Start serving in a background thread (on a free port when ``port`` is 0)."""
        with self._lock:
            if self._server is not None:
                return self
            if self.app is None:
                self._build()
            self._server = EmulatorHTTPServer(self.host, self.port, self.app, max_connections=self.max_connections,
                                              header_timeout=self.header_timeout, idle_timeout=self.idle_timeout)
            self.port = bound_port(self._server)
            self._thread = serve_in_thread(self._server)
            log.info("ibm_cos_emulator listening on %s", self.endpoint_url)
            return self

    def stop(self) -> None:
        """Stop serving (state is kept in memory, and saved when ``data_dir`` is set)."""
        with self._lock:
            server, thread = self._server, self._thread
            self._server, self._thread = None, None
        if server is None:
            return
        server.shutdown()
        server.close_connections()
        server.server_close()
        if thread is not None:
            thread.join(timeout=10)

    def __enter__(self) -> "Emulator":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # -- test hooks ----------------------------------------------------------------------------------------
    def reset(self) -> None:
        """Forget all buckets, objects, tokens, recorded IAM requests, faults and clock offset."""
        self.faults.clear()
        self.clock.reset()
        self.iam.reset()
        with self.state.lock:
            self.state.reset()
            if self.engine is not None:
                self.engine.reset()
        if self._store:
            self._store.clear()

    @property
    def iam_requests(self) -> List[Dict[str, Any]]:
        """Token requests seen by IAM, secrets replaced by :func:`ibm_cos_emulator.fingerprint`."""
        return self.iam.requests

    def expire_tokens(self, refresh_tokens: bool = False) -> int:
        """Make all issued access tokens expired now; returns how many were live."""
        return self.iam.expire_tokens(refresh_tokens=refresh_tokens)

    def advance_time(self, seconds: float) -> None:
        """Move the emulator's clock (token expiry, retention, presigned-URL expiry) forward."""
        self.clock.advance(seconds)

    # -- persistence -------------------------------------------------------------------------------------------
    def _restore(self) -> None:
        """Load the data directory into a fresh engine, COS state and IAM service."""
        import binascii

        from .engine import MOTO_LOCK

        store = self._store
        if store.meta("account_id") is None:
            store.set_meta("account_id", self.engine.account_id)
        with self.state.lock, MOTO_LOCK:
            loaded = store.load(self.engine, self.state)
        secret = store.meta("iam_secret")
        if secret is None:
            store.set_meta("iam_secret", self.iam.export_secret().hex())
        else:
            self.iam.import_state({"secret": binascii.unhexlify(secret), "rows": loaded["tokens"]})
        self.iam.listener = self._persist_tokens

    def _persist_change(self, req: Any) -> None:
        """Write the rows of what one successful request changed (with ``data_dir``)."""
        if not self._store or self.engine is None or not req.bucket:
            return
        from .engine import MOTO_LOCK

        op = req.operation
        keys = list(req.touched) + ([req.key] if req.key else [])
        uploads = op in ("CreateMultipartUpload", "UploadPart", "UploadPartCopy", "CompleteMultipartUpload",
                         "AbortMultipartUpload")
        part = None
        if op in ("UploadPart", "UploadPartCopy"):
            try:
                part = (req.args.get("uploadId", ""), int(req.args.get("partNumber", "")))
            except ValueError:
                part = None
        try:
            with self.state.lock, MOTO_LOCK:
                self._store.sync(self.engine, self.state, req.bucket, keys,
                                 bucket_row=req.key is None and op not in ("DeleteObjects", "PostObject"),
                                 uploads_for=[req.key] if uploads and req.key else [], part=part)
        except Exception:  # noqa: BLE001 - a failed write must not fail the request
            log.exception("could not save a change to %s", self.data_dir)

    def _persist_tokens(self, rows: Any, dropped: Any) -> None:
        try:
            self._store.write_tokens(rows, dropped)
        except Exception:  # noqa: BLE001
            log.exception("could not save IAM tokens to %s", self.data_dir)

    def save(self) -> None:
        """Kept for compatibility: with ``data_dir`` every change is already written when answered."""

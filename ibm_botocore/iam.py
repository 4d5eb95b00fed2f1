"""IBM Cloud IAM: exchanging an API key for a bearer token, and keeping it fresh.

``DefaultTokenManager`` fetches a token lazily on first use and refreshes it on use:

* *advisory window* (last 25% of the lifetime): the first caller to notice starts one
  background refresh; everybody keeps using the current token meanwhile;
* *mandatory window* (last 17%): callers wait for the refresh (one at a time across
  threads; the others reuse its result);
* transient IAM failures (connection errors, 5xx, 429) are retried with backoff a bounded
  number of times, then ``CredentialRetrievalError`` names the endpoint and HTTP status —
  never the key; a failed advisory refresh is logged once, not every few seconds;
* ``force_refresh()`` gets a new token now (the client calls it once when COS answers
  403 because the token expired).

There is no long-lived polling thread. The token request is a form POST to
``https://iam.cloud.ibm.com/identity/token`` (or ``ibm_auth_endpoint``, which replaces
the whole URL) sent with urllib3.
"""
from __future__ import annotations

import datetime
import json
import logging
import threading
import time
from typing import Any, Callable, Dict, Optional
from urllib.parse import urlencode

from ibm_botocore._credbase import Credentials, ReadOnlyCredentials
from ibm_botocore.exceptions import CredentialRetrievalError

logger = logging.getLogger(__name__)

ADVISORY_FRACTION = 0.25
MANDATORY_FRACTION = 0.17
_TRANSIENT_ATTEMPTS = 3
_FAILED_ADVISORY_RETRY_AFTER = 10.0


def _local_now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


class TokenManager:
    """Provides bearer tokens; subclass and implement ``get_token``."""

    def get_token(self) -> Optional[str]:
        raise NotImplementedError("get_token")


class _IamHttpError(Exception):
    def __init__(self, message: str, status: Optional[int], transient: bool) -> None:
        super().__init__(message)
        self.status = status
        self.transient = transient


class DefaultTokenManager(TokenManager):
    """Exchanges an API key (or calls ``auth_function``) for IAM tokens and caches them."""

    API_TOKEN_URL = "https://iam.cloud.ibm.com/identity/token"
    REFRESH_OVERRIDE_IN_SECS = 0
    DEFAULT_AUTH_FUNCTION_TIMEOUT: float = 5
    GRANT_TYPE = "urn:ibm:params:oauth:grant-type:apikey"
    RESPONSE_TYPE = "cloud_iam"

    def __init__(
        self,
        api_key_id: Optional[str] = None,
        service_instance_id: Optional[str] = None,
        auth_endpoint: Optional[str] = None,
        time_fetcher: Callable[[], datetime.datetime] = _local_now,
        auth_function: Optional[Callable[[], Dict[str, Any]]] = None,
        verify: Any = True,
    ) -> None:
        if api_key_id is None and auth_function is None:
            raise RuntimeError("api_key_id and auth_function cannot both be None")
        self.api_key_id = api_key_id
        self.service_instance_id = service_instance_id
        self.auth_endpoint = auth_endpoint or self.API_TOKEN_URL
        self._time_fetcher = time_fetcher
        self._auth_function = auth_function or self._default_auth_function
        self._verify = verify
        self.proxies: Optional[Dict[str, str]] = None
        self.background_refresher_retry_count = _TRANSIENT_ATTEMPTS
        self._token: Optional[str] = None
        self._refresh_token: Optional[str] = None
        self._token_type: Optional[str] = None
        self._expiry: Optional[float] = None
        self._advisory: float = 0.0
        self._mandatory: float = 0.0
        self._state_lock = threading.Lock()
        self._refresh_lock = threading.Lock()
        self._background: Optional[threading.Thread] = None
        self._advisory_failed_at: Optional[float] = None
        self._http: Optional[Any] = None  # a urllib3 PoolManager or ProxyManager, made on first use
        self._retry_sleep: Callable[[float], None] = time.sleep

    # -- configuration (compatible names) ------------------------------------------------
    @staticmethod
    def get_default_auth_function_timeout() -> float:
        return DefaultTokenManager.DEFAULT_AUTH_FUNCTION_TIMEOUT

    @staticmethod
    def set_default_auth_function_timeout(timeout: float = 5) -> None:
        DefaultTokenManager.DEFAULT_AUTH_FUNCTION_TIMEOUT = timeout

    def set_verify(self, verify: Any) -> None:
        self._verify = verify
        self._http = None

    def get_verify(self) -> Any:
        return self._verify

    def set_from_config(self, config: Any) -> None:
        """Take proxies from a client ``Config`` (the IAM call uses the same proxies)."""
        proxies = getattr(config, "proxies", None)
        if proxies:
            self.proxies = dict(proxies)
            self._http = None

    def stop_refresh_thread(self) -> None:
        """Compatibility: refreshes run on demand; nothing keeps running."""

    def wakeup_refresh_thread(self) -> None:
        """Compatibility: start an advisory refresh now if one is due."""
        self._maybe_start_background_refresh(self._now())

    def __repr__(self) -> str:
        return "<%s auth_endpoint=%r>" % (self.__class__.__name__, self.auth_endpoint)

    # -- the token ----------------------------------------------------------------------
    def _now(self) -> float:
        return self._time_fetcher().timestamp()

    def _seconds_left(self, now: float) -> Optional[float]:
        if self._expiry is None or self._token is None:
            return None
        return self._expiry - now

    def get_token(self) -> Optional[str]:
        now = self._now()
        left = self._seconds_left(now)
        if left is not None and left > self._mandatory:
            token = self._token  # served even if the background refresh below finishes first
            if left <= self._advisory:
                self._maybe_start_background_refresh(now)
            return token
        # No token, or inside the mandatory window: wait for a refresh.
        self._refresh(mandatory=True)
        return self._token

    def force_refresh(self) -> Optional[str]:
        """Fetch a new token now (e.g. after the service rejected an expired token)."""
        before = self._token
        with self._refresh_lock:
            if self._token is not before and self._token is not None:
                return self._token  # another thread already refreshed
            self._fetch_and_store()
        return self._token

    def _refresh(self, mandatory: bool) -> None:
        if mandatory:
            with self._refresh_lock:
                left = self._seconds_left(self._now())
                if left is not None and left > self._mandatory:
                    return  # someone refreshed while we waited
                self._fetch_and_store()
            return
        if not self._refresh_lock.acquire(blocking=False):
            return
        try:
            left = self._seconds_left(self._now())
            if left is not None and left > self._advisory:
                return
            try:
                self._fetch_and_store()
                self._advisory_failed_at = None
            except CredentialRetrievalError as exc:
                if self._advisory_failed_at is None:
                    logger.warning("Refreshing the IAM token ahead of expiry failed; the current token stays in use: %s", exc)
                self._advisory_failed_at = time.monotonic()
        finally:
            self._refresh_lock.release()

    def _maybe_start_background_refresh(self, now: float) -> None:
        if self._refresh_lock.locked():
            return
        failed = self._advisory_failed_at
        if failed is not None and time.monotonic() - failed < _FAILED_ADVISORY_RETRY_AFTER:
            return
        with self._state_lock:
            if self._background is not None and self._background.is_alive():
                return
            thread = threading.Thread(target=self._refresh, args=(False,), name="ibm-iam-token-refresh", daemon=True)
            self._background = thread
        thread.start()

    def _fetch_and_store(self) -> None:
        data = self._fetch_with_retries()
        try:
            token = data["access_token"]
            token_type = data.get("token_type", "Bearer")
            expires_in = float(data["expires_in"])
            if not isinstance(token, str) or not token or not isinstance(token_type, str) or not expires_in > 0:
                raise ValueError("wrong types")
        except (KeyError, TypeError, ValueError, AttributeError, OverflowError):
            raise CredentialRetrievalError(
                provider=self.auth_endpoint, error_msg="the IAM response has no access_token/expires_in"
            )
        if self.REFRESH_OVERRIDE_IN_SECS > 0:
            expires_in = float(self.REFRESH_OVERRIDE_IN_SECS)
        now = self._now()
        with self._state_lock:
            self._token = token
            self._token_type = token_type
            self._refresh_token = data.get("refresh_token") or self._refresh_token
            self._expiry = now + expires_in
            self._advisory = expires_in * ADVISORY_FRACTION
            self._mandatory = expires_in * MANDATORY_FRACTION
        logger.debug("Obtained an IAM token valid for %d s", int(expires_in))

    def _fetch_with_retries(self) -> Dict[str, Any]:
        last: Optional[_IamHttpError] = None
        for attempt in range(1, _TRANSIENT_ATTEMPTS + 1):
            try:
                return self._auth_function()
            except _IamHttpError as exc:
                last = exc
                if not exc.transient or attempt == _TRANSIENT_ATTEMPTS:
                    break
                self._retry_sleep(min(0.5 * 2 ** (attempt - 1), 4.0))
            except CredentialRetrievalError:
                raise
        assert last is not None
        raise CredentialRetrievalError(provider=self.auth_endpoint, error_msg=str(last))

    # -- the HTTP exchange -------------------------------------------------------------------
    def _pool(self) -> Any:
        if self._http is None:
            import urllib3

            from ibm_botocore.tls import ProxySettings, TLSSettings

            kwargs: Dict[str, Any] = {"timeout": urllib3.Timeout(total=self.DEFAULT_AUTH_FUNCTION_TIMEOUT), "retries": False}
            proxy = ProxySettings(self.proxies).proxy_url_for(self.auth_endpoint)
            if self.auth_endpoint.startswith("https:") or (proxy or "").startswith("https:"):
                # the same TLS decisions as the S3 client's (CA file or directory, verify off)
                kwargs.update(TLSSettings(self._verify).urllib3_pool_kwargs())
            self._http = urllib3.ProxyManager(proxy, **kwargs) if proxy else urllib3.PoolManager(**kwargs)
        return self._http

    def _form(self) -> Dict[str, str]:
        if self._refresh_token:
            return {"grant_type": "refresh_token", "response_type": self.RESPONSE_TYPE, "refresh_token": self._refresh_token}
        return {"grant_type": self.GRANT_TYPE, "response_type": self.RESPONSE_TYPE, "apikey": self.api_key_id or ""}

    def _default_auth_function(self) -> Dict[str, Any]:
        form = self._form()
        try:
            return self._post(form)
        except _IamHttpError as exc:
            if form.get("grant_type") == "refresh_token" and not exc.transient and self.api_key_id:
                # The refresh token was refused: start over with the API key.
                self._refresh_token = None
                return self._post(self._form())
            raise

    def _post(self, form: Dict[str, str]) -> Dict[str, Any]:
        import urllib3

        headers = {
            "accept": "application/json",
            "authorization": "Basic Yng6Yng=",
            "cache-control": "no-cache",
            "Content-Type": "application/x-www-form-urlencoded",
        }
        try:
            pool = self._pool()
        except (OSError, ValueError) as exc:  # an unusable CA bundle path, say
            raise _IamHttpError("cannot use the TLS settings for the IAM endpoint (%s)" % exc.__class__.__name__, None, False)
        try:
            response = pool.request("POST", self.auth_endpoint, body=urlencode(form), headers=headers)
        except urllib3.exceptions.HTTPError as exc:
            raise _IamHttpError("could not reach the IAM endpoint (%s)" % exc.__class__.__name__, None, True)
        status = response.status
        body = response.data
        if status != 200:
            message = "HttpCode(%d) - Retrieval of tokens from server failed." % status
            try:
                details = json.loads(body.decode("utf-8"))
            except (ValueError, UnicodeDecodeError, RecursionError):
                details = {}
            if isinstance(details, dict):
                if details.get("errorMessage"):
                    message += " ErrorMessage: %s" % details["errorMessage"]
                if details.get("errorCode"):
                    message += " ErrorCode: %s." % details["errorCode"]
                request_id = (details.get("context") or {}).get("requestId") if isinstance(details.get("context"), dict) else None
                if request_id:
                    message += " RequestId: %s" % request_id
            raise _IamHttpError(message, status, status >= 500 or status == 429)
        try:
            value: Dict[str, Any] = json.loads(body.decode("utf-8"))
            return value
        except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: nested too deeply
            raise _IamHttpError("HttpCode(200) - the IAM response is not JSON.", status, True)


class DelegatedTokenManager(DefaultTokenManager):
    """Requests a delegated refresh token (used by Aspera transfers)."""

    RESPONSE_TYPE = "delegated_refresh_token"
    DELEGATED_LIFETIME = 518400

    def __init__(
        self,
        api_key_id: Optional[str] = None,
        service_instance_id: Optional[str] = None,
        auth_endpoint: Optional[str] = None,
        time_fetcher: Callable[[], datetime.datetime] = _local_now,
        auth_function: Optional[Callable[[], Dict[str, Any]]] = None,
        verify: Any = True,
        receiver_client_ids: Optional[str] = None,
    ) -> None:
        super().__init__(api_key_id, service_instance_id, auth_endpoint, time_fetcher, auth_function, verify)
        self.receiver_client_ids = receiver_client_ids

    def _form(self) -> Dict[str, str]:
        form = {"grant_type": self.GRANT_TYPE, "response_type": self.RESPONSE_TYPE, "apikey": self.api_key_id or ""}
        if self.receiver_client_ids:
            form["receiver_client_ids"] = self.receiver_client_ids
        return form

    def _fetch_and_store(self) -> None:
        data = self._fetch_with_retries()
        token = data.get("delegated_refresh_token")
        if not token:
            raise CredentialRetrievalError(provider=self.auth_endpoint, error_msg="the IAM response has no delegated_refresh_token")
        now = self._now()
        with self._state_lock:
            self._token = token
            self._token_type = data.get("token_type")
            self._expiry = now + self.DELEGATED_LIFETIME
            self._advisory = 0.0
            self._mandatory = 0.0


class OAuth2Credentials(Credentials):
    """IBM API-key credentials; ``token`` is a current IAM bearer token."""

    is_oauth = True

    def __init__(
        self,
        api_key_id: Optional[str] = None,
        service_instance_id: Optional[str] = None,
        auth_endpoint: Optional[str] = None,
        token_manager: Optional[TokenManager] = None,
        auth_function: Optional[Callable[[], Dict[str, Any]]] = None,
        method: Optional[str] = None,
        time_fetcher: Callable[[], datetime.datetime] = _local_now,
        verify: Any = True,
    ) -> None:
        self.api_key_id = str(api_key_id) if api_key_id is not None else None
        self.service_instance_id = str(service_instance_id) if service_instance_id is not None else None
        self.auth_endpoint = auth_endpoint
        self.auth_function = auth_function
        self.method = method if method is not None else "explicit"
        # bearer credentials carry no HMAC keys (Credentials types them for HMAC)
        self.access_key = None  # type: ignore[assignment]
        self.secret_key = None  # type: ignore[assignment]
        if self.api_key_id is not None:
            if token_manager is not None or auth_function is not None:
                logger.warning("An API key was given: the token_manager/auth_function arguments are ignored.")
            self.token_manager: TokenManager = DefaultTokenManager(
                api_key_id=self.api_key_id,
                service_instance_id=self.service_instance_id,
                auth_endpoint=auth_endpoint,
                time_fetcher=time_fetcher,
                verify=verify,
            )
        elif auth_function is not None:
            self.token_manager = DefaultTokenManager(
                auth_function=auth_function, auth_endpoint=auth_endpoint, time_fetcher=time_fetcher, verify=verify
            )
        elif token_manager is not None:
            self.token_manager = token_manager
        else:
            raise ValueError("Either api_key_id, auth_function or token_manager must be provided")

    @property
    def token(self) -> Optional[str]:
        return self.token_manager.get_token()

    @token.setter
    def token(self, value: Any) -> None:
        # Credentials.__init__ compatibility; the token always comes from the manager.
        pass

    def get_frozen_credentials(self) -> ReadOnlyCredentials:
        return ReadOnlyCredentials(None, None, self.token_manager.get_token())

    def force_refresh(self) -> Optional[str]:
        refresh = getattr(self.token_manager, "force_refresh", None)
        if refresh is None:
            return self.token_manager.get_token()
        value: Optional[str] = refresh()
        return value

    def __repr__(self) -> str:
        return "<OAuth2Credentials service_instance_id=%r auth_endpoint=%r method=%r>" % (
            self.service_instance_id,
            self.auth_endpoint,
            self.method,
        )

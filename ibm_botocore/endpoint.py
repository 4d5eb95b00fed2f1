"""Sending one operation: sign, send, parse, and retry.

``Endpoint.make_request(operation_model, request_dict)`` runs the attempt loop:

    build AWSRequest -> request-created event -> sign -> before-send event ->
    HTTP send -> read/parse -> what next (``_next``: a bearer-token refresh, a retry
    after a delay, or done) -> sleep

and returns ``(http_response, parsed)``. ``ResponseMetadata['RetryAttempts']`` says how
many retries were needed; ``MaxAttemptsReached`` is set when they ran out.

The endpoint knows HTTP, signing and retries, not the service: its signer and the
service's one response rule it needs (``error_in_success``: a 200 answer that reports a
failure, retried as a server error) are given to its constructor; every other response
rule runs in the client's pipeline.
"""
from __future__ import annotations

import datetime
import logging
import time
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Tuple

from ibm_botocore import _redact
from ibm_botocore._transport import SocketOption
from ibm_botocore.awsrequest import AWSPreparedRequest, AWSResponse, create_request_object
from ibm_botocore.context import RequestContext
from ibm_botocore.exceptions import ConnectionError as SDKConnectionError
from ibm_botocore.exceptions import HTTPClientError
from ibm_botocore.httpsession import DEFAULT_TIMEOUT, MAX_POOL_CONNECTIONS, URLLib3Session
from ibm_botocore.parsers import create_parser
from ibm_botocore.response import StreamingBody
from ibm_botocore.utils import parse_timestamp, uuid4_str
from ibm_botocore.retries import LegacyRetryPolicy, RetryPolicy

logger = logging.getLogger(__name__)

_TRANSPORT_ERRORS = (HTTPClientError, SDKConnectionError)

__all__ = ["Endpoint", "EndpointCreator", "DEFAULT_TIMEOUT", "MAX_POOL_CONNECTIONS", "convert_to_response_dict"]


def convert_to_response_dict(http_response: AWSResponse, operation_model: Any) -> Dict[str, Any]:
    """The dict the parser consumes; streaming success bodies stay unread."""
    response: Dict[str, Any] = {
        "headers": http_response.headers,
        "status_code": http_response.status_code,
        "context": {"operation_name": operation_model.name, "service_model": operation_model.service_model},
    }
    if response["status_code"] >= 300 or not operation_model.has_streaming_output:
        response["body"] = http_response.content
    else:
        length = http_response.headers.get("content-length")
        response["body"] = StreamingBody(http_response.raw, int(length) if length is not None else None)
    return response


ErrorInSuccess = Callable[[str, int, Any], bool]


@dataclass(frozen=True)
class _Next:
    """What follows one attempt: resend at once with a new bearer token (not counted as
    a retry), wait ``delay`` seconds and retry, or nothing (``delay`` None: final).
    ``token_refresh_used``: the request's one bearer-token refresh was spent."""

    resend_now: bool = False
    delay: Optional[float] = None
    token_refresh_used: bool = False


class Endpoint:
    """One service endpoint: a URL, an HTTP session, a parser, a signer and a retry policy."""

    def __init__(
        self,
        host: str,
        endpoint_prefix: str,
        event_emitter: Any,
        response_parser_factory: Any = None,
        http_session: Optional[URLLib3Session] = None,
        retry_policy: Optional[RetryPolicy] = None,
        request_signer: Optional[Any] = None,
        service_id: Optional[str] = None,
        error_in_success: Optional[ErrorInSuccess] = None,
    ) -> None:
        self.host = host
        self._endpoint_prefix = endpoint_prefix
        self._event_emitter = event_emitter
        self.http_session = http_session or URLLib3Session()
        self.retry_policy = retry_policy or LegacyRetryPolicy(5)
        self._parser = create_parser("rest-xml") if response_parser_factory is None else response_parser_factory.create_parser("rest-xml")
        self.request_signer = request_signer
        self.service_id = service_id or endpoint_prefix
        self._error_in_success = error_in_success
        self._sleep: Callable[[float], None] = time.sleep

    def __repr__(self) -> str:
        return "%s(%s)" % (self._endpoint_prefix, self.host)

    def close(self) -> None:
        self.http_session.close()

    def make_request(self, operation_model: Any, request_dict: Dict[str, Any]) -> Tuple[AWSResponse, Dict[str, Any]]:
        if logger.isEnabledFor(logging.DEBUG):  # the redacted copy is built only when it is logged
            logger.debug("Making request for %s with params: %s", operation_model, _redacted(request_dict))
        return self._send_request(request_dict, operation_model)

    # -- the attempt loop ---------------------------------------------------------------
    def _send_request(self, request_dict: Dict[str, Any], operation_model: Any) -> Tuple[AWSResponse, Dict[str, Any]]:
        """Attempts until one is final: sign and send, at most one bearer-token refresh,
        the retry policy's (or a needs-retry handler's) delay between attempts."""
        op_name = operation_model.name
        event_suffix = "%s.%s" % (self.service_id, op_name)
        invocation_id = uuid4_str()
        ttl: Optional[str] = None
        body = request_dict["body"]
        start_position = _stream_position(body)
        context = request_dict["context"] = RequestContext.of(request_dict.get("context"))
        context.invocation_id = invocation_id
        attempt = 0
        token_refreshed = False
        sent_before = False
        while True:
            if sent_before and start_position is not None:
                body.seek(start_position)
            sent_before = True
            attempt += 1
            context.attempt = attempt
            prepared = self._prepare_attempt(request_dict, operation_model, event_suffix, invocation_id, attempt, ttl)
            http_response: Optional[AWSResponse] = None
            parsed: Optional[Dict[str, Any]] = None
            exception: Optional[BaseException] = None
            try:
                http_response, parsed = self._attempt(prepared, operation_model, event_suffix)
            except _TRANSPORT_ERRORS as exc:
                exception = exc
            after = self._next(request_dict, operation_model, event_suffix, attempt, prepared,
                               http_response, parsed, exception, token_refreshed)
            token_refreshed = token_refreshed or after.token_refresh_used
            if after.resend_now:
                attempt -= 1
                continue
            if after.delay is None:
                if exception is not None:
                    raise exception
                assert http_response is not None and parsed is not None
                self._record_attempts(parsed, http_response.status_code, attempt)
                return http_response, parsed
            ttl = _retry_ttl(http_response, context) if http_response is not None else None
            if http_response is not None and http_response.raw is not None and prepared.stream_output:
                _discard(http_response)
            logger.debug("Retry needed for %s (attempt %d), sleeping %.3f s", op_name, attempt, after.delay)
            self._sleep(after.delay)

    def _next(
        self, request_dict: Dict[str, Any], operation_model: Any, event_suffix: str, attempt: int, prepared: AWSPreparedRequest,
        http_response: Optional[AWSResponse], parsed: Optional[Dict[str, Any]], exception: Optional[BaseException],
        token_refreshed: bool,
    ) -> _Next:
        """The one decision after an attempt.

        The service refused the bearer token (expired between signing and arrival, a
        skewed clock, revoked server-side): get a new one and resend without spending a
        retry -- once per request, never a loop. Otherwise the retry policy's (or a
        needs-retry handler's) delay, or final."""
        refused = not token_refreshed and _bearer_refused(http_response, prepared, parsed)
        if refused and self.request_signer is not None and self.request_signer.refresh_credentials():
            return _Next(resend_now=True, token_refresh_used=True)
        delay = self._retry_delay(request_dict, operation_model, event_suffix, attempt, http_response, parsed, exception)
        return _Next(delay=delay, token_refresh_used=refused)

    def _prepare_attempt(
        self, request_dict: Dict[str, Any], operation_model: Any, event_suffix: str,
        invocation_id: str, attempt: int, ttl: Optional[str],
    ) -> AWSPreparedRequest:
        """One attempt's request: created (request-created handlers see it), signed, then the
        SDK's bookkeeping headers, which ibm-cos-sdk also adds after signing."""
        request = create_request_object(request_dict)
        self._event_emitter.emit("request-created." + event_suffix, request=request, operation_name=operation_model.name)
        if self.request_signer is not None:
            self.request_signer.sign(operation_model.name, request)
        request.headers["amz-sdk-invocation-id"] = invocation_id
        request.headers["amz-sdk-request"] = _sdk_request_header(attempt, self.retry_policy.max_attempts, ttl)
        prepared = request.prepare()
        prepared.stream_output = operation_model.has_streaming_output
        return prepared

    def _retry_delay(
        self, request_dict: Dict[str, Any], operation_model: Any, event_suffix: str, attempt: int,
        http_response: Optional[AWSResponse], parsed: Optional[Dict[str, Any]], exception: Optional[BaseException],
    ) -> Optional[float]:
        """Seconds to wait before the next attempt, or None when this one is final. The
        retry policy decides; a needs-retry handler that answers overrides it."""
        status = http_response.status_code if http_response is not None else None
        delay = self.retry_policy.delay_for(attempt, status, parsed if status is not None and status >= 300 else None, exception)
        emitter = self._event_emitter
        if emitter.has_handlers("needs-retry." + event_suffix):
            _, handler_delay = emitter.emit_until_response(
                "needs-retry." + event_suffix,
                response=(http_response, parsed) if http_response is not None else None,
                endpoint=self,
                operation=operation_model,
                attempts=attempt,
                caught_exception=exception,
                request_dict=request_dict,
            )
            if handler_delay is not None:
                delay = handler_delay
        return delay

    def _record_attempts(self, parsed: Dict[str, Any], status: int, attempt: int) -> None:
        """ResponseMetadata's RetryAttempts (and MaxAttemptsReached) of the final attempt."""
        policy = self.retry_policy
        metadata = parsed.setdefault("ResponseMetadata", {})
        metadata["RetryAttempts"] = attempt - 1
        if status >= 300:
            if attempt >= policy.max_attempts and policy.is_retryable(status, parsed, None):
                metadata["MaxAttemptsReached"] = True
        else:
            policy.on_success()

    @staticmethod
    def _token_expired(parsed: Optional[Dict[str, Any]]) -> bool:
        error = (parsed or {}).get("Error") or {}
        text = ("%s %s" % (error.get("Code", ""), error.get("Message", ""))).lower()
        return "expired" in text and ("token" in text or "credential" in text)

    def _attempt(self, prepared: AWSPreparedRequest, operation_model: Any, event_suffix: str) -> Tuple[AWSResponse, Dict[str, Any]]:
        emitter = self._event_emitter
        _, short_circuit = emitter.emit_until_response("before-send." + event_suffix, request=prepared)
        if short_circuit is not None:
            http_response = short_circuit
        else:
            http_response = self.http_session.send(prepared)
        response_dict = convert_to_response_dict(http_response, operation_model)
        status = http_response.status_code
        if self._error_in_success is not None and self._error_in_success(operation_model.name, status, response_dict.get("body")):
            # Treat like a server error: parse the <Error> and let the policy retry.
            response_dict["status_code"] = 500
            parsed = self._parser.parse(response_dict, operation_model.output_shape)
            parsed["ResponseMetadata"]["HTTPStatusCode"] = 200
            if "Code" not in parsed.get("Error", {}) or parsed["Error"]["Code"] in ("500",):
                parsed["Error"] = {"Code": "InternalError", "Message": "The server returned an error inside a 200 response; the operation did not complete."}
            http_response.status_code = 500
            return http_response, parsed
        emitter.emit(
            "before-parse." + event_suffix,
            operation_model=operation_model,
            response_dict=response_dict,
            customized_response_dict={},
        )
        parsed = self._parser.parse(response_dict, operation_model.output_shape)
        return http_response, parsed


# Error codes that say the token itself was refused.
_TOKEN_ERROR_CODES = frozenset(("ExpiredToken", "InvalidToken", "TokenRefreshRequired", "AuthenticationRequired"))


def _bearer_refused(http_response: Optional[AWSResponse], prepared: AWSPreparedRequest, parsed: Optional[Dict[str, Any]]) -> bool:
    """A 401/403 to a bearer-authenticated request that names no other cause: the body
    says the token expired or was refused, or there is no body to say anything (a HEAD
    answer, or an empty one). "AccessDenied: Access Denied" and the like are the
    caller's permissions, not the token, and are returned as they are."""
    if http_response is None or http_response.status_code not in (401, 403):
        return False
    authorization = prepared.headers.get("Authorization")
    if isinstance(authorization, (bytes, bytearray)):
        authorization = authorization.decode("latin-1")  # prepared requests hold bytes
    if not authorization or not authorization.startswith("Bearer "):
        return False
    error = (parsed or {}).get("Error") or {}
    code = str(error.get("Code") or "")
    if code in _TOKEN_ERROR_CODES or Endpoint._token_expired(parsed):
        return True
    return not code or code.isdigit()


def _sdk_request_header(attempt: int, max_attempts: int, ttl: Optional[str]) -> str:
    """``amz-sdk-request``: ``attempt=1``, then ``[ttl=...; ]attempt=N; max=M`` on retries."""
    if attempt == 1:
        return "attempt=1"
    value = "attempt=%d; max=%d" % (attempt, max_attempts)
    return "ttl=%s; %s" % (ttl, value) if ttl else value


def _retry_ttl(http_response: AWSResponse, context: RequestContext) -> Optional[str]:
    """When a retry should be given up by the server: its Date plus the read timeout."""
    date = http_response.headers.get("Date")
    if not date:
        return None
    try:
        server_time = parse_timestamp(date)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    read_timeout = getattr(context.client_config, "read_timeout", None) or DEFAULT_TIMEOUT
    return (server_time + datetime.timedelta(seconds=read_timeout)).strftime("%Y%m%dT%H%M%SZ")


def _stream_position(body: Any) -> Optional[int]:
    if body is None or isinstance(body, (bytes, bytearray, memoryview, str)):
        return None
    tell = getattr(body, "tell", None)
    if tell is None:
        return None
    try:
        position: int = tell()
    except Exception:
        return None
    return position


def _discard(http_response: AWSResponse) -> None:
    try:
        http_response.raw.release_conn()
    except Exception:
        pass


def _redacted(request_dict: Dict[str, Any]) -> Dict[str, Any]:
    shown = {k: v for k, v in request_dict.items() if k not in ("body", "headers", "context")}
    shown["headers"] = _redact.headers(request_dict.get("headers", {}))
    return shown


class EndpointCreator:
    """Builds ``Endpoint`` objects with an HTTP session configured from the client Config."""

    def __init__(self, event_emitter: Any) -> None:
        self._event_emitter = event_emitter

    def create_endpoint(
        self,
        service_model: Any,
        region_name: Optional[str],
        endpoint_url: str,
        verify: Any = None,
        response_parser_factory: Any = None,
        timeout: Any = DEFAULT_TIMEOUT,
        max_pool_connections: int = MAX_POOL_CONNECTIONS,
        http_session_cls: type = URLLib3Session,
        proxies: Optional[Dict[str, str]] = None,
        socket_options: Optional[List[SocketOption]] = None,
        client_cert: Any = None,
        proxies_config: Optional[Dict[str, Any]] = None,
        retry_policy: Optional[RetryPolicy] = None,
        request_signer: Optional[Any] = None,
        error_in_success: Optional[ErrorInSuccess] = None,
    ) -> Endpoint:
        session = http_session_cls(
            timeout=timeout,
            proxies=proxies,
            verify=verify if verify is not None else True,
            max_pool_connections=max_pool_connections,
            socket_options=socket_options,
            client_cert=client_cert,
            proxies_config=proxies_config,
        )
        endpoint = Endpoint(
            endpoint_url,
            endpoint_prefix=service_model.endpoint_prefix,
            event_emitter=self._event_emitter,
            response_parser_factory=response_parser_factory,
            http_session=session,
            retry_policy=retry_policy,
            request_signer=request_signer,
            service_id=service_model.service_id.hyphenize(),
            error_in_success=error_in_success,
        )
        return endpoint

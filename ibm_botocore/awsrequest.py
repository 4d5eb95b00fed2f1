"""Request and response objects passed between the pipeline stages.

``AWSRequest`` is what signers see and modify; ``prepare()`` freezes it into an
``AWSPreparedRequest`` (final URL, headers, body) that the HTTP session sends;
``AWSResponse`` wraps what came back.
"""
from __future__ import annotations

import io
import os
from collections.abc import MutableMapping
from typing import TYPE_CHECKING, Any, Dict, Iterator, List, Mapping, Optional, Tuple
from urllib.parse import urlencode, urlsplit, urlunsplit

from ibm_botocore import _redact
from ibm_botocore.exceptions import UnseekableStreamError
from ibm_botocore.context import RequestContext
from ibm_botocore.utils import percent_encode_sequence

if TYPE_CHECKING:
    _MappingBase = MutableMapping[str, Any]
else:  # collections.abc classes take no type arguments at run time on Python 3.8
    _MappingBase = MutableMapping


class HeadersDict(_MappingBase):
    """A case-insensitive header mapping that remembers the spelling first used."""

    __slots__ = ("_store",)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._store: Dict[str, Tuple[str, Any]] = {}
        if args or kwargs:
            self.update(*args, **kwargs)

    def __setitem__(self, key: str, value: Any) -> None:
        self._store[key.lower()] = (key, value)

    def __getitem__(self, key: str) -> Any:
        return self._store[key.lower()][1]

    def __delitem__(self, key: str) -> None:
        del self._store[key.lower()]

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key.lower() in self._store

    def __iter__(self) -> Iterator[str]:
        return (original for original, _ in self._store.values())

    def __len__(self) -> int:
        return len(self._store)

    def get(self, key: str, default: Any = None) -> Any:
        item = self._store.get(key.lower())
        return default if item is None else item[1]

    # a list snapshot (callers may change the headers while iterating), not a view
    def items(self) -> List[Tuple[str, Any]]:  # type: ignore[override]
        return [(original, value) for original, value in self._store.values()]

    def copy(self) -> "HeadersDict":
        clone = HeadersDict()
        clone._store = dict(self._store)
        return clone

    def encoded_copy(self) -> "HeadersDict":
        """A copy whose text values are UTF-8 bytes, as a prepared request holds them."""
        clone = HeadersDict()
        clone._store = {
            low: (name, value.encode("utf-8") if isinstance(value, str) else value)
            for low, (name, value) in self._store.items()
        }
        return clone

    def lower_items(self) -> Dict[str, Any]:
        return {lower: value for lower, (_, value) in self._store.items()}

    def __repr__(self) -> str:
        return repr(dict(self.items()))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Mapping):
            other_lower = {str(k).lower(): v for k, v in other.items()}
            return self.lower_items() == other_lower
        return NotImplemented


# Kept under the older name some code imports.
HTTPHeaders = HeadersDict


def _body_length(body: Any) -> Optional[int]:
    if body is None:
        return None
    if isinstance(body, (bytes, bytearray, memoryview)):
        return len(body)
    length = getattr(body, "__len__", None)
    if length is not None and not hasattr(body, "read"):
        return len(body)
    if hasattr(body, "seek") and hasattr(body, "tell"):
        try:
            position: int = body.tell()
            end: int = body.seek(0, 2)
            body.seek(position)
            return end - position
        except (io.UnsupportedOperation, OSError, AttributeError):
            pass
    fileno = getattr(body, "fileno", None)
    if fileno is not None:
        try:
            size = os.fstat(fileno()).st_size
            offset: int = body.tell()
            return size - offset
        except (io.UnsupportedOperation, OSError, AttributeError):
            pass
    if length is not None:
        return len(body)
    return None


class AWSPreparedRequest:
    """A request ready to send: final URL, headers, body."""

    def __init__(self, method: str, url: str, headers: HeadersDict, body: Any, stream_output: bool = False) -> None:
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.stream_output = stream_output
        self._stream_start = 0
        tell = getattr(body, "tell", None)
        if tell is not None:
            try:
                self._stream_start = tell()
            except (OSError, ValueError, io.UnsupportedOperation):
                pass

    def reset_stream(self) -> None:
        """Rewind a file-like body to where it started, before a retry."""
        body = self.body
        if body is None or isinstance(body, (bytes, bytearray, memoryview, str)):
            return
        try:
            body.seek(self._stream_start)
        except Exception:
            raise UnseekableStreamError(stream_object=body)

    def __repr__(self) -> str:
        return "<AWSPreparedRequest stream_output=%s, method=%s, url=%s, headers=%s>" % (
            self.stream_output,
            self.method,
            self.url,
            _redact.headers(self.headers),
        )


class AWSRequest:
    """A mutable request: signers add headers or query parameters to it."""

    def __init__(
        self,
        method: Optional[str] = None,
        url: Optional[str] = None,
        headers: Optional[Mapping[str, Any]] = None,
        data: Any = None,
        params: Optional[Mapping[str, Any]] = None,
        auth_path: Optional[str] = None,
        stream_output: bool = False,
    ) -> None:
        self.method = method
        self.url = url
        self.headers = HeadersDict(headers or {})
        self.data = data
        self.params = dict(params) if params else {}
        self.auth_path = auth_path
        self.stream_output = stream_output
        self.context: RequestContext = RequestContext()

    def prepare(self) -> AWSPreparedRequest:
        url = self._final_url()
        body = self._final_body()
        # ibm-cos-sdk's prepared request holds header values as bytes (handlers of
        # before-send see them so); only a Content-Length added here is text.
        headers = self.headers.encoded_copy()
        if body is not None and "Transfer-Encoding" not in headers:
            if "Content-Length" not in headers:
                length = _body_length(body)
                if length is not None:
                    headers["Content-Length"] = str(length)
                else:
                    headers["Transfer-Encoding"] = "chunked"
        elif body is None and self.method not in ("GET", "HEAD", "OPTIONS") and "Transfer-Encoding" not in headers:
            headers["Content-Length"] = "0"
        # a request without a method stays without one, as in ibm-cos-sdk (no transport sends it)
        return AWSPreparedRequest(self.method, url, headers, body, self.stream_output)  # type: ignore[arg-type]

    def _final_url(self) -> str:
        url = self.url if self.url is not None else ""
        if not self.params:
            return url
        query = percent_encode_sequence(self.params)
        joiner = "&" if "?" in url else "?"
        return url + joiner + query

    def _final_body(self) -> Any:
        data = self.data
        if data is None or data == b"" or data == "":
            return None
        if isinstance(data, dict):
            return urlencode(data, doseq=True).encode("utf-8") if data else None
        if isinstance(data, str):
            return data.encode("utf-8")
        return data

    @property
    def body(self) -> Any:
        """The body as it will be sent (str/dict data encoded), for signers."""
        return self._final_body()

    def __repr__(self) -> str:
        return "<AWSRequest method=%s, url=%s, headers=%s>" % (self.method, self.url, _redact.headers(self.headers))


class AWSResponse:
    """A received HTTP response; ``raw`` is the urllib3 response (or any stream)."""

    def __init__(self, url: Optional[str], status_code: int, headers: Mapping[str, Any], raw: Any) -> None:
        self.url = url
        self.status_code = status_code
        self.headers = HeadersDict(headers)
        self.raw = raw
        self._content: Optional[bytes] = None

    @property
    def content(self) -> bytes:
        if self._content is None:
            raw = self.raw
            if raw is None:
                self._content = b""
            elif isinstance(raw, (bytes, bytearray)):
                self._content = bytes(raw)
            else:
                self._content = raw.read() or b""
        return self._content

    @property
    def text(self) -> str:
        from ibm_botocore.utils import get_encoding_from_headers

        encoding = get_encoding_from_headers(self.headers) or "utf-8"
        return self.content.decode(encoding, errors="replace")

    def __repr__(self) -> str:
        return "<AWSResponse status_code=%s>" % self.status_code


def _urljoin(endpoint_url: str, url_path: str, host_prefix: Optional[str] = None) -> str:
    parts = urlsplit(endpoint_url)
    base = parts.path
    if not base or base == "/":
        path = url_path
    elif base.endswith("/") and url_path.startswith("/"):
        path = base[:-1] + url_path
    else:
        path = base + url_path
    netloc = parts.netloc
    if host_prefix is not None:
        netloc = host_prefix + netloc
    return urlunsplit((parts.scheme, netloc, path, parts.query, None))


def _host_prefix(request_dict: Mapping[str, Any], context: Optional[Mapping[str, Any]]) -> Optional[str]:
    """The serializer's host prefix, unless the client's Config(inject_host_prefix=False) turns it off."""
    prefix: Optional[str] = request_dict.get("host_prefix")
    if prefix is None or context is None:
        return prefix
    config = context.get("client_config")
    if config is not None and getattr(config, "inject_host_prefix", True) is False:
        return None
    return prefix


def prepare_request_dict(
    request_dict: Dict[str, Any],
    endpoint_url: str,
    context: Optional[RequestContext] = None,
    user_agent: Optional[str] = None,
) -> None:
    """Fill ``request_dict['url']`` (endpoint + path + encoded query) and its context, in place."""
    if user_agent is not None:
        request_dict["headers"]["User-Agent"] = user_agent
    url = _urljoin(endpoint_url, request_dict["url_path"], _host_prefix(request_dict, context))
    query = request_dict.get("query_string")
    if query:
        encoded = query if isinstance(query, str) else percent_encode_sequence(query)
        url += ("&" if "?" in url else "?") + encoded
    request_dict["url"] = url
    request_dict["context"] = RequestContext.of(context)


def create_request_object(request_dict: Mapping[str, Any]) -> AWSRequest:
    """Build an ``AWSRequest`` from a prepared request dictionary."""
    request = AWSRequest(
        method=request_dict["method"],
        url=request_dict["url"],
        data=request_dict["body"],
        headers=request_dict["headers"],
        auth_path=request_dict.get("auth_path"),
    )
    request.context = RequestContext.of(request_dict.get("context"))
    return request

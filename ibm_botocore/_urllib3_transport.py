"""The urllib3 binding of the HTTP session (imported on the first request).

Keeping urllib3 (and with it ssl, http.client and email) out of the import path makes
``import ibm_boto3`` and client creation cheap; the cost is paid once, when a client first
talks to its endpoint.
"""
from __future__ import annotations

import socket
from typing import Any, Callable, Dict, Iterator, Optional, Tuple, Type
from urllib.parse import urlsplit

import urllib3
import urllib3.connection
from urllib3.exceptions import (
    ConnectTimeoutError as URLLib3ConnectTimeoutError,
    LocationParseError,
    NewConnectionError,
    ProtocolError,
    ProxyError as URLLib3ProxyError,
    ReadTimeoutError as URLLib3ReadTimeoutError,
    SSLError as URLLib3SSLError,
)
from urllib3._version import __version__ as urllib3_version  # urllib3.__version__ (not in urllib3.__all__)
from urllib3.util.retry import Retry
from urllib3.util.timeout import Timeout

from ibm_botocore._headercheck import first_bad_header, refuse_headers
from ibm_botocore._transport import SEND_BLOCK_SIZE, TransportSettings, request_target, short_file
from ibm_botocore.awsrequest import AWSPreparedRequest, AWSResponse
from ibm_botocore.context import SendfileBody, offers
from ibm_botocore.exceptions import (
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    HTTPClientError,
    InvalidProxiesConfigError,
    ProxyConnectionError,
    ReadTimeoutError,
    ResponseStreamingError,
    SSLError,
)

_NO_RETRIES = Retry(total=False, redirect=False, raise_on_status=False)
# The send block size is a pool setting from urllib3 2.0 on; urllib3 1.26 rejects the
# key (its PoolKey has no ``key_blocksize``) and sends with http.client's default blocks.
_URLLIB3_2 = int(urllib3_version.split(".", 1)[0]) >= 2


class Urllib3Transport:
    """Pools and sending for one ``URLLib3Session``, built from its ``TransportSettings``."""

    def __init__(self, settings: TransportSettings) -> None:
        self._tls = settings.tls
        self._proxy_config = settings.proxies
        self._timeout = Timeout(connect=settings.connect_timeout, read=settings.read_timeout)
        self._max_pool_connections = settings.max_pool_connections
        self._socket_options = settings.socket_options
        # http and https pools apart, so an http-only client never builds a TLS context
        self._managers: Dict[str, urllib3.PoolManager] = {}
        self._proxy_managers: Dict[str, urllib3.ProxyManager] = {}
        # (scheme, host, port) -> pool; skips PoolManager's URL parsing per request.
        self._pools: Dict[Tuple[str, str, Optional[int]], urllib3.HTTPConnectionPool] = {}

    # -- pools --------------------------------------------------------------------------
    def _pool_kwargs(self, tls: bool) -> Dict[str, Any]:
        kwargs: Dict[str, Any] = {
            "maxsize": self._max_pool_connections,
            "timeout": self._timeout,
            "block": False,
        }
        if _URLLIB3_2:
            kwargs["blocksize"] = SEND_BLOCK_SIZE
        if self._socket_options is not None:
            kwargs["socket_options"] = self._socket_options
        if tls:
            kwargs.update(self._tls.urllib3_pool_kwargs())
        return kwargs

    def _manager_for(self, scheme: str) -> urllib3.PoolManager:
        manager = self._managers.get(scheme)
        if manager is None:
            manager = urllib3.PoolManager(num_pools=max(10, self._max_pool_connections), **self._pool_kwargs(scheme == "https"))
            self._managers[scheme] = manager
        return manager

    def _proxy_manager_for(self, proxy_url: str) -> urllib3.ProxyManager:
        manager = self._proxy_managers.get(proxy_url)
        if manager is None:
            kwargs = self._pool_kwargs(True)
            proxy_tls = self._proxy_config.proxy_tls()
            if proxy_tls is not None and proxy_url.startswith("https:"):
                kwargs["proxy_ssl_context"] = proxy_tls.ssl_context()
            parsed = urllib3.util.parse_url(proxy_url)
            headers = {}
            if parsed.auth:
                headers = urllib3.util.make_headers(proxy_basic_auth=parsed.auth)
            try:
                manager = urllib3.ProxyManager(
                    proxy_url,
                    proxy_headers=headers,
                    use_forwarding_for_https=self._proxy_config.use_forwarding_for_https,
                    **kwargs,
                )
            except (LocationParseError, ValueError):
                raise InvalidProxiesConfigError()
            self._proxy_managers[proxy_url] = manager
        return manager

    def _pool_for(self, url: str) -> Tuple[urllib3.HTTPConnectionPool, bool]:
        proxy_url = self._proxy_config.proxy_url_for(url)
        if proxy_url:
            return self._proxy_manager_for(proxy_url).connection_from_url(url), True
        parts = urlsplit(url)
        key = (parts.scheme, parts.hostname or "", parts.port)
        pool = self._pools.get(key)
        if pool is None:
            pool = self._manager_for(parts.scheme).connection_from_url(url)
            if parts.scheme == "http" and pool.ConnectionCls is urllib3.connection.HTTPConnection:
                pool.ConnectionCls = _HTTP_CONNECTION
            elif parts.scheme == "https" and pool.ConnectionCls is urllib3.connection.HTTPSConnection:
                pool.ConnectionCls = _HTTPS_CONNECTION
            self._pools[key] = pool
        return pool, False

    # -- sending ------------------------------------------------------------------------
    def send(self, request: AWSPreparedRequest) -> AWSResponse:
        url = request.url
        bad = first_bad_header(request.headers.items())
        if bad is not None:
            raise refuse_headers(bad)
        try:
            pool, proxied = self._pool_for(url)
            target = url if proxied and url.startswith("http:") else request_target(url)
            chunked = request.headers.get("Transfer-Encoding", "").lower() in ("chunked", b"chunked")
            headers = dict(request.headers.items())
            if chunked:
                # urllib3 adds its own framing header when chunked=True
                headers.pop("Transfer-Encoding", None)
                for key in [k for k in headers if k.lower() == "transfer-encoding"]:
                    del headers[key]
            body = request.body
            if not proxied and not chunked and pool.ConnectionCls is _HTTP_CONNECTION:
                body = _file_region_body(body, headers)
            raw = pool.urlopen(
                method=request.method,
                url=target,
                body=body,
                headers=headers,
                retries=_NO_RETRIES,
                assert_same_host=False,
                preload_content=False,
                decode_content=False,
                chunked=chunked,
            )
            self._check_head(raw, url)
            setattr(raw, "_ibm_endpoint_url", url)  # read-timeout errors of a streamed body name the URL
            response = AWSResponse(url, raw.status, raw.headers, raw)
            retire = raw.status >= 400 and _has_body(request.body)
            if retire or not request.stream_output:
                # Read the whole body now so the connection returns to the pool.
                connection = raw.connection
                _read_content(response, url)
                if retire and connection is not None:
                    # The server may have answered without reading the request body:
                    # what is left of it must not be read as the next request.
                    connection.close()
            return response
        except URLLib3SSLError as exc:
            raise SSLError(endpoint_url=url, error=exc)
        except (NewConnectionError, socket.gaierror) as exc:
            raise EndpointConnectionError(endpoint_url=url, error=exc)
        except URLLib3ProxyError as exc:
            raise ProxyConnectionError(proxy_url=self._proxy_config.proxy_url_for(url) or "", error=exc)
        except URLLib3ConnectTimeoutError as exc:
            raise ConnectTimeoutError(endpoint_url=url, error=exc)
        except URLLib3ReadTimeoutError as exc:
            raise ReadTimeoutError(endpoint_url=url, error=exc)
        except ProtocolError as exc:
            raise ConnectionClosedError(error=exc, request=request, endpoint_url=url)
        except (HTTPClientError, EndpointConnectionError):
            raise
        except urllib3.exceptions.HTTPError as exc:
            raise HTTPClientError(error=exc)
        except OSError as exc:
            raise ConnectionClosedError(error=exc, request=request, endpoint_url=url)

    @staticmethod
    def _check_head(raw: Any, url: str) -> None:
        """What http.client lets through but a response must not have: a status outside
        100-599, or a head that did not parse (a line without a colon, a head cut off)."""
        defect = None
        if not 100 <= raw.status <= 599:
            defect = "bad status code %r" % raw.status
        else:
            original = getattr(raw, "_original_response", None)
            message = getattr(original, "msg", None)
            if message is not None and (message.defects or message.get_payload()):
                defect = "malformed response head"
        if defect is not None:
            connection = raw.connection
            if connection is not None:
                connection.close()
            raw.release_conn()
            raise ConnectionClosedError(endpoint_url=url, error=defect)

    def close(self) -> None:
        for manager in list(self._managers.values()) + list(self._proxy_managers.values()):
            manager.clear()
        self._pools.clear()


def _has_body(body: Any) -> bool:
    if body is None:
        return False
    if isinstance(body, (bytes, bytearray, memoryview, str)):
        return len(body) > 0
    return True


def _read_content(response: AWSResponse, url: str) -> None:
    """Read a whole body; failures are the SDK's streaming errors, as on the direct path."""
    try:
        response.content
    except URLLib3ReadTimeoutError as exc:
        raise ReadTimeoutError(endpoint_url=url, error=exc)
    except (ProtocolError, urllib3.exceptions.HTTPError, OSError) as exc:
        raise ResponseStreamingError(error=exc)


# -- zero-copy request bodies -----------------------------------------------------------------
# A request body may offer ``sendfile_region()`` -> ``(fd, offset, count, on_sent)`` (transfer
# parts read from a file do). Over plain HTTP its bytes then go from the page cache to the
# socket with sendfile(2) instead of being read into Python and written out again;
# ``on_sent(n)`` tells the body how far it got. Anything else is sent as usual.
class _FileRegion:
    __slots__ = ("fd", "offset", "count", "on_sent")

    def __init__(self, fd: int, offset: int, count: int, on_sent: Optional[Callable[[int], None]]) -> None:
        self.fd = fd
        self.offset = offset
        self.count = count
        self.on_sent = on_sent

    def fileno(self) -> int:
        return self.fd

    def seek(self, *args: Any) -> None:
        # socket.sendfile() repositions the file when done; the region reads by offset.
        pass

    def send_to(self, sock: socket.socket) -> None:
        # a plain TCP socket: os.sendfile with fileno(); the read() fallback is never used
        sent = sock.sendfile(self, self.offset, self.count) if self.count else 0  # type: ignore[arg-type]
        if sent != self.count:
            raise short_file(sent, self.count)
        if self.on_sent is not None:
            self.on_sent(sent)


class _FileRegionChunks:
    """What urllib3 iterates for a file-region body: the region itself, once."""

    __slots__ = ("_region",)

    def __init__(self, region: _FileRegion) -> None:
        self._region = region

    def __iter__(self) -> Iterator[_FileRegion]:
        yield self._region


def _file_region_body(body: Any, headers: Dict[str, Any]) -> Any:
    if not offers(body, SendfileBody) or not any(k.lower() == "content-length" for k in headers):
        return body
    region = body.sendfile_region()
    if region is None:
        return body
    return _FileRegionChunks(_FileRegion(*region))


class _FileRegionHTTPConnection(urllib3.connection.HTTPConnection):
    """A plain-HTTP connection that can send file regions with sendfile(2)."""

    def send(self, data: Any) -> None:
        if isinstance(data, _FileRegion):
            if self.sock is None:
                self.connect()
            data.send_to(self.sock)
            return
        super().send(data)


class _EarlyAnswerReadable:
    """urllib3 1.26 only. A server may answer early (403, 404, 413) and close while the body
    is still being sent. urllib3 2.x then reads the answer; 1.26 does so only after EPIPE,
    not ECONNRESET, and reports a closed connection instead of the server's error. Raising
    BrokenPipeError for the reset lets 1.26 read the response too."""

    def send(self, data: Any) -> None:
        try:
            super().send(data)  # type: ignore[misc]  # a mixin before an HTTPConnection class
        except ConnectionResetError as exc:
            raise BrokenPipeError(*exc.args) from exc


class _FileRegionHTTPConnection126(_EarlyAnswerReadable, _FileRegionHTTPConnection):
    pass


class _HTTPSConnection126(_EarlyAnswerReadable, urllib3.connection.HTTPSConnection):
    pass


# Chosen once: on urllib3 2.x the connection classes add nothing per send.
_HTTP_CONNECTION: Type[urllib3.connection.HTTPConnection] = _FileRegionHTTPConnection if _URLLIB3_2 else _FileRegionHTTPConnection126
_HTTPS_CONNECTION: Type[urllib3.connection.HTTPSConnection] = urllib3.connection.HTTPSConnection if _URLLIB3_2 else _HTTPSConnection126



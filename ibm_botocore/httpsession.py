"""HTTP transport on urllib3: keep-alive pools, timeouts, TLS, proxies, client certs.

``URLLib3Session.send(prepared_request)`` returns an ``AWSResponse`` whose ``raw`` is the
unread urllib3 response, so large bodies stream. Request bodies are written in large
blocks (1 MiB) instead of http.client's default 8-16 KiB, which matters for transfers.
urllib3 errors are translated into the SDK's exceptions.
"""
from __future__ import annotations

import logging
import os
import socket
from typing import Any, Dict, Optional, Tuple, Union
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
from urllib3.util.retry import Retry
from urllib3.util.timeout import Timeout

from ibm_botocore.awsrequest import AWSPreparedRequest, AWSResponse
from ibm_botocore.exceptions import (
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    HTTPClientError,
    InvalidProxiesConfigError,
    ProxyConnectionError,
    ReadTimeoutError,
    SSLError,
)

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 60
MAX_POOL_CONNECTIONS = 10
SEND_BLOCK_SIZE = 1024 * 1024
_NO_RETRIES = Retry(total=False, redirect=False, raise_on_status=False)


def get_cert_path(verify: Union[bool, str, None]) -> Union[bool, str]:
    """The CA bundle to use: ``verify`` if it is a path, else the system default."""
    if verify is not True:
        return verify
    return True


class ProxyConfiguration:
    """Maps a URL to the proxy that should carry it (``Config(proxies=...)``)."""

    def __init__(self, proxies: Optional[Dict[str, str]] = None, proxies_settings: Optional[Dict[str, Any]] = None) -> None:
        self._proxies = proxies or {}
        self._settings = proxies_settings or {}

    def proxy_url_for(self, url: str) -> Optional[str]:
        parts = urlsplit(url)
        proxy = self._proxies.get(parts.scheme + "://" + (parts.hostname or "")) or self._proxies.get(parts.scheme)
        if proxy and "://" not in proxy:
            proxy = "http://" + proxy
        return proxy

    @property
    def settings(self) -> Dict[str, Any]:
        return self._settings


class URLLib3Session:
    """Sends prepared requests over pooled urllib3 connections."""

    def __init__(
        self,
        verify: Union[bool, str, None] = True,
        proxies: Optional[Dict[str, str]] = None,
        timeout: Union[float, Tuple[float, float], None] = None,
        max_pool_connections: int = MAX_POOL_CONNECTIONS,
        socket_options: Optional[list] = None,
        client_cert: Union[str, Tuple[str, str], None] = None,
        proxies_config: Optional[Dict[str, Any]] = None,
    ) -> None:
        self._verify = verify
        self._proxy_config = ProxyConfiguration(proxies, proxies_config)
        if timeout is None:
            timeout = DEFAULT_TIMEOUT
        if isinstance(timeout, (int, float)):
            self._timeout = Timeout(connect=timeout, read=timeout)
        else:
            self._timeout = Timeout(connect=timeout[0], read=timeout[1])
        self._max_pool_connections = max_pool_connections
        self._socket_options = socket_options
        if isinstance(client_cert, str):
            self._cert_file, self._key_file = client_cert, None
        elif isinstance(client_cert, tuple):
            self._cert_file, self._key_file = client_cert
        elif client_cert is None:
            self._cert_file = self._key_file = None
        else:
            raise TypeError("client_cert must be str or tuple, not %s" % type(client_cert))
        self._manager = self._make_manager()
        self._proxy_managers: Dict[str, Any] = {}
        # (scheme, host, port) -> pool; skips PoolManager's URL parsing per request.
        self._pools: Dict[Tuple[str, str, Optional[int]], Any] = {}

    # -- pools --------------------------------------------------------------------------
    def _pool_kwargs(self) -> Dict[str, Any]:
        kwargs: Dict[str, Any] = {
            "maxsize": self._max_pool_connections,
            "timeout": self._timeout,
            "block": False,
            "blocksize": SEND_BLOCK_SIZE,
        }
        if self._socket_options is not None:
            kwargs["socket_options"] = self._socket_options
        verify = self._verify
        if verify is False:
            kwargs["cert_reqs"] = "CERT_NONE"
        else:
            kwargs["cert_reqs"] = "CERT_REQUIRED"
            if isinstance(verify, str):
                if os.path.isdir(verify):
                    kwargs["ca_cert_dir"] = verify
                else:
                    kwargs["ca_certs"] = verify
        if self._cert_file:
            kwargs["cert_file"] = self._cert_file
            if self._key_file:
                kwargs["key_file"] = self._key_file
        return kwargs

    def _make_manager(self) -> urllib3.PoolManager:
        return urllib3.PoolManager(num_pools=max(10, self._max_pool_connections), **self._pool_kwargs())

    def _proxy_manager_for(self, proxy_url: str) -> Any:
        manager = self._proxy_managers.get(proxy_url)
        if manager is None:
            kwargs = self._pool_kwargs()
            settings = self._proxy_config.settings
            if settings.get("proxy_ca_bundle"):
                kwargs["ca_certs"] = settings["proxy_ca_bundle"]
            parsed = urllib3.util.parse_url(proxy_url)
            headers = {}
            if parsed.auth:
                headers = urllib3.util.make_headers(proxy_basic_auth=parsed.auth)
            try:
                manager = urllib3.ProxyManager(
                    proxy_url,
                    proxy_headers=headers,
                    use_forwarding_for_https=bool(settings.get("proxy_use_forwarding_for_https")),
                    **kwargs,
                )
            except (LocationParseError, ValueError):
                raise InvalidProxiesConfigError()
            self._proxy_managers[proxy_url] = manager
        return manager

    def _pool_for(self, url: str) -> Tuple[Any, bool]:
        proxy_url = self._proxy_config.proxy_url_for(url)
        if proxy_url:
            return self._proxy_manager_for(proxy_url).connection_from_url(url), True
        parts = urlsplit(url)
        key = (parts.scheme, parts.hostname or "", parts.port)
        pool = self._pools.get(key)
        if pool is None:
            pool = self._manager.connection_from_url(url)
            if parts.scheme == "http" and pool.ConnectionCls is urllib3.connection.HTTPConnection:
                pool.ConnectionCls = _FileRegionHTTPConnection
            self._pools[key] = pool
        return pool, False

    # -- sending ------------------------------------------------------------------------
    def send(self, request: AWSPreparedRequest) -> AWSResponse:
        url = request.url
        try:
            pool, proxied = self._pool_for(url)
            target = url if proxied and url.startswith("http:") else _request_target(url)
            chunked = request.headers.get("Transfer-Encoding", "").lower() == "chunked"
            headers = dict(request.headers.items())
            if chunked:
                # urllib3 adds its own framing header when chunked=True
                headers.pop("Transfer-Encoding", None)
                for key in [k for k in headers if k.lower() == "transfer-encoding"]:
                    del headers[key]
            body = request.body
            if not proxied and not chunked and pool.ConnectionCls is _FileRegionHTTPConnection:
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
            response = AWSResponse(url, raw.status, raw.headers, raw)
            if not request.stream_output:
                # Read the whole body now so the connection returns to the pool.
                response.content
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

    def close(self) -> None:
        self._manager.clear()
        for manager in self._proxy_managers.values():
            manager.clear()
        self._pools.clear()


# -- zero-copy request bodies -----------------------------------------------------------------
# A request body may offer ``sendfile_region()`` -> ``(fd, offset, count, on_sent)`` (transfer
# parts read from a file do). Over plain HTTP its bytes then go from the page cache to the
# socket with sendfile(2) instead of being read into Python and written out again;
# ``on_sent(n)`` tells the body how far it got. Anything else is sent as usual.
class _FileRegion:
    __slots__ = ("fd", "offset", "count", "on_sent")

    def __init__(self, fd: int, offset: int, count: int, on_sent: Any) -> None:
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
        sent = sock.sendfile(self, self.offset, self.count) if self.count else 0
        if sent != self.count:
            raise ConnectionError("request body: the file ended after %d of %d bytes" % (sent, self.count))
        if self.on_sent is not None:
            self.on_sent(sent)


class _FileRegionChunks:
    """What urllib3 iterates for a file-region body: the region itself, once."""

    __slots__ = ("_region",)

    def __init__(self, region: _FileRegion) -> None:
        self._region = region

    def __iter__(self) -> Any:
        yield self._region


def _file_region_body(body: Any, headers: Dict[str, Any]) -> Any:
    offer = getattr(body, "sendfile_region", None)
    if offer is None or not any(k.lower() == "content-length" for k in headers):
        return body
    region = offer()
    if region is None:
        return body
    return _FileRegionChunks(_FileRegion(*region))


class _FileRegionHTTPConnection(urllib3.connection.HTTPConnection):
    """A plain-HTTP connection that can send file regions with sendfile(2)."""

    def send(self, data: Any) -> None:  # type: ignore[override]
        if isinstance(data, _FileRegion):
            if self.sock is None:
                self.connect()
            data.send_to(self.sock)
            return
        super().send(data)


def _request_target(url: str) -> str:
    """Path and query of a URL (what goes on the request line)."""
    scheme_end = url.find("://")
    slash = url.find("/", scheme_end + 3 if scheme_end >= 0 else 0)
    if slash < 0:
        query = url.find("?")
        return "/" + (url[query:] if query >= 0 else "")
    return url[slash:]

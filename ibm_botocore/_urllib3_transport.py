"""The urllib3 binding of the HTTP session (imported on the first request).

Keeping urllib3 (and with it ssl, http.client and email) out of the import path makes
``import ibm_boto3`` and client creation cheap; the cost is paid once, when a client first
talks to its endpoint.
"""
from __future__ import annotations

import os
import socket
from typing import Any, Dict, Optional, Tuple
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
from ibm_botocore.httpsession import SEND_BLOCK_SIZE, _request_target

_NO_RETRIES = Retry(total=False, redirect=False, raise_on_status=False)
# The send block size is a pool setting from urllib3 2.0 on; urllib3 1.26 rejects the
# key (its PoolKey has no ``key_blocksize``) and sends with http.client's default blocks.
_URLLIB3_2 = int(urllib3.__version__.split(".", 1)[0]) >= 2


class Urllib3Transport:
    """Pools and sending for one ``URLLib3Session`` (whose settings it reads)."""

    def __init__(self, settings: Any) -> None:
        self._verify = settings._verify
        self._proxy_config = settings._proxy_config
        connect, read = settings._timeouts
        self._timeout = Timeout(connect=connect, read=read)
        self._max_pool_connections = settings._max_pool_connections
        self._socket_options = settings._socket_options
        self._cert_file = settings._cert_file
        self._key_file = settings._key_file
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
        }
        if _URLLIB3_2:
            kwargs["blocksize"] = SEND_BLOCK_SIZE
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
            chunked = request.headers.get("Transfer-Encoding", "").lower() in ("chunked", b"chunked")
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



"""HTTP transport on urllib3: keep-alive pools, timeouts, TLS, proxies, client certs.

``URLLib3Session.send(prepared_request)`` returns an ``AWSResponse`` whose ``raw`` is the
unread urllib3 response, so large bodies stream. Request bodies are written in large
blocks (1 MiB) instead of http.client's default 8-16 KiB, which matters for transfers.
urllib3 errors are translated into the SDK's exceptions.
"""
from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Tuple, Union
from urllib.parse import urlsplit

from ibm_botocore._transport import SEND_BLOCK_SIZE, SocketOption, TransportSettings, request_target as _request_target, short_file
from ibm_botocore.awsrequest import AWSPreparedRequest, AWSResponse
from ibm_botocore.tls import ProxySettings, TLSSettings

if TYPE_CHECKING:
    from ibm_botocore._directhttp import DirectTransport
    from ibm_botocore._urllib3_transport import Urllib3Transport

# SEND_BLOCK_SIZE, short_file and _request_target live in ibm_botocore._transport (shared by
# both transports, which must not import this module); they stay importable from here.

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 60
MAX_POOL_CONNECTIONS = 10


def get_cert_path(verify: Union[bool, str, None]) -> Union[bool, str, None]:
    """The CA bundle to use: ``verify`` if it is a path, else the system default."""
    if verify is not True:
        return verify
    return True


class ProxyConfiguration(ProxySettings):
    """Maps a URL to the proxy that should carry it (``Config(proxies=...)``)."""

    __slots__ = ("_settings",)

    def __init__(self, proxies: Optional[Dict[str, str]] = None, proxies_settings: Optional[Dict[str, Any]] = None) -> None:
        super().__init__(proxies, proxies_settings)
        self._settings = proxies_settings or {}

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
        socket_options: Optional[List[SocketOption]] = None,
        client_cert: Union[str, Tuple[str, str], None] = None,
        proxies_config: Optional[Dict[str, Any]] = None,
    ) -> None:
        if timeout is None:
            timeout = DEFAULT_TIMEOUT
        connect, read = (timeout, timeout) if isinstance(timeout, (int, float)) else (timeout[0], timeout[1])
        self._proxy_config = ProxyConfiguration(proxies, proxies_config)
        # The TLS, proxy and connection decisions, made once here for both transports,
        # which read this value and nothing else of the session.
        self._settings = TransportSettings(
            tls=TLSSettings(verify, client_cert),
            proxies=self._proxy_config,
            connect_timeout=connect,
            read_timeout=read,
            max_pool_connections=max_pool_connections,
            socket_options=socket_options,
        )
        self._transport: Optional[Urllib3Transport] = None
        self._direct: Optional[DirectTransport] = None
        self._use_direct = os.environ.get("IBM_COS_SDK_HTTP", "direct") != "urllib3"

    def _get_transport(self) -> Urllib3Transport:
        transport = self._transport
        if transport is None:
            from ibm_botocore._urllib3_transport import Urllib3Transport

            transport = self._transport = Urllib3Transport(self._settings)
        return transport

    def _get_direct(self) -> DirectTransport:
        direct = self._direct
        if direct is None:
            from ibm_botocore._directhttp import DirectTransport

            direct = self._direct = DirectTransport(self._settings)
        return direct

    def send(self, request: AWSPreparedRequest) -> AWSResponse:
        """Send ``request``; the response body stays unread when ``stream_output`` is set.

        Requests that go straight to the endpoint use the direct HTTP/1.1 connections of
        ``ibm_botocore._directhttp``; requests through a proxy use urllib3's proxy support.
        """
        url = request.url
        if self._use_direct and not self._proxy_config.proxy_url_for(url):
            route = _route(url)
            if route is not None:
                key, host_header, target = route
                return self._get_direct().send(request, key, host_header, target)
        return self._get_transport().send(request)

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()
            self._transport = None
        if self._direct is not None:
            self._direct.close()
            self._direct = None


_ROUTES: Dict[str, Optional[Tuple[Tuple[str, str, int], str, str]]] = {}


def _route(url: str) -> Optional[Tuple[Tuple[str, str, int], str, str]]:
    """(pool key, Host header, request target) of an http(s) URL; cached per origin."""
    scheme_end = url.find("://")
    slash = url.find("/", scheme_end + 3)
    origin = url if slash < 0 else url[:slash]
    cached = _ROUTES.get(origin)
    if cached is None:
        parts = urlsplit(origin)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return None
        default_port = 443 if parts.scheme == "https" else 80
        port = parts.port or default_port
        host = parts.hostname
        host_header = parts.netloc.rpartition("@")[2]
        if parts.port == default_port:
            host_header = host_header.rsplit(":", 1)[0]
        cached = ((parts.scheme, host, port), host_header, "")
        if len(_ROUTES) > 256:
            _ROUTES.clear()
        _ROUTES[origin] = cached
    key, host_header, _ = cached
    return key, host_header, _request_target(url)

"""What the session hands its transports, and the send helpers both transports share.

``URLLib3Session`` decides its settings once (``TransportSettings``) and gives that value
to the transport it builds: ``ibm_botocore._directhttp.DirectTransport`` for requests that
go straight to the endpoint, ``ibm_botocore._urllib3_transport.Urllib3Transport`` for the
rest. The transports read only this value, never the session, and import this module,
never ``ibm_botocore.httpsession`` (which imports them): the layers are

    httpsession  ->  _directhttp, _urllib3_transport  ->  _transport, tls
"""
from __future__ import annotations

from typing import List, NamedTuple, Optional, Tuple, Union

from ibm_botocore.tls import ProxySettings, TLSSettings

#: how many bytes of a request body go to the socket in one write (both transports)
SEND_BLOCK_SIZE = 1024 * 1024

#: one ``socket.setsockopt(level, option, value)`` call, as ``Config``/urllib3 take them
SocketOption = Tuple[int, int, Union[int, bytes]]


class TransportSettings(NamedTuple):
    """One session's connection settings, as every transport of it reads them."""

    #: how to check the server and present ourselves (one shared ``ssl.SSLContext``)
    tls: TLSSettings
    #: which proxy carries a URL (``Config(proxies=..., proxies_config=...)``)
    proxies: ProxySettings
    #: seconds to wait for a connection, then for each read
    connect_timeout: float
    read_timeout: float
    #: connections kept per endpoint
    max_pool_connections: int
    #: ``setsockopt`` triples applied to every new socket, or None
    socket_options: Optional[List[SocketOption]]


def short_file(sent: int, count: int) -> Exception:
    """What both transports raise when a file body ends early (it shrank while being
    sent): the public ``HTTPClientError``, retried like any failed send."""
    from ibm_botocore.exceptions import HTTPClientError

    return HTTPClientError(error="request body: the file ended after %d of %d bytes" % (sent, count))


def request_target(url: str) -> str:
    """Path and query of a URL (what goes on the request line)."""
    scheme_end = url.find("://")
    slash = url.find("/", scheme_end + 3 if scheme_end >= 0 else 0)
    if slash < 0:
        query = url.find("?")
        return "/" + (url[query:] if query >= 0 else "")
    return url[slash:]

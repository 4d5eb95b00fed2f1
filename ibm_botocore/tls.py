"""TLS and proxy settings, decided once and handed to every HTTP client of the SDK.

The client's ``verify`` (True, False, or a CA bundle file or directory), ``client_cert``
(a path or a ``(cert, key)`` pair) and ``proxies`` / ``proxies_config`` become one
``TLSSettings`` and one ``ProxySettings``. The direct transport, the urllib3 transport
and the IAM token client all take their ``ssl.SSLContext`` from
``TLSSettings.ssl_context()`` and their proxy from ``ProxySettings.proxy_url_for()``, so
a CA directory, a client certificate or a proxy behaves the same on every path.

``ssl`` (and urllib3's TLS helpers) are imported only when a context is first built, so
plain-http clients never load them.
"""
from __future__ import annotations

import os
import threading
from typing import TYPE_CHECKING, Any, Dict, Mapping, Optional, Tuple, Union
from urllib.parse import urlsplit

if TYPE_CHECKING:
    import ssl

Verify = Union[bool, str, None]
ClientCert = Union[str, Tuple[str, str], None]


class TLSSettings:
    """How to check the server and present ourselves: built from ``verify`` and ``client_cert``."""

    __slots__ = ("verify", "ca_file", "ca_dir", "cert_file", "key_file", "_context", "_lock")

    def __init__(self, verify: Verify = True, client_cert: ClientCert = None) -> None:
        self.verify: bool = verify is not False
        self.ca_file: Optional[str] = None
        self.ca_dir: Optional[str] = None
        if isinstance(verify, str):
            if os.path.isdir(verify):
                self.ca_dir = verify
            else:
                self.ca_file = verify
        self.cert_file: Optional[str]
        self.key_file: Optional[str]
        if isinstance(client_cert, str):
            self.cert_file, self.key_file = client_cert, None
        elif isinstance(client_cert, tuple):
            self.cert_file, self.key_file = client_cert
        elif client_cert is None:
            self.cert_file = self.key_file = None
        else:
            raise TypeError("client_cert must be str or tuple, not %s" % type(client_cert))
        self._context: Optional["ssl.SSLContext"] = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return "TLSSettings(verify=%r, ca_file=%r, ca_dir=%r, cert_file=%r)" % (self.verify, self.ca_file, self.ca_dir, self.cert_file)

    def ssl_context(self) -> "ssl.SSLContext":
        """The one client context for these settings (built on first use, then shared)."""
        context = self._context
        if context is None:
            with self._lock:
                context = self._context
                if context is None:
                    context = self._context = self._build()
        return context

    def _build(self) -> "ssl.SSLContext":
        import ssl

        from urllib3.util.ssl_ import create_urllib3_context

        context = create_urllib3_context(cert_reqs=ssl.CERT_REQUIRED if self.verify else ssl.CERT_NONE)
        if not self.verify:
            context.check_hostname = False
        elif self.ca_file or self.ca_dir:
            context.load_verify_locations(cafile=self.ca_file, capath=self.ca_dir)
        else:
            context.load_default_certs()
        if self.cert_file:
            context.load_cert_chain(self.cert_file, self.key_file)
        return context

    def urllib3_pool_kwargs(self) -> Dict[str, Any]:
        """What a urllib3 PoolManager needs for https pools with these settings."""
        return {"ssl_context": self.ssl_context(), "cert_reqs": "CERT_REQUIRED" if self.verify else "CERT_NONE"}


class ProxySettings:
    """``Config(proxies=..., proxies_config=...)``: which proxy carries a URL, and how."""

    __slots__ = ("proxies", "ca_bundle", "client_cert", "use_forwarding_for_https", "_tls")

    def __init__(self, proxies: Optional[Mapping[str, str]] = None, proxies_config: Optional[Mapping[str, Any]] = None) -> None:
        self.proxies: Dict[str, str] = dict(proxies or {})
        config = dict(proxies_config or {})
        self.ca_bundle: Optional[str] = config.get("proxy_ca_bundle")
        self.client_cert: ClientCert = config.get("proxy_client_cert")
        self.use_forwarding_for_https: bool = bool(config.get("proxy_use_forwarding_for_https"))
        self._tls: Optional[TLSSettings] = None

    def __bool__(self) -> bool:
        return bool(self.proxies)

    def proxy_url_for(self, url: str) -> Optional[str]:
        """The proxy for ``url`` (a ``scheme://host`` entry first, then the scheme's), else None."""
        if not self.proxies:
            return None
        parts = urlsplit(url)
        proxy = self.proxies.get(parts.scheme + "://" + (parts.hostname or "")) or self.proxies.get(parts.scheme)
        if proxy and "://" not in proxy:
            proxy = "http://" + proxy
        return proxy

    def proxy_tls(self) -> Optional[TLSSettings]:
        """TLS settings for talking to an https proxy itself (its CA bundle, our certificate)."""
        if self.ca_bundle is None and self.client_cert is None:
            return None
        if self._tls is None:
            self._tls = TLSSettings(self.ca_bundle if self.ca_bundle is not None else True, self.client_cert)
        return self._tls

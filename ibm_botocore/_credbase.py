"""The credential values themselves, below both ``credentials`` and ``iam``.

``ibm_botocore.credentials`` (the chain that finds credentials) makes IAM credentials,
and ``ibm_botocore.iam.OAuth2Credentials`` is a ``Credentials``: both import these from
here, so neither imports the other at load time. Their public home stays
``ibm_botocore.credentials`` (that is the module they report and pickle under).
"""
from __future__ import annotations

from collections import namedtuple
from typing import Optional

_HOME = "ibm_botocore.credentials"

ReadOnlyCredentials = namedtuple("ReadOnlyCredentials", ["access_key", "secret_key", "token"], module=_HOME)


def _mask(value: Optional[str]) -> str:
    if not value:
        return repr(value)
    return "'%s…'" % value[:4] if len(value) > 8 else "'***'"


class Credentials:
    """HMAC access key / secret key (and optional session token)."""

    __module__ = _HOME

    def __init__(self, access_key: str, secret_key: str, token: Optional[str] = None, method: Optional[str] = None) -> None:
        self.access_key = access_key
        self.secret_key = secret_key
        self.token = token
        self.method = method if method is not None else "explicit"
        self._normalize()

    def _normalize(self) -> None:
        if isinstance(self.access_key, bytes):
            self.access_key = self.access_key.decode("utf-8")
        if isinstance(self.secret_key, bytes):
            self.secret_key = self.secret_key.decode("utf-8")

    def get_frozen_credentials(self) -> ReadOnlyCredentials:
        return ReadOnlyCredentials(self.access_key, self.secret_key, self.token)

    def __repr__(self) -> str:
        return "<%s access_key=%s method=%r>" % (self.__class__.__name__, _mask(self.access_key), self.method)

"""Credentials and the chain that finds them.

HMAC keys (``Credentials``) sign with SigV4; an IBM Cloud API key
(``OAuth2Credentials``, see ``ibm_botocore.iam``) is exchanged for a bearer token.

Default chain, first match wins (the order of ibm-cos-sdk):

1. environment: ``IBM_API_KEY_ID`` (+ ``IBM_SERVICE_INSTANCE_ID``, ``IBM_AUTH_ENDPOINT``),
   else ``AWS_ACCESS_KEY_ID`` + ``AWS_SECRET_ACCESS_KEY`` (+ ``AWS_SESSION_TOKEN``);
2. the COS service-credential JSON (``COS_CREDENTIALS_FILE``, ``~/.bluemix/cos_credentials``),
   where HMAC keys win over the API key;
3. the shared credentials file (``~/.aws/credentials``) profile;
4. the config file (``~/.aws/config``) profile.

An explicitly chosen profile skips 1 and 2. Secrets never appear in reprs or errors.
"""
from __future__ import annotations

import json
import logging
import os
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Union

from ibm_botocore._credbase import Credentials as Credentials, ReadOnlyCredentials as ReadOnlyCredentials
from ibm_botocore.exceptions import (
    ConfigNotFound,
    ConfigParseError,
    PartialCredentialsError,
    UnknownCredentialError,
)

if TYPE_CHECKING:
    import datetime

    from ibm_botocore.iam import OAuth2Credentials

logger = logging.getLogger(__name__)

# Credentials and ReadOnlyCredentials are defined in ibm_botocore._credbase (iam builds on
# them without importing this module); this module is their public home.


class RefreshableCredentials(Credentials):
    """Credentials refreshed by ``refresh_using()`` before ``expiry_time``."""

    def __init__(
        self,
        access_key: str,
        secret_key: str,
        token: Optional[str],
        expiry_time: Union[str, "datetime.datetime", None],
        refresh_using: Callable[[], Dict[str, Any]],
        method: Optional[str],
        time_fetcher: Optional[Callable[[], "datetime.datetime"]] = None,
    ) -> None:
        import datetime

        from ibm_botocore.utils import parse_timestamp

        self._refresh_using = refresh_using
        self._time = time_fetcher or (lambda: datetime.datetime.now(datetime.timezone.utc))
        self._expiry_time = parse_timestamp(expiry_time) if isinstance(expiry_time, str) else expiry_time
        super().__init__(access_key, secret_key, token, method)

    @classmethod
    def create_from_metadata(
        cls, metadata: Dict[str, Any], refresh_using: Callable[[], Dict[str, Any]], method: Optional[str]
    ) -> "RefreshableCredentials":
        return cls(
            metadata["access_key"], metadata["secret_key"], metadata.get("token"), metadata["expiry_time"], refresh_using, method
        )

    def _maybe_refresh(self) -> None:
        import datetime

        if self._expiry_time is None or (self._expiry_time - self._time()) > datetime.timedelta(seconds=900):
            return
        data = self._refresh_using()
        from ibm_botocore.utils import parse_timestamp

        self.access_key = data["access_key"]
        self.secret_key = data["secret_key"]
        self.token = data.get("token")
        expiry = data.get("expiry_time")
        self._expiry_time = parse_timestamp(expiry) if isinstance(expiry, str) else expiry

    def get_frozen_credentials(self) -> ReadOnlyCredentials:
        self._maybe_refresh()
        return super().get_frozen_credentials()


# --- providers ------------------------------------------------------------------------
class CredentialProvider:
    METHOD: Optional[str] = None
    CANONICAL_NAME: Optional[str] = None

    def load(self) -> Optional[Credentials]:
        return None


def _oauth_credentials(api_key: str, instance_id: Optional[str], auth_endpoint: Optional[str], method: Optional[str]) -> "OAuth2Credentials":
    from ibm_botocore.iam import OAuth2Credentials

    return OAuth2Credentials(
        api_key_id=api_key, service_instance_id=instance_id, auth_endpoint=auth_endpoint, method=method
    )


def _from_profile_values(values: Dict[str, Any], method: str, provider_name: str) -> Optional[Credentials]:
    """Credentials from a profile section: an IBM API key wins over HMAC keys."""
    api_key = values.get("ibm_api_key_id")
    if api_key:
        return _oauth_credentials(api_key, values.get("ibm_service_instance_id"), values.get("ibm_auth_endpoint"), method)
    access_key = values.get("aws_access_key_id")
    secret_key = values.get("aws_secret_access_key")
    if access_key is None and secret_key is None:
        return None
    if not access_key:
        raise PartialCredentialsError(provider=provider_name, cred_var="aws_access_key_id")
    if not secret_key:
        raise PartialCredentialsError(provider=provider_name, cred_var="aws_secret_access_key")
    token = values.get("aws_session_token") or values.get("aws_security_token")
    return Credentials(access_key, secret_key, token, method=method)


class EnvProvider(CredentialProvider):
    METHOD = "env"
    CANONICAL_NAME = "Environment"

    def __init__(self, environ: Optional[Dict[str, str]] = None) -> None:
        self.environ = os.environ if environ is None else environ

    def load(self) -> Optional[Credentials]:
        env = self.environ
        api_key = env.get("IBM_API_KEY_ID")
        if api_key:
            logger.info("Found IBM API key in environment variables.")
            return _oauth_credentials(api_key, env.get("IBM_SERVICE_INSTANCE_ID"), env.get("IBM_AUTH_ENDPOINT"), self.METHOD)
        access_key = env.get("AWS_ACCESS_KEY_ID")
        if not access_key:
            return None
        secret_key = env.get("AWS_SECRET_ACCESS_KEY")
        if not secret_key:
            raise PartialCredentialsError(provider=self.METHOD, cred_var="AWS_SECRET_ACCESS_KEY")
        logger.info("Found credentials in environment variables.")
        token = env.get("AWS_SESSION_TOKEN") or env.get("AWS_SECURITY_TOKEN")
        return Credentials(access_key, secret_key, token, method=self.METHOD)


class IbmCosCredentialsProvider(CredentialProvider):
    """The service-credential JSON from the IBM Cloud console (``~/.bluemix/cos_credentials``)."""

    METHOD = "ibm-cos-credentials-file"
    CANONICAL_NAME = "IbmCosCredentials"

    def __init__(self, ibm_credentials_filename: Optional[str]) -> None:
        self._filename = ibm_credentials_filename

    def load(self) -> Optional[Credentials]:
        if not self._filename:
            return None
        path = os.path.expanduser(self._filename)
        if not os.path.isfile(path):
            return None
        try:
            with open(path, "rb") as fh:
                data = json.loads(fh.read().decode("utf-8"))
        except (ValueError, UnicodeDecodeError) as exc:
            # A clear error naming the file, never its contents.
            raise ConfigParseError(path="%s (not valid JSON: %s)" % (path, _json_problem(exc)))
        if not isinstance(data, dict):
            raise ConfigParseError(path="%s (expected a JSON object)" % path)
        hmac = data.get("cos_hmac_keys")
        if isinstance(hmac, dict) and (hmac.get("access_key_id") or hmac.get("secret_access_key")):
            access_key = hmac.get("access_key_id")
            secret_key = hmac.get("secret_access_key")
            if not access_key:
                raise PartialCredentialsError(provider=path, cred_var="cos_hmac_keys.access_key_id")
            if not secret_key:
                raise PartialCredentialsError(provider=path, cred_var="cos_hmac_keys.secret_access_key")
            logger.info("Found HMAC credentials in %s", path)
            return Credentials(access_key, secret_key, method=self.METHOD)
        api_key = data.get("apikey")
        if api_key:
            logger.info("Found IBM API key in %s", path)
            return _oauth_credentials(api_key, data.get("resource_instance_id"), data.get("iam_auth_endpoint"), self.METHOD)
        return None


def _json_problem(exc: Exception) -> str:
    # JSONDecodeError messages contain positions only, never the document.
    if isinstance(exc, json.JSONDecodeError):
        return "%s at line %d column %d" % (exc.msg, exc.lineno, exc.colno)
    return exc.__class__.__name__


class SharedCredentialProvider(CredentialProvider):
    METHOD = "shared-credentials-file"
    CANONICAL_NAME = "SharedCredentials"

    def __init__(self, creds_filename: str, profile_name: Optional[str] = None, ini_parser: Optional[Callable[[str], Dict[str, Any]]] = None) -> None:
        self._creds_filename = creds_filename
        self._profile_name = profile_name or "default"
        from ibm_botocore.configloader import raw_config_parse

        self._ini_parser = ini_parser or raw_config_parse

    def load(self) -> Optional[Credentials]:
        try:
            sections = self._ini_parser(self._creds_filename)
        except ConfigNotFound:
            return None
        values = sections.get(self._profile_name)
        if not values:
            return None
        creds = _from_profile_values(values, self.METHOD, self._creds_filename)
        if creds is not None:
            logger.info("Found credentials in shared credentials file: %s", self._creds_filename)
        return creds


class ConfigProvider(CredentialProvider):
    METHOD = "config-file"
    CANONICAL_NAME = "SharedConfig"

    def __init__(self, config_filename: str, profile_name: Optional[str] = None, config_parser: Optional[Callable[[str], Dict[str, Any]]] = None) -> None:
        self._config_filename = config_filename
        self._profile_name = profile_name or "default"
        from ibm_botocore.configloader import load_config

        self._config_parser = config_parser or load_config

    def load(self) -> Optional[Credentials]:
        try:
            full = self._config_parser(self._config_filename)
        except ConfigNotFound:
            return None
        values = full.get("profiles", {}).get(self._profile_name)
        if not values:
            return None
        creds = _from_profile_values(values, self.METHOD, self._config_filename)
        if creds is not None:
            logger.info("Credentials found in config file: %s", self._config_filename)
        return creds


class CredentialResolver:
    """Asks each provider in turn; the first that returns credentials wins."""

    def __init__(self, providers: List[CredentialProvider]) -> None:
        self.providers = list(providers)

    def insert_before(self, name: str, credential_provider: CredentialProvider) -> None:
        self.providers.insert(self._index(name), credential_provider)

    def insert_after(self, name: str, credential_provider: CredentialProvider) -> None:
        self.providers.insert(self._index(name) + 1, credential_provider)

    def remove(self, name: str) -> None:
        names = [p.METHOD for p in self.providers]
        if name in names:
            del self.providers[names.index(name)]

    def get_provider(self, name: str) -> CredentialProvider:
        return self.providers[self._index(name)]

    def _index(self, name: str) -> int:
        for index, provider in enumerate(self.providers):
            if provider.METHOD == name:
                return index
        raise UnknownCredentialError(name=name)

    def load_credentials(self) -> Optional[Credentials]:
        for provider in self.providers:
            logger.debug("Looking for credentials via: %s", provider.METHOD)
            creds = provider.load()
            if creds is not None:
                return creds
        return None


def create_credential_resolver(session: Any, cache: Any = None, region_name: Optional[str] = None) -> CredentialResolver:
    """The default chain for a session (see the module docstring for the order)."""
    profile = session.get_config_variable("profile") or "default"
    explicit_profile = session._profile is not None or session._session_instance_vars.get("profile") is not None
    credentials_file = session.get_config_variable("credentials_file")
    config_file = session.get_config_variable("config_file")
    cos_file = session.get_config_variable("cos_credentials_file")
    providers: List[CredentialProvider] = []
    if not explicit_profile:
        providers.append(EnvProvider())
        providers.append(IbmCosCredentialsProvider(cos_file))
    providers.append(SharedCredentialProvider(credentials_file, profile))
    providers.append(ConfigProvider(config_file, profile))
    return CredentialResolver(providers)


def get_credentials(session: Any) -> Optional[Credentials]:
    return create_credential_resolver(session).load_credentials()


_IAM_NAMES = ("OAuth2Credentials", "TokenManager", "DefaultTokenManager", "DelegatedTokenManager")


def __getattr__(name: str) -> Any:
    # The IAM classes live in ibm_botocore.iam; they are importable from here too,
    # as in ibm-cos-sdk, without loading that module for HMAC-only users.
    if name in _IAM_NAMES:
        from ibm_botocore import iam

        return getattr(iam, name)
    raise AttributeError("module %r has no attribute %r" % (__name__, name))

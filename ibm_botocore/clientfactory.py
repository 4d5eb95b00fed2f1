"""Assembling a client: credentials, signer, endpoint, HTTP session and S3 settings.

Kept apart from ``session`` so that each decision (which credentials, which signature
version, which URL, which retry policy) is one small, readable function.
"""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import Any, List, Optional, Tuple, Union

from ibm_botocore import UNSIGNED, _Unsigned
from ibm_botocore._credbase import Credentials
from ibm_botocore._transport import SocketOption
from ibm_botocore.client import BaseClient, ClientCreator
from ibm_botocore.config import DEFAULT_TIMEOUT, Config
from ibm_botocore.endpoint import Endpoint, EndpointCreator
from ibm_botocore.exceptions import InvalidConfigError, PartialCredentialsError
from ibm_botocore.retries import RetryPolicy, create_retry_policy
from ibm_botocore.s3 import S3Settings, is_200_error
from ibm_botocore.signers import RequestSigner

logger = logging.getLogger(__name__)

DEFAULT_SIGNING_REGION = "us-east-1"
# The classic AWS regions that still accept SigV2; ibm-cos-sdk presigns with SigV2 for
# them when no signature version was chosen (COS accepts both forms).
SIGV2_PRESIGN_REGIONS = frozenset(
    (
        "us-east-1", "us-west-1", "us-west-2", "eu-west-1", "ap-northeast-1",
        "ap-southeast-1", "ap-southeast-2", "sa-east-1", "aws-global",
    )
)


@dataclass(frozen=True, repr=False)
class ClientArguments:
    """What ``Session.create_client`` was given, as one value for the builder's stages."""

    service_name: str
    region_name: Optional[str] = None
    api_version: Optional[str] = None
    use_ssl: bool = True
    verify: Union[bool, str, None] = None
    endpoint_url: Optional[str] = None
    aws_access_key_id: Optional[str] = None
    aws_secret_access_key: Optional[str] = None
    aws_session_token: Optional[str] = None
    config: Optional[Config] = None
    ibm_api_key_id: Optional[str] = None
    ibm_service_instance_id: Optional[str] = None
    ibm_auth_endpoint: Optional[str] = None
    auth_function: Any = None
    token_manager: Any = None

    def __repr__(self) -> str:  # never show keys
        return "ClientArguments(service_name=%r, endpoint_url=%r)" % (self.service_name, self.endpoint_url)


def resolve_credentials(session: Any, config: Config, args: ClientArguments) -> Any:
    """Explicit IBM arguments, then explicit HMAC keys, then the session's chain."""
    if config.signature_version is UNSIGNED:
        return None
    if args.ibm_api_key_id or args.auth_function or args.token_manager:
        from ibm_botocore.iam import OAuth2Credentials

        return OAuth2Credentials(
            api_key_id=args.ibm_api_key_id,
            service_instance_id=args.ibm_service_instance_id,
            auth_endpoint=args.ibm_auth_endpoint,
            auth_function=args.auth_function,
            token_manager=args.token_manager,
            method="explicit",
            verify=True if args.verify is None else args.verify,
        )
    access_key, secret_key = args.aws_access_key_id, args.aws_secret_access_key
    if access_key is not None and secret_key is not None:
        return Credentials(access_key, secret_key, args.aws_session_token)
    if access_key is not None or secret_key is not None:
        missing = "aws_secret_access_key" if access_key is not None else "aws_access_key_id"
        raise PartialCredentialsError(provider="explicit", cred_var=missing)
    return session.get_credentials()


def _is_oauth(credentials: Any) -> bool:
    return credentials is not None and getattr(credentials, "is_oauth", False)


def resolve_signature_version(config: Config, credentials: Any, service_model: Any) -> Union[str, _Unsigned]:
    """Config wins; an API key alone selects ``oauth``; else the model's ``s3v4``."""
    version: Union[str, _Unsigned, None] = config.signature_version
    if version is UNSIGNED:
        return UNSIGNED
    if version is None:
        if _is_oauth(credentials):
            return "oauth"
        model_version: Optional[str] = service_model.signature_version
        return model_version or "s3v4"
    if version == "oauth" and credentials is not None and not _is_oauth(credentials):
        raise InvalidConfigError(
            error_msg="signature_version='oauth' needs IBM API key credentials (ibm_api_key_id), but the client has HMAC keys; "
            "drop signature_version='oauth' to sign with the HMAC keys (SigV4)."
        )
    if version in ("s3v4", "v4", "s3") and _is_oauth(credentials):
        raise InvalidConfigError(
            error_msg="signature_version=%r needs HMAC keys (aws_access_key_id / aws_secret_access_key), but the client has an IBM API key; "
            "use signature_version='oauth' or give HMAC keys." % version
        )
    return version


def resolve_endpoint(session: Any, config: Config, region_name: Optional[str], endpoint_url: Optional[str], use_ssl: bool) -> Tuple[str, bool]:
    """(URL, is_custom). Explicit URL, then AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL / profile, then AWS default."""
    if endpoint_url is not None:
        return endpoint_url, True
    ignore = config.ignore_configured_endpoint_urls
    if ignore is None:
        ignore = session.get_config_variable("ignore_configured_endpoint_urls")
    if not ignore:
        for name in ("AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"):
            value = os.environ.get(name)
            if value:
                return value, True
        try:
            scoped = session.get_scoped_config()
        except Exception:
            scoped = {}
        services = scoped.get("services")
        if services:
            section = session.full_config.get("services", {}).get(services, {}).get("s3")
            if isinstance(section, dict) and section.get("endpoint_url"):
                return section["endpoint_url"], True
        if scoped.get("endpoint_url"):
            return scoped["endpoint_url"], True
    scheme = "https" if use_ssl else "http"
    if region_name in (None, "us-east-1", "aws-global"):
        return "%s://s3.amazonaws.com" % scheme, False
    return "%s://s3.%s.amazonaws.com" % (scheme, region_name), False


def resolve_verify(session: Any, verify: Union[bool, str, None]) -> Union[bool, str]:
    if verify is not None:
        return verify
    bundle: Optional[str] = session.get_config_variable("ca_bundle")
    if bundle:
        return bundle
    return os.environ.get("REQUESTS_CA_BUNDLE") or True


def _socket_options(tcp_keepalive: bool) -> Optional[List[SocketOption]]:
    if not tcp_keepalive:
        return None
    import socket

    return [(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1), (socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)]


def build_client(session: Any, args: ClientArguments) -> BaseClient:
    """The client pipeline's parts, in order: configuration, credentials, S3 settings,
    endpoint (HTTP and retries), signer; then the client class from the model."""
    config = _merged_config(session, args.config)
    service_model = session.get_service_model(args.service_name, args.api_version)
    region = args.region_name or config.region_name or session.get_config_variable("region")
    signing_region = region or DEFAULT_SIGNING_REGION
    verify_value = resolve_verify(session, args.verify)
    credentials = resolve_credentials(session, config, args)
    instance_id = args.ibm_service_instance_id
    if _is_oauth(credentials):
        if instance_id is None:
            instance_id = getattr(credentials, "service_instance_id", None)
        _configure_token_manager(credentials, config, args.verify, verify_value)
    signature_version = resolve_signature_version(config, credentials, service_model)
    url, custom = resolve_endpoint(session, config, region, args.endpoint_url, args.use_ssl)
    events = session.get_component("event_emitter").__copy__()
    settings, effective = _s3_settings(session, config, url, custom, instance_id, signature_version, signing_region)
    policy = create_retry_policy(
        config.retries,
        (config.retries or {}).get("mode") or session.get_config_variable("retry_mode"),
        session.get_config_variable("max_attempts"),
    )
    signer = RequestSigner(
        service_model.service_id,
        signing_region,
        service_model.signing_name,
        signature_version,
        credentials,
        events,
        presign_with_sigv2=config.signature_version is None and signing_region in SIGV2_PRESIGN_REGIONS,
    )
    endpoint = _create_endpoint(session, events, config, service_model, region, url, verify_value, policy, signer)
    user_agent = _user_agent(session, config, policy.mode)
    creator = ClientCreator(session.get_component("data_loader"), events)
    client = creator.create_client(service_model, endpoint, signer, effective, settings, signing_region, credentials, user_agent)
    # how it was made, for worker processes that build the same client (ibm_s3transfer.procfiles)
    client._ibm_origin = ClientOrigin(session.profile, args, verify_value)
    return client


@dataclass(frozen=True, repr=False)
class ClientOrigin:
    """The session profile, the arguments and the TLS verification a client was built with."""

    profile: Optional[str]
    arguments: ClientArguments
    verify: Union[bool, str]

    def __repr__(self) -> str:  # the arguments may hold keys
        return "ClientOrigin(profile=%r, %r)" % (self.profile, self.arguments)


def _merged_config(session: Any, config: Optional[Config]) -> Config:
    """The session's default client config, overridden by the one given to client()."""
    default_config: Optional[Config] = session.get_default_client_config()
    if config is not None and default_config is not None:
        return default_config.merge(config)
    if config is None:
        return default_config or Config()
    return config


def _configure_token_manager(credentials: Any, config: Config, verify: Any, verify_value: Union[bool, str]) -> None:
    """An IAM token manager follows the client's timeouts, proxies and TLS verification."""
    manager = getattr(credentials, "token_manager", None)
    if manager is not None and hasattr(manager, "set_from_config"):
        manager.set_from_config(config)
        if verify is not None and hasattr(manager, "set_verify"):
            manager.set_verify(verify_value)


def _s3_settings(
    session: Any, config: Config, url: str, custom: bool, instance_id: Optional[str],
    signature_version: Union[str, _Unsigned], signing_region: str,
) -> Tuple[S3Settings, Config]:
    """The S3 decisions made once per client (addressing, checksums, instance id), and the
    effective config that users and handlers see as ``client.meta.config``."""
    s3_config = dict(session.get_config_variable("s3") or {})
    s3_config.update(config.s3 or {})
    checksum_calc = config.request_checksum_calculation or session.get_config_variable("request_checksum_calculation")
    checksum_valid = config.response_checksum_validation or session.get_config_variable("response_checksum_validation")
    settings = S3Settings(
        url,
        s3_config.get("addressing_style"),
        custom,
        request_checksum_calculation=checksum_calc,
        response_checksum_validation=checksum_valid,
        service_instance_id=instance_id,
        signature_version=signature_version,
    )
    effective = config.merge(
        Config(
            region_name=signing_region,
            signature_version=signature_version,
            s3=s3_config or None,
            request_checksum_calculation=checksum_calc,
            response_checksum_validation=checksum_valid,
        )
    )
    if config.parameter_validation is True and not config.is_user_provided("parameter_validation"):
        effective.parameter_validation = session.get_config_variable("parameter_validation")
    return settings, effective


def _create_endpoint(
    session: Any, events: Any, config: Config, service_model: Any, region: Optional[str], url: str,
    verify_value: Union[bool, str], policy: RetryPolicy, signer: RequestSigner,
) -> Endpoint:
    """The HTTP side: timeouts, pool size, proxies, TLS, keep-alive, the retry policy,
    the signer, and the S3 rule for errors inside 200 answers."""
    tcp_keepalive = config.tcp_keepalive if config.tcp_keepalive is not None else session.get_config_variable("tcp_keepalive")
    return EndpointCreator(events).create_endpoint(
        service_model,
        region,
        url,
        verify=verify_value,
        timeout=(
            config.connect_timeout if config.connect_timeout is not None else DEFAULT_TIMEOUT,
            config.read_timeout if config.read_timeout is not None else DEFAULT_TIMEOUT,
        ),
        max_pool_connections=config.max_pool_connections,
        proxies=config.proxies,
        socket_options=_socket_options(tcp_keepalive),
        client_cert=config.client_cert,
        proxies_config=config.proxies_config,
        retry_policy=policy,
        request_signer=signer,
        error_in_success=is_200_error,
    )


def _user_agent(session: Any, config: Config, retry_mode: str) -> str:
    if config.user_agent:
        base = config.user_agent
    else:
        base = session.user_agent(retry_mode)
    appid = config.user_agent_appid or session.get_config_variable("user_agent_appid")
    if appid:
        base += " app/%s" % appid
    if config.user_agent_extra:
        base += " %s" % config.user_agent_extra
    return base

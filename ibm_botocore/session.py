"""``Session``: configuration, credentials and the factory for clients.

Configuration values are looked up, in order, in values set on the session, the
environment, the selected profile of ``~/.aws/config``, and the built-in default.
"""
from __future__ import annotations

import copy
import logging
import os
import re
import sys
from typing import Any, Dict, List, Optional, Tuple

import ibm_botocore
from ibm_botocore.config import Config
from ibm_botocore.exceptions import (
    UnknownRegionError,
    ConfigNotFound,
    ProfileNotFound,
    UnknownServiceError,
)
from ibm_botocore.hooks import Handler, HierarchicalEmitter
from ibm_botocore.loaders import create_loader
from ibm_botocore.model import ServiceModel

logger = logging.getLogger(__name__)

_BOOL_TRUE = ("true", "1", "yes", "on")


def _to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in _BOOL_TRUE


# os.uname() is what platform.* reports on POSIX; platform itself costs an import.
_UNAME = os.uname() if hasattr(os, "uname") else (sys.platform, "", "", "", "")


def _python_implementation() -> str:
    name = sys.implementation.name
    return {"cpython": "CPython", "pypy": "PyPy"}.get(name, name)


# name -> (config-file key, environment variable(s), default, converter)
SESSION_VARIABLES: Dict[str, Tuple[Optional[str], Any, Any, Any]] = {
    "profile": (None, ("AWS_DEFAULT_PROFILE", "AWS_PROFILE"), None, None),
    "region": ("region", "AWS_DEFAULT_REGION", None, None),
    "data_path": ("data_path", "AWS_DATA_PATH", None, None),
    "config_file": (None, "AWS_CONFIG_FILE", "~/.aws/config", None),
    "ca_bundle": ("ca_bundle", "AWS_CA_BUNDLE", None, None),
    "api_versions": ("api_versions", None, {}, None),
    "credentials_file": (None, "AWS_SHARED_CREDENTIALS_FILE", "~/.aws/credentials", None),
    "cos_credentials_file": (None, "COS_CREDENTIALS_FILE", "~/.bluemix/cos_credentials", None),
    "metadata_service_timeout": ("metadata_service_timeout", "AWS_METADATA_SERVICE_TIMEOUT", 1, int),
    "metadata_service_num_attempts": ("metadata_service_num_attempts", "AWS_METADATA_SERVICE_NUM_ATTEMPTS", 1, int),
    "parameter_validation": ("parameter_validation", None, True, _to_bool),
    "retry_mode": ("retry_mode", "AWS_RETRY_MODE", "legacy", None),
    "max_attempts": ("max_attempts", "AWS_MAX_ATTEMPTS", None, int),
    "defaults_mode": ("defaults_mode", "AWS_DEFAULTS_MODE", "legacy", None),
    "user_agent_appid": ("sdk_ua_app_id", "AWS_SDK_UA_APP_ID", None, None),
    "request_checksum_calculation": ("request_checksum_calculation", "AWS_REQUEST_CHECKSUM_CALCULATION", "when_supported", None),
    "response_checksum_validation": ("response_checksum_validation", "AWS_RESPONSE_CHECKSUM_VALIDATION", "when_supported", None),
    "ignore_configured_endpoint_urls": ("ignore_configured_endpoint_urls", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", False, _to_bool),
    "tcp_keepalive": ("tcp_keepalive", None, False, _to_bool),
    "use_dualstack_endpoint": ("use_dualstack_endpoint", "AWS_USE_DUALSTACK_ENDPOINT", None, _to_bool),
    "s3": ("s3", None, None, None),
}

# partition -> (S3 regions, non-regional endpoint names), in the order get_available_partitions() lists them
_S3_REGIONS: Dict[str, Tuple[List[str], List[str]]] = {
    "aws": (
        ["af-south-1", "ap-east-1", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-south-1",
         "ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "ca-central-1", "eu-central-1", "eu-north-1",
         "eu-south-1", "eu-west-1", "eu-west-2", "eu-west-3", "me-south-1", "sa-east-1", "us-east-1",
         "us-east-2", "us-west-1", "us-west-2"],
        ["aws-global", "fips-ca-central-1", "fips-us-east-1", "fips-us-east-2", "fips-us-west-1",
         "fips-us-west-2", "s3-external-1"],
    ),
    "aws-cn": (["cn-north-1", "cn-northwest-1"], []),
    "aws-us-gov": (["us-gov-east-1", "us-gov-west-1"], ["fips-us-gov-east-1", "fips-us-gov-west-1"]),
    "aws-iso": (["us-iso-east-1", "us-iso-west-1"], []),
    "aws-iso-b": (["us-isob-east-1"], []),
}
_PARTITION_PATTERNS = (
    ("aws-cn", r"^cn\-\w+\-\d+$"),
    ("aws-us-gov", r"^us\-gov\-\w+\-\d+$"),
    ("aws-iso-b", r"^us\-isob\-\w+\-\d+$"),
    ("aws-iso", r"^us\-iso\-\w+\-\d+$"),
    ("aws", r"^(us|eu|ap|sa|ca|me|af|il|mx)\-\w+\-\d+$"),
)

# S3 setting -> (top-level profile key, environment variable) that override the ``s3 =`` sub-section
_S3_FILE_SOURCES = {
    "use_arn_region": ("s3_use_arn_region", "AWS_S3_USE_ARN_REGION"),
    "us_east_1_regional_endpoint": ("s3_us_east_1_regional_endpoint", "AWS_S3_US_EAST_1_REGIONAL_ENDPOINT"),
    "s3_disable_multiregion_access_points": (None, "AWS_S3_DISABLE_MULTIREGION_ACCESS_POINTS"),
}
_S3_BOOLEANS = frozenset(
    ("use_accelerate_endpoint", "use_dualstack_endpoint", "payload_signing_enabled", "use_arn_region", "s3_disable_multiregion_access_points")
)

# ServiceModel objects are shared by every client of the process (they are read-only
# and carry the per-operation caches).
_SERVICE_MODELS: Dict[Tuple[str, Optional[str], Tuple[str, ...]], ServiceModel] = {}


class Session:
    """Holds configuration and credentials; creates clients."""

    SESSION_VARIABLES = SESSION_VARIABLES

    def __init__(self, session_vars: Optional[Dict[str, Any]] = None, event_hooks: Any = None, include_builtin_handlers: bool = True, profile: Optional[str] = None) -> None:
        self.session_var_map = dict(SESSION_VARIABLES)
        if session_vars:
            self.session_var_map.update(session_vars)
        self._events = event_hooks if event_hooks is not None else HierarchicalEmitter()
        self._profile = profile
        self._session_instance_vars: Dict[str, Any] = {}
        self._credentials: Optional[Any] = None  # Credentials or OAuth2Credentials, resolved on first use
        self._config: Optional[Dict[str, Any]] = None
        self._loader: Optional[Any] = None  # a loaders.Loader, made on first use
        self._default_client_config: Optional[Config] = None
        self.user_agent_name = "ibm-cos-sdk-python-core"
        self.user_agent_version = ibm_botocore.__version__
        self.user_agent_extra = ""
        self._ibm_service_instance_id: Optional[str] = None
        self._components: Dict[str, Any] = {"event_emitter": self._events}

    # -- configuration --------------------------------------------------------------------
    @property
    def profile(self) -> Optional[str]:
        if self._profile is None:
            self._profile = self.get_config_variable("profile")
        return self._profile

    @property
    def available_profiles(self) -> List[str]:
        return list(self._build_profile_map())

    def get_config_variable(self, logical_name: str, methods: Tuple[str, ...] = ("instance", "env", "config")) -> Any:
        if "instance" in methods and logical_name in self._session_instance_vars:
            return self._session_instance_vars[logical_name]
        if logical_name == "s3" and self.session_var_map.get("s3") == SESSION_VARIABLES["s3"]:
            return self._s3_settings(methods)
        spec = self.session_var_map.get(logical_name)
        if spec is None:
            return None
        config_key, env_vars, default, converter = spec
        if "env" in methods and env_vars:
            names = (env_vars,) if isinstance(env_vars, str) else env_vars
            for name in names:
                value = os.environ.get(name)
                if value not in (None, ""):
                    return converter(value) if converter else value
        if "config" in methods and config_key is not None and logical_name not in ("profile",):
            try:
                scoped = self.get_scoped_config()
            except ProfileNotFound:
                scoped = {}
            if config_key in scoped:
                value = scoped[config_key]
                return converter(value) if converter and not isinstance(value, dict) else value
        return copy.copy(default)

    def _s3_settings(self, methods: Tuple[str, ...]) -> Optional[Dict[str, Any]]:
        """The profile's S3 settings (``s3 =`` sub-section, ``s3_*`` keys, ``AWS_S3_*`` variables), typed.

        Booleans become ``True`` only for ``true`` (any case), as in ibm-cos-sdk; other keys
        keep their text. An empty ``s3 =`` line counts as no settings; None when there are none.
        """
        scoped: Dict[str, Any] = {}
        if "config" in methods:
            try:
                scoped = self.get_scoped_config()
            except ProfileNotFound:
                scoped = {}
        section = scoped.get("s3")
        settings: Dict[str, Any] = dict(section) if isinstance(section, dict) else {}
        for name, (flat_key, env_var) in _S3_FILE_SOURCES.items():
            if "env" in methods and env_var and os.environ.get(env_var):
                settings[name] = os.environ[env_var]
            elif flat_key and flat_key in scoped:
                settings[name] = scoped[flat_key]
        for name in _S3_BOOLEANS.intersection(settings):
            value = settings[name]
            settings[name] = value if isinstance(value, bool) else isinstance(value, str) and value.lower() == "true"
        return settings or None

    def set_config_variable(self, logical_name: str, value: Any) -> None:
        if logical_name == "profile":
            self._profile = value
        self._session_instance_vars[logical_name] = value
        if logical_name in ("profile", "config_file", "credentials_file"):
            self._config = None
            self._credentials = None

    def instance_variables(self) -> Dict[str, Any]:
        return dict(self._session_instance_vars)

    def _build_profile_map(self) -> Dict[str, Dict[str, Any]]:
        value: Dict[str, Dict[str, Any]] = self.full_config.get("profiles", {})
        return value

    @property
    def full_config(self) -> Dict[str, Any]:
        if self._config is None:
            from ibm_botocore.configloader import load_config, raw_config_parse

            config_file = self.get_config_variable("config_file", ("instance", "env"))
            try:
                config = load_config(config_file)
            except ConfigNotFound:
                config = {"profiles": {}}
            cred_file = self.get_config_variable("credentials_file", ("instance", "env"))
            try:
                cred_profiles = raw_config_parse(cred_file)
            except ConfigNotFound:
                cred_profiles = {}
            for name, values in cred_profiles.items():
                target = config["profiles"].setdefault(name, {})
                for key, value in values.items():
                    target.setdefault(key, value)
            self._config = config
        return self._config

    def get_scoped_config(self) -> Dict[str, Any]:
        profile = self._profile if self._profile is not None else self.get_config_variable("profile", ("instance", "env"))
        profiles = self._build_profile_map()
        if profile is None:
            return profiles.get("default", {})
        if profile not in profiles:
            if profile == "default":
                return {}
            raise ProfileNotFound(profile=profile)
        return profiles[profile]

    def get_default_client_config(self) -> Optional[Config]:
        return self._default_client_config

    def set_default_client_config(self, client_config: Config) -> None:
        self._default_client_config = client_config

    # -- events and components --------------------------------------------------------------
    def register(
        self, event_name: str, handler: Handler, unique_id: Any = None, unique_id_uses_count: bool = False
    ) -> None:
        self._events.register(event_name, handler, unique_id, unique_id_uses_count)

    def unregister(
        self,
        event_name: str,
        handler: Optional[Handler] = None,
        unique_id: Any = None,
        unique_id_uses_count: bool = False,
    ) -> None:
        self._events.unregister(event_name, handler, unique_id, unique_id_uses_count)

    def get_component(self, name: str) -> Any:
        if name == "data_loader" and name not in self._components:
            return self._get_loader()
        try:
            return self._components[name]
        except KeyError:
            raise ValueError("Unknown component: %s" % name)

    def register_component(self, name: str, component: Any) -> None:
        self._components[name] = component

    # -- credentials ------------------------------------------------------------------------
    def set_credentials(
        self,
        access_key: Optional[str] = None,
        secret_key: Optional[str] = None,
        token: Optional[str] = None,
        ibm_api_key_id: Optional[str] = None,
        ibm_service_instance_id: Optional[str] = None,
        ibm_auth_endpoint: Optional[str] = None,
        auth_function: Any = None,
        token_manager: Any = None,
    ) -> None:
        """Use these credentials for every client of the session (an API key wins over HMAC keys)."""
        from ibm_botocore.credentials import Credentials

        if ibm_api_key_id or auth_function or token_manager:
            from ibm_botocore.iam import OAuth2Credentials

            self._credentials = OAuth2Credentials(
                api_key_id=ibm_api_key_id,
                service_instance_id=ibm_service_instance_id,
                auth_endpoint=ibm_auth_endpoint,
                auth_function=auth_function,
                token_manager=token_manager,
                method="explicit",
            )
            self._ibm_service_instance_id = ibm_service_instance_id
        else:
            # as ibm-cos-sdk: the keys are kept as given (None included) and checked when signing
            self._credentials = Credentials(access_key, secret_key, token)  # type: ignore[arg-type]

    def get_credentials(self) -> Any:
        """The session's credentials, from explicit values or the provider chain."""
        if self._credentials is None:
            from ibm_botocore.credentials import create_credential_resolver

            self._credentials = create_credential_resolver(self).load_credentials()
        return self._credentials

    # -- models -----------------------------------------------------------------------------
    def _get_loader(self) -> Any:
        if "data_loader" in self._components:
            return self._components["data_loader"]
        if self._loader is None:
            self._loader = create_loader(self.get_config_variable("data_path"))
        return self._loader

    def get_service_model(self, service_name: str, api_version: Optional[str] = None) -> ServiceModel:
        loader = self._get_loader()
        key = (service_name, api_version, tuple(loader.search_paths))
        model = _SERVICE_MODELS.get(key)
        if model is None:
            data = self.get_service_data(service_name, api_version)
            model = ServiceModel(data, service_name=service_name)
            _SERVICE_MODELS[key] = model
        return model

    def get_service_data(self, service_name: str, api_version: Optional[str] = None) -> Dict[str, Any]:
        loader = self._get_loader()
        if service_name not in loader.list_available_services("service-2"):
            raise UnknownServiceError(service_name=service_name, known_service_names=", ".join(loader.list_available_services("service-2")))
        value: Dict[str, Any] = loader.load_service_model(service_name, "service-2", api_version)
        return value

    def get_available_services(self) -> List[str]:
        value: List[str] = self._get_loader().list_available_services("service-2")
        return value

    def get_available_partitions(self) -> List[str]:
        return list(_S3_REGIONS)

    def get_available_regions(self, service_name: str, partition_name: str = "aws", allow_non_regional: bool = False) -> List[str]:
        """The AWS regions S3 is offered in (the public endpoint data ibm-cos-sdk ships)."""
        if service_name != "s3" or partition_name not in _S3_REGIONS:
            return []
        regions, other = _S3_REGIONS[partition_name]
        return sorted(regions + other) if allow_non_regional else list(regions)

    def get_partition_for_region(self, region_name: str) -> str:
        for partition, (regions, other) in _S3_REGIONS.items():
            if region_name in regions or region_name in other:
                return partition
        for partition, pattern in _PARTITION_PATTERNS:
            if re.match(pattern, region_name):
                return partition
        raise UnknownRegionError(region_name=region_name, error_msg="No partition found for provided region_name.")

    def user_agent(self, retry_mode: Optional[str] = None) -> str:
        parts = [
            "%s/%s" % (self.user_agent_name, self.user_agent_version),
            "md/Botocore#%s" % ibm_botocore.__version__,
            "ua/2.0",
            "os/%s#%s" % (_UNAME[0].lower(), _UNAME[2]),
            "md/arch#%s" % _UNAME[4].lower(),
            "lang/python#%d.%d.%d" % sys.version_info[:3],
            "md/pyimpl#%s" % _python_implementation(),
        ]
        if retry_mode:
            parts.append("cfg/retry-mode#%s" % retry_mode)
        text = " ".join(parts)
        if self.user_agent_extra:
            text += " " + self.user_agent_extra
        return text

    # -- clients ----------------------------------------------------------------------------
    def create_client(
        self,
        service_name: str,
        region_name: Optional[str] = None,
        api_version: Optional[str] = None,
        use_ssl: bool = True,
        verify: Any = None,
        endpoint_url: Optional[str] = None,
        aws_access_key_id: Optional[str] = None,
        aws_secret_access_key: Optional[str] = None,
        aws_session_token: Optional[str] = None,
        config: Optional[Config] = None,
        ibm_api_key_id: Optional[str] = None,
        ibm_service_instance_id: Optional[str] = None,
        ibm_auth_endpoint: Optional[str] = None,
        auth_function: Any = None,
        token_manager: Any = None,
    ) -> Any:
        """Create a low-level client (see ``ibm_botocore.clientfactory``)."""
        arguments = dict(locals())  # every parameter, handed on as given
        del arguments["self"]
        from ibm_botocore.clientfactory import ClientArguments, build_client

        return build_client(self, ClientArguments(**arguments))

    # -- logging ------------------------------------------------------------------------------
    def set_debug_logger(self, logger_name: str = "ibm_botocore") -> None:
        self.set_stream_logger(logger_name, logging.DEBUG)

    def set_stream_logger(self, logger_name: str, log_level: int, stream: Any = None, format_string: Optional[str] = None) -> None:
        log = logging.getLogger(logger_name)
        log.setLevel(logging.DEBUG)
        handler = logging.StreamHandler(stream)
        handler.setLevel(log_level)
        handler.setFormatter(logging.Formatter(format_string or "%(asctime)s - %(name)s - %(levelname)s - %(message)s"))
        log.addHandler(handler)

    def set_file_logger(self, log_level: int, path: str, logger_name: str = "ibm_botocore") -> None:
        log = logging.getLogger(logger_name)
        log.setLevel(logging.DEBUG)
        handler = logging.FileHandler(path)
        handler.setLevel(log_level)
        handler.setFormatter(logging.Formatter("%(asctime)s - %(name)s - %(levelname)s - %(message)s"))
        log.addHandler(handler)


def get_session(env_vars: Optional[Dict[str, Any]] = None) -> Session:
    """A new ``Session``."""
    return Session(env_vars)


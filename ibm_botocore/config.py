"""``Config``: the client options users pass (``ibm_botocore.client.Config``)."""
from __future__ import annotations

import copy
from typing import Any, Dict, Optional, Tuple

from ibm_botocore.exceptions import (
    InvalidS3UsEast1RegionalEndpointConfigError,
    InvalidChecksumConfigError,
    InvalidMaxRetryAttemptsError,
    InvalidRetryConfigurationError,
    InvalidRetryModeError,
    InvalidS3AddressingStyleError,
)

DEFAULT_TIMEOUT = 60
MAX_POOL_CONNECTIONS = 10

# (name, default) in positional order.
_OPTIONS = (
    ("region_name", None),
    ("signature_version", None),
    ("user_agent", None),
    ("user_agent_extra", None),
    ("user_agent_appid", None),
    ("connect_timeout", DEFAULT_TIMEOUT),
    ("read_timeout", DEFAULT_TIMEOUT),
    ("parameter_validation", True),
    ("max_pool_connections", MAX_POOL_CONNECTIONS),
    ("proxies", None),
    ("proxies_config", None),
    ("s3", None),
    ("retries", None),
    ("client_cert", None),
    ("inject_host_prefix", True),
    ("endpoint_discovery_enabled", None),
    ("use_dualstack_endpoint", None),
    ("ignore_configured_endpoint_urls", None),
    ("defaults_mode", None),
    ("tcp_keepalive", None),
    ("request_min_compression_size_bytes", None),
    ("disable_request_compression", None),
    ("client_context_params", None),
    ("request_checksum_calculation", None),
    ("response_checksum_validation", None),
)
_OPTION_NAMES = tuple(name for name, _ in _OPTIONS)
_S3_ADDRESSING = ("auto", "virtual", "path", None)
_RETRY_KEYS = ("max_attempts", "total_max_attempts", "mode")
_RETRY_MODES = ("legacy", "standard", "adaptive")
_CHECKSUM_VALUES = ("when_supported", "when_required")


class Config:
    """Advanced client configuration.

    Options can be given positionally in the documented order or by keyword; unknown
    keywords raise ``TypeError``. Only options the user actually set are remembered
    (``merge`` overlays those of another Config).
    """

    OPTION_DEFAULTS = dict(_OPTIONS)
    NON_LEGACY_OPTION_DEFAULTS = {"connect_timeout": None}

    region_name: Optional[str]
    signature_version: Any
    user_agent: Optional[str]
    user_agent_extra: Optional[str]
    user_agent_appid: Optional[str]
    connect_timeout: Any
    read_timeout: Any
    parameter_validation: bool
    max_pool_connections: int
    proxies: Optional[Dict[str, str]]
    proxies_config: Optional[Dict[str, Any]]
    s3: Optional[Dict[str, Any]]
    retries: Optional[Dict[str, Any]]
    client_cert: Any
    inject_host_prefix: bool
    endpoint_discovery_enabled: Any
    use_dualstack_endpoint: Optional[bool]
    ignore_configured_endpoint_urls: Optional[bool]
    defaults_mode: Optional[str]
    tcp_keepalive: Optional[bool]
    request_min_compression_size_bytes: Optional[int]
    disable_request_compression: Optional[bool]
    client_context_params: Optional[Dict[str, Any]]
    request_checksum_calculation: Optional[str]
    response_checksum_validation: Optional[str]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        user = self._collect_user_options(args, kwargs)
        self._user_provided_options = user
        for name, default in _OPTIONS:
            setattr(self, name, user.get(name, copy.copy(default)))
        self._validate()

    @staticmethod
    def _collect_user_options(args: Tuple[Any, ...], kwargs: Dict[str, Any]) -> Dict[str, Any]:
        if len(args) > len(_OPTION_NAMES):
            raise TypeError("Takes at most %s arguments (%s given)" % (len(_OPTION_NAMES), len(args)))
        user: Dict[str, Any] = {}
        for name, value in zip(_OPTION_NAMES, args):
            user[name] = value
        for name, value in kwargs.items():
            if name not in _OPTION_NAMES:
                raise TypeError("Got unexpected keyword argument '%s'" % name)
            if name in user:
                raise TypeError("Got multiple values for keyword argument '%s'" % name)
            user[name] = value
        return user

    def _validate(self) -> None:
        if self.s3 is not None:
            style = self.s3.get("addressing_style")
            if style not in _S3_ADDRESSING:
                raise InvalidS3AddressingStyleError(s3_addressing_style=style)
            regional = self.s3.get("us_east_1_regional_endpoint")
            if regional is not None and regional not in ("legacy", "regional"):
                raise InvalidS3UsEast1RegionalEndpointConfigError(s3_us_east_1_regional_endpoint_config=regional)
        if self.retries is not None:
            for key, value in self.retries.items():
                if key not in _RETRY_KEYS:
                    raise InvalidRetryConfigurationError(retry_config_option=key)
                if key == "max_attempts" and (not isinstance(value, int) or value < 0):
                    raise InvalidMaxRetryAttemptsError(provided_max_attempts=value, min_value=0)
                if key == "total_max_attempts" and (not isinstance(value, int) or value < 1):
                    raise InvalidMaxRetryAttemptsError(provided_max_attempts=value, min_value=1)
                if key == "mode" and value not in _RETRY_MODES:
                    raise InvalidRetryModeError(provided_retry_mode=value, valid_modes=_RETRY_MODES)
        for key in ("request_checksum_calculation", "response_checksum_validation"):
            value = getattr(self, key)
            if value is not None and value not in _CHECKSUM_VALUES:
                raise InvalidChecksumConfigError(config_key=key, valid_options=_CHECKSUM_VALUES, config_value=value)

    def is_user_provided(self, name: str) -> bool:
        """Whether ``name`` was given to this Config (or to one merged into it), rather than
        left at its default."""
        return name in self._user_provided_options

    def merge(self, other_config: "Config") -> "Config":
        """A new Config: this one's user options overlaid with ``other_config``'s."""
        merged = dict(self._user_provided_options)
        merged.update(other_config._user_provided_options)
        return Config(**merged)

    def __repr__(self) -> str:
        shown = ", ".join("%s=%r" % (k, v) for k, v in self._user_provided_options.items() if k != "proxies")
        return "Config(%s)" % shown

    def __copy__(self) -> "Config":
        return Config(**self._user_provided_options)

    def __deepcopy__(self, memo: Dict[int, Any]) -> "Config":
        return Config(**copy.deepcopy(self._user_provided_options, memo))

"""Every exception the SDK raises.

``BotoCoreError`` subclasses format their message from a ``fmt`` template and the
keyword arguments they were raised with (kept on the instance as ``kwargs``).
``ClientError`` carries the parsed service error. Messages never include secrets.
"""
from __future__ import annotations

from typing import Any, Dict, Optional, Tuple, Type


class BotoCoreError(Exception):
    """Base of every error raised by the SDK itself (not by the service)."""

    fmt = "An unspecified error occurred"

    def __init__(self, **kwargs: Any) -> None:
        self.kwargs = kwargs
        super().__init__(self.fmt.format(**kwargs))

    def __reduce__(self) -> Tuple[Any, ...]:
        return _rebuild, (self.__class__, self.kwargs)


def _rebuild(cls: Type["BotoCoreError"], kwargs: Dict[str, Any]) -> "BotoCoreError":
    return cls(**kwargs)


# Private category bases group the public classes by what went wrong; every public
# name and public base class relation of the compatibility contract is kept.
class _ModelProblem(BotoCoreError):
    """Model, data file, pagination or waiter problems."""


class _SettingProblem(BotoCoreError):
    """Configuration and environment problems."""


class _AuthProblem(BotoCoreError):
    """Missing or unusable credentials."""


class _InputProblem(BotoCoreError):
    """Parameters that do not fit the operation."""


class _EndpointProblem(BotoCoreError):
    """Endpoint and region resolution problems."""


class _S3Problem(BotoCoreError):
    """S3 features this SDK does not support."""


class _StreamProblem(BotoCoreError):
    """Body, stream and checksum problems."""


class _StubProblem(BotoCoreError):
    """Stubber expectation problems."""


# --- Model and data ---------------------------------------------------------------
class DataNotFoundError(_ModelProblem):
    """A model or data file the SDK needs could not be found."""

    fmt = 'No model data was found for: {data_path}'


class UnknownServiceError(DataNotFoundError):
    """client() or resource() was asked for a service this SDK does not ship."""

    fmt = "The service '{service_name}' is not known to this SDK; known services: {known_service_names}"


class ApiVersionNotFoundError(_ModelProblem):
    """The requested API version of a model does not exist."""

    fmt = 'No model {data_path} exists for API version {api_version}'


class MissingServiceIdError(_ModelProblem):
    """A service model lacks the serviceId needed for event names."""

    fmt = 'The model of {service_name} lacks the serviceId metadata entry.'


class UnknownServiceStyle(_ModelProblem):
    """A model declares a protocol style this SDK has no serializer for."""

    fmt = 'Service style {service_style} is not supported'


class UnknownSignatureVersionError(_ModelProblem):
    """Config(signature_version=...) names a scheme the SDK does not know."""

    fmt = 'The signature version {signature_version} is not known.'


class UnsupportedSignatureVersionError(_ModelProblem):
    """The scheme cannot be used here (e.g. presigning with an IAM API key)."""

    fmt = 'Signature version is not supported: {signature_version}'


class UnknownClientMethodError(_ModelProblem):
    """generate_presigned_url() was given a method the client does not have."""

    fmt = 'The client has no method named {method_name}'


class OperationNotPageableError(_ModelProblem):
    """get_paginator() was asked for an operation without a paginator."""

    fmt = 'Operation cannot be paginated: {operation_name}'


class PaginationError(_ModelProblem):
    """A paginator was given an invalid token or configuration."""

    fmt = 'Pagination failed: {message}'


class WaiterError(_ModelProblem):
    """A waiter reached a failure state or ran out of attempts."""

    fmt = 'Waiter {name} failed: {reason}'

    def __init__(self, name: str, reason: str, last_response: Any) -> None:
        super().__init__(name=name, reason=reason)
        self.last_response = last_response

    def __reduce__(self) -> Tuple[Any, ...]:
        return self.__class__, (self.kwargs["name"], self.kwargs["reason"], self.last_response)


class WaiterConfigError(_ModelProblem):
    """A waiter definition or WaiterConfig value is invalid."""

    fmt = 'The waiter configuration is invalid: {error_msg}'


class UndefinedModelAttributeError(Exception):
    """A model lacks an attribute the caller asked for."""


class ImminentRemovalWarning(Warning):
    """Warns about features that will be removed."""


class UnsupportedTLSVersionWarning(Warning):
    """Warns that the Python/OpenSSL in use only offers old TLS versions."""


# --- HTTP and connections ---------------------------------------------------------
class HTTPClientError(BotoCoreError):
    """The HTTP layer failed in a way not covered by a more specific error."""

    fmt = 'The HTTP client failed unexpectedly: {error}'

    def __init__(self, request: Any = None, response: Any = None, **kwargs: Any) -> None:
        self.request = request
        self.response = response
        super().__init__(**kwargs)

    def __reduce__(self) -> Tuple[Any, ...]:
        return _rebuild_http, (self.__class__, self.request, self.response, self.kwargs)


def _rebuild_http(cls: Type["HTTPClientError"], request: Any, response: Any, kwargs: Dict[str, Any]) -> "HTTPClientError":
    return cls(request=request, response=response, **kwargs)


class ConnectionError(BotoCoreError):  # noqa: A001 - public name kept for compatibility
    """A connection to the endpoint could not be used (base of the connection errors)."""

    fmt = 'Could not open a connection: {error}'


class InvalidIMDSEndpointError(_SettingProblem):
    """An instance metadata endpoint setting is not a valid URL."""

    fmt = 'The instance metadata endpoint {endpoint} is not valid'


class InvalidIMDSEndpointModeError(_SettingProblem):
    """The instance metadata endpoint mode setting is not ipv4 or ipv6."""

    fmt = 'The instance metadata endpoint mode {mode} is not valid'


class EndpointConnectionError(ConnectionError):
    """The endpoint could not be reached (DNS failure, refused connection)."""

    fmt = 'Could not connect to the endpoint URL: "{endpoint_url}"'


class SSLError(ConnectionError):
    """The TLS handshake or certificate check failed."""

    fmt = 'TLS certificate validation failed for {endpoint_url}: {error}'


class ConnectionClosedError(HTTPClientError):
    """The server closed the connection before the response was complete."""

    fmt = 'The connection closed before a complete response arrived from "{endpoint_url}".'


class ReadTimeoutError(HTTPClientError):
    """No data arrived within Config(read_timeout=...)."""

    fmt = 'Timed out reading from "{endpoint_url}"'


class ConnectTimeoutError(ConnectionError):
    """The connection was not established within Config(connect_timeout=...)."""

    fmt = 'Timed out connecting to "{endpoint_url}"'


class ProxyConnectionError(ConnectionError):
    """The configured proxy could not be reached."""

    fmt = 'Could not connect through the proxy "{proxy_url}"'


class ResponseStreamingError(HTTPClientError):
    """Reading a streaming response body failed part way."""

    fmt = 'Reading the response body failed: {error}'


class IncompleteReadError(_StreamProblem):
    """A response body ended before Content-Length bytes arrived."""

    fmt = "{actual_bytes} read, but total bytes expected is {expected_bytes}."


class InvalidProxiesConfigError(_SettingProblem):
    """Config(proxies_config=...) or a proxy URL is not usable."""

    fmt = 'The proxies_config values are not valid.'


# --- Credentials and auth ---------------------------------------------------------
class NoCredentialsError(_AuthProblem):
    """No credentials were given and none were found in the environment or files."""

    fmt = "Unable to locate credentials"


class NoAuthTokenError(_AuthProblem):
    """An OAuth request was about to be signed without a bearer token."""

    fmt = 'No bearer token is available for the request'


class PartialCredentialsError(_AuthProblem):
    """Only one of a required pair of credential values was found."""

    fmt = "Partial credentials found in {provider}, missing: {cred_var}"


class CredentialRetrievalError(_AuthProblem):
    """Credentials could not be obtained (e.g. the IAM token service failed)."""

    fmt = "Error when retrieving credentials from {provider}: {error_msg}"


class UnknownCredentialError(_AuthProblem):
    """A credential provider was looked up by a name that does not exist."""

    fmt = 'No credential provider is named {name}'


class RefreshWithMFAUnsupportedError(_AuthProblem):
    """Refreshable credentials would need an MFA code, which cannot be prompted for."""

    fmt = 'These credentials need an MFA token to refresh, which is not supported.'


class TokenRetrievalError(_AuthProblem):
    """A token provider failed to deliver a token."""

    fmt = 'Getting a token from {provider} failed: {error_msg}'


class MetadataRetrievalError(_AuthProblem):
    """Reading credentials from an instance metadata service failed."""

    fmt = 'Reading instance metadata failed: {error_msg}'


class SSOError(_AuthProblem):
    """Base of the AWS SSO errors (kept for compatibility)."""

    fmt = 'Resolving SSO credentials failed'


class SSOTokenLoadError(SSOError):
    """A cached AWS SSO token could not be read (kept for compatibility)."""

    fmt = 'The SSO token could not be loaded: {error_msg}'


class UnauthorizedSSOTokenError(SSOError):
    """The SSO session of a profile is no longer valid."""

    fmt = 'The SSO session of this profile is expired or invalid.'


# --- Configuration ----------------------------------------------------------------
class ConfigNotFound(_SettingProblem):
    """A configuration file that was named explicitly does not exist."""

    fmt = 'The config file ({path}) does not exist.'


class ConfigParseError(_SettingProblem):
    """A configuration or credentials file could not be parsed."""

    fmt = "Unable to parse config file: {path}"


class ProfileNotFound(_SettingProblem):
    """The selected profile is not in ~/.aws/config or ~/.aws/credentials."""

    fmt = "The config profile ({profile}) could not be found"


class InvalidConfigError(_SettingProblem):
    """Settings contradict each other or are incomplete (message says which)."""

    fmt = "{error_msg}"


class InfiniteLoopConfigError(InvalidConfigError):
    """Credential profiles refer to each other in a loop."""

    fmt = 'Credential profiles form a loop: {source_profile} was already visited ({visited_profiles})'


class InvalidS3AddressingStyleError(_SettingProblem):
    """Config(s3={'addressing_style': ...}) has an unknown value."""

    fmt = "The S3 addressing style {s3_addressing_style} is not one of 'auto', 'virtual' or 'path'"


class InvalidRetryConfigurationError(_SettingProblem):
    """Config(retries=...) has an unknown key."""

    fmt = 'The retry option "{retry_config_option}" is not known; use max_attempts, total_max_attempts or mode'


class InvalidMaxRetryAttemptsError(InvalidRetryConfigurationError):
    """Config(retries=...) has an out-of-range attempt count."""

    fmt = 'max_attempts must be an integer of at least {min_value}, not {provided_max_attempts}.'


class InvalidRetryModeError(InvalidRetryConfigurationError):
    """Config(retries={'mode': ...}) is not legacy, standard or adaptive."""

    fmt = 'The retry mode "{provided_retry_mode}" is not one of {valid_modes}'


class InvalidS3UsEast1RegionalEndpointConfigError(_SettingProblem):
    """The s3 us_east_1_regional_endpoint setting is not legacy or regional."""

    fmt = "The us-east-1 regional endpoint option {s3_us_east_1_regional_endpoint_config} is not 'legacy' or 'regional'"


class InvalidSTSRegionalEndpointsConfigError(_SettingProblem):
    """The sts_regional_endpoints setting is not legacy or regional (kept for compatibility)."""

    fmt = "The STS regional endpoints option {sts_regional_endpoints_config} is not 'legacy' or 'regional'"


class InvalidDefaultsMode(_SettingProblem):
    """Config(defaults_mode=...) names an unknown mode."""

    fmt = 'The defaults mode {mode} is not one of {valid_modes}.'


class InvalidChecksumConfigError(_SettingProblem):
    """A checksum setting is not when_supported or when_required."""

    fmt = "{config_key} must be one of {valid_options}, not '{config_value}'."


class InvalidEndpointConfigurationError(_SettingProblem):
    """Endpoint-related settings contradict each other."""

    fmt = 'The endpoint configuration is not valid: {msg}'


class InvalidEndpointDiscoveryConfigurationError(_SettingProblem):
    """endpoint_discovery_enabled has a value other than true, false or auto."""

    fmt = "endpoint_discovery_enabled must be 'true', 'false' or 'auto', not {config_value}."


# --- Validation -------------------------------------------------------------------
class ValidationError(_InputProblem):
    """Base of the single-value validation errors."""

    fmt = "The value ('{value}') of {param} is not a valid {type_name} "


class ParamValidationError(_InputProblem):
    """The parameters do not fit the operation; raised before anything is sent."""

    fmt = "Parameter validation failed:\n{report}"


class UnknownKeyError(ValidationError):
    """A mapping parameter holds a key that is not allowed."""

    fmt = "'{value}' is not a key of '{param}'; choose from: {choices}"


class RangeError(ValidationError):
    """A numeric parameter is outside its allowed range."""

    fmt = '{param} is out of range: {min_value} <= {value} <= {max_value} does not hold'


class UnknownParameterError(ValidationError):
    """A parameter the operation does not define was given."""

    fmt = "{operation} has no parameter '{name}'; choose from: {choices}"


class AliasConflictParameterError(ValidationError):
    """A parameter and its alias were both given."""

    fmt = '{original} and its alias {alias} were both given to {operation}.'


class InvalidRegionError(ValidationError, ValueError):
    """region_name is not a syntactically valid region name."""

    fmt = "The region_name '{region_name}' is not a valid region name."


class InvalidHostLabelError(_InputProblem):
    """A value that becomes part of the host name is not a valid label."""

    fmt = 'The value "{label}" cannot be used as a host name label.'


class InvalidDNSNameError(_InputProblem):
    """Virtual-hosted addressing was forced for a bucket name that is not DNS safe."""

    fmt = 'The bucket name {bucket_name} is not DNS compatible, so virtual-hosted-style addressing cannot be used.'


class InvalidExpressionError(_InputProblem):
    """A resource or paginator path expression is not a plain dotted lookup."""

    fmt = 'The expression {expression} is not a dotted lookup.'


class MissingParametersError(_InputProblem):
    """A resource or helper was called without parameters it needs."""

    fmt = '{object_name} needs these missing parameters: {missing}'


# --- Endpoints --------------------------------------------------------------------
class BaseEndpointResolverError(_EndpointProblem):
    """Base of the endpoint resolution errors."""


class NoRegionError(BaseEndpointResolverError):
    """A region is required for this call and none was configured."""

    fmt = "You must specify a region."


class UnknownEndpointError(BaseEndpointResolverError, ValueError):
    """No endpoint could be built for the service and region."""

    fmt = 'No endpoint for {service_name} in region {region_name} could be built'


class UnknownRegionError(BaseEndpointResolverError, ValueError):
    """The region name is not known to the endpoint data."""

    fmt = "The region '{region_name}' is not known. {error_msg}"


class EndpointVariantError(BaseEndpointResolverError):
    """An endpoint variant (FIPS, dual-stack) is not available."""

    fmt = 'No modeled endpoint exists with the variant(s) {tags}: '


class EndpointProviderError(_EndpointProblem):
    """Base of the endpoint-rule errors."""

    fmt = "{msg}"


class EndpointResolutionError(EndpointProviderError):
    """Endpoint rules could not produce an endpoint."""

    fmt = "{msg}"


class UnknownEndpointResolutionBuiltInName(EndpointProviderError):
    """Endpoint rules referenced an unknown built-in variable."""

    fmt = 'No built-in endpoint variable is named {name}'


class ServiceNotInRegionError(_EndpointProblem):
    """The service is not offered in the chosen region."""

    fmt = '{service_name} is not offered in {region_name}.'


# --- S3 ---------------------------------------------------------------------------
class UnsupportedS3ArnError(_S3Problem):
    """A Bucket ARN of an unsupported kind was given."""

    fmt = 'The ARN {arn} given as "Bucket" is not supported; only access-point ARNs are.'


class UnsupportedS3ControlArnError(_S3Problem):
    """An S3 Control ARN was used where it cannot be (kept for compatibility)."""

    fmt = 'The ARN "{arn}" cannot be used with this operation. {msg}'


class UnsupportedS3ConfigurationError(_S3Problem):
    """The S3 options of Config cannot be combined this way."""

    fmt = 'This S3 configuration is not supported: {msg}'


class UnsupportedS3AccesspointConfigurationError(_S3Problem):
    """Access-point ARNs cannot be combined with these settings."""

    fmt = 'This configuration does not work with S3 access points: {msg}'


class UnsupportedS3ControlConfigurationError(_S3Problem):
    """S3 Control cannot be used with these settings (kept for compatibility)."""

    fmt = 'This configuration does not work with S3 Control: {msg}'


class UnsupportedOutpostResourceError(_S3Problem):
    """An Outposts ARN of an unsupported kind was given as Bucket."""

    fmt = 'The Outpost resource "{resource_name}" given as "Bucket" is not valid.'


# --- Checksums and streams --------------------------------------------------------
class ChecksumError(_StreamProblem):
    """A computed checksum differs from the one the service sent."""

    fmt = 'The {checksum_type} checksum does not match: expected {expected_checksum}, computed {actual_checksum}.'


class FlexibleChecksumError(_StreamProblem):
    """A request or response checksum failed (unknown algorithm or mismatch)."""

    fmt = "{error_msg}"


class AwsChunkedWrapperError(_StreamProblem):
    """An aws-chunked request body was used in an unsupported way."""

    fmt = "{error_msg}"


class MD5UnavailableError(_StreamProblem):
    """MD5 is needed (Content-MD5) but the platform forbids it."""

    fmt = 'MD5 is not available on this system (FIPS mode?).'


class MissingDependencyException(_SettingProblem):
    """An optional feature needs a package that is not installed."""

    fmt = "Missing Dependency: {msg}"


class CapacityNotAvailableError(_StreamProblem):
    """The standard retry mode's retry quota is exhausted."""

    fmt = 'The client-side retry capacity is used up.'


class UnseekableStreamError(_StreamProblem):
    """A request body must be re-sent for a retry, but cannot be rewound."""

    fmt = 'The stream {stream_object} must be rewound for a retry, but it cannot seek.'


# --- Stubber ----------------------------------------------------------------------
class StubResponseError(_StubProblem):
    """The Stubber could not produce the expected response."""

    fmt = "Error getting response stub for operation {operation_name}: {reason}"


class StubAssertionError(StubResponseError, AssertionError):
    """A call did not match what the Stubber expected."""


class UnStubbedResponseError(StubAssertionError):
    """A call was made while the Stubber had no queued response."""


# --- Service errors ---------------------------------------------------------------
class ClientError(Exception):
    """An error response returned by the service.

    ``response`` holds ``{'Error': {'Code', 'Message', ...}, 'ResponseMetadata': {...}}``
    and ``operation_name`` the operation that failed.
    """

    MSG_TEMPLATE = "An error occurred ({error_code}) when calling the {operation_name} operation{retry_info}: {error_message}"

    def __init__(self, error_response: Dict[str, Any], operation_name: str) -> None:
        retry_info = self._retry_info(error_response)
        error = error_response.get("Error", {})
        msg = self.MSG_TEMPLATE.format(
            error_code=error.get("Code", "Unknown"),
            error_message=error.get("Message", "Unknown"),
            operation_name=operation_name,
            retry_info=retry_info,
        )
        super().__init__(msg)
        self.response = error_response
        self.operation_name = operation_name

    @staticmethod
    def _retry_info(response: Dict[str, Any]) -> str:
        meta = response.get("ResponseMetadata")
        if meta and meta.get("MaxAttemptsReached", False) and "RetryAttempts" in meta:
            return " (reached max retries: %s)" % meta["RetryAttempts"]
        return ""

    def __reduce__(self) -> Tuple[Any, ...]:
        # Modeled subclasses are created per client; they unpickle as ClientError.
        return ClientError, (self.response, self.operation_name)


class EventStreamError(ClientError):
    """An error event arrived inside an event stream."""


def client_error_code(exc: BaseException) -> Optional[str]:
    """The service error code of ``exc`` when it is a ClientError, else None."""
    if isinstance(exc, ClientError):
        code: Optional[str] = exc.response.get("Error", {}).get("Code")
        return code
    return None

"""The S3 client of a ``cos`` run (the SDK's own credential chain), its transfer settings,
and the one-line messages for the errors a shell user meets."""
from __future__ import annotations

import os
from typing import Any, Dict, Optional

from ._paths import UsageError, parse_size

PUBLIC_ENDPOINT = "https://s3.%s.cloud-object-storage.appdomain.cloud"
DEFAULT_REGION = "us-south"
ENDPOINT_ENV = ("COS_ENDPOINT_URL", "COS_ENDPOINT", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL")

NO_CREDENTIALS = (
    "no credentials found: set IBM_API_KEY_ID (and IBM_SERVICE_INSTANCE_ID) or AWS_ACCESS_KEY_ID and "
    "AWS_SECRET_ACCESS_KEY, pass --api-key, or put them in ~/.bluemix/cos_credentials or ~/.aws/credentials"
)


def endpoint_url(args: Any) -> str:
    if args.endpoint_url:
        url: str = args.endpoint_url
    else:
        url = next((os.environ[name] for name in ENDPOINT_ENV if os.environ.get(name)), "")
        if not url:
            return PUBLIC_ENDPOINT % (args.region or os.environ.get("AWS_DEFAULT_REGION") or DEFAULT_REGION)
    if "://" not in url:
        url = "https://" + url
    return url


class Clients:
    """Builds the client on first use (commands such as ``emulator`` need none)."""

    def __init__(self, args: Any) -> None:
        self.args = args
        self._client: Any = None
        self.part_size = parse_size(args.part_size)
        self.max_bandwidth = parse_size(args.max_bandwidth) if args.max_bandwidth else None

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = self._make()
        return self._client

    def _make(self) -> Any:
        import ibm_boto3
        from ibm_botocore.config import Config

        args = self.args
        try:
            session = ibm_boto3.session.Session(profile_name=args.profile, region_name=args.region)
        except Exception as exc:  # ProfileNotFound and friends: one line, exit 1
            raise CliError(describe(exc)) from None
        if args.profile and args.profile not in session.available_profiles:
            raise CliError("the profile %r is not in ~/.aws/credentials or ~/.aws/config" % args.profile)
        kwargs: Dict[str, Any] = {}
        if args.api_key:
            kwargs.update(ibm_api_key_id=args.api_key,
                          ibm_service_instance_id=args.instance_id or os.environ.get("IBM_SERVICE_INSTANCE_ID"),
                          ibm_auth_endpoint=args.auth_endpoint or os.environ.get("IBM_AUTH_ENDPOINT"))
        elif session.get_credentials() is None:
            raise CliError(NO_CREDENTIALS)
        # retries: the SDK's defaults, or AWS_MAX_ATTEMPTS / AWS_RETRY_MODE / the profile's settings
        config = Config(max_pool_connections=max(10, 2 * args.concurrency + 4), s3={"addressing_style": "path"})
        return session.client("s3", endpoint_url=endpoint_url(args), verify=False if args.no_verify_ssl else None,
                              config=config, region_name=args.region or DEFAULT_REGION, **kwargs)

    def transfer_config(self) -> Any:
        from ibm_s3transfer.manager import TransferConfig

        return TransferConfig(multipart_threshold=self.part_size, multipart_chunksize=self.part_size,
                              max_request_concurrency=self.args.concurrency, max_bandwidth=self.max_bandwidth)

    @property
    def instance_id(self) -> Optional[str]:
        return self.args.instance_id or os.environ.get("IBM_SERVICE_INSTANCE_ID")


class CliError(Exception):
    """A fatal problem with a ready one-line message (exit status 1)."""


_FRIENDLY = {
    "NoSuchBucket": "the bucket does not exist",
    "NoSuchKey": "the object does not exist",
    "AccessDenied": "access denied",
    "InvalidAccessKeyId": "the access key id is not known to the server",
    "SignatureDoesNotMatch": "the secret access key does not match the access key id",
    "BucketAlreadyExists": "the bucket name is taken",
    "BucketAlreadyOwnedByYou": "you already own this bucket",
    "BucketNotEmpty": "the bucket is not empty (use rb --force to delete its objects first)",
    "404": "not found",
    "403": "access denied",
}


def describe(exc: BaseException) -> str:
    """A one-line message for an exception, without secrets or tracebacks."""
    from ibm_botocore.exceptions import ClientError, NoCredentialsError

    if isinstance(exc, NoCredentialsError):
        return NO_CREDENTIALS
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {}) if isinstance(exc.response, dict) else {}
        code = str(error.get("Code") or "")
        message = str(error.get("Message") or "")
        friendly = _FRIENDLY.get(code)
        if friendly:
            return "%s (%s)" % (friendly, code) if not code.isdigit() else friendly
        return "%s: %s" % (code, message) if message else (code or str(exc))
    if isinstance(exc, UsageError):
        return str(exc)
    if isinstance(exc, OSError) and exc.strerror:
        return "%s%s" % (exc.strerror, ": %s" % exc.filename if exc.filename else "")
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__

"""``RequestSigner``: picks the signature version per request and signs; presigning.

The signature version comes from ``Config(signature_version=...)``, else ``oauth``
when the client holds IBM API-key credentials, else the model's ``s3v4``. Handlers of
``choose-signer`` may override it (``UNSIGNED`` disables signing).
"""
from __future__ import annotations

import datetime
from typing import Any, Dict, List, Optional

from ibm_botocore import UNSIGNED
from ibm_botocore.auth import AUTH_TYPE_MAPS
from ibm_botocore.exceptions import (
    NoCredentialsError,
    UnknownSignatureVersionError,
    UnsupportedSignatureVersionError,
)

DEFAULT_REGION = "us-east-1"
_REGIONAL = {"v4", "s3v4", "v4-query", "s3v4-query", "s3v4-presign-post"}


class RequestSigner:
    """Signs requests for one client."""

    def __init__(
        self,
        service_id: Any,
        region_name: Optional[str],
        signing_name: str,
        signature_version: Any,
        credentials: Any,
        event_emitter: Any,
        auth_token: Any = None,
        presign_with_sigv2: bool = False,
    ) -> None:
        self._presign_with_sigv2 = presign_with_sigv2
        self._region_name = region_name
        self._signing_name = signing_name
        self._signature_version = signature_version
        self._credentials = credentials
        self._service_id = service_id
        self._event_emitter = event_emitter
        self._hyphenized = service_id.hyphenize() if hasattr(service_id, "hyphenize") else str(service_id)

    @property
    def region_name(self) -> Optional[str]:
        return self._region_name

    @property
    def signature_version(self) -> Any:
        return self._signature_version

    @property
    def signing_name(self) -> str:
        return self._signing_name

    def refresh_credentials(self) -> bool:
        """Force a new bearer token (after the service rejected an expired one)."""
        refresh = getattr(self._credentials, "force_refresh", None)
        if refresh is None:
            return False
        refresh()
        return True

    def handler(self, operation_name: Optional[str] = None, request: Any = None, **kwargs: Any) -> None:
        """Event-handler form of ``sign`` (``request-created``)."""
        return self.sign(operation_name, request)

    def sign(
        self,
        operation_name: Optional[str],
        request: Any,
        region_name: Optional[str] = None,
        signing_type: str = "standard",
        expires_in: Optional[int] = None,
        signing_name: Optional[str] = None,
    ) -> None:
        region = region_name or self._region_name or DEFAULT_REGION
        name = signing_name or self._signing_name
        version = self._choose_signer(operation_name, signing_type, request.context)
        emitter = self._event_emitter
        if emitter.has_handlers("before-sign.%s.%s" % (self._hyphenized, operation_name)):
            emitter.emit(
                "before-sign.%s.%s" % (self._hyphenized, operation_name),
                request=request,
                signing_name=name,
                region_name=region,
                signature_version=version,
                request_signer=self,
                operation_name=operation_name,
            )
        if version is UNSIGNED:
            return
        kwargs: Dict[str, Any] = {"signing_name": name, "region_name": region, "signature_version": version}
        if expires_in is not None:
            kwargs["expires"] = expires_in
        auth = self.get_auth_instance(**kwargs)
        auth.add_auth(request)

    def _choose_signer(self, operation_name: Optional[str], signing_type: str, context: Dict[str, Any]) -> Any:
        version = self._signature_version
        if version is not UNSIGNED and signing_type != "standard":
            if self._presign_with_sigv2 and version == "s3v4":
                # As in ibm-cos-sdk: without an explicitly chosen signature version,
                # presigned URLs/POSTs for classic regions use the S3 (SigV2) form.
                version = "s3"
            version = "%s-%s" % (version, "query" if signing_type == "presign-url" else "presign-post")
        event = "choose-signer.%s.%s" % (self._hyphenized, operation_name)
        if self._event_emitter.has_handlers(event):
            _, chosen = self._event_emitter.emit_until_response(
                event, signing_name=self._signing_name, region_name=self._region_name, signature_version=version, context=context
            )
            if chosen is not None:
                version = chosen
        return version

    def get_auth_instance(self, signing_name: str, region_name: str, signature_version: Any = None, **kwargs: Any) -> Any:
        version = self._signature_version if signature_version is None else signature_version
        cls = AUTH_TYPE_MAPS.get(version)
        if cls is None:
            if isinstance(version, str) and version.startswith("oauth"):
                raise UnsupportedSignatureVersionError(signature_version=version)
            raise UnknownSignatureVersionError(signature_version=version)
        if self._credentials is None:
            raise NoCredentialsError()
        frozen = self._credentials.get_frozen_credentials()
        if version in _REGIONAL:
            if frozen.access_key is None or frozen.secret_key is None:
                raise NoCredentialsError()
            return cls(frozen, signing_name, region_name or DEFAULT_REGION, **kwargs)
        if version in ("s3", "s3-query", "s3-presign-post"):
            if frozen.access_key is None or frozen.secret_key is None:
                raise NoCredentialsError()
            return cls(frozen, **kwargs)
        return cls(frozen)

    get_auth = get_auth_instance

    def generate_presigned_url(
        self,
        request_dict: Dict[str, Any],
        operation_name: str,
        expires_in: int = 3600,
        region_name: Optional[str] = None,
        signing_name: Optional[str] = None,
    ) -> str:
        from ibm_botocore.awsrequest import create_request_object

        self._check_presignable()
        request = create_request_object(request_dict)
        self.sign(operation_name, request, region_name, "presign-url", expires_in, signing_name)
        request.prepare()
        assert request.url is not None  # request dicts always carry one
        return request.url

    def _check_presignable(self) -> None:
        version = self._signature_version
        if version is UNSIGNED:
            return
        if isinstance(version, str) and version.startswith("oauth"):
            raise UnsupportedSignatureVersionError(
                signature_version="%s-query (presigned URLs and POSTs need HMAC keys: create the client with aws_access_key_id and aws_secret_access_key)" % version
            )


class S3PostPresigner:
    """Builds presigned POST forms (``generate_presigned_post``)."""

    def __init__(self, request_signer: RequestSigner) -> None:
        self._request_signer = request_signer

    def generate_presigned_post(
        self,
        request_dict: Dict[str, Any],
        fields: Optional[Dict[str, Any]] = None,
        conditions: Optional[List[Any]] = None,
        expires_in: int = 3600,
        region_name: Optional[str] = None,
    ) -> Dict[str, Any]:
        from ibm_botocore.awsrequest import create_request_object

        signer = self._request_signer
        signer._check_presignable()
        fields = dict(fields or {})
        conditions = list(conditions or [])
        expiration = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=expires_in)
        policy = {"expiration": expiration.strftime("%Y-%m-%dT%H:%M:%SZ"), "conditions": conditions}
        request = create_request_object(request_dict)
        request.context.presign_post_fields = fields
        request.context.presign_post_policy = policy
        signer.sign("PutObject", request, region_name, "presign-post")
        return {"url": request.url, "fields": request.context.presign_post_fields}


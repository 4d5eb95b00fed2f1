"""The low-level client: one method per operation, generated from the model.

A call runs the pipeline in ``BaseClient._make_api_call``:

    provide-client-params / before-parameter-build events   (user hooks, Stubber)
    s3.customize_params -> validate -> serialize -> s3.customize_request
    before-call event (Stubber short-circuits here)
    endpoint.make_request: sign, send, retry, parse
    after-call event -> result dict, or the modeled ClientError subclass
"""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Mapping, Optional, SupportsIndex, Tuple, Type

from ibm_botocore import s3, xform_name
from ibm_botocore.config import Config
from ibm_botocore.context import RequestContext
from ibm_botocore.errorfactory import ClientExceptionsFactory
from ibm_botocore.exceptions import (
    ClientError,
    DataNotFoundError,
    OperationNotPageableError,
)
from ibm_botocore.serialize import create_serializer
from ibm_botocore.validate import validate_parameters

if TYPE_CHECKING:
    from ibm_botocore.endpoint import Endpoint
    from ibm_botocore.paginate import Paginator
    from ibm_botocore.signers import RequestSigner
    from ibm_botocore.waiter import Waiter, WaiterModel

logger = logging.getLogger(__name__)

__all__ = ["BaseClient", "ClientCreator", "ClientMeta", "Config", "ClientError"]

_EXCEPTIONS_FACTORY = ClientExceptionsFactory()


class ClientMeta:
    """``client.meta``: the client's configuration and model."""

    def __init__(
        self,
        events: Any,
        client_config: Config,
        endpoint_url: str,
        service_model: Any,
        method_to_api_mapping: Dict[str, str],
        partition: str = "aws",
        region_name: Optional[str] = None,
    ) -> None:
        self.events = events
        self._client_config = client_config
        self._endpoint_url = endpoint_url
        self._service_model = service_model
        self._method_to_api_mapping = method_to_api_mapping
        self._partition = partition
        self._region_name = region_name

    @property
    def service_model(self) -> Any:
        return self._service_model

    @property
    def region_name(self) -> Optional[str]:
        return self._region_name

    @property
    def endpoint_url(self) -> str:
        return self._endpoint_url

    @property
    def config(self) -> Config:
        return self._client_config

    @property
    def method_to_api_mapping(self) -> Dict[str, str]:
        return self._method_to_api_mapping

    @property
    def partition(self) -> str:
        return self._partition


class _LazyDocstring(str):
    """A docstring built from the model the first time someone reads it."""

    _builder: Callable[..., str]
    _args: Tuple[Any, ...]
    _text: Optional[str]

    def __new__(cls, builder: Any, *args: Any) -> "_LazyDocstring":
        obj = super().__new__(cls)
        obj._builder = builder
        obj._args = args
        obj._text = None
        return obj

    def _render(self) -> str:
        if self._text is None:
            self._text = self._builder(*self._args)
        return self._text

    def __str__(self) -> str:
        return self._render()

    def __repr__(self) -> str:
        return repr(self._render())

    def __len__(self) -> int:
        return len(self._render())

    def __contains__(self, item: str) -> bool:  # type: ignore[override]  # str's own signature
        return item in self._render()

    def expandtabs(self, tabsize: SupportsIndex = 8) -> str:
        return self._render().expandtabs(tabsize)

    def splitlines(self, keepends: bool = False) -> List[str]:
        return self._render().splitlines(keepends)

    def strip(self, chars: Optional[str] = None) -> str:
        return self._render().strip(chars)

    def __reduce__(self) -> Tuple[Type[str], Tuple[str]]:
        return str, (self._render(),)


def _build_method_docstring(operation_model: Any, method_name: str) -> str:
    from .docs import operation_docstring

    return operation_docstring(operation_model, method_name)


def _create_api_method(py_name: str, operation_name: str, operation_model_factory: Callable[[str], Any]) -> Callable[..., Dict[str, Any]]:
    def _api_call(self: "BaseClient", *args: Any, **kwargs: Any) -> Dict[str, Any]:
        if args:
            raise TypeError("%s() only accepts keyword arguments." % py_name)
        return self._make_api_call(operation_name, kwargs)

    _api_call.__name__ = str(py_name)
    _api_call.__qualname__ = "S3.%s" % py_name
    _api_call.__doc__ = _LazyDocstring(lambda: _build_method_docstring(operation_model_factory(operation_name), py_name))
    return _api_call


class BaseClient:
    """Base class of generated clients. Thread-safe: share one client across threads.

    ``response_parser`` and ``credentials`` are accepted as ibm-cos-sdk's BaseClient takes
    them; the endpoint parses and the signer holds the credentials."""

    _PY_TO_OP_NAME: Dict[str, str] = {}
    # how it was made (clientfactory.ClientOrigin), for worker processes that build it again
    _ibm_origin: Any = None

    def __init__(
        self,
        serializer: Any,
        endpoint: Endpoint,
        response_parser: Any,
        event_emitter: Any,
        request_signer: RequestSigner,
        service_model: Any,
        loader: Any,
        client_config: Config,
        partition: str,
        exceptions_factory: Any,
        s3_settings: s3.S3Settings,
        region_name: Optional[str] = None,
        credentials: Any = None,
    ) -> None:
        self._serializer = serializer
        self._endpoint = endpoint
        self._request_signer = request_signer
        self._service_model = service_model
        self._loader = loader
        self._client_config = client_config
        self._s3 = s3_settings
        self._exceptions_factory = exceptions_factory
        self._exceptions = None
        self._validate = client_config.parameter_validation
        self._user_agent: Optional[str] = None
        self.meta = ClientMeta(
            event_emitter,
            client_config,
            endpoint.host,
            service_model,
            self._PY_TO_OP_NAME,
            partition,
            region_name,
        )
        self._event_prefix = service_model.service_id.hyphenize()
        self._cache: Dict[str, Any] = {}

    # -- the pipeline ---------------------------------------------------------------------
    def _make_api_call(self, operation_name: str, api_params: Dict[str, Any]) -> Dict[str, Any]:
        operation_model = self._service_model.operation_model(operation_name)
        events = self.meta.events
        suffix = "%s.%s" % (self._event_prefix, operation_name)
        context = RequestContext(
            operation_name=operation_name,
            client_region=self.meta.region_name,
            client_config=self._client_config,
            has_streaming_input=operation_model.has_streaming_input,
            auth_type=operation_model.auth_type,
            payload_signing_enabled=s3.payload_signing_default(operation_model),
        )
        _, provided = events.emit_until_response(
            "provide-client-params." + suffix, params=api_params, model=operation_model, context=context
        )
        if provided is not None:
            api_params = provided
        events.emit("before-parameter-build." + suffix, params=api_params, model=operation_model, context=context)
        params = s3.customize_params(operation_model, api_params, context, self._s3)
        if self._validate and operation_model.input_shape is not None:
            validate_parameters(params, operation_model.input_shape)
        request_dict = self._serializer.serialize_to_request(params, operation_model)
        request_dict["context"] = context
        if self._user_agent is not None:
            request_dict["headers"]["User-Agent"] = self._user_agent
        s3.customize_request(operation_model, request_dict, params, self._s3)
        _, stubbed = events.emit_until_response(
            "before-call." + suffix,
            model=operation_model,
            params=request_dict,
            request_signer=self._request_signer,
            context=context,
        )
        parsed: Dict[str, Any]
        if stubbed is not None:
            http, parsed = stubbed
        else:
            http, parsed = self._endpoint.make_request(operation_model, request_dict)
            s3.customize_response(operation_model, parsed, http, context)
        events.emit(
            "after-call." + suffix,
            http_response=http,
            parsed=parsed,
            model=operation_model,
            context=context,
        )
        if http.status_code >= 300:
            code = parsed.get("Error", {}).get("Code")
            raise self.exceptions.from_code(code)(parsed, operation_name)
        return parsed

    # -- helpers users call ---------------------------------------------------------------
    @property
    def exceptions(self) -> Any:
        if self._exceptions is None:
            self._exceptions = self._exceptions_factory.create_client_exceptions(self._service_model)
        return self._exceptions

    def close(self) -> None:
        """Close the client's HTTP connections."""
        self._endpoint.close()

    def __enter__(self) -> "BaseClient":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __getattr__(self, item: str) -> Any:
        if item.startswith("_"):
            raise AttributeError(item)
        meta = self.__dict__.get("meta")
        if meta is not None:
            event = "getattr.%s.%s" % (self._event_prefix, item)
            _, value = meta.events.emit_until_response(event, client=self)
            if value is not None:
                return value
        raise AttributeError("'%s' object has no attribute '%s'" % (self.__class__.__name__, item))

    def _serialize_for(self, method_name: str, params: Mapping[str, Any], operation_name: Optional[str] = None) -> Dict[str, Any]:
        """Serialize a call (after customizations) without sending it; used for presigning."""
        operation_name = operation_name or self._PY_TO_OP_NAME[method_name]
        operation_model = self._service_model.operation_model(operation_name)
        context = RequestContext(operation_name=operation_name, client_config=self._client_config, is_presign_request=True)
        params = s3.customize_params(operation_model, dict(params), context, self._s3)
        params.pop("ChecksumMode", None)
        if self._validate and operation_model.input_shape is not None:
            validate_parameters(params, operation_model.input_shape)
        request_dict: Dict[str, Any] = self._serializer.serialize_to_request(params, operation_model)
        request_dict["context"] = context
        s3.resolve_url(operation_name, request_dict, params.get("Bucket"), self._s3)
        return request_dict

    def generate_presigned_url(self, ClientMethod: str, Params: Optional[Mapping[str, Any]] = None, ExpiresIn: int = 3600, HttpMethod: Optional[str] = None) -> str:
        """A URL that performs ``ClientMethod`` with ``Params`` without credentials, for ``ExpiresIn`` seconds."""
        from ibm_botocore.exceptions import UnknownClientMethodError

        if ClientMethod not in self._PY_TO_OP_NAME:
            raise UnknownClientMethodError(method_name=ClientMethod)
        request_dict = self._serialize_for(ClientMethod, Params or {})
        if HttpMethod is not None:
            request_dict["method"] = HttpMethod
        url: str = self._request_signer.generate_presigned_url(
            request_dict, self._PY_TO_OP_NAME[ClientMethod], expires_in=ExpiresIn, region_name=self.meta.region_name
        )
        return url

    def generate_presigned_post(
        self,
        Bucket: str,
        Key: str,
        Fields: Optional[Dict[str, Any]] = None,
        Conditions: Optional[List[Any]] = None,
        ExpiresIn: int = 3600,
    ) -> Dict[str, Any]:
        """A URL and form fields for a browser-style POST upload of ``Key`` into ``Bucket``."""
        from ibm_botocore.signers import S3PostPresigner

        fields = dict(Fields or {})
        conditions = list(Conditions or [])
        request_dict = self._serialize_for("create_bucket", {"Bucket": Bucket}, "CreateBucket")
        url = request_dict["url"]
        request_dict["url"] = url.split("?", 1)[0]
        conditions.append({"bucket": Bucket})
        if Key.endswith("${filename}"):
            conditions.append(["starts-with", "$key", Key[: -len("${filename}")]])
        else:
            conditions.append({"key": Key})
        fields["key"] = Key
        post: Dict[str, Any] = S3PostPresigner(self._request_signer).generate_presigned_post(
            request_dict, fields=fields, conditions=conditions, expires_in=ExpiresIn, region_name=self.meta.region_name
        )
        return post

    # -- paginators and waiters -----------------------------------------------------------
    def can_paginate(self, operation_name: str) -> bool:
        """Whether ``get_paginator(operation_name)`` works."""
        model = self._paginator_model()
        api = self._PY_TO_OP_NAME.get(operation_name, operation_name)
        return model is not None and api in model

    def _paginator_model(self) -> Optional[Dict[str, Any]]:
        if "paginators" not in self._cache:
            try:
                data = self._loader.load_service_model(
                    self._service_model.service_name, "paginators-1", self._service_model.api_version
                )
                self._cache["paginators"] = data.get("pagination", {})
            except DataNotFoundError:
                self._cache["paginators"] = None
        model: Optional[Dict[str, Any]] = self._cache["paginators"]
        return model

    def get_paginator(self, operation_name: str) -> Paginator:
        """A paginator for a list operation (python name, e.g. ``'list_objects_v2'``)."""
        if not self.can_paginate(operation_name):
            raise OperationNotPageableError(operation_name=operation_name)
        from ibm_botocore.paginate import Paginator

        api = self._PY_TO_OP_NAME.get(operation_name, operation_name)
        model = self._paginator_model()
        assert model is not None  # can_paginate() found the operation in it
        config = model[api]
        method = getattr(self, xform_name(api))
        return Paginator(method, config, self._service_model.operation_model(api))

    def _waiter_model(self) -> Optional[WaiterModel]:
        if "waiters" not in self._cache:
            try:
                from ibm_botocore.waiter import WaiterModel

                data = self._loader.load_service_model(
                    self._service_model.service_name, "waiters-2", self._service_model.api_version
                )
                self._cache["waiters"] = WaiterModel(data)
            except DataNotFoundError:
                self._cache["waiters"] = None
        model: Optional[WaiterModel] = self._cache["waiters"]
        return model

    @property
    def waiter_names(self) -> List[str]:
        """Python names of the available waiters."""
        model = self._waiter_model()
        if model is None:
            return []
        return sorted(xform_name(name) for name in model.waiter_names)

    def get_waiter(self, waiter_name: str) -> Waiter:
        """A waiter by its python name, e.g. ``'object_exists'``."""
        from ibm_botocore.waiter import create_waiter_with_client

        model = self._waiter_model()
        if model is None:
            raise ValueError("Waiter does not exist: %s" % waiter_name)
        mapping = {xform_name(name): name for name in model.waiter_names}
        if waiter_name not in mapping:
            raise ValueError("Waiter does not exist: %s" % waiter_name)
        return create_waiter_with_client(mapping[waiter_name], model, self)


class ClientCreator:
    """Builds client classes from a service model and instantiates them."""

    def __init__(self, loader: Any, event_emitter: Any, user_agent: Optional[str] = None, exceptions_factory: Any = None) -> None:
        self._loader = loader
        self._event_emitter = event_emitter
        self._user_agent = user_agent
        self._exceptions_factory = exceptions_factory or _EXCEPTIONS_FACTORY

    def create_client_class(self, service_model: Any) -> type:
        py_to_op: Dict[str, str] = {}
        attributes: Dict[str, Any] = {}
        for operation_name in service_model.operation_names:
            py_name = xform_name(operation_name)
            py_to_op[py_name] = operation_name
            attributes[py_name] = _create_api_method(py_name, operation_name, service_model.operation_model)
        attributes["_PY_TO_OP_NAME"] = py_to_op
        bases: List[type] = [BaseClient]
        service_name = service_model.service_name
        self._event_emitter.emit(
            "creating-client-class.%s" % service_model.service_id.hyphenize(),
            class_attributes=attributes,
            base_classes=bases,
        )
        class_name = service_model.service_id.replace(" ", "") or service_name.upper()
        return type(str(class_name), tuple(bases), attributes)

    def create_client(
        self,
        service_model: Any,
        endpoint: Endpoint,
        request_signer: RequestSigner,
        client_config: Config,
        s3_settings: s3.S3Settings,
        region_name: Optional[str],
        credentials: Any = None,
        user_agent: Optional[str] = None,
    ) -> BaseClient:
        cls = self.create_client_class(service_model)
        serializer = create_serializer(service_model.protocol, include_validation=False)
        client: BaseClient = cls(
            serializer=serializer,
            endpoint=endpoint,
            response_parser=None,
            event_emitter=self._event_emitter,
            request_signer=request_signer,
            service_model=service_model,
            loader=self._loader,
            client_config=client_config,
            partition="aws",
            exceptions_factory=self._exceptions_factory,
            s3_settings=s3_settings,
            region_name=region_name,
            credentials=credentials,
        )
        client._user_agent = user_agent
        return client


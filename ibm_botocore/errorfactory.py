"""Modeled service errors as ``client.exceptions.<Code>`` classes (subclasses of ClientError)."""
from __future__ import annotations

from typing import Any, Dict, Type

from ibm_botocore.exceptions import ClientError

_ClientError = ClientError


class BaseClientExceptions:
    ClientError = ClientError

    def __init__(self, code_to_exception: Dict[str, Type[_ClientError]]) -> None:
        self._code_to_exception = code_to_exception

    def from_code(self, error_code: str) -> Type[_ClientError]:
        """The modeled exception class for ``error_code``, or ClientError."""
        return self._code_to_exception.get(error_code, self.ClientError)

    def __getattr__(self, name: str) -> Any:
        known = ", ".join(sorted(self._code_to_exception))
        raise AttributeError("%r object has no attribute %r. Valid exceptions are: %s" % (self.__class__.__name__, name, known))


class ClientExceptionsFactory:
    """Creates (and caches per service) the exception classes of a service model."""

    def __init__(self) -> None:
        self._cache: Dict[str, BaseClientExceptions] = {}

    def create_client_exceptions(self, service_model: Any) -> BaseClientExceptions:
        name = service_model.service_name
        cached = self._cache.get(name)
        if cached is None:
            cached = self._build(service_model)
            self._cache[name] = cached
        return cached

    @staticmethod
    def _build(service_model: Any) -> BaseClientExceptions:
        classes: Dict[str, Any] = {}
        code_map: Dict[str, Type[ClientError]] = {}
        for shape in service_model.error_shapes:
            cls = type(str(shape.name), (ClientError,), {})
            classes[shape.name] = cls
            code_map[shape.error_code] = cls
        service = service_model.service_id.replace(" ", "")
        container = type("%sExceptions" % service, (BaseClientExceptions,), classes)
        value: BaseClientExceptions = container(code_map)
        return value

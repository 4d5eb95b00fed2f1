"""Input validation against the operation's input shape.

Every problem in the parameters is collected, then raised together as one
``ParamValidationError`` before anything is serialized or sent.
"""
from __future__ import annotations

import datetime
import sys
import io
from typing import Any, Dict, List, Mapping, Tuple

from ibm_botocore import _redact
from ibm_botocore.exceptions import ParamValidationError
from ibm_botocore.model import ListShape, MapShape, Shape, StructureShape


class ValidationErrors:
    """The collected problems of one validation run."""

    def __init__(self) -> None:
        self._errors: List[Tuple[str, str, Dict[str, Any]]] = []

    def has_errors(self) -> bool:
        return bool(self._errors)

    def report(self, name: str, reason: str, **kwargs: Any) -> None:
        self._errors.append((reason, name, kwargs))

    def generate_report(self) -> str:
        return "\n".join(_describe(reason, name, kw) for reason, name, kw in self._errors)

    @property
    def errors(self) -> List[Tuple[str, str, Dict[str, Any]]]:
        return list(self._errors)


def _describe(reason: str, name: str, kw: Dict[str, Any]) -> str:
    where = name or "input"
    if reason == "missing required field":
        return 'Missing required parameter in %s: "%s"' % (where, kw["required_name"])
    if reason == "unknown field":
        return 'Unknown parameter in %s: "%s", must be one of: %s' % (
            where,
            kw["unknown_param"],
            ", ".join(kw["valid_names"]),
        )
    if reason == "invalid type":
        return "Invalid type for parameter %s, value: %s, type: %s, valid types: %s" % (
            name,
            kw.get("shown", kw["param"]),
            str(type(kw["param"])),
            ", ".join(kw["valid_types"]),
        )
    if reason == "invalid range":
        return "Invalid value for parameter %s, value: %s, valid min value: %s" % (name, kw["param"], kw["min_allowed"])
    if reason == "invalid length":
        return "Invalid length for parameter %s, value: %s, valid min length: %s" % (name, kw["param"], kw["min_allowed"])
    if reason == "unable to encode to json":
        return "Invalid parameter %s must be json serializable: %s" % (name, kw["type_error"])
    if reason == "invalid type for document":
        return "Invalid type for document parameter %s, value: %s, type: %s, valid types: %s" % (
            name,
            kw["param"],
            str(type(kw["param"])),
            ", ".join(kw["valid_types"]),
        )
    if reason == "more than one input":
        return "Invalid number of parameters set for tagged union structure %s. Can only set one of the following keys: %s." % (
            name,
            ", ".join(kw["members"]),
        )
    if reason == "empty input":
        return "Must set one of the following keys for tagged union structure %s: %s." % (name, ", ".join(kw["members"]))
    return "%s: %s" % (name, reason)


def _type_names(*types: type) -> List[str]:
    return [str(t) for t in types]


_STR_TYPES = _type_names(str)
_BOOL_TYPES = _type_names(bool)
_INT_TYPES = _type_names(int)
_FLOAT_TYPES = [str(float), "<class 'decimal.Decimal'>", str(int)]
_LIST_TYPES = _type_names(list, tuple)
_DICT_TYPES = _type_names(dict)
_BLOB_TYPES = [str(bytes), str(bytearray), "file-like object"]
_TIMESTAMP_TYPES = [str(datetime.datetime), "timestamp-string"]


def _is_decimal(value: Any) -> bool:
    # A Decimal can only exist if the decimal module was imported by its creator.
    decimal = sys.modules.get("decimal")
    return decimal is not None and isinstance(value, decimal.Decimal)


class ParamValidator:
    """Walks parameters alongside their shape and reports every mismatch."""

    def validate(self, params: Any, shape: Shape) -> ValidationErrors:
        errors = ValidationErrors()
        self._check(params, shape, errors, "")
        return errors

    def _check(self, value: Any, shape: Shape, errors: ValidationErrors, name: str) -> None:
        checker = getattr(self, "_check_" + shape.type_name, None)
        if checker is not None:
            checker(value, shape, errors, name)

    def _check_structure(self, value: Any, shape: StructureShape, errors: ValidationErrors, name: str) -> None:
        if not isinstance(value, dict):
            errors.report(name, "invalid type", param=value, valid_types=_DICT_TYPES)
            return
        members = shape.members
        if shape.is_tagged_union:
            set_keys = [k for k, v in value.items() if v is not None]
            if not set_keys:
                errors.report(name, "empty input", members=list(members))
            elif len(set_keys) > 1:
                errors.report(name, "more than one input", members=list(members))
        for required in shape.metadata.get("required", ()):
            if required not in value:
                errors.report(name, "missing required field", required_name=required, user_params=value)
        for key in value:
            if key not in members:
                errors.report(name, "unknown field", unknown_param=key, valid_names=list(members))
        for key, item in value.items():
            member = members.get(key)
            if member is not None:
                self._check(item, member, errors, "%s.%s" % (name, key) if name else key)

    def _check_list(self, value: Any, shape: ListShape, errors: ValidationErrors, name: str) -> None:
        if not isinstance(value, (list, tuple)):
            errors.report(name, "invalid type", param=value, valid_types=_LIST_TYPES)
            return
        self._check_length(value, shape, errors, name)
        member = shape.member
        for index, item in enumerate(value):
            self._check(item, member, errors, "%s[%d]" % (name, index))

    def _check_map(self, value: Any, shape: MapShape, errors: ValidationErrors, name: str) -> None:
        if not isinstance(value, dict):
            errors.report(name, "invalid type", param=value, valid_types=_DICT_TYPES)
            return
        key_shape, value_shape = shape.key, shape.value
        for key, item in value.items():
            self._check(key, key_shape, errors, "%s (key: %s)" % (name, key))
            self._check(item, value_shape, errors, "%s.%s" % (name, key))

    def _check_string(self, value: Any, shape: Shape, errors: ValidationErrors, name: str) -> None:
        if not isinstance(value, str):
            if shape.metadata.get("sensitive"):  # key material: the message names the type only
                errors.report(name, "invalid type", param=value, shown=_redact.REDACTED, valid_types=_STR_TYPES)
            else:
                errors.report(name, "invalid type", param=value, valid_types=_STR_TYPES)
            return
        self._check_length(value, shape, errors, name)

    def _check_boolean(self, value: Any, shape: Shape, errors: ValidationErrors, name: str) -> None:
        if not isinstance(value, bool):
            errors.report(name, "invalid type", param=value, valid_types=_BOOL_TYPES)

    def _check_integer(self, value: Any, shape: Shape, errors: ValidationErrors, name: str) -> None:
        if isinstance(value, bool) or not isinstance(value, int):
            errors.report(name, "invalid type", param=value, valid_types=_INT_TYPES)
            return
        self._check_range(value, shape, errors, name)

    _check_long = _check_integer

    def _check_float(self, value: Any, shape: Shape, errors: ValidationErrors, name: str) -> None:
        if isinstance(value, bool) or not (isinstance(value, (float, int)) or _is_decimal(value)):
            errors.report(name, "invalid type", param=value, valid_types=_FLOAT_TYPES)
            return
        self._check_range(value, shape, errors, name)

    _check_double = _check_float

    def _check_blob(self, value: Any, shape: Shape, errors: ValidationErrors, name: str) -> None:
        if isinstance(value, (bytes, bytearray, memoryview, str)):
            return
        if hasattr(value, "read") or isinstance(value, io.IOBase):
            return
        errors.report(name, "invalid type", param=value, valid_types=_BLOB_TYPES)

    def _check_timestamp(self, value: Any, shape: Shape, errors: ValidationErrors, name: str) -> None:
        if isinstance(value, (datetime.datetime, datetime.date)):
            return
        if isinstance(value, str):
            from ibm_botocore.utils import parse_timestamp

            try:
                parse_timestamp(value)
                return
            except ValueError:
                pass
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            return
        errors.report(name, "invalid type", param=value, valid_types=_TIMESTAMP_TYPES)

    @staticmethod
    def _check_length(value: Any, shape: Shape, errors: ValidationErrors, name: str) -> None:
        minimum = shape.metadata.get("min")
        if minimum is not None and len(value) < minimum:
            errors.report(name, "invalid length", param=len(value), min_allowed=minimum)

    @staticmethod
    def _check_range(value: Any, shape: Shape, errors: ValidationErrors, name: str) -> None:
        minimum = shape.metadata.get("min")
        if minimum is not None and value < minimum:
            errors.report(name, "invalid range", param=value, min_allowed=minimum)


_VALIDATOR = ParamValidator()


def validate_parameters(params: Mapping[str, Any], shape: Shape) -> None:
    """Raise ``ParamValidationError`` listing every problem of ``params`` against ``shape``."""
    report = _VALIDATOR.validate(params, shape)
    if report.has_errors():
        raise ParamValidationError(report=report.generate_report())


class ParamValidationDecorator:
    """Wraps a serializer so it validates before serializing (``include_validation=True``)."""

    def __init__(self, param_validator: ParamValidator, serializer: Any) -> None:
        self._param_validator = param_validator
        self._serializer = serializer

    def serialize_to_request(self, parameters: Mapping[str, Any], operation_model: Any) -> Dict[str, Any]:
        shape = operation_model.input_shape
        if shape is not None:
            report = self._param_validator.validate(parameters, shape)
            if report.has_errors():
                raise ParamValidationError(report=report.generate_report())
        value: Dict[str, Any] = self._serializer.serialize_to_request(parameters, operation_model)
        return value

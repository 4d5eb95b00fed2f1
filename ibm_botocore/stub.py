"""``Stubber``: queue canned responses for a client, for unit tests without a server.

    with Stubber(client) as stubber:
        stubber.add_response("head_object", {"ContentLength": 3}, {"Bucket": "b", "Key": ANY})
        client.head_object(Bucket="b", Key="k")
        stubber.assert_no_pending_responses()

The stubber checks the parameters of each call against ``expected_params`` (``ANY``
matches anything) and the canned response against the operation's output shape, and
answers the call without touching the network.
"""
from __future__ import annotations

import copy
from collections import deque
from typing import Any, Deque, Dict, Optional

from ibm_botocore.awsrequest import AWSResponse
from ibm_botocore.exceptions import (
    ParamValidationError,
    StubAssertionError,
    StubResponseError,
    UnStubbedResponseError,
)
from ibm_botocore.validate import validate_parameters


class _AnyType:
    """Compares equal to every value (use in ``expected_params``)."""

    def __eq__(self, other: object) -> bool:
        return True

    def __ne__(self, other: object) -> bool:
        return False

    def __repr__(self) -> str:
        return "<ANY>"


ANY = _AnyType()


class Stubber:
    """Answers a client's calls from a queue of responses you provide."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self._event_id = "boto_stubber"
        self._expected_params_event_id = "boto_stubber_expected_params"
        self._queue: Deque[Dict[str, Any]] = deque()

    def __enter__(self) -> "Stubber":
        self.activate()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.deactivate()

    def activate(self) -> None:
        """Start answering calls from the queue."""
        events = self.client.meta.events
        events.register_first("before-parameter-build.*.*", self._assert_expected_params, unique_id=self._expected_params_event_id)
        events.register("before-call.*.*", self._get_response_handler, unique_id=self._event_id)

    def deactivate(self) -> None:
        """Stop answering calls; the client talks to its endpoint again."""
        events = self.client.meta.events
        events.unregister("before-parameter-build.*.*", self._assert_expected_params, unique_id=self._expected_params_event_id)
        events.unregister("before-call.*.*", self._get_response_handler, unique_id=self._event_id)

    # -- queueing ---------------------------------------------------------------------
    def add_response(self, method: str, service_response: Dict[str, Any], expected_params: Optional[Dict[str, Any]] = None) -> None:
        """Queue a successful response for ``method`` (python name, e.g. ``'get_object'``)."""
        operation_name = self._operation_name(method)
        model = self.client.meta.service_model.operation_model(operation_name)
        self._validate_response(model, service_response)
        http_response = AWSResponse(None, 200, {}, None)
        self._queue.append(
            {
                "operation_name": operation_name,
                "response": (http_response, service_response),
                "expected_params": expected_params,
            }
        )

    def add_client_error(
        self,
        method: str,
        service_error_code: str = "",
        service_message: str = "",
        http_status_code: int = 400,
        service_error_meta: Optional[Dict[str, Any]] = None,
        expected_params: Optional[Dict[str, Any]] = None,
        response_meta: Optional[Dict[str, Any]] = None,
        modeled_fields: Optional[Dict[str, Any]] = None,
    ) -> None:
        """Queue an error response; the call raises the matching ClientError subclass."""
        operation_name = self._operation_name(method)
        http_response = AWSResponse(None, http_status_code, {}, None)
        parsed: Dict[str, Any] = {
            "ResponseMetadata": {"HTTPStatusCode": http_status_code},
            "Error": {"Message": service_message, "Code": service_error_code},
        }
        if service_error_meta is not None:
            parsed["Error"].update(service_error_meta)
        if response_meta is not None:
            parsed["ResponseMetadata"].update(response_meta)
        if modeled_fields is not None:
            shape = self.client.meta.service_model.shape_for_error_code(service_error_code)
            _validate_against(shape, modeled_fields)
            parsed.update(modeled_fields)
        self._queue.append(
            {
                "operation_name": operation_name,
                "response": (http_response, parsed),
                "expected_params": expected_params,
            }
        )

    def assert_no_pending_responses(self) -> None:
        """Fail when queued responses were not used."""
        remaining = len(self._queue)
        if remaining:
            raise AssertionError("%d responses remaining in queue." % remaining)

    # -- handlers ---------------------------------------------------------------------
    def _operation_name(self, method: str) -> str:
        mapping = self.client.meta.method_to_api_mapping
        if method not in mapping:
            raise ValueError("Operation %s does not exist on this client." % method)
        value: str = mapping[method]
        return value

    def _validate_response(self, model: Any, service_response: Dict[str, Any]) -> None:
        response = dict(service_response)
        response.pop("ResponseMetadata", None)
        _validate_against(model.output_shape, response)

    def _assert_expected_params(self, model: Any, params: Dict[str, Any], context: Any, **kwargs: Any) -> None:
        if not self._queue:
            raise UnStubbedResponseError(
                operation_name=model.name,
                reason="Unexpected API Call: A call was made but no additional calls expected. "
                "Either the API Call was not stubbed or it was called multiple times.",
            )
        head = self._queue[0]
        if head["operation_name"] != model.name:
            raise StubResponseError(operation_name=model.name, reason="Operation mismatch: found response for %s." % head["operation_name"])
        expected = head["expected_params"]
        if expected is None:
            return
        mismatch = sorted(expected) != sorted(params) or any(expected[k] != params.get(k) for k in expected)
        if mismatch:
            raise StubAssertionError(
                operation_name=model.name,
                reason="Expected parameters:\n%s,\nbut received:\n%s" % (_show(expected), _show(params)),
            )

    def _get_response_handler(self, model: Any, params: Any, context: Any, **kwargs: Any) -> Any:
        if not self._queue:
            raise UnStubbedResponseError(operation_name=model.name, reason="Unexpected API Call: no stubbed response is queued.")
        entry = self._queue.popleft()
        http_response, parsed = entry["response"]
        return http_response, copy.copy(parsed)


def _validate_against(shape: Any, fields: Dict[str, Any]) -> None:
    """Fields of a canned response must fit ``shape``; without a shape there must be none."""
    if shape is not None:
        validate_parameters(fields, shape)
    elif fields:
        raise ParamValidationError(report="Service response should only contain ResponseMetadata.")


def _show(params: Dict[str, Any]) -> str:
    import pprint

    return pprint.pformat(params)

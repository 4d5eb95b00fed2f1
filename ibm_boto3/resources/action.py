"""Callable actions: one operation call per resource, one per batch, or a waiter.

Modeled parameters (from identifiers, data and constants) are filled first; keyword
arguments given by the caller are merged on top (see ``params.merge_params``), so a
caller can pass everything the operation accepts.
"""
from __future__ import annotations

import logging
from typing import Any, Callable, Dict, List, Optional

from ibm_botocore import _redact, xform_name
from ibm_botocore.model import OperationNotFoundError

from ibm_boto3.resources.params import create_request_parameters, merge_params
from ibm_boto3.resources.response import RawHandler, ResourceHandler

logger = logging.getLogger(__name__)

# S3's DeleteObjects (the batch action of this model) accepts at most this many keys.
MAX_BATCH_SIZE = 1000


class ServiceAction:
    """``resource.<action>(**kwargs)``: call the operation, return a dict or resource(s)."""

    def __init__(self, action_model: Any, resource_class: Optional[Callable[[str], type]] = None) -> None:
        self._action_model = action_model
        self._operation = xform_name(action_model.request.operation)
        if action_model.resource is not None:
            assert resource_class is not None
            self._build_result: Any = ResourceHandler(action_model.resource, resource_class,
                                                          action_model.request.operation)
        else:
            self._build_result = RawHandler(search_path=action_model.path)

    def __call__(self, parent: Any, *args: Any, **kwargs: Any) -> Any:
        params = merge_params(create_request_parameters(parent, self._action_model.request), kwargs)
        client = parent.meta.client
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug("Calling %s:%s with %r", parent.meta.service_name, self._operation,
                         _shown_params(client, self._action_model.request.operation, params))
        response = getattr(client, self._operation)(*args, **params)
        logger.debug("Response: %r", response)
        result = self._build_result(parent, params, response)
        return result


class BatchAction(ServiceAction):
    """``collection.<action>(**kwargs)``: one call per group of resources of a page.

    Each page of the collection is split into groups of at most ``MAX_BATCH_SIZE``
    resources; each group becomes one request. Returns the list of responses.
    """

    def __call__(self, parent: Any, *args: Any, **kwargs: Any) -> List[Any]:
        responses = []
        client = None
        for page in parent.pages():
            for start in range(0, len(page), MAX_BATCH_SIZE):
                group = page[start:start + MAX_BATCH_SIZE]
                params: Dict[str, Any] = {}
                for index, resource in enumerate(group):
                    client = resource.meta.client
                    create_request_parameters(resource, self._action_model.request, params=params, index=index)
                if not params:
                    continue
                params = merge_params(params, kwargs)
                if logger.isEnabledFor(logging.DEBUG):
                    logger.debug("Calling %s (batch of %d) with %r", self._operation, len(group),
                                 _shown_params(client, self._action_model.request.operation, params))
                response = getattr(client, self._operation)(*args, **params)
                result = self._build_result(parent, params, response)
                responses.append(result)
        return responses


class WaiterAction:
    """``resource.wait_until_<name>(**kwargs)``: run the client waiter for this resource."""

    def __init__(self, waiter_model: Any, method_name: str) -> None:
        self._waiter_model = waiter_model
        self.method_name = method_name

    def __call__(self, parent: Any, *args: Any, **kwargs: Any) -> None:
        params = merge_params(create_request_parameters(parent, self._waiter_model), kwargs)
        waiter = parent.meta.client.get_waiter(xform_name(self._waiter_model.waiter_name))
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug("Waiting (%s) with %r", self._waiter_model.waiter_name,
                         _shown_params(parent.meta.client, waiter.config.operation, params))
        waiter.wait(**params)


def _shown_params(client: Any, operation: str, params: Dict[str, Any]) -> Dict[str, Any]:
    """``params`` as a debug log may show them: members the model marks sensitive replaced."""
    try:
        shape = client.meta.service_model.operation_model(operation).input_shape
    except OperationNotFoundError:  # an operation the model does not know: show names only
        return {key: _redact.REDACTED for key in params}
    redacted: Dict[str, Any] = _redact.params(params, shape)
    return redacted

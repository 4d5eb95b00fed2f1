"""Waiters: poll an operation until its response matches a success state.

    client.get_waiter("object_exists").wait(Bucket="b", Key="k",
                                            WaiterConfig={"Delay": 1, "MaxAttempts": 10})

Acceptors (from ``waiters-2.json``) match on the HTTP status, the error code, or a
JMESPath path of the response; the first matching acceptor decides success, failure
or retry. ``WaiterError`` carries the last response.
"""
from __future__ import annotations

import logging
import time
from typing import Any, Callable, Dict, List, Optional

import jmespath

from ibm_botocore import xform_name
from ibm_botocore.exceptions import ClientError, WaiterConfigError, WaiterError

logger = logging.getLogger(__name__)


class SingleWaiterConfig:
    """One waiter's definition (operation, delay, max attempts, acceptors)."""

    def __init__(self, single_waiter_config: Dict[str, Any]) -> None:
        self._config = single_waiter_config
        self.description = single_waiter_config.get("description", "")
        self.operation = single_waiter_config["operation"]
        self.delay = single_waiter_config["delay"]
        self.max_attempts = single_waiter_config["maxAttempts"]

    @property
    def acceptors(self) -> List["AcceptorConfig"]:
        return [AcceptorConfig(a) for a in self._config["acceptors"]]


class AcceptorConfig:
    def __init__(self, config: Dict[str, Any]) -> None:
        self.state = config["state"]
        self.matcher = config["matcher"]
        self.expected = config["expected"]
        self.argument = config.get("argument")
        self.matcher_func = self._build_matcher()

    @property
    def explanation(self) -> str:
        if self.matcher == "status":
            return "For expected status code: %s" % self.expected
        if self.matcher == "error":
            return "For expected error code: %s" % self.expected
        return "For expression %r we matched expected value: %r" % (self.argument, self.expected)

    def _build_matcher(self) -> Callable[[Dict[str, Any]], bool]:
        expected = self.expected
        if self.matcher == "status":
            return lambda response: response.get("ResponseMetadata", {}).get("HTTPStatusCode") == expected
        if self.matcher == "error":
            def match_error(response: Dict[str, Any]) -> bool:
                error = response.get("Error")
                if expected is True:
                    return error is not None
                if expected is False:
                    return error is None
                return error is not None and error.get("Code") == expected
            return match_error
        expression = jmespath.compile(self.argument or "@")
        if self.matcher == "path":
            return lambda response: "Error" not in response and expression.search(response) == expected
        if self.matcher == "pathAll":
            def match_all(response: Dict[str, Any]) -> bool:
                values = expression.search(response) if "Error" not in response else None
                return isinstance(values, list) and bool(values) and all(v == expected for v in values)
            return match_all
        if self.matcher == "pathAny":
            def match_any(response: Dict[str, Any]) -> bool:
                values = expression.search(response) if "Error" not in response else None
                return isinstance(values, list) and any(v == expected for v in values)
            return match_any
        raise WaiterConfigError(error_msg="Unknown acceptor: %s" % self.matcher)


class WaiterModel:
    """All waiters of a service (``waiters-2.json``)."""

    SUPPORTED_VERSION = 2

    def __init__(self, waiter_config: Dict[str, Any]) -> None:
        version = waiter_config.get("version", "unknown")
        if version != self.SUPPORTED_VERSION:
            raise WaiterConfigError(error_msg="Unsupported waiter version %s, supported version: %s" % (version, self.SUPPORTED_VERSION))
        self._waiter_config = waiter_config["waiters"]
        self.version = version
        self.waiter_names = list(sorted(self._waiter_config))

    def get_waiter(self, waiter_name: str) -> SingleWaiterConfig:
        try:
            return SingleWaiterConfig(self._waiter_config[waiter_name])
        except KeyError:
            raise ValueError("Waiter does not exist: %s" % waiter_name)


class NormalizedOperationMethod:
    """Calls a client method and returns error responses instead of raising them."""

    def __init__(self, client_method: Callable[..., Dict[str, Any]]) -> None:
        self._client_method = client_method

    def __call__(self, **kwargs: Any) -> Dict[str, Any]:
        try:
            return self._client_method(**kwargs)
        except ClientError as exc:
            return exc.response


class Waiter:
    def __init__(self, name: str, config: SingleWaiterConfig, operation_method: Callable[..., Dict[str, Any]]) -> None:
        self.name = name
        self.config = config
        self._operation_method = operation_method
        self._sleep: Callable[[float], None] = time.sleep

    def wait(self, **kwargs: Any) -> None:
        """Poll until success; raise ``WaiterError`` on failure or after MaxAttempts."""
        config = dict(kwargs.pop("WaiterConfig", None) or {})
        delay = config.get("Delay", self.config.delay)
        max_attempts = config.get("MaxAttempts", self.config.max_attempts)
        acceptors = self.config.acceptors
        last_matched: Optional[AcceptorConfig] = None
        attempts = 0
        while True:
            response = self._operation_method(**kwargs)
            attempts += 1
            matched = None
            for acceptor in acceptors:
                if acceptor.matcher_func(response):
                    matched = acceptor
                    break
            last_matched = matched
            if matched is not None and matched.state == "success":
                logger.debug("Waiter %s succeeded after %d attempt(s)", self.name, attempts)
                return
            if matched is not None and matched.state == "failure":
                raise WaiterError(
                    name=self.name,
                    reason="Waiter encountered a terminal failure state: %s" % matched.explanation,
                    last_response=response,
                )
            if matched is None and "Error" in response:
                raise WaiterError(
                    name=self.name,
                    reason="An error occurred (%s): %s" % (response["Error"].get("Code", "Unknown"), response["Error"].get("Message", "Unknown")),
                    last_response=response,
                )
            if attempts >= max_attempts:
                reason = "Max attempts exceeded"
                if last_matched is not None:
                    reason += ". Previously accepted state: %s" % last_matched.explanation
                raise WaiterError(name=self.name, reason=reason, last_response=response)
            self._sleep(delay)


def create_waiter_with_client(waiter_name: str, waiter_model: WaiterModel, client: Any) -> Waiter:
    """A waiter bound to ``client`` (``waiter_name`` is the model name, e.g. ``ObjectExists``)."""
    config = waiter_model.get_waiter(waiter_name)
    operation = getattr(client, xform_name(config.operation))
    waiter = Waiter(waiter_name, config, NormalizedOperationMethod(operation))
    doc = "Polls %s every %s seconds until a successful state is reached (at most %s attempts)." % (
        xform_name(config.operation),
        config.delay,
        config.max_attempts,
    )
    waiter.__doc__ = doc
    return waiter

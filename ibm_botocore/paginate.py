"""Paginators: iterate list operations page by page, driven by ``paginators-1.json``.

    paginator = client.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket="b", PaginationConfig={"PageSize": 100, "MaxItems": 250}):
        ...
    keys = paginator.paginate(Bucket="b").search("Contents[].Key")

A page iterator stops when ``more_results`` is false or the service repeats a token.
With ``MaxItems`` the last page is cut and ``resume_token`` tells where to continue
(pass it back as ``StartingToken``).
"""
from __future__ import annotations

import base64
import json
from itertools import tee
from typing import Any, Callable, Dict, Iterable, Iterator, List, Optional

import jmespath

from ibm_botocore.exceptions import PaginationError

_TRUNCATE_KEY = "boto_truncate_amount"


class TokenEncoder:
    """Tokens are opaque to users: base64 of a JSON object of the input tokens."""

    def encode(self, token: Dict[str, Any]) -> str:
        return base64.b64encode(json.dumps(token, default=_json_default).encode("utf-8")).decode("utf-8")


class TokenDecoder:
    def decode(self, token: str) -> Dict[str, Any]:
        try:
            value: Dict[str, Any] = json.loads(base64.b64decode(token.encode("utf-8")).decode("utf-8"))
            return value
        except (ValueError, TypeError, UnicodeDecodeError):
            raise PaginationError(message="Bad starting token: %s" % token)


def _json_default(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.decode("utf-8")
    return str(value)


def _as_list(value: Any) -> List[Any]:
    return value if isinstance(value, list) else [value]


class PaginatorModel:
    def __init__(self, paginator_config: Dict[str, Any]) -> None:
        self._paginator_config = paginator_config.get("pagination", paginator_config)

    def get_paginator(self, operation_name: str) -> Dict[str, Any]:
        try:
            value: Dict[str, Any] = self._paginator_config[operation_name]
            return value
        except KeyError:
            raise ValueError("Paginator for operation does not exist: %s" % operation_name)


class PageIterator:
    """Iterates the pages of one ``paginate()`` call."""

    def __init__(
        self,
        method: Callable[..., Dict[str, Any]],
        input_token: List[str],
        output_token: List[Any],
        more_results: Optional[Any],
        result_keys: List[Any],
        non_aggregate_keys: List[Any],
        limit_key: Optional[str],
        max_items: Optional[int],
        starting_token: Optional[str],
        page_size: Optional[int],
        op_kwargs: Dict[str, Any],
    ) -> None:
        self._method = method
        self._input_token = input_token
        self._output_token = output_token
        self._more_results = more_results
        self._result_keys = result_keys
        self._non_aggregate_keys = non_aggregate_keys
        self._limit_key = limit_key
        self._max_items = max_items
        self._starting_token = starting_token
        self._page_size = page_size
        self._op_kwargs = op_kwargs
        self._resume_token: Optional[Dict[str, Any]] = None
        self._non_aggregate_part: Dict[str, Any] = {}

    @property
    def result_keys(self) -> List[Any]:
        return self._result_keys

    @property
    def resume_token(self) -> Optional[str]:
        if self._resume_token is None:
            return None
        return TokenEncoder().encode(self._resume_token)

    @resume_token.setter
    def resume_token(self, value: Any) -> None:
        if isinstance(value, dict):
            self._resume_token = value
        elif value is None:
            self._resume_token = None
        else:
            self._resume_token = TokenDecoder().decode(value)

    @property
    def non_aggregate_part(self) -> Dict[str, Any]:
        return self._non_aggregate_part

    def __iter__(self) -> Iterator[Dict[str, Any]]:
        params = dict(self._op_kwargs)
        skip = 0
        if self._starting_token is not None:
            start = TokenDecoder().decode(self._starting_token)
            skip = start.pop(_TRUNCATE_KEY, 0)
            for name in self._input_token:
                if name in start and start[name] is not None:
                    params[name] = start[name]
        if self._page_size is not None and self._limit_key:
            params[self._limit_key] = self._page_size
        seen = 0
        first = True
        previous_tokens: Optional[Dict[str, Any]] = None
        while True:
            current_inputs = {name: params.get(name) for name in self._input_token}
            response = self._method(**params)
            if first:
                self._non_aggregate_part = self._collect_non_aggregate(response)
            primary = self._result_keys[0] if self._result_keys else None
            if first and skip:
                self._drop_leading(response, skip)
            count = self._count(response, primary)
            next_tokens = self._next_tokens(response)
            if self._max_items is not None and seen + count >= self._max_items:
                keep = self._max_items - seen
                if seen + count > self._max_items:
                    self._truncate(response, keep)
                    resume = dict(current_inputs)
                    resume[_TRUNCATE_KEY] = keep + (skip if first else 0)
                    self._resume_token = {k: v for k, v in resume.items() if v is not None}
                elif next_tokens:
                    self._resume_token = dict(next_tokens)
                yield response
                return
            seen += count
            yield response
            first = False
            if not next_tokens:
                self._resume_token = None
                return
            if previous_tokens is not None and next_tokens == previous_tokens:
                raise PaginationError(message="The same next token was received twice: %s" % next_tokens)
            previous_tokens = next_tokens
            for name in self._input_token:
                params.pop(name, None)
            params.update(next_tokens)

    # -- helpers ----------------------------------------------------------------------
    def _next_tokens(self, response: Dict[str, Any]) -> Dict[str, Any]:
        if self._more_results is not None and not self._more_results.search(response):
            return {}
        tokens: Dict[str, Any] = {}
        for name, expression in zip(self._input_token, self._output_token):
            value = expression.search(response)
            if value not in (None, ""):
                tokens[name] = value
        return tokens

    @staticmethod
    def _count(response: Dict[str, Any], primary: Any) -> int:
        if primary is None:
            return 0
        value = primary.search(response)
        if isinstance(value, list):
            return len(value)
        return 1 if value is not None else 0

    def _truncate(self, response: Dict[str, Any], keep: int) -> None:
        for expression in self._result_keys:
            value = expression.search(response)
            if isinstance(value, list):
                _set_path(response, expression.expression, value[:keep])

    def _drop_leading(self, response: Dict[str, Any], amount: int) -> None:
        for expression in self._result_keys:
            value = expression.search(response)
            if isinstance(value, list):
                _set_path(response, expression.expression, value[amount:])

    def _collect_non_aggregate(self, response: Dict[str, Any]) -> Dict[str, Any]:
        out: Dict[str, Any] = {}
        for expression in self._non_aggregate_keys:
            value = expression.search(response)
            _set_path(out, expression.expression, value)
        return out

    def result_key_iters(self) -> List[Iterable[Any]]:
        copies = tee(iter(self), len(self._result_keys))
        return [_ResultKeyIterator(pages, key) for pages, key in zip(copies, self._result_keys)]

    def build_full_result(self) -> Dict[str, Any]:
        """All pages merged: result lists concatenated, plus NextToken when truncated."""
        result: Dict[str, Any] = {}
        for response in self:
            for expression in self._result_keys:
                value = expression.search(response)
                if value is None:
                    continue
                existing = jmespath.search(expression.expression, result)
                if existing is None:
                    _set_path(result, expression.expression, list(value) if isinstance(value, list) else value)
                elif isinstance(value, list):
                    existing.extend(value)
                elif isinstance(value, (int, float)) and isinstance(existing, (int, float)):
                    _set_path(result, expression.expression, existing + value)
                elif isinstance(value, str):
                    _set_path(result, expression.expression, existing + value)
        result.update(self._non_aggregate_part)
        if self.resume_token is not None:
            result["NextToken"] = self.resume_token
        return result

    def search(self, expression: str) -> Iterator[Any]:
        """Yield the JMESPath ``expression`` results of every page (lists are flattened)."""
        compiled = jmespath.compile(expression)
        for page in self:
            value = compiled.search(page)
            if isinstance(value, list):
                for item in value:
                    yield item
            else:
                yield value


class _ResultKeyIterator:
    def __init__(self, pages: Iterator[Dict[str, Any]], result_key: Any) -> None:
        self._pages = pages
        self.result_key = result_key

    def __iter__(self) -> Iterator[Any]:
        for page in self._pages:
            value = self.result_key.search(page)
            for item in value or []:
                yield item


def _set_path(container: Dict[str, Any], path: str, value: Any) -> None:
    """Set a dotted path (``A.B``) in nested dicts, creating them as needed."""
    parts = path.split(".")
    for part in parts[:-1]:
        container = container.setdefault(part, {})
    container[parts[-1]] = value


class Paginator:
    """Creates page iterators for one operation."""

    PAGE_ITERATOR_CLS = PageIterator

    def __init__(self, method: Callable[..., Dict[str, Any]], pagination_config: Dict[str, Any], model: Any) -> None:
        self._method = method
        self._model = model
        self._pagination_cfg = pagination_config
        self._input_token = _as_list(pagination_config["input_token"])
        self._output_token = [jmespath.compile(t) for t in _as_list(pagination_config["output_token"])]
        more = pagination_config.get("more_results")
        self._more_results = jmespath.compile(more) if more else None
        keys = pagination_config.get("result_key")
        self._result_keys = [jmespath.compile(k) for k in _as_list(keys)] if keys else []
        self._non_aggregate_keys = [jmespath.compile(k) for k in pagination_config.get("non_aggregate_keys", [])]
        self._limit_key = pagination_config.get("limit_key")

    @property
    def result_keys(self) -> List[Any]:
        return self._result_keys

    def paginate(self, **kwargs: Any) -> PageIterator:
        """Start iterating; ``PaginationConfig={'MaxItems','PageSize','StartingToken'}`` is optional."""
        config = dict(kwargs.pop("PaginationConfig", None) or {})
        unknown = set(config) - {"MaxItems", "PageSize", "StartingToken"}
        if unknown:
            raise PaginationError(message="Unknown PaginationConfig keys: %s" % ", ".join(sorted(unknown)))
        max_items = config.get("MaxItems")
        if max_items is not None:
            max_items = int(max_items)
        page_size = config.get("PageSize")
        if page_size is not None and self._limit_key is None:
            raise PaginationError(message="PageSize parameter is not supported for the pagination interface for this operation.")
        if page_size is not None and self._limit_key and self._model is not None:
            shape = self._model.input_shape.members.get(self._limit_key)
            if shape is not None and shape.type_name == "string" and not isinstance(page_size, str):
                page_size = str(page_size)
            elif shape is not None and shape.type_name in ("integer", "long"):
                page_size = int(page_size)
        return self.PAGE_ITERATOR_CLS(
            self._method,
            self._input_token,
            self._output_token,
            self._more_results,
            self._result_keys,
            self._non_aggregate_keys,
            self._limit_key,
            max_items,
            config.get("StartingToken"),
            page_size,
            kwargs,
        )

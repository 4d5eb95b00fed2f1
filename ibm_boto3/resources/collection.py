"""Collections: lazily listed groups of resources (``bucket.objects``, ``s3.buckets``).

A collection is a description of a listing call; nothing is sent until it is iterated.
``filter``, ``limit`` and ``page_size`` return new collections, so a collection can be
refined and reused::

    logs = bucket.objects.filter(Prefix="logs/")
    for obj in logs.limit(10): ...
    for page in logs.page_size(100).pages(): ...
    logs.delete()                       # batch action: DeleteObjects per <= 1000 keys

When the client can paginate the operation, pages are fetched one at a time as
iteration proceeds; otherwise the operation is called once.
"""
from __future__ import annotations

import copy
import logging
from typing import Any, Dict, Iterator, List, Optional

from ibm_botocore import xform_name

from ibm_boto3.resources.params import create_request_parameters, merge_params
from ibm_boto3.resources.response import ResourceHandler

logger = logging.getLogger(__name__)


class ResourceCollection:
    """An iterable, refinable listing of resources of one type."""

    def __init__(self, model: Any, parent: Any, handler: ResourceHandler, **kwargs: Any) -> None:
        self._model = model
        self._parent = parent
        self._handler = handler
        self._params = copy.deepcopy(kwargs)
        self._method_name = xform_name(model.request.operation)

    def __repr__(self) -> str:
        return "%s(%r, %s.%s)" % (self.__class__.__name__, self._parent,
                                  self._parent.meta.service_name, self._model.resource.type)

    def __iter__(self) -> Iterator[Any]:
        for page in self.pages():
            yield from page

    def _clone(self, **kwargs: Any) -> "ResourceCollection":
        params = copy.deepcopy(self._params)
        params.update(kwargs)
        return self.__class__(self._model, self._parent, self._handler, **params)

    def all(self) -> "ResourceCollection":
        """Every resource of the collection (with the filters applied so far)."""
        return self._clone()

    def filter(self, **kwargs: Any) -> "ResourceCollection":
        """Add request parameters of the listing operation, e.g. ``Prefix='logs/'``."""
        return self._clone(**kwargs)

    def limit(self, count: int) -> "ResourceCollection":
        """Stop after ``count`` resources."""
        return self._clone(limit=count)

    def page_size(self, count: int) -> "ResourceCollection":
        """Ask the service for at most ``count`` resources per request."""
        return self._clone(page_size=count)

    def pages(self) -> Iterator[List[Any]]:
        """Iterate over pages, each a list of resources."""
        client = self._parent.meta.client
        params = dict(self._params)
        limit = params.pop("limit", None)
        page_size = params.pop("page_size", None)
        request = merge_params(create_request_parameters(self._parent, self._model.request), params)
        method = self._method_name
        if client.can_paginate(method):
            paginator = client.get_paginator(method)
            config: Dict[str, Any] = {}
            if page_size is not None:
                config["PageSize"] = page_size
            responses: Any = paginator.paginate(PaginationConfig=config, **request)
        else:
            responses = (getattr(client, method)(**request) for _ in range(1))
        count = 0
        for response in responses:
            page = [item for item in (self._handler(self._parent, request, response) or []) if item is not None]
            if limit is not None and count + len(page) >= limit:
                yield page[:limit - count]
                return
            count += len(page)
            yield page


class CollectionManager:
    """The collection attribute of a resource (``bucket.objects``).

    Iterating it lists everything; ``all()``, ``filter()``, ``limit()``, ``page_size()``
    and ``iterator()`` start a :class:`ResourceCollection`.
    """

    _collection_cls = ResourceCollection

    def __init__(self, model: Any, parent: Any, handler: ResourceHandler) -> None:
        self._model = model
        self._parent = parent
        self._handler = handler

    def __repr__(self) -> str:
        return "%s(%r, %s.%s)" % (self.__class__.__name__, self._parent,
                                  self._parent.meta.service_name, self._model.resource.type)

    def iterator(self, **kwargs: Any) -> ResourceCollection:
        """A collection with these request parameters."""
        return self._collection_cls(self._model, self._parent, self._handler, **kwargs)

    def __iter__(self) -> Iterator[Any]:
        return iter(self.iterator())

    def all(self) -> ResourceCollection:
        """Every resource (a new collection without filters)."""
        return self.iterator()

    def filter(self, **kwargs: Any) -> ResourceCollection:
        """A collection listed with these request parameters, e.g. ``Prefix='logs/'``."""
        return self.iterator(**kwargs)

    def limit(self, count: int) -> ResourceCollection:
        """A collection that stops after ``count`` resources."""
        return self.iterator(limit=count)

    def page_size(self, count: int) -> ResourceCollection:
        """A collection that asks for ``count`` resources per request."""
        return self.iterator(page_size=count)

    def pages(self) -> Iterator[List[Any]]:
        """Iterate over every page (a list of resources per response)."""
        return self.iterator().pages()


def collection_classes(model: Any, service_name: str, owner_name: Optional[str], batch_methods: Dict[str, Any]) -> Any:
    """Build the ``(manager_class, collection_class)`` pair for one ``hasMany`` entry.

    Their names follow the owner: ``s3.Bucket.objectsCollection`` /
    ``s3.bucketsCollectionManager`` for the service resource.
    """
    attr = xform_name(model.name)
    prefix = service_name + "." + (owner_name + "." if owner_name else "") + attr
    for name, method in batch_methods.items():
        method.__qualname__ = "%sCollection.%s" % (prefix, name)
    collection_cls = type(prefix + "Collection", (ResourceCollection,), dict(batch_methods))
    attributes = dict(batch_methods)
    attributes["_collection_cls"] = collection_cls
    manager_cls = type(prefix + "CollectionManager", (CollectionManager,), attributes)
    return manager_cls, collection_cls

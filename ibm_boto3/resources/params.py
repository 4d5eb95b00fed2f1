"""Building request parameters from a resource (its identifiers and data) and the model.

Targets are small paths into the request dict::

    Bucket                   -> {"Bucket": v}
    VersioningConfiguration.Status -> {"VersioningConfiguration": {"Status": v}}
    Delete.Objects[].Key     -> appends {"Key": v} to Delete.Objects
                                (with ``index``: fills Delete.Objects[index])
    Delete.Objects[*].Key    -> the same; several parameters with the same ``index``
                                fill one list element (Key and VersionId together)
    Objects[2].Key           -> fills element 2
"""
from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Tuple

import jmespath
from ibm_botocore import xform_name

from ibm_boto3.exceptions import ResourceLoadException

_SEGMENT = re.compile(r"^(?P<name>[A-Za-z0-9_]+)(?:\[(?P<index>\*|\d*)\])?$")


def value_from_source(parent: Any, param: Any) -> Any:
    """The value a parameter definition names, read from ``parent`` (a resource)."""
    source = param.source
    if source == "identifier":
        return getattr(parent, xform_name(param.name))
    if source == "data":
        return jmespath.search(param.path, resource_data(parent))
    if source in ("string", "integer", "boolean"):
        return param.value
    if source == "input":
        return None
    raise ValueError("Parameter source %r cannot be used in a request" % source)


def resource_data(resource: Any) -> Dict[str, Any]:
    """The resource's attribute data, loading it first when needed."""
    if resource.meta.data is None:
        load = getattr(resource, "load", None)
        if load is None:
            raise ResourceLoadException("%s has no load method" % resource.__class__.__name__)
        load()
    return resource.meta.data or {}


def create_request_parameters(parent: Any, request_model: Any, params: Optional[Dict[str, Any]] = None,
                              index: Optional[int] = None) -> Dict[str, Any]:
    """Fill ``params`` (a new dict by default) from the request model's parameters.

    ``index`` places list values at that position, which is how batch actions gather
    many resources into one request.
    """
    if params is None:
        params = {}
    for param in request_model.params:
        if param.source == "input":
            continue
        set_path(params, param.target, value_from_source(parent, param), index)
    return params


def _split(path: str) -> List[Tuple[str, Optional[str]]]:
    parts = []
    for segment in path.split("."):
        match = _SEGMENT.match(segment)
        if match is None:
            raise ValueError("Unsupported parameter target path: %r" % path)
        parts.append((match.group("name"), match.group("index")))
    return parts


def set_path(params: Dict[str, Any], path: str, value: Any, index: Optional[int] = None) -> None:
    """Set ``value`` at ``path`` inside ``params`` (see the module docstring)."""
    parts = _split(path)
    container: Any = params
    for position, (name, list_index) in enumerate(parts):
        last = position == len(parts) - 1
        if list_index is None:
            if last:
                container[name] = value
                return
            container = container.setdefault(name, {})
            continue
        items = container.setdefault(name, [])
        if list_index.isdigit():
            slot = int(list_index)
        elif index is not None:
            slot = index
        elif list_index == "*":
            slot = max(len(items) - 1, 0)  # share the element the previous [*] target made
        else:
            slot = len(items)
        while len(items) <= slot:
            items.append({} if not last else None)
        if last:
            items[slot] = value
            return
        if items[slot] is None:
            items[slot] = {}
        container = items[slot]


def merge_params(modeled: Dict[str, Any], given: Dict[str, Any]) -> Dict[str, Any]:
    """Add the caller's keyword arguments to the modeled parameters.

    Nested dicts are merged (``Delete={'Quiet': True}`` keeps the modeled object list,
    ``VersioningConfiguration={'MFADelete': ...}`` keeps ``Status``); anything else the
    caller gives replaces the modeled value. Neither input is modified.
    """
    merged = dict(modeled)
    for key, value in given.items():
        current = merged.get(key)
        if isinstance(current, dict) and isinstance(value, dict):
            merged[key] = merge_params(current, value)
        else:
            merged[key] = value
    return merged

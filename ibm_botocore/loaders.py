"""Finding and loading the JSON model files shipped in ``ibm_botocore/data``.

Files are read once per process and cached; ``AWS_DATA_PATH`` (or the session's
``data_path``) adds directories searched before the built-in one.
"""
from __future__ import annotations

import json
import os
from typing import Any, Dict, List, Optional, Tuple

from ibm_botocore.exceptions import DataNotFoundError, UnknownServiceError

BUILTIN_DATA_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")

_FILE_CACHE: Dict[str, Any] = {}


def _read_json(path: str) -> Any:
    cached = _FILE_CACHE.get(path)
    if cached is None:
        with open(path, "rb") as fh:
            cached = json.loads(fh.read())
        _FILE_CACHE[path] = cached
    return cached


class Loader:
    """Locates ``<service>/<api-version>/<type>.json`` in the search paths."""

    BUILTIN_DATA_PATH = BUILTIN_DATA_PATH

    def __init__(self, extra_search_paths: Optional[List[str]] = None, include_default_search_paths: bool = True):
        paths = list(extra_search_paths or [])
        if include_default_search_paths:
            paths.append(BUILTIN_DATA_PATH)
        self._search_paths = paths

    @property
    def search_paths(self) -> List[str]:
        return self._search_paths

    def list_available_services(self, type_name: str) -> List[str]:
        found = set()
        for root in self._search_paths:
            if not os.path.isdir(root):
                continue
            for service in os.listdir(root):
                service_dir = os.path.join(root, service)
                if not os.path.isdir(service_dir):
                    continue
                for version in os.listdir(service_dir):
                    if os.path.isfile(os.path.join(service_dir, version, type_name + ".json")):
                        found.add(service)
                        break
        return sorted(found)

    def list_api_versions(self, service_name: str, type_name: str) -> List[str]:
        versions = set()
        for root in self._search_paths:
            service_dir = os.path.join(root, service_name)
            if not os.path.isdir(service_dir):
                continue
            for version in os.listdir(service_dir):
                if os.path.isfile(os.path.join(service_dir, version, type_name + ".json")):
                    versions.add(version)
        return sorted(versions)

    def determine_latest_version(self, service_name: str, type_name: str) -> str:
        versions = self.list_api_versions(service_name, type_name)
        if not versions:
            raise DataNotFoundError(data_path="%s/%s" % (service_name, type_name))
        return versions[-1]

    def load_service_model(self, service_name: str, type_name: str, api_version: Optional[str] = None) -> Any:
        if api_version is None:
            if service_name not in self.list_available_services(type_name):
                raise UnknownServiceError(
                    service_name=service_name,
                    known_service_names=", ".join(self.list_available_services("service-2")),
                )
            api_version = self.determine_latest_version(service_name, type_name)
        return self.load_data("%s/%s/%s" % (service_name, api_version, type_name))

    def load_data_with_path(self, name: str) -> Tuple[Any, str]:
        for root in self._search_paths:
            path = os.path.join(root, name + ".json")
            if os.path.isfile(path):
                return _read_json(path), path
        raise DataNotFoundError(data_path=name)

    def load_data(self, name: str) -> Any:
        return self.load_data_with_path(name)[0]


def create_loader(search_path_string: Optional[str] = None) -> Loader:
    """A Loader for the ``os.pathsep``-separated extra search paths (``AWS_DATA_PATH``)."""
    if search_path_string is None:
        return Loader()
    paths = [os.path.expanduser(os.path.expandvars(p)) for p in search_path_string.split(os.pathsep) if p]
    return Loader(extra_search_paths=paths)

"""ibm_botocore: the data-driven core of the IBM COS SDK for Python.

Importing this package is cheap: models, HTTP and signing modules load only when
a session or client needs them.
"""
import logging
import re
from typing import Any, Dict, Optional, Tuple

__version__ = "2.16.2"

logging.getLogger("ibm_botocore").addHandler(logging.NullHandler())


class _Unsigned:
    """Sentinel: pass as ``Config(signature_version=UNSIGNED)`` to send anonymous requests."""

    _instance: Optional["_Unsigned"] = None

    def __new__(cls) -> "_Unsigned":
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __copy__(self) -> "_Unsigned":
        return self

    def __deepcopy__(self, memo: Any) -> "_Unsigned":
        return self

    def __repr__(self) -> str:
        return "UNSIGNED"


UNSIGNED = _Unsigned()

# CamelCase -> snake_case, the rule every botocore-style SDK uses for method,
# parameter and attribute names (ListObjectsV2 -> list_objects_v2, ETag -> e_tag).
_WORD_START = re.compile(r"(.)([A-Z][a-z]+)")
_LOWER_UPPER = re.compile(r"([a-z0-9])([A-Z])")
_PLURAL_ACRONYM_END = re.compile(r"[A-Z]{3,}s$")
_xform_cache: Dict[Tuple[str, str], str] = {}


def xform_name(name: str, sep: str = "_", _xform_cache: Dict[Tuple[str, str], str] = _xform_cache) -> str:
    """Convert a CamelCase API name into its Python (snake_case) spelling."""
    if sep in name:
        return name
    key = (name, sep)
    cached = _xform_cache.get(key)
    if cached is not None:
        return cached
    text = name
    tail = _PLURAL_ACRONYM_END.search(text)
    if tail is not None and tail.start() > 0:
        # "ListACLs" keeps its acronym together: list_acls
        text = text[: tail.start()] + sep + tail.group().lower()
    text = _WORD_START.sub(r"\1" + sep + r"\2", text)
    text = _LOWER_UPPER.sub(r"\1" + sep + r"\2", text).lower()
    if sep + sep in text:
        text = text.replace(sep + sep, sep)
    _xform_cache[key] = text
    return text

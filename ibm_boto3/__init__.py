"""ibm_boto3: the IBM Cloud Object Storage SDK for Python (drop-in for ibm-cos-sdk).

    import ibm_boto3
    cos = ibm_boto3.client("s3", ibm_api_key_id=..., ibm_service_instance_id=...,
                           endpoint_url="https://s3.us-south.cloud-object-storage.appdomain.cloud")

Importing is cheap: HTTP, models and the transfer machinery load on first use.
"""
from __future__ import annotations

import importlib
import logging
from typing import Any, Optional

from ibm_boto3._version import __version__ as __version__
from ibm_boto3.session import Session

__author__ = "IBM"

DEFAULT_SESSION: Optional[Session] = None

logging.getLogger("ibm_boto3").addHandler(logging.NullHandler())


def setup_default_session(**kwargs: Any) -> None:
    """Create the module-level default session with these arguments (see ``Session``)."""
    global DEFAULT_SESSION
    DEFAULT_SESSION = Session(**kwargs)


def set_stream_logger(name: str = "ibm_boto3", level: int = logging.DEBUG, format_string: Optional[str] = None) -> None:
    """Log ``name`` at ``level`` to stderr (for debugging; secrets are never logged)."""
    if format_string is None:
        format_string = "%(asctime)s %(name)s [%(levelname)s] %(message)s"
    logger = logging.getLogger(name)
    logger.setLevel(level)
    handler = logging.StreamHandler()
    handler.setLevel(level)
    handler.setFormatter(logging.Formatter(format_string))
    logger.addHandler(handler)


def turn_debug_on() -> None:
    set_stream_logger("", logging.DEBUG)


def _get_default_session() -> Session:
    if DEFAULT_SESSION is None:
        setup_default_session()
    assert DEFAULT_SESSION is not None
    return DEFAULT_SESSION


def client(*args: Any, **kwargs: Any) -> Any:
    """A low-level client from the default session; see ``Session.client``."""
    return _get_default_session().client(*args, **kwargs)


def resource(*args: Any, **kwargs: Any) -> Any:
    """A resource from the default session; see ``Session.resource``."""
    return _get_default_session().resource(*args, **kwargs)


def __getattr__(name: str) -> Any:
    # ``ibm_boto3.s3.transfer.TransferConfig`` works right after ``import ibm_boto3``
    # (as in ibm-cos-sdk) without importing the transfer machinery up front.
    if name in ("s3", "resources", "exceptions", "utils", "compat"):
        return importlib.import_module("ibm_boto3." + name)
    raise AttributeError("module 'ibm_boto3' has no attribute %r" % name)

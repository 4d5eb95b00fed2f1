"""Helpers of the cos:// fsspec tests (a module of its own: test modules must not import
``conftest``, whose name every test directory shares)."""
from __future__ import annotations


def fs_options(emulator, auth="iam"):
    """``storage_options`` for the emulator, as a user would pass them."""
    if auth == "iam":
        return {"api_key": emulator.api_key, "instance_id": emulator.instance_id,
                "endpoint_url": emulator.endpoint_url,
                "client_kwargs": {"ibm_auth_endpoint": emulator.auth_endpoint}}
    return {"key": emulator.access_key_id, "secret": emulator.secret_access_key,
            "endpoint_url": emulator.endpoint_url}

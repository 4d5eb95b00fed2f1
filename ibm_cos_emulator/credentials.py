"""Made-up credentials in the shapes IBM uses (API keys, instance CRNs, HMAC key pairs)."""
from __future__ import annotations

import base64
import os
import secrets
import uuid


def new_api_key() -> str:
    """A 44-character API key like the ones IBM Cloud IAM hands out."""
    return base64.urlsafe_b64encode(os.urandom(33)).decode("ascii")


def new_instance_crn() -> str:
    """A COS service instance CRN: ``crn:v1:bluemix:public:cloud-object-storage:global:a/<acct>:<guid>::``."""
    return f"crn:v1:bluemix:public:cloud-object-storage:global:a/{secrets.token_hex(16)}:{uuid.uuid4()}::"


def new_hmac_pair() -> tuple:
    """(access_key_id, secret_access_key) in COS's format: 32 and 48 hex digits."""
    return secrets.token_hex(16), secrets.token_hex(24)

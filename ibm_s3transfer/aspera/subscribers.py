"""Subscribers of Aspera transfers (same hooks as transfer-manager subscribers)."""
from __future__ import annotations

from ibm_s3transfer.subscribers import BaseSubscriber


class AsperaBaseSubscriber(BaseSubscriber):
    """Override ``on_queued``, ``on_progress`` and ``on_done`` (all taking ``**kwargs``)."""

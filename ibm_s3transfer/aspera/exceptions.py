"""Errors of Aspera transfers."""
from __future__ import annotations


class AsperaTransferQueueError(Exception):
    """The transfer queue is full, or the manager no longer accepts transfers."""


class AsperaTransferFailedError(Exception):
    """An Aspera transfer failed."""


class AsperaTransferSpecError(Exception):
    """The transfer specification could not be obtained from the Aspera service."""

"""What the COS layer remembers beyond moto: bucket metadata and object retention."""
from __future__ import annotations

import datetime as _dt
import threading
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple


@dataclass
class Protection:
    """A bucket's ``ProtectionConfiguration`` (retention days, permanent retention switch)."""

    minimum_days: int
    default_days: int
    maximum_days: int
    permanent: Optional[bool] = None


@dataclass
class BucketMeta:
    name: str
    instance_id: str
    location: str
    created: _dt.datetime
    kp_algorithm: Optional[str] = None
    kp_root_key_crn: Optional[str] = None
    protection: Optional[Protection] = None


@dataclass
class LegalHold:
    id: str
    date: _dt.datetime


@dataclass
class Retention:
    """Retention metadata of one object. ``period`` -1 means indefinite (no expiration date)."""

    created: _dt.datetime
    period: int
    expiration: Optional[_dt.datetime]
    legal_holds: List[LegalHold] = field(default_factory=list)

    def locked(self, now: _dt.datetime) -> bool:
        """Can the object NOT be deleted or overwritten right now?"""
        if self.legal_holds or self.period < 0 or self.expiration is None:
            return True
        return self.expiration > now


class CosState:
    """Bucket metadata and per-object retention, keyed by bucket name and (bucket, key)."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.buckets: Dict[str, BucketMeta] = {}
        self.retention: Dict[Tuple[str, str], Retention] = {}

    def drop_bucket(self, name: str) -> None:
        with self.lock:
            self.buckets.pop(name, None)
            for key in [k for k in self.retention if k[0] == name]:
                del self.retention[key]

    def reset(self) -> None:
        with self.lock:
            self.buckets.clear()
            self.retention.clear()

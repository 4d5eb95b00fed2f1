"""Aspera transfer settings (importable without the Aspera SDK)."""
from __future__ import annotations

from typing import Any, Dict, Optional, Union

RATE_POLICIES = ("fixed", "high", "fair", "low")


class AsperaConfig:
    """Rates, policies and multi-session settings of Aspera transfers.

    Megabit rates become the transfer spec's kilobit rates, the multi-session threshold
    in MB becomes bytes (at least 60 MB), ``multi_session='all'`` becomes -1.
    """

    def __init__(
        self,
        target_rate_mbps: Optional[int] = None,
        target_rate_cap_mbps: Optional[int] = None,
        min_rate_cap_mbps: Optional[int] = None,
        min_rate_mbps: Optional[int] = None,
        rate_policy: Optional[str] = None,
        lock_min_rate: Optional[bool] = None,
        lock_target_rate: Optional[bool] = None,
        lock_rate_policy: Optional[bool] = None,
        multi_session: Union[int, str, None] = None,
        multi_session_threshold_mb: Optional[int] = None,
        destination_root: Optional[str] = None,
    ) -> None:
        self.dict: Dict[str, Any] = {}
        for name, value in (
            ("target_rate_mbps", target_rate_mbps),
            ("target_rate_cap_mbps", target_rate_cap_mbps),
            ("min_rate_cap_mbps", min_rate_cap_mbps),
            ("min_rate_mbps", min_rate_mbps),
        ):
            if value is not None:
                self._check(name, value, int)
                self.dict[name.replace("_mbps", "_kbps")] = value * 1000
        if rate_policy is not None:
            self._check("rate_policy", rate_policy, str)
            if rate_policy not in RATE_POLICIES:
                raise ValueError("rate_policy must be one of %s" % ", ".join(RATE_POLICIES))
            self.dict["rate_policy"] = rate_policy
        for name, value in (("lock_min_rate", lock_min_rate), ("lock_target_rate", lock_target_rate), ("lock_rate_policy", lock_rate_policy)):
            if value is not None:
                self._check(name, value, bool)
                self.dict[name] = value
        if multi_session is not None:
            if multi_session == "all":
                self.dict["multi_session"] = -1
            else:
                self._check("multi_session", multi_session, int)
                self.dict["multi_session"] = multi_session
        if multi_session_threshold_mb is not None:
            self._check("multi_session_threshold_mb", multi_session_threshold_mb, int)
            if multi_session_threshold_mb < 60:
                raise ValueError("multi_session_threshold_mb must be at least 60")
            self.dict["multi_session_threshold"] = multi_session_threshold_mb * 1000000
        if destination_root is not None:
            self._check("destination_root", destination_root, str)
            self.dict["destination_root"] = destination_root

    @staticmethod
    def _check(name: str, value: Any, kind: type) -> None:
        if kind is int and isinstance(value, bool) or not isinstance(value, kind):
            raise ValueError("%s must be of type %s" % (name, kind.__name__))

    @property
    def multi_session(self) -> Any:
        return self.dict.get("multi_session")

    def is_multi_session_all(self) -> bool:
        return self.dict.get("multi_session") == -1


class AsperaManagerConfig:
    """Queue and process limits of an AsperaTransferManager."""

    def __init__(
        self,
        max_submission_queue_size: int = 100,
        ascp_max_concurrent: int = 10,
        ascp_log_path: Optional[str] = None,
        max_fasp_cache_size: int = 1000,
        verify_ssl: bool = True,
    ) -> None:
        self.max_submission_queue_size = max_submission_queue_size
        self.ascp_max_concurrent = ascp_max_concurrent
        self.ascp_log_path = ascp_log_path
        self.max_fasp_cache_size = max_fasp_cache_size
        self.verify_ssl = verify_ssl

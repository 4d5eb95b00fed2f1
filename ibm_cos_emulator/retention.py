"""Immutable Object Storage rules: protection configuration, object retention, legal holds.

Pure functions over :mod:`state` values; they raise :class:`CosError` for the 400/403/404/409
answers the COS documentation describes.
"""
from __future__ import annotations

import datetime as _dt
import math
import re
from typing import Callable, Dict, List, Mapping, Optional, Tuple, TypeVar

from .errors import CosError, invalid_argument, invalid_request, malformed_xml, request_document
from .state import BucketMeta, LegalHold, Protection, Retention
from .wire import iso8601, parse_timestamp
from .xmlutil import child_text, render

T = TypeVar("T")
MAX_RETENTION_DAYS = 365243
DAY = 86400
MAX_LEGAL_HOLDS = 100
LEGAL_HOLD_ID = re.compile(r"^[A-Za-z0-9!_.*()\-]{1,64}$")

H_PERIOD = "retention-period"
H_EXPIRATION = "retention-expiration-date"
H_HOLD = "retention-legal-hold-id"
H_DIRECTIVE = "retention-directive"
EXTEND_HEADERS = ("additional-retention-period", "extend-retention-from-current-time",
                  "new-retention-expiration-date", "new-retention-period")


# -- protection configuration ---------------------------------------------------------------

def parse_protection(body: bytes) -> Protection:
    root = request_document(body, "ProtectionConfiguration")
    status = child_text(root, "Status")
    if status is None:
        raise malformed_xml()
    if status != "Retention":
        raise invalid_argument(f"Invalid protection Status '{status}': only 'Retention' is supported.",
                               ArgumentName="Status", ArgumentValue=status)
    days: Dict[str, int] = {}
    for name in ("MinimumRetention", "DefaultRetention", "MaximumRetention"):
        text = child_text(root, f"{name}/Days")
        if text is None:
            raise malformed_xml()
        try:
            value = int(text)
        except ValueError:
            raise malformed_xml() from None
        if not 0 <= value <= MAX_RETENTION_DAYS:
            raise invalid_argument(f"{name} must be between 0 and {MAX_RETENTION_DAYS} days.",
                                   ArgumentName=name, ArgumentValue=text)
        days[name] = value
    if not days["MinimumRetention"] <= days["DefaultRetention"] <= days["MaximumRetention"]:
        raise invalid_argument("Retention days must satisfy MinimumRetention <= DefaultRetention <= "
                               "MaximumRetention.", ArgumentName="DefaultRetention",
                               ArgumentValue=str(days["DefaultRetention"]))
    permanent_text = child_text(root, "EnablePermanentRetention")
    permanent: Optional[bool] = None
    if permanent_text is not None:
        if permanent_text.lower() not in ("true", "false"):
            raise malformed_xml()
        permanent = permanent_text.lower() == "true"
    return Protection(days["MinimumRetention"], days["DefaultRetention"], days["MaximumRetention"], permanent)


def check_protection_change(old: Optional[Protection], new: Protection) -> None:
    """Permanent retention, once allowed, cannot be switched off again."""
    if old is not None and old.permanent and new.permanent is False:
        raise invalid_request("EnablePermanentRetention cannot be disabled once it is enabled.")


def render_protection(prot: Optional[Protection]) -> str:
    if prot is None:
        return render("ProtectionConfiguration", {})
    content: Dict[str, object] = {
        "Status": "Retention",
        "MinimumRetention": {"Days": prot.minimum_days},
        "DefaultRetention": {"Days": prot.default_days},
        "MaximumRetention": {"Days": prot.maximum_days},
    }
    if prot.permanent is not None:
        content["EnablePermanentRetention"] = prot.permanent
    return render("ProtectionConfiguration", content)


# -- retention on write -------------------------------------------------------------------------

def has_retention_headers(headers: Mapping[str, str]) -> bool:
    return any(headers.get(h) not in (None, "") for h in (H_PERIOD, H_EXPIRATION, H_HOLD))


def validate_hold_id(hold_id: str) -> None:
    if not LEGAL_HOLD_ID.match(hold_id or ""):
        raise invalid_argument("A legal hold ID is 1 to 64 characters from letters, digits and !_.*()-.",
                               ArgumentName="RetentionLegalHoldId", ArgumentValue=hold_id[:80])


def _parsed(text: str, parse: Callable[[str], T], message: str, argument: str) -> T:
    """``parse(text)``, or 400 InvalidArgument naming ``argument`` when the text does not parse."""
    try:
        return parse(text)
    except ValueError:
        raise invalid_argument(message, ArgumentName=argument, ArgumentValue=text) from None


def _period_in_range(period: int, prot: Protection) -> None:
    if period == -1:
        if not prot.permanent:
            raise invalid_argument("Indefinite retention (-1) needs EnablePermanentRetention on the bucket.",
                                   ArgumentName="Retention-Period", ArgumentValue=str(period))
        return
    low, high = prot.minimum_days * DAY, prot.maximum_days * DAY
    if not low <= period <= high:
        raise invalid_argument(f"The retention period must be between the bucket's minimum ({low} s) and "
                               f"maximum ({high} s) retention.", ArgumentName="Retention-Period",
                               ArgumentValue=str(period))


def retention_for_write(bucket: BucketMeta, headers: Mapping[str, str], now: _dt.datetime,
                        inherited: Optional[Retention] = None) -> Optional[Retention]:
    """The retention a newly written object gets (None in an unprotected bucket).

    ``inherited`` is the source object's retention for a copy with ``Retention-Directive: COPY``.
    """
    period_text = headers.get(H_PERIOD) or None
    date_text = headers.get(H_EXPIRATION) or None
    hold = headers.get(H_HOLD) or None
    if period_text is not None and date_text is not None:
        raise invalid_argument("Retention-Period and Retention-Expiration-Date cannot both be given.",
                               ArgumentName="Retention-Period", ArgumentValue=period_text)
    prot = bucket.protection
    if prot is None:
        if period_text is not None or date_text is not None or hold is not None:
            raise invalid_request("Retention headers are only allowed on a bucket with a protection "
                                  "configuration.")
        return None
    if hold is not None:
        validate_hold_id(hold)
    if inherited is not None and period_text is None and date_text is None:
        period = inherited.period
        holds = [LegalHold(h.id, h.date) for h in inherited.legal_holds]
    else:
        holds = []
        if period_text is not None:
            period = _parsed(period_text, int, "Retention-Period must be an integer number of seconds.",
                             "Retention-Period")
            if period < -1:
                raise invalid_argument("Retention-Period must not be negative.",
                                       ArgumentName="Retention-Period", ArgumentValue=period_text)
        elif date_text is not None:
            until = _parsed(date_text, parse_timestamp, "Retention-Expiration-Date must be an ISO 8601 date.",
                            "Retention-Expiration-Date")
            period = max(0, math.ceil((until - now).total_seconds()))
        else:
            period = prot.default_days * DAY
        _period_in_range(period, prot)
    if hold is not None and all(h.id != hold for h in holds):
        holds.append(LegalHold(hold, now))
    expiration = None if period == -1 else now + _dt.timedelta(seconds=period)
    return Retention(created=now, period=period, expiration=expiration, legal_holds=holds)


# -- legal holds -----------------------------------------------------------------------------------

def add_legal_hold(ret: Retention, hold_id: str, now: _dt.datetime) -> None:
    validate_hold_id(hold_id)
    if any(h.id == hold_id for h in ret.legal_holds):
        raise CosError(409, "LegalHoldAlreadyExists",
                       f"The legal hold ID '{hold_id}' is already in use on this object.")
    if len(ret.legal_holds) >= MAX_LEGAL_HOLDS:
        raise CosError(400, "TooManyLegalHolds",
                       f"An object can have at most {MAX_LEGAL_HOLDS} legal holds.")
    ret.legal_holds.append(LegalHold(hold_id, now))


def remove_legal_hold(ret: Retention, hold_id: str) -> None:
    validate_hold_id(hold_id)
    for i, hold in enumerate(ret.legal_holds):
        if hold.id == hold_id:
            del ret.legal_holds[i]
            return
    raise CosError(404, "NoSuchLegalHold", f"The object has no legal hold with ID '{hold_id}'.")


def render_legal_holds(ret: Retention) -> str:
    content: Dict[str, object] = {
        "CreateTime": ret.created,
        "RetentionPeriod": ret.period,
        "RetentionPeriodExpirationDate": ret.expiration,
        "LegalHolds": {"LegalHold": [{"ID": h.id, "Date": h.date} for h in ret.legal_holds]},
    }
    return render("LegalHoldSet", content)


# -- extend retention -------------------------------------------------------------------------------

def extend_retention(ret: Retention, bucket: BucketMeta, headers: Mapping[str, str], now: _dt.datetime) -> None:
    given: List[Tuple[str, str]] = [(h, headers[h]) for h in EXTEND_HEADERS if headers.get(h)]
    if len(given) != 1:
        raise invalid_argument("Exactly one of Additional-Retention-Period, Extend-Retention-From-Current-Time, "
                               "New-Retention-Expiration-Date or New-Retention-Period is required.")
    name, text = given[0]
    if ret.period < 0 or ret.expiration is None:
        raise invalid_request("The object is retained indefinitely; its retention cannot be extended.")
    created = ret.created
    if name == "new-retention-expiration-date":
        new_exp = _parsed(text, parse_timestamp, "New-Retention-Expiration-Date must be an ISO 8601 date.",
                          "New-Retention-Expiration-Date")
        new_period = math.ceil((new_exp - created).total_seconds())
    else:
        seconds = _parsed(text, int, f"{name} must be an integer number of seconds.", name)
        if name == "new-retention-period" and seconds == -1:
            prot = bucket.protection
            if prot is None or not prot.permanent:
                raise invalid_argument("Indefinite retention (-1) needs EnablePermanentRetention on the bucket.",
                                       ArgumentName=name, ArgumentValue=text)
            ret.period, ret.expiration = -1, None
            return
        if seconds < 0:
            raise invalid_argument(f"{name} must not be negative.", ArgumentName=name, ArgumentValue=text)
        if name == "additional-retention-period":
            new_period = ret.period + seconds
            new_exp = ret.expiration + _dt.timedelta(seconds=seconds)
        elif name == "extend-retention-from-current-time":
            new_exp = now + _dt.timedelta(seconds=seconds)
            new_period = math.ceil((new_exp - created).total_seconds())
        else:  # new-retention-period
            new_period = seconds
            new_exp = created + _dt.timedelta(seconds=seconds)
    if new_period <= ret.period or new_exp <= ret.expiration:
        raise invalid_argument("The retention period can only be extended; the new value must be greater "
                               "than the current one.", ArgumentName=name, ArgumentValue=text)
    prot = bucket.protection
    if prot is not None and new_exp > now + _dt.timedelta(days=prot.maximum_days):
        raise invalid_argument("The retention can be extended at most to the bucket's maximum retention "
                               "from now.", ArgumentName=name, ArgumentValue=text)
    ret.period = new_period
    ret.expiration = new_exp


# -- response headers ---------------------------------------------------------------------------

def retention_headers(ret: Retention) -> List[Tuple[str, str]]:
    out = [("Retention-Period", str(ret.period))]
    if ret.expiration is not None:
        out.append(("Retention-Expiration-Date", iso8601(ret.expiration)))
    if ret.legal_holds:
        out.append(("Retention-Legal-Hold-Count", str(len(ret.legal_holds))))
    return out

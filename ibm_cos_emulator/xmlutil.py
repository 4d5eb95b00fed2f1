"""Small XML helpers: render nested Python values, parse request bodies without namespaces."""
from __future__ import annotations

import datetime as _dt
import xml.etree.ElementTree as ET
from typing import Any, List, Optional
from xml.sax.saxutils import escape

from .wire import S3_NS, iso8601

XML_DECL = '<?xml version="1.0" encoding="UTF-8"?>\n'


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, _dt.datetime):
        return iso8601(value)
    return escape(str(value))


def _render(tag: str, value: Any, out: List[str]) -> None:
    if value is None:
        return
    if isinstance(value, list):
        for item in value:
            _render(tag, item, out)
        return
    if isinstance(value, dict):
        if not value:
            out.append(f"<{tag}/>")
            return
        out.append(f"<{tag}>")
        for child_tag, child in value.items():
            _render(child_tag, child, out)
        out.append(f"</{tag}>")
        return
    text = _text(value)
    out.append(f"<{tag}>{text}</{tag}>" if text != "" else f"<{tag}/>")


def render(root: str, content: Any, xmlns: Optional[str] = S3_NS) -> str:
    """Render ``content`` (dicts keep order; lists repeat the tag; None is skipped) under ``root``."""
    attrs = f' xmlns="{xmlns}"' if xmlns else ""
    parts: List[str] = []
    if isinstance(content, dict):
        for tag, value in content.items():
            _render(tag, value, parts)
    elif content is not None:
        parts.append(_text(content))
    inner = "".join(parts)
    if not inner:
        return f"{XML_DECL}<{root}{attrs}/>"
    return f"{XML_DECL}<{root}{attrs}>{inner}</{root}>"


def parse(body: bytes) -> ET.Element:
    """Parse an XML document and drop namespaces from every tag. Raises ValueError on bad XML."""
    if b"<!DOCTYPE" in body[:2048] or b"<!ENTITY" in body[:4096]:
        raise ValueError("DTDs are not accepted")
    try:
        root = ET.fromstring(body)
    except ET.ParseError as exc:
        raise ValueError(str(exc)) from None
    for el in root.iter():
        if isinstance(el.tag, str) and "}" in el.tag:
            el.tag = el.tag.split("}", 1)[1]
    return root


def child_text(el: ET.Element, path: str) -> Optional[str]:
    found = el.find(path)
    if found is None:
        return None
    return (found.text or "").strip()

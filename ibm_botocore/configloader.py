"""Reading ``~/.aws/config`` / ``~/.aws/credentials`` style INI files."""
from __future__ import annotations

import os
from typing import Any, Dict, Optional

from ibm_botocore.exceptions import ConfigNotFound, ConfigParseError


def raw_config_parse(config_filename: Optional[str], parse_subsections: bool = True) -> Dict[str, Dict[str, Any]]:
    """Sections of an INI file as dicts. Indented values become nested dicts (``s3 =``)."""
    if config_filename is None:
        return {}
    path = os.path.expanduser(os.path.expandvars(config_filename))
    if not os.path.isfile(path):
        raise ConfigNotFound(path=path)
    import configparser

    parser = configparser.RawConfigParser()
    try:
        parser.read([path])
    except (configparser.Error, UnicodeDecodeError):
        raise ConfigParseError(path=path)
    sections: Dict[str, Dict[str, Any]] = {}
    for section in parser.sections():
        values: Dict[str, Any] = {}
        for option in parser.options(section):
            value = parser.get(section, option)
            if parse_subsections and value.startswith("\n"):
                try:
                    value = _parse_nested(value)
                except ValueError:
                    raise ConfigParseError(path=path)
            values[option] = value
        sections[section] = values
    return sections


def _parse_nested(text: str) -> Dict[str, str]:
    nested = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        key, sep, value = line.partition("=")
        if not sep:
            raise ValueError(line)
        nested[key.strip()] = value.strip()
    return nested


def load_config(config_filename: str) -> Dict[str, Any]:
    """``{'profiles': {name: {...}}}`` of a config file (``[profile x]`` or ``[x]`` sections)."""
    return build_profile_map(raw_config_parse(config_filename))


def build_profile_map(parsed_ini_config: Dict[str, Dict[str, Any]]) -> Dict[str, Any]:
    profiles: Dict[str, Any] = {}
    others: Dict[str, Any] = {}
    for key, values in parsed_ini_config.items():
        if key.startswith("profile"):
            name = key[len("profile") :].strip()
            if name:
                profiles[name] = values
                continue
        if key == "default":
            profiles.setdefault("default", values)
            continue
        if key.startswith(("sso-session ", "services ")):
            kind, _, name = key.partition(" ")
            others.setdefault(kind.replace("-", "_") if kind == "sso-session" else kind, {})[name.strip()] = values
            continue
        # credentials files use bare section names
        profiles.setdefault(key, values)
    result = {"profiles": profiles}
    result.update(others)
    return result


def multi_file_load_config(*filenames: str) -> Dict[str, Any]:
    """Merge several config files; earlier files win for the same profile key."""
    merged: Dict[str, Any] = {"profiles": {}}
    for filename in filenames:
        try:
            loaded = load_config(filename)
        except ConfigNotFound:
            continue
        for name, values in loaded["profiles"].items():
            target = merged["profiles"].setdefault(name, {})
            for key, value in values.items():
                target.setdefault(key, value)
    return merged

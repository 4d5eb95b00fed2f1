"""Sphinx extension: the API reference, generated from the SDK's own model files at build time.

Writes ``reference/_generated/`` (ignored by git) before Sphinx reads the sources:

- ``client/<method>.rst``: one page per S3 client operation, whose text is the method's docstring
  (``help(client.put_object)`` shows the same text; both come from ``ibm_botocore.docs``);
- ``resources/<Name>.rst``: one page per resource of ``resources-1.json`` (identifiers,
  attributes, actions, batch actions, sub-resources, collections, waiters);
- ``paginators.rst`` and ``waiters.rst`` from the paginator and waiter models;
- ``config.rst``: the options of ``Config``, ``TransferConfig`` and ``AsperaConfig`` with the
  defaults read from the classes themselves.
"""
from __future__ import annotations

import inspect
import os
import re
import shutil
from typing import Any, Dict, Iterable, List

from ibm_botocore.docs import type_label

GENERATED = os.path.join("reference", "_generated")


def _client() -> Any:
    import ibm_boto3

    # Creating a client opens no connection; the endpoint is never contacted.
    return ibm_boto3.client("s3", aws_access_key_id="docs", aws_secret_access_key="docs",
                            endpoint_url="http://127.0.0.1:9", region_name="us-south")


def _title(text: str, char: str = "=") -> List[str]:
    return [text, char * len(text), ""]


def _indent(text: str, spaces: int = 3) -> List[str]:
    pad = " " * spaces
    return [pad + line if line.strip() else "" for line in text.splitlines()]


def _write(path: str, lines: Iterable[str]) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    text = "\n".join(lines).rstrip() + "\n"
    if os.path.exists(path):
        with open(path, encoding="utf-8") as handle:
            if handle.read() == text:
                return  # unchanged: keep Sphinx's incremental build incremental
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)


def _toctree(entries: Iterable[str], maxdepth: int = 1) -> List[str]:
    return [".. toctree::", "   :maxdepth: %d" % maxdepth, ""] + ["   %s" % entry for entry in entries] + [""]


# -- client operations ---------------------------------------------------------------------------
def _client_pages(out: str, client: Any) -> None:
    mapping = client.meta.method_to_api_mapping
    model = client.meta.service_model
    methods = sorted(mapping)
    index = _title("Client methods") + [
        "``client = ibm_boto3.client('s3', ...)`` has one method per operation of the model. Each page",
        "shows the same text as ``help(client.<method>)``: the request syntax, every parameter with its",
        "type, whether it is required, its allowed values and where it travels on the wire, the response",
        "and the modeled errors. Operations marked *IBM COS only* exist only on IBM COS; operations",
        "marked as not part of ibm-cos-sdk 2.16.2 are AWS S3 operations this SDK also models.",
        "",
        ".. list-table::",
        "   :header-rows: 1",
        "",
        "   * - method",
        "     - operation",
    ]
    for method in methods:
        index += ["   * - :doc:`client/%s`" % method, "     - %s" % model.operation_model(mapping[method]).documentation]
    index.append("")
    index += _toctree("client/%s" % method for method in methods)
    _write(os.path.join(out, "client.rst"), [line.replace("\n", " ") for line in index])
    for method in methods:
        doc = str(getattr(client, method).__doc__)
        lines = _title(method) + [".. py:method:: S3.Client.%s(**kwargs)" % method, ""] + _indent(doc)
        _write(os.path.join(out, "client", method + ".rst"), lines)


# -- resources -------------------------------------------------------------------------------------
def _shape_attributes(model: Any, shape_name: str) -> List[str]:
    if not shape_name:
        return []
    shape = model.shape_for(shape_name)
    lines = ["**Attributes** (loaded on first access)", ""]
    for name, member in shape.members.items():
        lines.append("- ``%s`` (%s)" % (_snake(name), type_label(member)))
    return lines + [""]


def _snake(name: str) -> str:
    from ibm_botocore import xform_name

    return xform_name(name)


def _resource_page(name: str, spec: Dict[str, Any], model: Any) -> List[str]:
    idents = [ident["name"] for ident in spec.get("identifiers", [])]
    lines = _title(name)
    args = ", ".join(_snake(ident) for ident in idents)
    lines += ["``s3.%s(%s)``" % (name, args) if idents else "The service resource, ``s3 = ibm_boto3.resource('s3')``.", ""]
    if idents:
        lines += ["**Identifiers**: %s" % ", ".join("``%s``" % _snake(ident) for ident in idents), ""]
    load = spec.get("load", {}).get("request", {}).get("operation")
    if load:
        lines += ["``load()`` / ``reload()`` call :doc:`../client/%s`." % _snake(load), ""]
    lines += _shape_attributes(model, spec.get("shape", ""))
    for title, key in (("Actions", "actions"), ("Batch actions (on collections)", "batchActions")):
        actions = spec.get(key, {})
        if actions:
            lines += ["**%s**" % title, ""]
            for action, body in sorted(actions.items()):
                operation = body["request"]["operation"]
                returns = body.get("resource", {}).get("type")
                tail = " → :doc:`%s`" % returns if returns else ""
                lines.append("- ``%s(**kwargs)``: :doc:`../client/%s`%s" % (_snake(action), _snake(operation), tail))
            lines.append("")
    has = spec.get("has", {})
    if has:
        lines += ["**Sub-resources**", ""]
        for sub, body in sorted(has.items()):
            args = ", ".join(_snake(i["target"]) for i in body["resource"].get("identifiers", []) if i["source"] == "input")
            lines.append("- ``%s(%s)`` → :doc:`%s`" % (sub, args, body["resource"]["type"]))
        lines.append("")
    many = spec.get("hasMany", {})
    if many:
        lines += ["**Collections** (``all()``, ``filter(**kwargs)``, ``limit(n)``, ``page_size(n)``, ``pages()``)", ""]
        for coll, body in sorted(many.items()):
            operation = body["request"]["operation"]
            lines.append("- ``%s``: :doc:`%s` items from :doc:`../client/%s`" % (
                _snake(coll), body["resource"]["type"], _snake(operation)))
        lines.append("")
    waiters = spec.get("waiters", {})
    if waiters:
        lines += ["**Waiters**", ""]
        lines += ["- ``wait_until_%s()``: the ``%s`` waiter" % (_snake(w), body["waiterName"]) for w, body in sorted(waiters.items())]
        lines.append("")
    return lines


def _resource_pages(out: str, client: Any) -> None:
    data = _load_resources_file()
    model = client.meta.service_model
    names = sorted(data["resources"])
    index = _title("Resources") + [
        "``s3 = ibm_boto3.resource('s3', ...)`` gives object-oriented access to the same API. Each page",
        "lists what the resource is built from, and links every action to the client method it calls.",
        "",
    ] + _toctree(["resources/ServiceResource"] + ["resources/%s" % name for name in names])
    _write(os.path.join(out, "resources.rst"), index)
    _write(os.path.join(out, "resources", "ServiceResource.rst"), _resource_page("ServiceResource", data["service"], model))
    for name in names:
        _write(os.path.join(out, "resources", name + ".rst"), _resource_page(name, data["resources"][name], model))


def _load_resources_file() -> Dict[str, Any]:
    import json

    import ibm_boto3

    path = os.path.join(os.path.dirname(ibm_boto3.__file__), "data", "s3", "2006-03-01", "resources-1.json")
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


# -- paginators, waiters ---------------------------------------------------------------------------
def _paginator_page(out: str) -> None:
    lines = _title("Paginators") + [
        "``client.get_paginator(name).paginate(**kwargs)`` iterates over every page of a listing.",
        "``PaginationConfig={'MaxItems': n, 'PageSize': n, 'StartingToken': token}`` limits it;",
        "``.build_full_result()`` merges the pages and ``.search(expression)`` applies a JMESPath",
        "expression to each page.", "",
        ".. list-table::", "   :header-rows: 1", "",
        "   * - ``get_paginator(...)``", "     - operation", "     - results", "     - page size parameter",
    ]
    paginators = _load_json("paginators-1")["pagination"]
    for operation, config in sorted(paginators.items()):
        keys = config.get("result_key")
        keys = keys if isinstance(keys, list) else [keys]
        lines += ["   * - ``'%s'``" % _snake(operation), "     - :doc:`client/%s`" % _snake(operation),
                  "     - %s" % ", ".join("``%s``" % key for key in keys), "     - ``%s``" % config.get("limit_key", "")]
    _write(os.path.join(out, "paginators.rst"), lines + [""])


def _waiter_page(out: str) -> None:
    waiters = _load_json("waiters-2")["waiters"]
    lines = _title("Waiters") + [
        "``client.get_waiter(name).wait(**kwargs)`` polls until a condition holds, or raises",
        "``WaiterError``. ``WaiterConfig={'Delay': seconds, 'MaxAttempts': n}`` overrides the defaults.", "",
        ".. list-table::", "   :header-rows: 1", "",
        "   * - ``get_waiter(...)``", "     - polls", "     - delay, attempts", "     - acceptors",
    ]
    for name, config in sorted(waiters.items()):
        acceptors = "; ".join("%s %s → %s" % (a["matcher"], a["expected"], a["state"]) for a in config["acceptors"])
        lines += ["   * - ``'%s'``" % _snake(name), "     - :doc:`client/%s`" % _snake(config["operation"]),
                  "     - %s s, %s" % (config["delay"], config["maxAttempts"]), "     - %s" % acceptors]
    _write(os.path.join(out, "waiters.rst"), lines + [""])


def _load_json(kind: str) -> Dict[str, Any]:
    import json

    import ibm_botocore

    path = os.path.join(os.path.dirname(ibm_botocore.__file__), "data", "s3", "2006-03-01", kind + ".json")
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


# -- settings classes ------------------------------------------------------------------------------
CONFIG_HELP = {
    "region_name": "Region used for signing (SigV4) and for the default endpoint.",
    "signature_version": "``'oauth'`` (IAM bearer token), ``'s3v4'`` (HMAC SigV4), ``'s3'`` (SigV2) or ``UNSIGNED``.",
    "user_agent": "Replaces the User-Agent header.",
    "user_agent_extra": "Appended to the User-Agent header.",
    "user_agent_appid": "An application id added to the User-Agent header.",
    "connect_timeout": "Seconds to wait for a TCP/TLS connection.",
    "read_timeout": "Seconds to wait for data on a socket.",
    "parameter_validation": "Validate parameters against the model before sending (``ParamValidationError``).",
    "max_pool_connections": "Connections kept per host; raise it with ``max_concurrency`` of transfers.",
    "proxies": "``{'http': url, 'https': url}``.",
    "proxies_config": "``proxy_ca_bundle``, ``proxy_client_cert``, ``proxy_use_forwarding_for_https``.",
    "s3": "``addressing_style`` (``auto``/``virtual``/``path``), ``payload_signing_enabled``, ``us_east_1_regional_endpoint``.",
    "retries": "``{'max_attempts': n, 'total_max_attempts': n, 'mode': 'legacy' | 'standard' | 'adaptive'}``.",
    "client_cert": "A client certificate file, or ``(cert, key)``.",
    "inject_host_prefix": "Apply the model's host prefixes.",
    "endpoint_discovery_enabled": "Accepted for compatibility (S3 has no endpoint discovery).",
    "use_dualstack_endpoint": "Accepted for compatibility (COS endpoints are given by URL).",
    "ignore_configured_endpoint_urls": "Ignore endpoint URLs from the environment and config files.",
    "defaults_mode": "Accepted for compatibility.",
    "tcp_keepalive": "Enable TCP keep-alive on connections.",
    "request_min_compression_size_bytes": "Accepted for compatibility (S3 requests are not compressed).",
    "disable_request_compression": "Accepted for compatibility (S3 requests are not compressed).",
    "client_context_params": "Accepted for compatibility.",
    "request_checksum_calculation": "``'when_supported'`` (default) or ``'when_required'``: when uploads carry a CRC32.",
    "response_checksum_validation": "``'when_supported'`` (default) or ``'when_required'``: when downloads are verified.",
}


def _signature_rows(cls: Any) -> List[List[str]]:
    rows = []
    for name, param in inspect.signature(cls.__init__).parameters.items():
        if name == "self" or param.kind in (param.VAR_KEYWORD, param.VAR_POSITIONAL):
            continue
        default = "" if param.default is inspect.Parameter.empty else repr(param.default)
        rows.append([name, default])
    return rows


def _table(header: List[str], rows: List[List[str]]) -> List[str]:
    lines = [".. list-table::", "   :header-rows: 1", ""]
    for row in [header] + rows:
        lines.append("   * - %s" % row[0])
        lines += ["     - %s" % cell for cell in row[1:]]
    return lines + [""]


def _describe(cls: Any) -> str:
    text = inspect.getdoc(cls) or ""
    return re.sub(r"\s+", " ", text.split("\n\n")[0]).strip()


def _config_page(out: str) -> None:
    from ibm_boto3.s3.transfer import TransferConfig
    from ibm_botocore.config import Config

    lines = _title("Settings: Config, TransferConfig, AsperaConfig")
    lines += _title("ibm_botocore.client.Config", "-") + [_describe(Config), ""]
    lines += _table(["option", "default", "meaning"],
                    [["``%s``" % name, "``%r``" % default, CONFIG_HELP.get(name, "")] for name, default in Config.OPTION_DEFAULTS.items()])
    lines += _title("ibm_boto3.s3.transfer.TransferConfig", "-") + [_describe(TransferConfig), ""]
    lines += _table(["option", "default"], [["``%s``" % n, "``%s``" % d] for n, d in _signature_rows(TransferConfig)])
    try:
        from ibm_s3transfer.aspera.manager import AsperaConfig
    except ImportError:  # pragma: no cover - the sub-package always imports
        AsperaConfig = None
    if AsperaConfig is not None:
        lines += _title("ibm_s3transfer.aspera.manager.AsperaConfig", "-") + [_describe(AsperaConfig), "",
                                                                             "See :doc:`/aspera` for what each option does.", ""]
        lines += _table(["option", "default"], [["``%s``" % n, "``%s``" % d] for n, d in _signature_rows(AsperaConfig)])
    _write(os.path.join(out, "config.rst"), lines)


def generate(srcdir: str) -> str:
    out = os.path.join(srcdir, GENERATED)
    client = _client()
    _client_pages(out, client)
    _resource_pages(out, client)
    _paginator_page(out)
    _waiter_page(out)
    _config_page(out)
    return out


def _on_builder_inited(app: Any) -> None:
    generate(app.srcdir)


def setup(app: Any) -> Dict[str, Any]:
    app.connect("builder-inited", _on_builder_inited)
    return {"parallel_read_safe": True, "version": "1"}


def clean(srcdir: str) -> None:
    shutil.rmtree(os.path.join(srcdir, GENERATED), ignore_errors=True)

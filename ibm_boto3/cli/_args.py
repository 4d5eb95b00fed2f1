"""The ``cos`` argument parser (argparse).

Global options are accepted before or after the command (``cos --json ls`` and
``cos ls --json``): they live in one parent parser that both the top-level parser and every
command parser include, with suppressed defaults so that neither place overwrites the other;
:func:`parse_args` fills in the defaults afterwards.
"""
from __future__ import annotations

import argparse
import sys
import textwrap
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Set, Tuple

DESCRIPTION = """\
A command line for IBM Cloud Object Storage (and other S3-compatible stores), built on
ibm_boto3. Paths: cos://BUCKET/KEY (s3://BUCKET/KEY works too) for objects and prefixes,
plain paths for local files and directories, - for stdin or stdout."""

EPILOG = """\
credentials (first match wins, as in the SDK):
  --api-key KEY                     an IBM Cloud API key (with --instance-id)
  IBM_API_KEY_ID, IBM_SERVICE_INSTANCE_ID, IBM_AUTH_ENDPOINT
  AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY   HMAC keys
  ~/.bluemix/cos_credentials        the service credential from the IBM Cloud console
  ~/.aws/credentials, ~/.aws/config  the profile chosen by --profile / AWS_PROFILE

endpoint: --endpoint-url, else COS_ENDPOINT_URL / COS_ENDPOINT / AWS_ENDPOINT_URL_S3 /
  AWS_ENDPOINT_URL, else https://s3.REGION.cloud-object-storage.appdomain.cloud

exit status: 0 success, 1 some items failed or the request was refused (each named on
  stderr), 2 usage error, 130 interrupted (Ctrl-C; open uploads are aborted, partial
  downloads removed).

Run 'cos COMMAND --help' for the options of a command."""

_GLOBAL_DEFAULTS: Dict[str, Any] = {
    "endpoint_url": None,
    "profile": None,
    "region": None,
    "api_key": None,
    "instance_id": None,
    "auth_endpoint": None,
    "concurrency": 10,
    "processes": None,
    "part_size": "8MiB",
    "max_bandwidth": None,
    "no_verify_ssl": False,
    "quiet": False,
    "json": False,
    "no_progress": False,
    "debug": False,
}


def _global_options() -> argparse.ArgumentParser:
    parent = argparse.ArgumentParser(add_help=False, argument_default=argparse.SUPPRESS)
    group = parent.add_argument_group("global options (before or after the command)")
    group.add_argument("--endpoint-url", metavar="URL", help="the COS / S3 endpoint, e.g. http://127.0.0.1:8080")
    group.add_argument("--profile", metavar="NAME", help="profile of ~/.aws/credentials and ~/.aws/config")
    group.add_argument("--region", metavar="REGION", help="region (default us-south; picks the public endpoint)")
    group.add_argument("--api-key", metavar="KEY",
                       help="IBM Cloud API key (prefer IBM_API_KEY_ID: arguments are visible to other users)")
    group.add_argument("--instance-id", metavar="CRN", help="service instance id (CRN) that owns new buckets")
    group.add_argument("--auth-endpoint", metavar="URL", help="IAM token endpoint (default IBM Cloud IAM)")
    group.add_argument("--concurrency", metavar="N", type=int,
                       help="parallel requests (default 10); recursive commands move up to 2×N files at once")
    group.add_argument("--processes", metavar="N", type=int,
                       help="processes in all for the small files of recursive commands (default: one more "
                            "per spare CPU and 400 small files, at most 5; downloads outside Linux: 1)")
    group.add_argument("--part-size", metavar="SIZE",
                       help="multipart part size and threshold, e.g. 8MiB (default), 64MB")
    group.add_argument("--max-bandwidth", metavar="RATE", help="bandwidth ceiling in bytes/s, e.g. 50MB")
    group.add_argument("--no-verify-ssl", action="store_true", help="do not verify TLS certificates")
    group.add_argument("-q", "--quiet", action="store_true", help="print nothing but errors")
    group.add_argument("--json", action="store_true", help="machine-readable output: one JSON object per line")
    group.add_argument("--no-progress", action="store_true", help="no progress bars (they only show on a terminal)")
    group.add_argument("--debug", action="store_true", help="log requests and show tracebacks on errors")
    return parent


class _FilterAction(argparse.Action):
    """--include / --exclude, kept in one list in command-line order (the last match wins)."""

    def __call__(self, parser: Any, namespace: Any, values: Any, option_string: Optional[str] = None) -> None:
        rules = list(getattr(namespace, "filters", None) or [])
        rules.append((self.const, values))
        setattr(namespace, "filters", rules)


def _filters(p: argparse.ArgumentParser) -> None:
    p.add_argument("--exclude", metavar="PATTERN", action=_FilterAction, const="exclude", dest="filters",
                   help="leave out paths matching PATTERN (glob: * ? [seq]; * also matches /)")
    p.add_argument("--include", metavar="PATTERN", action=_FilterAction, const="include", dest="filters",
                   help="take back paths matching PATTERN; filters apply in order, the last match wins")


def _upload_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("object options")
    g.add_argument("--metadata", metavar="K=V[,K=V]",
                   help='user metadata of new objects: key=value pairs or a JSON object ({"k": "v"})')
    g.add_argument("--content-type", metavar="TYPE", help="Content-Type of new objects (default: guessed from the name)")
    g.add_argument("--no-guess-mime-type", action="store_true", help="do not guess Content-Type from file names")
    g.add_argument("--cache-control", metavar="VALUE", help="Cache-Control of new objects")
    g.add_argument("--content-disposition", metavar="VALUE", help="Content-Disposition of new objects")
    g.add_argument("--storage-class", metavar="CLASS", help="storage class of new objects")
    g.add_argument("--sse", metavar="AES256", choices=["AES256"], help="server-side encryption with COS-managed keys")
    g.add_argument("--retention-period", metavar="SECONDS", type=int,
                   help="COS retention: keep new objects for SECONDS (protected buckets)")
    g.add_argument("--retention-expiration-date", metavar="DATE",
                   help="COS retention: keep new objects until DATE (HTTP date or ISO 8601)")
    g.add_argument("--retention-legal-hold-id", metavar="ID", help="COS retention: put a legal hold ID on new objects")


def _recursive(p: argparse.ArgumentParser, what: str) -> None:
    p.add_argument("-r", "--recursive", action="store_true", help=what)


def _command(sub: Any, parent: argparse.ArgumentParser, name: str, summary: str, details: str) -> argparse.ArgumentParser:
    p: argparse.ArgumentParser = sub.add_parser(name, parents=[parent], help=summary,
                       description=summary + "\n\n" + textwrap.dedent(details).strip(),
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.set_defaults(command=name)
    return p


def _ls(sub: Any, parent: argparse.ArgumentParser) -> None:
    p = _command(sub, parent, "ls", "List buckets, or the objects and folders under a prefix.", """
        cos ls                          buckets (creation date, name)
        cos ls cos://BUCKET[/PREFIX]    objects (date, size, key) and folders (PRE name/) below PREFIX
        cos ls -r cos://BUCKET/PREFIX   every object below PREFIX, full keys""")
    p.add_argument("path", nargs="?", metavar="cos://BUCKET[/PREFIX]", help="what to list (default: the buckets)")
    _recursive(p, "list every object below the prefix, not only one folder level")
    p.add_argument("--human-readable", action="store_true", help="sizes as KiB, MiB, GiB")
    p.add_argument("--summarize", action="store_true", help="print the number of objects and their total size")


def _copy(sub: Any, parent: argparse.ArgumentParser, name: str, summary: str) -> None:
    """``cp`` and ``mv``: the same arguments; only cp streams stdin and stdout."""
    streams = ("\n            cos cp - cos://BUCKET/KEY          upload stdin"
               "\n            cos cp cos://BUCKET/KEY -          download to stdout") if name == "cp" else ""
    p = _command(sub, parent, name, summary, """
            cos %(n)s FILE cos://BUCKET/KEY       upload (KEY ending in / or empty: the file name is added)
            cos %(n)s cos://BUCKET/KEY FILE|DIR   download (to a temporary name, renamed when complete)
            cos %(n)s cos://B1/K1 cos://B2/K2     server-side copy%(streams)s
            cos %(n)s -r DIR cos://BUCKET/PREFIX  a directory tree, and back, or prefix to prefix
            Recursive transfers use the SDK's directory engine (files in parallel, parts within files);
            --include / --exclude select paths relative to SOURCE. Key Protect encryption is a
            bucket setting (cos mb --kms-root-key-crn): objects written there use its root key.""" % {"n": name, "streams": streams})
    p.add_argument("source", metavar="SOURCE", help="local path, cos://BUCKET/KEY, or -")
    p.add_argument("destination", metavar="DESTINATION", help="local path, cos://BUCKET/KEY, or -")
    _recursive(p, "copy every file below SOURCE (a directory or a key prefix)")
    _filters(p)
    p.add_argument("--dryrun", action="store_true", help="print what would be done, do nothing")
    _upload_options(p)


def _cp(sub: Any, parent: argparse.ArgumentParser) -> None:
    _copy(sub, parent, "cp", "Copy files and objects: upload, download, or a server-side copy.")


def _mv(sub: Any, parent: argparse.ArgumentParser) -> None:
    _copy(sub, parent, "mv", "Move files and objects: copy, then delete the source once the copy is complete.")


def _sync(sub: Any, parent: argparse.ArgumentParser) -> None:
    p = _command(sub, parent, "sync", "Make DESTINATION hold what SOURCE holds, transferring only what differs.", """
        cos sync DIR cos://BUCKET/PREFIX   upload new and changed files
        cos sync cos://BUCKET/PREFIX DIR   download new and changed objects
        cos sync cos://B1/P1 cos://B2/P2   server-side copies
        A file is transferred when the other side lacks it, the sizes differ, or the source is
        newer (upload: file mtime after the object's LastModified; download: object after the
        file, whose mtime is set to LastModified). --checksum compares content (MD5 against the
        ETag) instead of times; --size-only compares sizes alone.""")
    p.add_argument("source", metavar="SOURCE", help="local directory or cos://BUCKET[/PREFIX]")
    p.add_argument("destination", metavar="DESTINATION", help="local directory or cos://BUCKET[/PREFIX]")
    _filters(p)
    p.add_argument("--delete", action="store_true",
                   help="delete destination files that are not in the source (filters apply: excluded ones are kept)")
    p.add_argument("--dryrun", action="store_true", help="print what would be done, do nothing")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--checksum", action="store_true", help="compare content (MD5 / ETag) instead of size and time")
    g.add_argument("--size-only", action="store_true", help="compare sizes only")
    _upload_options(p)


def _rm(sub: Any, parent: argparse.ArgumentParser) -> None:
    p = _command(sub, parent, "rm", "Delete objects.", """
        cos rm cos://BUCKET/KEY           one object
        cos rm -r cos://BUCKET/PREFIX     every object below PREFIX (DeleteObjects, 1,000 keys a request)""")
    p.add_argument("path", metavar="cos://BUCKET/KEY", help="object, or prefix with --recursive")
    _recursive(p, "delete every object below the prefix")
    _filters(p)
    p.add_argument("--dryrun", action="store_true", help="print what would be deleted, delete nothing")


def _mb(sub: Any, parent: argparse.ArgumentParser) -> None:
    p = _command(sub, parent, "mb", "Make a bucket.", """
        cos mb cos://BUCKET [--location us-south-standard]
        cos mb cos://BUCKET --kms-root-key-crn CRN     encrypted with a Key Protect / HPCS root key""")
    p.add_argument("path", metavar="cos://BUCKET", help="the bucket to create")
    p.add_argument("--location", metavar="CONSTRAINT",
                   help="LocationConstraint: region and storage class, e.g. us-south-standard, eu-de-smart")
    p.add_argument("--kms-root-key-crn", metavar="CRN", help="Key Protect / Hyper Protect Crypto Services root key CRN")
    p.add_argument("--kms-encryption-algorithm", metavar="ALG", default=None,
                   help="with --kms-root-key-crn: the algorithm (default AES256)")


def _rb(sub: Any, parent: argparse.ArgumentParser) -> None:
    p = _command(sub, parent, "rb", "Remove a bucket.", """
        cos rb cos://BUCKET            the bucket must be empty
        cos rb --force cos://BUCKET    delete every object (and version, and open multipart upload) first""")
    p.add_argument("path", metavar="cos://BUCKET", help="the bucket to remove")
    p.add_argument("--force", action="store_true", help="empty the bucket first")


def _presign(sub: Any, parent: argparse.ArgumentParser) -> None:
    p = _command(sub, parent, "presign", "Print a presigned GET URL for an object (needs HMAC keys).", """
        cos presign cos://BUCKET/KEY --expires-in 600
        Presigned URLs are SigV4 query-string signatures, so they need HMAC credentials
        (an API key alone cannot presign).""")
    p.add_argument("path", metavar="cos://BUCKET/KEY", help="the object")
    p.add_argument("--expires-in", metavar="SECONDS", type=int, default=3600,
                   help="validity in seconds (default 3600, at most 604800)")


def _cat(sub: Any, parent: argparse.ArgumentParser) -> None:
    p = _command(sub, parent, "cat", "Write objects to stdout.", """
        cos cat cos://BUCKET/KEY [cos://BUCKET/KEY2 ...]""")
    p.add_argument("paths", nargs="+", metavar="cos://BUCKET/KEY", help="objects, written one after the other")


def _head(sub: Any, parent: argparse.ArgumentParser) -> None:
    p = _command(sub, parent, "head", "Print an object's (or a bucket's) metadata as JSON.", """
        cos head cos://BUCKET/KEY    HeadObject: size, ETag, Content-Type, metadata, retention, ...
        cos head cos://BUCKET        HeadBucket""")
    p.add_argument("path", metavar="cos://BUCKET[/KEY]", help="object or bucket")


def _emulator(sub: Any, parent: argparse.ArgumentParser) -> None:
    p = _command(sub, parent, "emulator", "Run a local COS emulator and print its endpoint and credentials.", """
        cos emulator [--port 8080] [--data-dir DIR]
        Prints the endpoint URL and an API key and HMAC pair for it (as shell exports, or one
        JSON line with --json), then serves until Ctrl-C. Needs the [emulator] extra.""")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=0, help="port (default: a free one)")
    p.add_argument("--data-dir", metavar="DIR", default=None, help="keep buckets and objects in DIR across restarts")


#: the commands, in the order ``cos --help`` lists them; each adds its parser to ``sub``
_COMMANDS: Tuple[Callable[[Any, argparse.ArgumentParser], None], ...] = (
    _ls, _cp, _mv, _sync, _rm, _mb, _rb, _presign, _cat, _head, _emulator,
)


def build_parser() -> argparse.ArgumentParser:
    parent = _global_options()
    parser = argparse.ArgumentParser(prog="cos", description=DESCRIPTION, epilog=EPILOG, parents=[parent],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    from ibm_boto3 import __version__

    parser.add_argument("--version", action="version", version="cos (ibm-cos-sdk %s)" % __version__)
    sub = parser.add_subparsers(title="commands", metavar="COMMAND")
    for add_command in _COMMANDS:
        add_command(sub, parent)
    return parser


# Options whose values are opaque secrets: an IBM API key may start with "-", which
# argparse would take for an option ("expected one argument").
_OPAQUE_VALUES = ("--api-key",)


def _long_options(parser: argparse.ArgumentParser) -> Set[str]:
    """Every ``--option`` of ``parser`` and of its commands."""
    found: Set[str] = set()
    for action in parser._actions:
        found.update(option for option in action.option_strings if option.startswith("--"))
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                found |= _long_options(sub)
    return found


def _join_opaque_values(argv: Sequence[str], options: Iterable[str] = _OPAQUE_VALUES) -> List[str]:
    """``--api-key VALUE`` as ``--api-key=VALUE``, whatever VALUE starts with (also for an
    abbreviation argparse would accept, such as ``--api``: a prefix of no other option)."""
    options = set(options)
    spellings = set(_OPAQUE_VALUES)
    for name in _OPAQUE_VALUES:
        for end in range(3, len(name)):
            prefix = name[:end]
            if not any(other.startswith(prefix) for other in options if other != name):
                spellings.add(prefix)
    joined: List[str] = []
    tokens = iter(argv)
    for token in tokens:
        if token == "--":
            joined.append(token)
            joined.extend(tokens)
            break
        if token in spellings:
            value = next(tokens, None)
            if value is None:
                joined.append(token)  # argparse reports the missing value
                break
            token = "%s=%s" % (token, value)
        joined.append(token)
    return joined


def parse_args(argv: Optional[Sequence[str]]) -> argparse.Namespace:
    parser = build_parser()
    args = parser.parse_args(_join_opaque_values(sys.argv[1:] if argv is None else argv, _long_options(parser)))
    if not getattr(args, "command", None):
        parser.print_help()
        parser.exit(2)
    for name, value in _GLOBAL_DEFAULTS.items():
        if not hasattr(args, name):
            setattr(args, name, value)
    if not hasattr(args, "filters") or args.filters is None:
        args.filters = []
    if args.concurrency < 1:
        parser.error("--concurrency must be at least 1")
    if args.processes is not None and args.processes < 1:
        parser.error("--processes must be at least 1")
    return args

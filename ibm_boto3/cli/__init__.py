"""``cos``: a command line for IBM Cloud Object Storage, built on this SDK.

Installed as the ``cos`` console script and runnable as ``python -m ibm_boto3``; it needs
the optional ``[cli]`` extra (``pip install 'ibm-cos-sdk[cli]'``, which brings ``rich`` for
progress bars). Run ``cos --help`` for the commands.

Layout: :mod:`._args` (argparse), :mod:`._paths` (cos:// paths), :mod:`._client` (client,
credentials, error messages), :mod:`._commands` (the commands), :mod:`._tree` (recursive
work on :mod:`ibm_s3transfer.directory`), :mod:`._output` (lines, JSON, progress).
"""
from __future__ import annotations

import importlib.util
import logging
import os
import signal
import sys
import traceback
from typing import List, Optional, Sequence

__all__ = ["main"]

EXTRA_MISSING = ("cos: error: the command line needs the optional [cli] extra, which is not installed "
                 "(missing: %s). Install it with: pip install 'ibm-cos-sdk[cli]'")

#: libraries of the [cli] extra (checked at start-up; imported only when used)
CLI_EXTRA = ("rich",)

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


def _missing_extra() -> List[str]:
    missing = []
    for name in CLI_EXTRA:
        try:
            if importlib.util.find_spec(name) is None:
                missing.append(name)
        except (ImportError, ValueError):
            missing.append(name)
    return missing


def _terminate(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run ``cos`` with ``argv`` (default ``sys.argv[1:]``); returns the exit status."""
    missing = _missing_extra()
    if missing:
        sys.stderr.write(EXTRA_MISSING % ", ".join(missing) + "\n")
        return EXIT_FAILED
    from ._args import parse_args

    try:
        args = parse_args(argv)
    except SystemExit as exc:  # argparse: --help (0) or a usage error (2)
        return int(exc.code or 0) if not isinstance(exc.code, str) else EXIT_USAGE
    return run(args)


def run(args: object) -> int:
    from ._client import CliError, describe
    from ._commands import COMMANDS, Context
    from ._output import Output
    from ._paths import UsageError
    from ._tree import prestart_workers

    debug = bool(getattr(args, "debug", False))
    if debug:
        logging.basicConfig(level=logging.DEBUG, stream=sys.stderr,
                            format="%(asctime)s %(threadName)s %(name)s %(levelname)s %(message)s")
    out = Output(json_mode=args.json, quiet=args.quiet, progress=not args.no_progress)  # type: ignore[attr-defined]
    if hasattr(signal, "SIGTERM"):
        signal.signal(signal.SIGTERM, _terminate)
    context = None
    try:
        prestart_workers(args)
        context = Context(args, out)
        COMMANDS[args.command](context)  # type: ignore[attr-defined]
    except UsageError as exc:
        sys.stderr.write("cos: error: %s\n" % exc)
        sys.stderr.write("Run 'cos %s --help' for usage.\n" % args.command)  # type: ignore[attr-defined]
        return EXIT_USAGE
    except KeyboardInterrupt:
        sys.stderr.write("cos: interrupted\n")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # stdout closed early (cos cat ... | head): not an error worth a message
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_FAILED
    except CliError as exc:
        out.error(str(exc), getattr(context, "subject", None))
        return EXIT_FAILED
    except Exception as exc:
        if debug:
            traceback.print_exc()
        out.error(describe(exc), getattr(context, "subject", None))
        return EXIT_FAILED
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        return EXIT_FAILED
    return EXIT_FAILED if out.failures else EXIT_OK

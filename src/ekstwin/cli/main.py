"""The ``ekstwin`` command: parse, dispatch, map errors to exit codes.

Each command group lives in its own module of this package with a
``register(subparsers)`` function that adds its parsers and sets
``handler=function(args) -> int``. Only this module turns exceptions into
exit codes: user mistakes print one line, internal errors a traceback only
with ``--debug``.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import logging
import sys
import traceback
from collections.abc import Sequence
from typing import NoReturn

from ekstwin.cli.common import Exit, add_implied_argument, eprint
from ekstwin.errors import ConfigError, EkstwinError, LoadError
from ekstwin.reporters._text import printable

#: Command-group modules under ekstwin.cli, in the order of ``--help``.
COMMAND_MODULES = ("analyze", "diff", "net", "mesh", "lab", "ipam", "iam", "access", "ingress",
                   "dns", "cluster", "storage", "collect", "report", "serve", "record",
                   "version")  # fmt: skip


#: Commands that live in another command's module rather than one of their own.
SHARED_MODULE = {
    **dict.fromkeys(("analyze", "checks", "snapshot", "baseline"), "analyze"),
    "history": "record",
}


def _modules_for(argv: Sequence[str] | None) -> tuple[str, ...]:
    """Only the module of the command asked for (imports are most of the start-up
    time); every module for ``--help``, no command or an unknown one."""
    command = next((a for a in argv or () if not a.startswith("-")), None)
    if command in COMMAND_MODULES:
        return (command,)
    if command in SHARED_MODULE:
        return (SHARED_MODULE[command],)
    return COMMAND_MODULES


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser; with ``argv``, only the command group ``argv`` names is loaded."""
    parser = argparse.ArgumentParser(
        prog="ekstwin",
        description="A digital twin of an Amazon EKS platform.",
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks for errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in _modules_for(argv) if argv is not None else COMMAND_MODULES:
        try:
            module = importlib.import_module(f"ekstwin.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"ekstwin.cli.{name}":
                continue
            raise
        module.register(sub)
    add_implied_argument(parser)
    return parser


class _PrintableFormatter(logging.Formatter):
    """Log lines (``--debug``, serve's request log) with control characters escaped:
    they carry names, paths and request lines from outside."""

    def format(self, record: logging.LogRecord) -> str:
        return printable(super().format(record), keep_newlines=True)


def main(argv: Sequence[str] | None = None) -> int:
    try:
        parser = build_parser(sys.argv[1:] if argv is None else argv)
    except Exception as exc:  # a command module that does not import is a bug
        eprint(
            f"error: internal error: {type(exc).__name__}: {exc} - this is a bug in ekstwin; "
            "please report it"
        )
        return Exit.INTERNAL
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.debug else logging.WARNING)
    for log_handler in logging.getLogger().handlers:
        if type(log_handler) is logging.StreamHandler:  # basicConfig's, not a test's
            log_handler.setFormatter(_PrintableFormatter(logging.BASIC_FORMAT))
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help(sys.stderr)
        return Exit.INPUT
    try:
        return int(handler(args))
    except (ConfigError, LoadError) as exc:
        eprint(f"error: {exc}")
        return Exit.INPUT
    except EkstwinError as exc:
        eprint(f"error: {exc}")
        if args.debug:
            traceback.print_exc()
        return Exit.INPUT
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return Exit.OK
    except Exception as exc:
        eprint(
            f"error: internal error: {type(exc).__name__}: {exc} - this is a bug in ekstwin; "
            "run again with --debug and report the traceback"
        )
        if args.debug:
            traceback.print_exc()
        return Exit.INTERNAL


def run() -> NoReturn:
    """The ``ekstwin`` program (``python -m ekstwin`` and the installed script): :func:`main`,
    then exit with its code.

    Before the interpreter exits, what the command made is handed to the cyclic
    collector's permanent generation (``gc.freeze``): the collections Python runs
    at exit then do not walk it, nor free the loaded platform and the engines'
    models piece by piece (about 15 ms of a 1,000-pod ``net matrix``); the
    process's exit returns the memory at once. Standard streams are flushed and
    ``atexit`` functions run as before; ekstwin has no finalizer that must run at exit."""
    code = main()
    gc.freeze()
    sys.exit(code)


if __name__ == "__main__":  # pragma: no cover
    run()

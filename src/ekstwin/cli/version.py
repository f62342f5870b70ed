"""``ekstwin version``: its own module, so printing the version imports nothing else."""

from __future__ import annotations

import argparse

from ekstwin.cli.common import Exit


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    v = sub.add_parser("version", help="print the version")
    v.set_defaults(handler=run_version)


def run_version(args: argparse.Namespace) -> int:
    from ekstwin import __version__

    print(f"ekstwin {__version__}")
    return Exit.OK

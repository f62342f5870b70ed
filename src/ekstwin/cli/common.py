"""What every command shares: loading a platform, writing output, exit codes."""

from __future__ import annotations

import argparse
import sys
from enum import IntEnum
from pathlib import Path
from typing import TYPE_CHECKING

from ekstwin.errors import ConfigError
from ekstwin.findings import Diagnostic, DiagnosticGroup, DiagnosticLevel
from ekstwin.reporters._text import printable

if TYPE_CHECKING:
    from ekstwin.loaders import LoadResult


class Exit(IntEnum):
    OK = 0
    FINDINGS = 1
    INPUT = 2
    INTERNAL = 3


def add_platform_argument(
    parser: argparse.ArgumentParser, *, nargs: str = "+", namespace_flag: bool = True
) -> None:
    parser.add_argument(
        "platform",
        nargs=nargs,
        metavar="PLATFORM",
        help="directory or files of manifests, aws.json, a Keycloak realm export, "
        "a snapshot (twin.json), or '-' for stdin",
    )
    if namespace_flag:
        add_input_namespace_argument(parser, "--namespace", "-n")


def add_input_namespace_argument(parser: argparse.ArgumentParser, *flags: str) -> None:
    parser.add_argument(
        *flags,
        dest="input_namespace",
        metavar="NS",
        help="namespace of the objects that name none, as 'kubectl apply -n NS' "
        "(default: 'default', with a warning)",
    )


#: The arguments that name a platform to load: a command with one of them takes --no-implied.
PLATFORM_DESTS = frozenset({"platform", "old", "new", "compare"})


def add_implied_argument(parser: argparse.ArgumentParser) -> None:
    """``--no-implied`` on every command that loads a platform (called by the main parser)."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in set(action.choices.values()):
                add_implied_argument(child)
    dests = {a.dest for a in parser._actions}
    if not dests & PLATFORM_DESTS or "no_implied" in dests:
        return
    parser.add_argument(
        "--no-implied",
        action="store_true",
        help="assume nothing the input lacks: no cluster namespaces (kube-system, "
        "default, ...), no CoreDNS, no pods made by operators (see docs/implied.md)",
    )


def add_output_arguments(parser: argparse.ArgumentParser, formats: list[str]) -> None:
    parser.add_argument("--format", "-f", choices=formats, default=formats[0])
    parser.add_argument("--output", "-o", metavar="FILE", help="write here instead of stdout")


def check_port(port: int, *, allow_zero: bool = False) -> None:
    """A TCP/UDP port the user gave: 1-65535 (0 too where it means "pick one")."""
    if not (0 if allow_zero else 1) <= port <= 65535:
        raise ConfigError(
            f"--port {port} is not a TCP port - give 1-65535"
            + (", or 0 to pick a free one" if allow_zero else "")
        )


def load_platform(args: argparse.Namespace) -> LoadResult:
    """Load the platform the command names; print input diagnostics on stderr."""
    from ekstwin.loaders import load  # imported by the commands that read a platform

    paths = list(args.platform) if isinstance(args.platform, list) else [args.platform]
    namespace = getattr(args, "input_namespace", None)
    quiet = bool(getattr(args, "quiet", False))
    show_bar = not quiet and sys.stderr.isatty()
    implied = not getattr(args, "no_implied", False)
    if show_bar:
        from rich.console import Console
        from rich.progress import Progress

        with Progress(transient=True, console=Console(stderr=True)) as bar:
            task = bar.add_task("loading", total=None)

            def tick(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            result = load(paths, progress=tick, namespace=namespace, implied=implied)
    else:
        result = load(paths, namespace=namespace, implied=implied)
    if not getattr(args, "keep_diagnostics_quiet", False):
        print_diagnostics(result.diagnostics, quiet=quiet, counted=result.counted_diagnostics)
    return result


def print_diagnostics(
    diags: tuple[Diagnostic, ...] | list[Diagnostic],
    *,
    quiet: bool,
    counted: tuple[DiagnosticGroup, ...] = (),
) -> None:
    """One line per diagnostic; repeats of one code in one file past the first few
    are counted (with those the loader only ``counted``), so a flood of alike
    problems stays readable (and fast)."""
    from ekstwin.reporters.interface import MORE_IN_JSON, diagnostic_digest

    wanted = [d for d in diags if not quiet or d.level is DiagnosticLevel.ERROR]
    digest = diagnostic_digest(
        wanted, [g for g in counted if not quiet or g.level is DiagnosticLevel.ERROR]
    )
    lines = [str(d) for d in digest.shown]
    lines += [
        f"{g.level.value}: {g.count} more {g.code} problem{'s' if g.count != 1 else ''} "
        f"({g.file}) - {MORE_IN_JSON}"
        for g in digest.counted
    ]
    if lines:
        sys.stderr.write(printable("\n".join(lines), keep_newlines=True) + "\n")


def eprint(text: str) -> None:
    """One message on stderr, its control characters escaped (names and file names in
    it come from the input)."""
    print(printable(text, keep_newlines=True), file=sys.stderr)


def write_output(text: str, output: str | None, *, escaped: bool = False) -> None:
    """Write a command's output to ``output`` or stdout.

    Text is passed through :func:`printable` (control characters escaped, so a name
    cannot drive the reader's terminal) unless ``escaped`` says its producer already
    made it safe: a reporter (its table escapes each cell and may add colour), JSON
    written by :func:`json_safe`, the HTML report.
    """
    if not escaped:
        text = printable(text, keep_newlines=True)
    if output:
        try:
            Path(output).write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"cannot write {output}: {exc.strerror}") from exc
    else:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")

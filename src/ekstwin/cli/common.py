"""What every command shares: loading a platform, writing output, and the contract of
exit codes, ``--fail-on`` and format names.

The contract (README, "Exit codes"; docs/cli.md):

* exit 0: the command answered; 1: the ``--fail-on`` condition holds of the answer;
  2: a usage error, or input that could not be read (an input error diagnostic,
  even when the rest of the input was answered); 3: an internal error (one line,
  no traceback without ``--debug``). The highest that applies wins: 3, 2, 1, 0.
* ``--fail-on CONDITION`` on every command that answers a question of a
  platform. What a condition means depends on the kind of answer
  (:data:`SEVERITIES` for findings, :data:`VERDICTS` for one verdict or a list
  of who may, :data:`PROBLEM` for plans and reports); ``never`` turns a
  command's default condition off.
* ``--format``: ``table`` and ``json`` everywhere, plus a command's extras
  (csv, dot, markdown, sarif, junit, prometheus); ``text`` is read as ``table``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterable, Sequence
from enum import IntEnum
from typing import TYPE_CHECKING, TextIO

from ekstwin.errors import ConfigError
from ekstwin.reporters._text import ascii_json_safe, printable

if TYPE_CHECKING:  # the findings are imported by the commands that have some
    from ekstwin.findings import Diagnostic, DiagnosticGroup, Finding, Report
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


#: Format names read as another (the names a command used before the names were one set).
FORMAT_ALIASES = {"text": "table"}


def _format_name(value: str) -> str:
    return FORMAT_ALIASES.get(value, value)


def add_output_arguments(
    parser: argparse.ArgumentParser, formats: Sequence[str], *, output: bool = True
) -> None:
    """``--format`` (``table``, ``json`` and the command's extras, the first the default;
    ``text`` is read as ``table``) and, unless ``output`` is false, ``--output``."""
    assert formats[0] == "table" and "json" in formats, formats
    parser.add_argument(
        "--format",
        "-f",
        type=_format_name,
        choices=list(formats),
        default=formats[0],
        help=f"{' | '.join(formats)} (default {formats[0]})",
    )
    if output:
        parser.add_argument("--output", "-o", metavar="FILE", help="write here instead of stdout")


# -- --fail-on and the exit code --------------------------------------------------------

#: Conditions of an answer made of findings: a finding at or above this severity
#: (the values of ``ekstwin.findings.Severity`` by rank, written out so that building
#: the parser needs not import the findings).
SEVERITIES = ("info", "low", "medium", "high", "critical")
#: Conditions of a verdict (``allow``: the answer is allowed; ``deny``: it is not -
#: denied, refused or unknown) and of a list of who may (``allow``: someone may;
#: ``deny``: no one may).
VERDICTS = ("allow", "deny")
#: The condition of a plan or report: it reports a problem (each command says which).
PROBLEM = ("problem",)
#: No condition: exit 1 never (turns a command's default condition off).
NEVER = "never"


def add_fail_on_argument(
    parser: argparse.ArgumentParser,
    conditions: Sequence[str],
    what: str,
    *,
    default: str | None = None,
) -> None:
    """``--fail-on`` with the command's conditions (and ``never``); ``what`` says, for
    ``--help``, what makes the command exit 1."""
    parser.add_argument(
        "--fail-on",
        choices=[*conditions, NEVER],
        default=default,
        metavar="|".join([*conditions, NEVER]),
        help=f"exit 1 {what}" + (f" (default: {default})" if default else ""),
    )


def findings_at_or_above(findings: Iterable[Finding]) -> Callable[[str], bool]:
    """``--fail-on SEVERITY`` over findings."""
    from ekstwin.findings import Severity

    ranks = [f.severity.rank for f in findings]
    return lambda condition: any(r >= Severity(condition).rank for r in ranks)


def verdict(allowed: bool | None) -> Callable[[str], bool]:
    """``--fail-on allow|deny`` over one verdict (or over 'someone may'); ``None`` is
    unknown: not allowed, so it fails ``deny`` and never ``allow``."""
    return lambda condition: (allowed is True) == (condition == "allow")


def problem(found: bool) -> Callable[[str], bool]:
    """``--fail-on problem`` over a plan or report."""
    return lambda condition: found


def finish_report(args: argparse.Namespace, report: Report, loaded: LoadResult) -> int:
    """The exit code of a command that ran checks (analyze, the lint commands): 3 when a
    check crashed in this run (a diagnostic read from a snapshot is input, whatever
    code it carries), else as :func:`finish` with ``--fail-on SEVERITY``."""
    if any(d.code == "internal" for d in report.diagnostics[len(loaded.diagnostics) :]):
        return Exit.INTERNAL
    return finish(args, findings_at_or_above(report.findings), input_errors=report.input_errors)


def finish(
    args: argparse.Namespace,
    holds: Callable[[str], bool] | None = None,
    *,
    input_errors: bool | None = None,
) -> int:
    """The exit code of a command that answered: 2 when its input had errors (``args``
    records them when :func:`load_platform` read it, unless ``input_errors`` says),
    else 1 when the ``--fail-on`` condition ``holds`` of the answer, else 0."""
    if input_errors if input_errors is not None else getattr(args, "input_errors", False):
        return Exit.INPUT
    condition = getattr(args, "fail_on", None)
    if condition and condition != NEVER and holds is not None and holds(condition):
        return Exit.FINDINGS
    return Exit.OK


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
    # The answer covers the rest of the input; the command then exits 2 (``finish``).
    args.input_errors = bool(getattr(args, "input_errors", False) or result.input_errors)
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
    from ekstwin.findings import DiagnosticLevel
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


def json_text(data: object, *, indent: int | None = 2) -> str:
    """``data`` as JSON text safe to show: ``json.dumps`` (``ensure_ascii``, so every
    character a terminal could act on is an escape but DEL) with DEL escaped too.
    Valid JSON, unlike JSON text passed through :func:`printable`; write it with
    ``escaped=True``."""
    return ascii_json_safe(json.dumps(data, indent=indent))


def write_json(data: object, output: str | None, *, indent: int | None = 2) -> None:
    """Write ``data`` as :func:`json_text`."""
    write_output(json_text(data, indent=indent), output, escaped=True)


def write_output(text: str, output: str | None, *, escaped: bool = False) -> None:
    """Write a command's output to ``output`` or stdout.

    Text is passed through :func:`printable` (control characters escaped, so a name
    cannot drive the reader's terminal) unless ``escaped`` says its producer already
    made it safe: a reporter (its table escapes each cell and may add colour), JSON
    written by :func:`json_safe`, the HTML report.
    """
    if not escaped:
        text = printable(text, keep_newlines=True)
    write_parts((text,), output)


def write_ascii_json_parts(parts: Iterable[str], output: str | None) -> None:
    """Write JSON text made with ``ensure_ascii`` (``json.dumps``' default) piece by
    piece, each made safe as :func:`json_text` does: a large answer is written
    as it is made, never held (and copied) whole."""
    write_parts(map(ascii_json_safe, parts), output)


def write_parts(parts: Iterable[str], output: str | None) -> None:
    """Write the pieces of a text to ``output`` or stdout as they come, ending it
    with a newline when it does not end with one (already safe to show)."""
    if not output:
        _write_to(sys.stdout, parts)
        return
    try:
        with open(output, "w", encoding="utf-8") as f:
            _write_to(f, parts)
    except OSError as exc:
        raise ConfigError(f"cannot write {output}: {exc.strerror}") from exc


#: The most text handed to one write: CPython 3.11's text streams write at most
#: 2,147,479,552 bytes of one larger string and drop the rest without an error
#: (a 10,000-pod report can be larger).
WRITE_CHUNK = 1 << 24


def _write_to(stream: TextIO, parts: Iterable[str]) -> None:
    last = ""
    for part in parts:
        if part:
            if len(part) <= WRITE_CHUNK:
                stream.write(part)
            else:
                for at in range(0, len(part), WRITE_CHUNK):
                    stream.write(part[at : at + WRITE_CHUNK])
            last = part
    if not last.endswith("\n"):
        stream.write("\n")

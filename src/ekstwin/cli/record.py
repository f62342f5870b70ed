"""``ekstwin record`` and ``ekstwin history``: the platform's states over time."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from ekstwin.cli.common import (
    PROBLEM,
    SEVERITIES,
    add_fail_on_argument,
    add_output_arguments,
    add_platform_argument,
    findings_at_or_above,
    finish,
    load_platform,
    problem,
    write_json,
    write_output,
)

if TYPE_CHECKING:
    from ekstwin.store import StateStore


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    r = sub.add_parser(
        "record",
        help="store the platform's current state (snapshot, findings) in a state database",
        description="Load and analyse the platform and store the state: the snapshot, its "
        "digest, the findings and the summary, with a timestamp and a label. "
        "`ekstwin history` lists what changed between consecutive states.",
    )
    add_platform_argument(r)
    r.add_argument("--db", required=True, metavar="FILE", help="SQLite file (created if absent)")
    r.add_argument("--label", default="", help="a label for this state, e.g. a commit or a date")
    add_fail_on_argument(
        r, SEVERITIES, "when the recorded state has a finding at or above this severity"
    )
    r.add_argument("--quiet", "-q", action="store_true")
    r.set_defaults(handler=run_record)

    h = sub.add_parser(
        "history",
        help="what changed between consecutive recorded states",
        description="List the recorded states and, between consecutive states whose "
        "platforms differ, the changes `ekstwin diff` reports.",
    )
    h.add_argument("--db", required=True, metavar="FILE", help="SQLite file of ekstwin record")
    h.add_argument(
        "--since", metavar="WHEN", help="states recorded at or after this ISO date or time (UTC)"
    )
    add_output_arguments(h, ["table", "json"])
    add_fail_on_argument(h, PROBLEM, "when the platform changed between the states (problem)")
    h.add_argument("--quiet", "-q", action="store_true")
    h.set_defaults(handler=run_history)


def _open(path: str, *, create: bool) -> StateStore:
    from ekstwin.history import open_store

    return open_store(path, create=create)


def run_record(args: argparse.Namespace) -> int:
    from ekstwin import __version__
    from ekstwin.analysis import analyze
    from ekstwin.loaders.inputs import snapshot_to_json
    from ekstwin.store import StoredFinding

    result = load_platform(args)
    report = analyze(result)
    findings = [
        StoredFinding(
            f.fingerprint, f.check_id, f.title, f.severity.value, str(f.subject), f.message
        )
        for f in report.findings
    ]
    summary = report.summary.to_json()
    with _open(args.db, create=True) as store:
        state = store.add(
            snapshot_to_json(result.raw, __version__),
            findings=findings,
            summary=summary,
            label=args.label,
            tool_version=__version__,
        )
        before = store.previous(state)
    same = before is not None and before.digest == state.digest
    if not args.quiet:
        print(
            f"recorded state {state.id} at {state.recorded_at} ({len(findings)} findings, "
            f"digest {state.digest[:12]})"
            + (f"; the platform is unchanged since state {before.id}" if same and before else ""),
            file=sys.stderr,
        )
    return finish(args, findings_at_or_above(report.findings))


def run_history(args: argparse.Namespace) -> int:
    from ekstwin.history import history_document, history_steps
    from ekstwin.reporters.diff import diff_table

    with _open(args.db, create=False) as store:
        states = list(store.states(args.since))
        steps = history_steps(store, states)
    changed = problem(any(step.diff is not None for step in steps))
    if args.format == "json":
        write_json(history_document(states, steps), args.output, indent=1)
        return finish(args, changed)
    lines: list[str] = []
    if not states:
        lines.append("no state recorded" + (f" since {args.since}" if args.since else ""))
    for i, state in enumerate(states):
        label = f" {state.label}" if state.label else ""
        lines.append(
            f"state {state.id} at {state.recorded_at}{label}: {len(state.findings)} findings "
            f"(digest {state.digest[:12]}, ekstwin {state.tool_version or '?'})"
        )
        if i == 0:
            continue
        diff = steps[i - 1].diff
        if diff is None:
            lines.append("  no change")
        else:
            lines.extend("  " + line for line in diff_table(diff).rstrip("\n").split("\n"))
    write_output("\n".join(lines), args.output)
    return finish(args, changed)

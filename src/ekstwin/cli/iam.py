"""``ekstwin iam``: evaluate a request, a pod's AWS access, who can do what."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ekstwin.cli.common import Exit, add_output_arguments, write_output
from ekstwin.engines.iam import Decision, evaluate, parse_case
from ekstwin.errors import ConfigError, EkstwinError, LoadError


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "iam",
        help="AWS IAM: evaluate policies, what a pod can do, who can do what",
        description="Evaluate IAM requests the way AWS does, follow each pod's chains to AWS "
        "credentials (Pod Identity, IRSA, node role) and answer who can perform an action.",
    )
    isub = p.add_subparsers(dest="iam_command", required=True, metavar="COMMAND")

    e = isub.add_parser(
        "evaluate",
        help="decide one request against its policies (the evaluate file format)",
        description='Read FILE ({"policies": {...}, "request": {...}}) and print the decision: '
        "Allow or Deny, the kind of deny, the reason and the deciding statements.",
    )
    e.add_argument("file", metavar="FILE.json")
    add_output_arguments(e, ["text", "json"])
    e.set_defaults(handler=run_evaluate)

    _register_queries(isub)


def _register_queries(isub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    pass


def _read_json(path: str) -> object:
    try:
        text = Path(path).read_text(encoding="utf-8") if path != "-" else sys.stdin.read()
    except OSError as exc:
        raise LoadError(f"cannot read {path}: {exc.strerror} - check the path") from exc
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise LoadError(f"{path}:{exc.lineno}: not JSON: {exc.msg} - fix the file") from exc


def decision_text(decision: Decision) -> str:
    head = decision.decision
    if decision.deny_kind is not None:
        head += f" ({decision.deny_kind.value})"
    lines = [f"{head}: {decision.reason}"]
    for s in decision.statements:
        sid = f" Sid {s.sid}" if s.sid else ""
        lines.append(f"  {s.effect.value:<5} {s.policy} Statement[{s.index}]{sid}")
    return "\n".join(lines)


def run_evaluate(args: argparse.Namespace) -> int:
    data = _read_json(args.file)
    try:
        request, policies = parse_case(data)
    except EkstwinError as exc:
        raise ConfigError(f"{args.file}: {exc}") from exc
    decision = evaluate(request, policies)
    if args.format == "json":
        write_output(json.dumps(decision.to_json(), indent=2), args.output)
    else:
        write_output(decision_text(decision), args.output)
    return Exit.OK

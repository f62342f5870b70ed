"""``ekstwin ingress alb`` and ``ekstwin ingress route``."""

from __future__ import annotations

import argparse
import json
from io import StringIO

from ekstwin.cli.common import Exit, add_platform_argument, load_platform, write_output
from ekstwin.engines.ingress import AlbPlan, RouteResult, build_albs, route


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "ingress",
        help="the ALBs the AWS Load Balancer Controller builds from the Ingresses",
        description="Predict the ALBs the AWS Load Balancer Controller builds: IngressGroups, "
        "listeners, ordered rules, and the errors that fail a whole group.",
    )
    isub = p.add_subparsers(dest="ingress_command", required=True, metavar="COMMAND")

    a = isub.add_parser("alb", help="each ALB with its listeners, ordered rules and errors")
    add_platform_argument(a)
    a.add_argument("--format", "-f", choices=["table", "json"], default="table")
    a.add_argument("--output", "-o", metavar="FILE", help="write here instead of stdout")
    a.add_argument("--quiet", "-q", action="store_true")
    a.set_defaults(handler=run_alb)

    r = isub.add_parser(
        "route", help="which ALB, listener and rule answer a URL, and which pods receive it"
    )
    r.add_argument("platform", metavar="PLATFORM", help="directory, files or snapshot")
    r.add_argument("url", metavar="URL", help="http(s)://host[:port]/path?query")
    r.add_argument("--format", "-f", choices=["table", "json"], default="table")
    r.add_argument("--output", "-o", metavar="FILE", help="write here instead of stdout")
    r.add_argument("--quiet", "-q", action="store_true")
    r.set_defaults(handler=run_route)


def _rich_text(render: object) -> str:
    from rich.console import Console

    buf = StringIO()
    Console(file=buf, width=140, no_color=True, highlight=False).print(render)
    return buf.getvalue()


def alb_table(plan: AlbPlan) -> str:
    from rich.table import Table

    out: list[str] = []
    for alb in plan.albs:
        head = f"ALB {alb.group} ({'explicit' if alb.explicit else 'implicit'} group)"
        details = [
            f"name {alb.name or '(not created yet)'}",
            f"scheme {alb.scheme}",
            f"dns {alb.dns_name or '-'}",
        ]
        out.append(f"{head}: {', '.join(details)}")
        for m in alb.members:
            ports = ", ".join(f"{proto}:{port}" for port, proto in m.ports) or "-"
            out.append(f"  member {m.key} order {m.order} listens {ports}, {m.rule_count} rules")
        for err in alb.errors:
            out.append(f"  ERROR (the whole group fails): {err}")
        for q in alb.quota:
            out.append(f"  QUOTA: {q}")
        for ls in alb.listeners:
            table = Table(title=f"{ls.protocol}:{ls.port}", title_justify="left")
            table.add_column("prio", justify="right")
            table.add_column("ingress")
            table.add_column("conditions")
            table.add_column("action")
            for rule in ls.rules:
                conds = "; ".join(
                    f"{c.field}{'~' if c.regex else ''} {' | '.join(c.values)}"
                    for c in rule.conditions
                )
                table.add_row(str(rule.priority), rule.ingress, conds, rule.action.describe())
            table.add_row("default", ls.default_from or "-", "-", ls.default_action.describe())
            out.append(_rich_text(table).rstrip("\n"))
        out.append("")
    for ig in plan.ignored:
        out.append(f"ignored {ig.ingress}: {ig.reason}")
    return "\n".join(out)


def route_table(res: RouteResult) -> str:
    lines = [f"url            {res.url}"]
    lines.append(f"load balancer  {res.load_balancer or '-'}")
    if res.listener:
        lines.append(f"listener       {res.listener[0]}:{res.listener[1]}")
    rule = f"{res.rule.priority} ({res.rule.ingress})" if res.rule else "default action"
    lines.append(f"rule           {rule}")
    lines.append(f"action         {res.action}")
    if res.service:
        lines.append(f"service        {res.service}:{res.service_port}")
        lines.append(f"pods           {', '.join(res.pods) or '-'}")
        reach = {True: "yes", False: "NO", None: "unknown"}[res.reachable]
        lines.append(f"reachable      {reach}")
    if res.error:
        lines.append(f"error          {res.error}")
    lines.extend(f"  - {e}" for e in res.explanation)
    return "\n".join(lines)


def run_alb(args: argparse.Namespace) -> int:
    result = load_platform(args)
    plan = build_albs(result.platform)
    if args.format == "json":
        text = json.dumps(plan.to_json(), indent=2)
    else:
        text = alb_table(plan)
    write_output(text, args.output)
    return Exit.INPUT if result.input_errors else Exit.OK


def run_route(args: argparse.Namespace) -> int:
    result = load_platform(args)
    res = route(result.platform, args.url)
    if args.format == "json":
        text = json.dumps(res.to_json(), indent=2)
    else:
        text = route_table(res)
    write_output(text, args.output)
    return Exit.INPUT if result.input_errors else Exit.OK

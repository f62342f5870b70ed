"""``ekstwin ingress alb`` and ``ekstwin ingress route``."""

from __future__ import annotations

import argparse
from dataclasses import replace
from io import StringIO

from rich.text import Text

from ekstwin.cli.common import (
    PROBLEM,
    VERDICTS,
    add_fail_on_argument,
    add_input_namespace_argument,
    add_output_arguments,
    add_platform_argument,
    finish,
    json_text,
    load_platform,
    problem,
    verdict,
    write_output,
)
from ekstwin.engines.ingress import (
    AlbOptions,
    AlbPlan,
    RouteResult,
    TargetType,
    build_albs,
    platform_alb_options,
    route,
)
from ekstwin.errors import ConfigError
from ekstwin.model.platform import Platform
from ekstwin.reporters._text import printable


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
    add_output_arguments(a, ["table", "json"])
    add_fail_on_argument(
        a, PROBLEM, "when a group fails (an error) or an ALB exceeds a quota (problem)"
    )
    a.add_argument("--quiet", "-q", action="store_true")
    _controller_arguments(a)
    a.set_defaults(handler=run_alb)

    r = isub.add_parser(
        "route", help="which ALB, listener and rule answer a URL, and which pods receive it"
    )
    r.add_argument(
        "platform",
        nargs="+",
        metavar="PLATFORM... URL",
        help="the platform (directories, files or a snapshot, as for every command), "
        "then the URL: http(s)://host[:port]/path?query",
    )
    add_input_namespace_argument(r, "--namespace", "-n")
    add_output_arguments(r, ["table", "json"])
    add_fail_on_argument(
        r,
        VERDICTS,
        "when the URL reaches pods (allow), or does not: an error, no pods, unknown (deny)",
    )
    r.add_argument("--quiet", "-q", action="store_true")
    _controller_arguments(r)
    r.set_defaults(handler=run_route)


def _on_off(value: str) -> bool:
    low = value.lower()
    if low in ("true", "1", "yes", "on"):
        return True
    if low in ("false", "0", "no", "off"):
        return False
    raise argparse.ArgumentTypeError(f"{value!r} is not true or false")


def _controller_arguments(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group(
        "controller flags",
        "the Load Balancer Controller's flags; by default those of its Deployment in the "
        "platform, else the controller's defaults",
    )
    g.add_argument("--ingress-class", metavar="NAME", help="--ingress-class (alb)")
    g.add_argument(
        "--default-target-type", choices=[t.value for t in TargetType], help="(instance)"
    )
    g.add_argument(
        "--default-load-balancer-scheme", choices=["internal", "internet-facing"], help="(internal)"
    )
    g.add_argument(
        "--enable-ip-target-type",
        type=_on_off,
        metavar="true|false",
        help="the EnableIPTargetType feature gate (true)",
    )
    for name in ("service", "action"):
        g.add_argument(
            f"--tolerate-non-existent-backend-{name}",
            type=_on_off,
            metavar="true|false",
            help=f"a missing backend {name} answers 503 instead of failing the group (true)",
        )


def controller_options(args: argparse.Namespace, platform: Platform) -> AlbOptions:
    """The platform's controller flags with the command line's on top."""
    base, _ = platform_alb_options(platform)
    overrides: dict[str, object] = {}
    if args.ingress_class is not None:
        overrides["ingress_class"] = args.ingress_class
    if args.default_target_type is not None:
        overrides["default_target_type"] = TargetType(args.default_target_type)
    if args.default_load_balancer_scheme is not None:
        overrides["default_scheme"] = args.default_load_balancer_scheme
    if args.enable_ip_target_type is not None:
        overrides["enable_ip_target_type"] = args.enable_ip_target_type
    if args.tolerate_non_existent_backend_service is not None:
        overrides["tolerate_non_existent_backend_service"] = (
            args.tolerate_non_existent_backend_service
        )
    if args.tolerate_non_existent_backend_action is not None:
        overrides["tolerate_non_existent_backend_action"] = (
            args.tolerate_non_existent_backend_action
        )
    return replace(base, **overrides)  # type: ignore[arg-type]


def _rich_text(render: object) -> str:
    from rich.console import Console

    buf = StringIO()
    Console(file=buf, width=140, no_color=True, highlight=False).print(render)
    return buf.getvalue()


def _cells(*values: str) -> list[Text]:
    """Table cells shown as typed: never read as rich markup, control characters escaped."""
    return [Text(printable(v)) for v in values]


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
            table = Table(title=Text(f"{ls.protocol}:{ls.port}"), title_justify="left")
            table.add_column("prio", justify="right")
            table.add_column("ingress")
            table.add_column("conditions")
            table.add_column("action")
            for rule in ls.rules:
                conds = "; ".join(
                    f"{c.field}{'~' if c.regex else ''} {' | '.join(c.values)}"
                    for c in rule.conditions
                )
                table.add_row(
                    *_cells(str(rule.priority), rule.ingress, conds, rule.action.describe())
                )
            table.add_row(
                *_cells("default", ls.default_from or "-", "-", ls.default_action.describe())
            )
            out.append(_rich_text(table).rstrip("\n"))
        out.append("")
    for ig in plan.ignored:
        out.append(f"ignored {ig.ingress}: {ig.reason}")
    out.extend(f"note: {n}" for n in plan.notes)
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
    _, notes = platform_alb_options(result.platform)
    plan = replace(
        build_albs(result.platform, controller_options(args, result.platform)), notes=notes
    )
    if args.format == "json":
        text = json_text(plan.to_json(), indent=2)
    else:
        text = alb_table(plan)
    write_output(text, args.output, escaped=args.format == "json")
    return finish(args, problem(any(a.errors or a.quota for a in plan.albs)))


def run_route(args: argparse.Namespace) -> int:
    # argparse gives every positional to PLATFORM: the last one is the URL.
    if len(args.platform) < 2:
        raise ConfigError(
            "ingress route needs a PLATFORM and a URL - e.g. ingress route DIR https://shop.example.com/"
        )
    args.url = args.platform.pop()
    result = load_platform(args)
    res = route(result.platform, args.url, controller_options(args, result.platform))
    if args.format == "json":
        text = json_text(res.to_json(), indent=2)
    else:
        text = route_table(res)
    write_output(text, args.output, escaped=args.format == "json")
    return finish(args, verdict(res.reachable is True))

"""What a change does to the traffic the controllers route: ALB rules (the AWS Load
Balancer Controller) and Route 53 records (ExternalDNS)."""

from __future__ import annotations

from dataclasses import dataclass, field

from ekstwin.engines.dns.config import platform_dns
from ekstwin.engines.dns.plan import desired_endpoints, domain_matches
from ekstwin.engines.dns.sources import (
    Endpoint,
)
from ekstwin.engines.ingress import AlbPlan, build_albs
from ekstwin.engines.ingress.model import Action, ActionType, Rule
from ekstwin.engines.review.model import Area, Change, ChangeKind
from ekstwin.model.platform import Platform


def action_text(action: Action) -> str:
    """An action without its pods (pod names are generated; a Service port is not)."""
    if action.type is ActionType.FORWARD:
        parts = []
        for t in action.targets:
            what = f"{t.service}:{t.service_port}" if t.service else str(t.target_group)
            parts.append(what + (f" (weight {t.weight})" if t.weight is not None else ""))
        return "forward to " + ", ".join(parts)
    if action.type is ActionType.REDIRECT:
        return "redirect " + " ".join(f"{k}={v}" for k, v in action.config)
    return f"fixed-response {dict(action.config).get('statusCode', '')}".strip()


def _conditions_text(rule: Rule) -> str:
    return "; ".join(
        f"{c.field}{'~' if c.regex else ''}"
        + (f"[{c.name}]" if c.name else "")
        + f" {' | '.join(c.values)}"
        for c in rule.conditions
    )


@dataclass(frozen=True, slots=True)
class _Placed:
    group: str
    priority: int
    action: str
    ingress: str
    where: str = field(compare=False)  # the file moves with the checkout


def _rules(plan: AlbPlan) -> dict[tuple[str, str], _Placed]:
    """(listener, conditions) -> where the rule stands. Two rules with the same
    listener and conditions in two groups are two ALBs answering the same
    request; the first group keeps the key and the others are keyed by group."""
    out: dict[tuple[str, str], _Placed] = {}
    for alb in plan.albs:
        for ls in alb.listeners:
            listener = f"{ls.protocol}:{ls.port}"
            for rule in ls.rules:
                key = (listener, _conditions_text(rule))
                if key in out:
                    key = (f"{listener} of {alb.group}", key[1])
                where = f" ({rule.source})" if rule.source is not None else ""
                out[key] = _Placed(
                    alb.group, rule.priority, action_text(rule.action), rule.ingress, where
                )
    return out


def alb_changes(base: Platform, head: Platform) -> list[Change]:
    """ALB rules added, removed, moved to another ALB, re-prioritised or pointed at
    another target, and group build errors introduced or repaired; a rule is
    known by its listener and conditions (host, path, header, ...)."""
    a, b = build_albs(base), build_albs(head)
    out: list[Change] = []
    old_errors = {(alb.group, e) for alb in a.albs for e in alb.errors}
    new_errors = {(alb.group, e) for alb in b.albs for e in alb.errors}
    for group, err in sorted(new_errors - old_errors):
        out.append(
            Change(
                Area.ALB,
                ChangeKind.BROKEN,
                f"ALB group {group}",
                f"ALB group {group} fails to build: {err}",
                (err,),
            )
        )
    for group, err in sorted(old_errors - new_errors):
        out.append(
            Change(
                Area.ALB,
                ChangeKind.REPAIRED,
                f"ALB group {group}",
                f"ALB group {group} no longer fails: {err}",
                (err,),
            )
        )
    old, new = _rules(a), _rules(b)
    for key in sorted(set(old) | set(new)):
        listener, conds = key
        subject = f"{listener} {conds or '(no condition)'}"
        before, after = old.get(key), new.get(key)
        if before == after:
            continue
        if before is None and after is not None:
            out.append(
                Change(
                    Area.ALB,
                    ChangeKind.ADDED,
                    subject,
                    f"{subject}: new rule on ALB {after.group} priority {after.priority}, "
                    f"{after.action}",
                    (f"Ingress {after.ingress}{after.where}",),
                )
            )
        elif after is None and before is not None:
            out.append(
                Change(
                    Area.ALB,
                    ChangeKind.REMOVED,
                    subject,
                    f"{subject}: no longer routed by ALB {before.group} "
                    f"(was priority {before.priority}, {before.action})",
                    (f"Ingress {before.ingress}{before.where}",),
                )
            )
        elif before is not None and after is not None:
            because = (
                f"after: Ingress {after.ingress}{after.where}",
                f"before: Ingress {before.ingress}{before.where}",
            )
            if before.group != after.group:
                kind, text = ChangeKind.MOVED, f"moves from ALB {before.group} to {after.group}"
            elif before.action != after.action:
                kind, text = ChangeKind.CHANGED, f"{before.action} -> {after.action}"
            else:
                kind = ChangeKind.REORDERED
                text = f"priority {before.priority} -> {after.priority}"
            out.append(Change(Area.ALB, kind, subject, f"{subject}: {text}", because))
    return out


#: The record type shown for a host whose target is not known yet.
PENDING = "pending"


def _desired(platform: Platform) -> dict[tuple[str, str, str], Endpoint]:
    """The records the platform's ExternalDNS wants (within its domain filter),
    by (name, type, set identifier)."""
    options = platform_dns(platform).options
    desired, skips = desired_endpoints(platform, options)
    out = {
        (ep.name.lower(), ep.type, ep.set_identifier): ep
        for ep in desired
        if domain_matches(options, ep.name)
    }
    for skip in skips:
        if domain_matches(options, skip.name):
            # a host that waits for its target (an ALB not created yet): ExternalDNS
            # writes it once the target exists, so the change still asks for it
            resource, _, why = skip.reason.partition(": ")
            out.setdefault(
                (skip.name.lower(), PENDING, ""),
                Endpoint(skip.name, PENDING, (f"({why})",), resource=resource),
            )
    return out


def dns_changes(base: Platform, head: Platform) -> list[Change]:
    """Records ExternalDNS would create, delete or change because of the change,
    assuming the zones are in step with the base: the desired records of the two
    platforms compared. A host whose target is not known yet (the DNS name of an
    ALB not created yet) is listed with type ``pending`` and the reason."""
    old, new = _desired(base), _desired(head)
    out: list[Change] = []
    for key in sorted(set(old) | set(new)):
        name, rtype, set_id = key
        subject = f"{name} {rtype}" + (f" ({set_id})" if set_id else "")
        before, after = old.get(key), new.get(key)
        if after is not None and before is None:
            out.append(
                Change(
                    Area.DNS,
                    ChangeKind.ADDED,
                    subject,
                    f"{subject} -> {', '.join(after.targets)} (created)",
                    _dns_because("after", after),
                )
            )
        elif before is not None and after is None:
            out.append(
                Change(
                    Area.DNS,
                    ChangeKind.REMOVED,
                    subject,
                    f"{subject} -> {', '.join(before.targets)} (deleted)",
                    _dns_because("before", before),
                )
            )
        elif (
            before is not None
            and after is not None
            and (sorted(before.targets) != sorted(after.targets) or before.ttl != after.ttl)
        ):
            out.append(
                Change(
                    Area.DNS,
                    ChangeKind.CHANGED,
                    subject,
                    f"{subject}: {', '.join(before.targets)} -> {', '.join(after.targets)}",
                    (*_dns_because("after", after), *_dns_because("before", before)),
                )
            )
    return out


def _dns_because(label: str, ep: Endpoint) -> tuple[str, ...]:
    where = f" ({ep.source})" if ep.source is not None else ""
    return (f"{label}: {ep.resource or 'a source'}{where}",)

"""``ingress route``: which ALB, listener and rule answer a URL, and can the ALB reach the pods.

An ALB evaluates a listener's rules by priority, lowest first, and the first
rule whose conditions all match decides; when none matches the listener's
default action does. Host-header values match case-insensitively, path
patterns case-sensitively, both with the ALB wildcards ``*`` and ``?``;
path patterns see the path only, never the query string.

Reachability is asked of the net engine: with target type ``ip`` the ALB
connects from its own addresses in its subnets straight to the pod's port,
so NetworkPolicy and Calico policy on the pod decide.
"""

from __future__ import annotations

import fnmatch
import ipaddress
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlsplit

from ekstwin.engines.ingress.builder import build_albs
from ekstwin.engines.ingress.config import AlbOptions
from ekstwin.engines.ingress.model import (
    Action,
    ActionType,
    Alb,
    AlbPlan,
    Condition,
    ForwardTarget,
    Listener,
    Rule,
    TargetType,
)
from ekstwin.errors import ConfigError
from ekstwin.model.platform import Platform

if TYPE_CHECKING:
    from ekstwin.engines.net import NetModel
    from ekstwin.engines.net.lint import LintModel


@dataclass(frozen=True, slots=True)
class Reachability:
    """Whether the ALB's subnets may open connections to every pod of a target."""

    reachable: bool | None
    evidence: tuple[str, ...] = ()
    blocked: tuple[str, ...] = ()  # pods some ALB subnet cannot reach


@dataclass(frozen=True, slots=True)
class RouteResult:
    url: str
    load_balancer: str | None
    listener: tuple[str, int] | None
    rule: Rule | None
    action: str  # forward | fixed-response | redirect | error
    service: str | None = None
    service_port: int | str | None = None
    pods: tuple[str, ...] = ()
    reachable: bool | None = None
    error: str | None = None
    explanation: tuple[str, ...] = ()

    def to_json(self) -> dict[str, object]:
        return {
            "url": self.url,
            "load_balancer": self.load_balancer,
            "listener": (
                {"protocol": self.listener[0], "port": self.listener[1]} if self.listener else None
            ),
            "rule": (
                {"priority": self.rule.priority, "ingress": self.rule.ingress}
                if self.rule
                else None
            ),
            "action": self.action,
            "service": self.service,
            "service_port": self.service_port,
            "pods": list(self.pods),
            "reachable": self.reachable,
            "error": self.error,
        }


def _glob(pattern: str, text: str) -> bool:
    """ALB wildcards: ``*`` any run of characters, ``?`` one character."""
    return fnmatch.fnmatchcase(text, pattern.replace("[", "[[]"))


def condition_matches(
    c: Condition, host: str, path: str, query: list[tuple[str, str]], method: str = "GET"
) -> bool | None:
    """Does a request match one condition; None when a URL cannot tell."""
    if c.field == "host-header":
        if c.regex:
            return any(re.fullmatch(v, host, re.IGNORECASE) for v in c.values)
        return any(_glob(v.lower(), host.lower()) for v in c.values)
    if c.field == "path-pattern":
        if c.regex:
            return any(re.search(v, path) for v in c.values)
        return any(_glob(v, path) for v in c.values)
    if c.field == "http-request-method":
        return method in c.values
    if c.field == "query-string":
        for v in c.values:
            k, _, val = v.partition("=")
            for qk, qv in query:
                if (not k or _glob(k.lower(), qk.lower())) and _glob(val.lower(), qv.lower()):
                    return True
        return False
    return None  # http-header, source-ip: not in a URL


def alb_source_addresses(platform: Platform, alb: Alb) -> list[tuple[str, str]]:
    """(subnet id, an address inside it) for each subnet the ALB has nodes in."""
    out: list[tuple[str, str]] = []
    for sid in alb.subnet_ids:
        subnet = platform.aws.subnet(sid)
        if subnet is None:
            continue
        net = ipaddress.ip_network(subnet.cidr, strict=False)
        # AWS keeps the first four addresses; take one just past them.
        offset = 10 if net.num_addresses > 16 else 4
        out.append((sid, str(net.network_address + offset)))
    return out


def reachability(
    platform: Platform,
    alb: Alb,
    target: ForwardTarget,
    model: NetModel | None = None,
    lint: LintModel | None = None,
) -> Reachability:
    """May every ALB subnet open a TCP connection to every pod of the target?
    ``model`` and ``lint``: the platform's compiled network and lint models, when
    the caller has them (a run's checks share them)."""
    if target.target_type is TargetType.INSTANCE:
        return Reachability(
            None,
            (
                "target-type instance: traffic enters through the node's NodePort and kube-proxy; "
                "not evaluated",
            ),
        )
    if not target.pods:
        return Reachability(None, ("no pods behind the service",))
    sources = alb_source_addresses(platform, alb)
    if not sources:
        return _from_anywhere_outside(platform, target, lint)
    try:
        from ekstwin.engines.net import NetModel, NetQueryError
    except ImportError:  # pragma: no cover - the net engine ships with ekstwin
        return Reachability(None, ("network engine not available",))
    try:
        if model is None or model.platform is not platform:
            model = NetModel(platform)
        evidence: list[str] = []
        blocked: list[str] = []
        for pod, port in zip(target.pods, target.pod_ports, strict=True):
            dst = model.endpoints.get(pod)
            if dst is None:
                evidence.append(f"{pod}: no address known, not evaluated")
                continue
            for sid, addr in sources:
                v = model.verdict(model.address_endpoint(addr), dst, "TCP", port)
                if not v.allowed:
                    blocked.append(pod)
                    side = v.ingress if not v.ingress.allowed else v.egress
                    where = f" ({side.source})" if side.source else ""
                    evidence.append(f"{sid} ({addr}) -> {pod}:{port} denied: {side.message}{where}")
                    break
            else:
                evidence.append(f"{pod}:{port} allowed from every ALB subnet")
    except (NetQueryError, ValueError) as exc:
        return Reachability(None, (f"network engine: {exc}",))
    if len(evidence) == sum(1 for e in evidence if "not evaluated" in e):
        return Reachability(None, tuple(evidence))
    return Reachability(not blocked, tuple(evidence), tuple(dict.fromkeys(blocked)))


def _from_anywhere_outside(
    platform: Platform, target: ForwardTarget, lint: LintModel | None = None
) -> Reachability:
    """Without the ALB's subnets (no aws.json): a pod whose policies admit no address
    outside the cluster's pods on the target port (only pod and namespace selectors)
    can never admit an ALB, wherever its subnets are. Asked of one address of every
    stretch of addresses that no CIDR of the platform splits."""
    unknown = "the ALB's subnets are unknown (no load balancer in aws.json)"
    try:
        from ekstwin.engines.net import NetModel, NetQueryError
        from ekstwin.engines.net.lint import LintModel
    except ImportError:  # pragma: no cover - the net engine ships with ekstwin
        return Reachability(None, (unknown,))
    try:
        if lint is None:
            lint = LintModel(platform, model=NetModel(platform))
        model = lint.model
        probes = [c.rep for c in lint.address_classes()]
        evidence: list[str] = []
        blocked: list[str] = []
        for pod, port in zip(target.pods, target.pod_ports, strict=True):
            dst = model.endpoints.get(pod)
            if dst is None:
                continue
            denials = [model.verdict(p, dst, "TCP", port).ingress for p in probes]
            if any(d.allowed for d in denials):
                return Reachability(None, (unknown,))
            blocked.append(pod)
            first = denials[0]
            where = f" ({first.source})" if first.source else ""
            evidence.append(
                f"{pod}:{port} admits no address outside the cluster's pods, so no ALB subnet "
                f"either: {first.message}{where}"
            )
    except (NetQueryError, ValueError) as exc:
        return Reachability(None, (f"network engine: {exc}",))
    if not blocked:
        return Reachability(None, (unknown,))
    return Reachability(False, (unknown, *evidence), tuple(dict.fromkeys(blocked)))


def _hosts_of(alb: Alb) -> set[str]:
    hosts = {r.host.lower() for m in alb.members for r in m.ingress.rules if r.host}
    if alb.dns_name:
        hosts.add(alb.dns_name.lower())
    return hosts


def _pick_alb(plan: AlbPlan, host: str) -> Alb | None:
    by_host = [a for a in plan.albs if any(_glob(h, host) for h in _hosts_of(a))]
    if by_host:
        return by_host[0]
    catch_all = [
        a
        for a in plan.albs
        if any(not r.host for m in a.members for r in m.ingress.rules)
        or any(m.ingress.default_backend for m in a.members)
    ]
    if len(catch_all) == 1:
        return catch_all[0]
    return plan.albs[0] if len(plan.albs) == 1 else None


def _result_for_action(
    platform: Platform,
    url: str,
    *,
    alb: Alb,
    listener: Listener,
    rule: Rule | None,
    action: Action,
    notes: list[str],
) -> RouteResult:
    lst = (listener.protocol, listener.port)
    if action.type is not ActionType.FORWARD:
        notes.append(action.describe())
        return RouteResult(url, alb.group, lst, rule, action.type.value, explanation=tuple(notes))
    target = next((t for t in action.targets if t.service), None)
    if target is None:
        notes.append(action.describe())
        return RouteResult(url, alb.group, lst, rule, "forward", explanation=tuple(notes))
    pods = tuple(p for t in action.targets for p in t.pods)
    reach = reachability(platform, alb, target)
    notes.extend(reach.evidence)
    return RouteResult(
        url,
        alb.group,
        lst,
        rule,
        "forward",
        service=target.service,
        service_port=target.service_port,
        pods=pods,
        reachable=reach.reachable,
        explanation=tuple(notes),
    )


def route(platform: Platform, url: str, options: AlbOptions | None = None) -> RouteResult:
    """Follow one URL through the ALBs the controller would build."""
    try:
        parts = urlsplit(url if "://" in url else f"http://{url}")
    except ValueError as exc:  # an unclosed [IPv6] host
        raise ConfigError(f"not an http(s) URL: {url!r} ({exc})") from exc
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"not an http(s) URL: {url!r}")
    host = parts.hostname.lower()
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise ConfigError(f"bad port in URL {url!r}") from exc
    path = parts.path or "/"
    query = parse_qsl(parts.query, keep_blank_values=True)
    plan = build_albs(platform, options)
    alb = _pick_alb(plan, host)
    if alb is None:
        return RouteResult(
            url, None, None, None, "error", error=f"no ALB of the platform serves host {host}"
        )
    if alb.errors:
        return RouteResult(url, alb.group, None, None, "error", error=alb.error)
    listener = next((ls for ls in alb.listeners if ls.port == port), None)
    if listener is None:
        ports = ", ".join(f"{ls.protocol}:{ls.port}" for ls in alb.listeners) or "none"
        return RouteResult(
            url,
            alb.group,
            None,
            None,
            "error",
            error=f"ALB {alb.group} has no listener on port {port} (listeners: {ports})",
        )
    if listener.protocol.lower() != parts.scheme:
        return RouteResult(
            url,
            alb.group,
            (listener.protocol, listener.port),
            None,
            "error",
            error=f"listener {port} speaks {listener.protocol}, the URL {parts.scheme.upper()}",
        )
    notes: list[str] = []
    for rule in listener.rules:
        verdicts = [condition_matches(c, host, path, query) for c in rule.conditions]
        if all(v is True for v in verdicts):
            notes.append(f"rule {rule.priority} of {rule.ingress} matches")
            return _result_for_action(
                platform,
                url,
                alb=alb,
                listener=listener,
                rule=rule,
                action=rule.action,
                notes=notes,
            )
        if any(v is None for v in verdicts) and not any(v is False for v in verdicts):
            notes.append(
                f"rule {rule.priority} of {rule.ingress} needs a header or source address "
                "a URL does not give; taken as not matching"
            )
    notes.append("no rule matches: the listener's default action answers")
    return _result_for_action(
        platform,
        url,
        alb=alb,
        listener=listener,
        rule=None,
        action=listener.default_action,
        notes=notes,
    )

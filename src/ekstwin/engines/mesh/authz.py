"""AuthorizationPolicy as a sidecar enforces it on one inbound request or connection.

Matching is three-valued: a condition is True, False, or None when it depends
on a request attribute the question did not give (a method, a path, a JWT, a
header). Semantics, verified against the Istio reference and istio/istio
``pilot/pkg/security/authz``:

- policies selecting the workload: those of its namespace whose ``selector``
  matches (no selector: all), and those of the root namespace, whose selector
  is matched in every namespace. Policies with ``targetRefs`` attach to
  gateways and waypoints, never to a sidecar;
- CUSTOM first (an extension decides), then DENY, then ALLOW; AUDIT never
  decides; with no ALLOW policy the request is allowed; with some ALLOW
  policy, a matching ALLOW rule is needed. ``spec: {}`` is an ALLOW policy
  with no rule: it selects and never matches (allow-nothing);
- a rule matches when one ``from`` and one ``to`` match and every ``when``
  does; fields in a source or an operation are ANDed, values are ORed;
- principals and namespaces come from the peer certificate: a plaintext peer
  has neither (a positive form never matches it, a ``not`` form always does);
- HTTP-only attributes (hosts, methods, paths, requestPrincipals,
  ``request.*`` conditions) on TCP traffic: an ALLOW rule that uses one is
  dropped whole (it never matches); in a DENY or AUDIT rule the attribute is
  dropped (the rule matches more).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from ekstwin.engines.mesh.peerauth import ROOT_NAMESPACE, selector_matches
from ekstwin.model.istio import (
    AuthorizationPolicy,
    AuthzCondition,
    AuthzOperation,
    AuthzRule,
    AuthzSource,
)
from ekstwin.model.k8s import Pod
from ekstwin.model.platform import Platform
from ekstwin.model.source import Source

Tri = bool | None

HTTP_CONDITION_PREFIXES = ("request.auth.", "request.headers")


class AuthzStatus(StrEnum):
    ALLOW = "allow"
    DENY = "deny"
    CONDITIONAL = "conditional"  # depends on request attributes or on an extension


@dataclass(frozen=True, slots=True)
class Peer:
    """The source as the destination's sidecar sees it."""

    principal: str | None  # None: plaintext (no certificate)
    namespace: str | None
    ip: str | None


@dataclass(frozen=True, slots=True)
class Request:
    port: int
    http: bool
    method: str | None = None
    path: str | None = None
    host: str | None = None
    destination_ip: str | None = None


@dataclass(frozen=True, slots=True)
class AuthzDecision:
    status: AuthzStatus
    reason: str  # no-policy, deny-matched, allow-matched, no-allow-matched, custom, ...
    message: str
    policy: str | None = None
    rule_index: int | None = None
    source: Source | None = None
    notes: tuple[str, ...] = ()

    def to_json(self) -> dict[str, object]:
        return {
            "status": self.status.value,
            "reason": self.reason,
            "message": self.message,
            "policy": self.policy,
            "rule": self.rule_index,
            "file": None if self.source is None else self.source.file,
            "line": None if self.source is None else self.source.line,
            "notes": list(self.notes),
        }


# -- three-valued logic ----------------------------------------------------------


def _all(values: Iterable[Tri]) -> Tri:
    out: Tri = True
    for v in values:
        if v is False:
            return False
        if v is None:
            out = None
    return out


def _any(values: Iterable[Tri]) -> Tri:
    out: Tri = False
    for v in values:
        if v is True:
            return True
        if v is None:
            out = None
    return out


def _not(v: Tri) -> Tri:
    return None if v is None else not v


# -- value matching ------------------------------------------------------------


def string_match(pattern: str, value: str, *, fold: bool = False) -> bool:
    """Istio's string match: exact, ``prefix*``, ``*suffix``, or ``*`` (non-empty)."""
    if fold:
        pattern, value = pattern.lower(), value.lower()
    if pattern == "*":
        return value != ""
    if pattern.startswith("*"):
        return value.endswith(pattern[1:])
    if pattern.endswith("*"):
        return value.startswith(pattern[:-1])
    return value == pattern


def path_match(pattern: str, path: str) -> bool:
    """Paths also take URI templates: ``{*}`` one segment, ``{**}`` the rest."""
    if "{*}" not in pattern and "{**}" not in pattern:
        return string_match(pattern, path)
    parts = []
    for piece in re.split(r"(\{\*\*\}|\{\*\})", pattern):
        if piece == "{**}":
            parts.append(r".*")
        elif piece == "{*}":
            parts.append(r"[^/]+")
        else:
            parts.append(re.escape(piece))
    return re.fullmatch("".join(parts), path) is not None


def ip_match(block: str, ip: str) -> bool:
    try:
        net = ipaddress.ip_network(block.strip(), strict=False)
        addr = ipaddress.ip_address(ip)
    except ValueError:
        return False
    return addr.version == net.version and addr in net


Matcher = Callable[[str, str], bool]


def _field(
    values: Sequence[str], not_values: Sequence[str], actual: str | None, match: Matcher
) -> Tri:
    """One field with its ``not`` form; ``actual`` None means 'absent'."""
    checks: list[Tri] = []
    if values:
        checks.append(False if actual is None else any(match(v, actual) for v in values))
    if not_values:
        checks.append(True if actual is None else not any(match(v, actual) for v in not_values))
    return _all(checks)


def _unknown_field(
    values: Sequence[str], not_values: Sequence[str], actual: str | None, match: Matcher
) -> Tri:
    """A field whose attribute the question may not give: unknown stays unknown."""
    if not values and not not_values:
        return True
    if actual is None:
        return None
    return _field(values, not_values, actual, match)


def namespace_of_principal(principal: str) -> str | None:
    """``cluster.local/ns/shop/sa/web`` -> ``shop``."""
    m = re.search(r"/ns/([^/]+)/sa/", principal)
    return m.group(1) if m else None


# -- HTTP-only attributes --------------------------------------------------------


def source_http_only(s: AuthzSource) -> bool:
    return bool(s.request_principals or s.not_request_principals)


def operation_http_only(o: AuthzOperation) -> bool:
    return bool(o.hosts or o.not_hosts or o.methods or o.not_methods or o.paths or o.not_paths)


def condition_http_only(c: AuthzCondition) -> bool:
    return c.key.startswith(HTTP_CONDITION_PREFIXES)


def rule_http_only_fields(rule: AuthzRule) -> tuple[str, ...]:
    """The HTTP-only attributes a rule uses, by name."""
    out: list[str] = []
    for s in rule.sources:
        if s.request_principals:
            out.append("requestPrincipals")
        if s.not_request_principals:
            out.append("notRequestPrincipals")
    for o in rule.operations:
        for name, vals in (
            ("hosts", o.hosts), ("notHosts", o.not_hosts), ("methods", o.methods),
            ("notMethods", o.not_methods), ("paths", o.paths), ("notPaths", o.not_paths),
        ):  # fmt: skip
            if vals:
                out.append(name)
    out.extend(f"when {c.key}" for c in rule.conditions if condition_http_only(c))
    return tuple(dict.fromkeys(out))


# -- matching one rule -------------------------------------------------------------


def service_account_match(namespace: str) -> Matcher:
    """``serviceAccounts`` values against a peer principal: ``ns/sa`` or ``sa``
    (in the policy's namespace), matched exactly against the principal's
    ``/ns/<ns>/sa/<sa>`` (istio pilot authz ``serviceAccountRegex``)."""

    def match(value: str, principal: str) -> bool:
        ns, _, sa = value.rpartition("/")
        return (
            re.search(
                rf"/ns/{re.escape(ns or namespace)}/(.+/|)sa/{re.escape(sa)}(/.+)?$", principal
            )
            is not None
        )

    return match


def _source(s: AuthzSource, peer: Peer, http: bool, namespace: str = "default") -> Tri:
    checks = [
        _field(s.principals, s.not_principals, peer.principal, string_match),
        _field(s.namespaces, s.not_namespaces, peer.namespace, string_match),
        _field(
            s.service_accounts,
            s.not_service_accounts,
            peer.principal,
            service_account_match(namespace),
        ),
        _unknown_field(s.ip_blocks, s.not_ip_blocks, peer.ip, ip_match),
        _unknown_field(s.remote_ip_blocks, s.not_remote_ip_blocks, peer.ip, ip_match),
    ]
    if http:  # on TCP the field was dropped (DENY) or the rule was (ALLOW)
        checks.append(None if s.request_principals or s.not_request_principals else True)
    return _all(checks)


def _operation(o: AuthzOperation, req: Request) -> Tri:
    port = str(req.port)
    checks: list[Tri] = [_field(o.ports, o.not_ports, port, lambda a, b: a == b)]
    if req.http:
        checks.append(
            _unknown_field(
                o.hosts, o.not_hosts, req.host, lambda a, b: string_match(a, b, fold=True)
            )
        )
        checks.append(_unknown_field(o.methods, o.not_methods, req.method, string_match))
        checks.append(_unknown_field(o.paths, o.not_paths, url_path(req.path), path_match))
    return _all(checks)


def url_path(path: str | None) -> str | None:
    """The path Envoy's ``url_path`` matcher sees: without the query string or
    fragment (Istio renders ``paths``/``notPaths`` into it)."""
    if path is None:
        return None
    return path.split("?", 1)[0].split("#", 1)[0]


def _condition(c: AuthzCondition, peer: Peer, req: Request, namespace: str = "default") -> Tri:
    key = c.key
    if condition_http_only(c):
        return None if req.http else True
    actual: str | None
    match: Matcher = string_match
    if key in ("source.ip", "remote.ip"):
        actual, match = peer.ip, ip_match
        if actual is None:
            return None
    elif key == "source.namespace":
        actual = peer.namespace
    elif key == "source.principal":
        actual = peer.principal
    elif key == "source.trustDomain":
        actual = None if peer.principal is None else peer.principal.split("/", 1)[0]
    elif key == "source.serviceAccount":
        actual, match = peer.principal, service_account_match(namespace)
    elif key == "destination.port":
        actual, match = str(req.port), (lambda a, b: a == b)
    elif key == "destination.ip":
        actual, match = req.destination_ip, ip_match
        if actual is None:
            return None
    else:  # connection.sni, experimental.envoy.filters.*: not modelled
        return None
    return _field(c.values, c.not_values, actual, match)


def rule_matches(
    rule: AuthzRule, action: str, peer: Peer, req: Request, namespace: str = "default"
) -> Tri:
    """Does one rule match; HTTP-only attributes on TCP as the action dictates.
    ``namespace`` is the policy's (for ``serviceAccounts`` given without one)."""
    if not req.http and action == "ALLOW" and rule_http_only_fields(rule):
        return False
    sources = [_source(s, peer, req.http, namespace) for s in rule.sources] or [True]
    operations = [_operation(o, req) for o in rule.operations] or [True]
    conditions = [_condition(c, peer, req, namespace) for c in rule.conditions]
    return _all([_any(sources), _any(operations), *conditions])


# -- which policies apply -------------------------------------------------------------


def policies_for(
    policies: Iterable[AuthorizationPolicy], pod: Pod, root_namespace: str = ROOT_NAMESPACE
) -> tuple[list[AuthorizationPolicy], list[AuthorizationPolicy]]:
    """(policies a sidecar on ``pod`` enforces, targetRef policies it ignores)."""
    applied: list[AuthorizationPolicy] = []
    ignored: list[AuthorizationPolicy] = []
    for ap in policies:
        ns = ap.meta.ns
        if ns not in (pod.namespace, root_namespace):
            continue
        if ap.target_refs:
            ignored.append(ap)
            continue
        if selector_matches(ap.selector, pod.labels):
            applied.append(ap)
    applied.sort(key=lambda a: (a.meta.namespace or "", a.meta.name))
    return applied, ignored


def pods_in_reach(
    platform: Platform, ap: AuthorizationPolicy, root_namespace: str = ROOT_NAMESPACE
) -> tuple[Pod, ...]:
    """The pods ``ap`` may apply to (:func:`policies_for` decides): those of its
    namespace, or every pod for a policy in the root namespace."""
    return platform.pods if ap.meta.ns == root_namespace else platform.pods_in(ap.meta.ns)


def _name(ap: AuthorizationPolicy) -> str:
    return f"{ap.meta.namespace}/{ap.meta.name}"


def _rule_source(ap: AuthorizationPolicy, i: int) -> Source:
    rule = ap.rules[i]
    return rule.location or ap.meta.line_of(f"/spec/rules/{i}")


def evaluate(policies: Sequence[AuthorizationPolicy], peer: Peer, req: Request) -> AuthzDecision:
    """CUSTOM, then DENY, then ALLOW over the policies that select the workload."""
    notes: list[str] = []
    custom = [a for a in policies if a.action == "CUSTOM"]
    deny = [a for a in policies if a.action == "DENY"]
    allow = [a for a in policies if a.action == "ALLOW"]

    custom_hit: tuple[AuthorizationPolicy, int] | None = None
    for ap in custom:
        for i, r in enumerate(ap.rules):
            if rule_matches(r, "CUSTOM", peer, req, ap.meta.ns) is not False:
                custom_hit = custom_hit or (ap, i)
    maybe_deny: tuple[AuthorizationPolicy, int] | None = None
    for ap in deny:
        for i, r in enumerate(ap.rules):
            m = rule_matches(r, "DENY", peer, req, ap.meta.ns)
            if m is True:
                return AuthzDecision(
                    AuthzStatus.DENY,
                    "deny-matched",
                    f"denied by DENY policy {_name(ap)} rule {i}",
                    _name(ap),
                    i,
                    _rule_source(ap, i),
                )
            if m is None and maybe_deny is None:
                maybe_deny = (ap, i)
    if maybe_deny is not None:
        ap, i = maybe_deny
        notes.append(f"DENY policy {_name(ap)} rule {i} matches some requests on this port")

    result: AuthzDecision
    if not allow:
        result = AuthzDecision(
            AuthzStatus.ALLOW, "no-allow-policy", "no ALLOW policy selects the workload: allowed"
        )
    else:
        hit: tuple[AuthorizationPolicy, int] | None = None
        maybe: tuple[AuthorizationPolicy, int] | None = None
        for ap in allow:
            for i, r in enumerate(ap.rules):
                m = rule_matches(r, "ALLOW", peer, req, ap.meta.ns)
                if m is True and hit is None:
                    hit = (ap, i)
                elif m is None and maybe is None:
                    maybe = (ap, i)
        if hit is not None:
            ap, i = hit
            result = AuthzDecision(
                AuthzStatus.ALLOW,
                "allow-matched",
                f"allowed by ALLOW policy {_name(ap)} rule {i}",
                _name(ap),
                i,
                _rule_source(ap, i),
            )
        elif maybe is not None:
            ap, i = maybe
            result = AuthzDecision(
                AuthzStatus.CONDITIONAL,
                "allow-depends-on-request",
                f"ALLOW policy {_name(ap)} rule {i} matches only some requests "
                "(give --method/--path to decide)",
                _name(ap),
                i,
                _rule_source(ap, i),
            )
        else:
            names = ", ".join(_name(a) for a in allow)
            empty = [a for a in allow if not a.rules]
            extra = ""
            if empty:
                extra = f" ({', '.join(_name(a) for a in empty)} has no rules: allow-nothing)"
            if not req.http and any(rule_http_only_fields(r) for a in allow for r in a.rules):
                extra += "; rules with HTTP-only fields never match TCP traffic"
            result = AuthzDecision(
                AuthzStatus.DENY,
                "no-allow-matched",
                f"selected by ALLOW policy {names} but no rule matched: denied{extra}",
                _name(allow[0]),
                None,
                allow[0].meta.source,
            )
    if maybe_deny is not None and result.status is AuthzStatus.ALLOW:
        ap, i = maybe_deny
        result = AuthzDecision(
            AuthzStatus.CONDITIONAL,
            "deny-depends-on-request",
            f"DENY policy {_name(ap)} rule {i} denies some requests "
            "(give --method/--path to decide)",
            _name(ap),
            i,
            _rule_source(ap, i),
        )
    if custom_hit is not None and result.status is not AuthzStatus.DENY:
        ap, i = custom_hit
        provider = ap.provider or "(no provider)"
        result = AuthzDecision(
            AuthzStatus.CONDITIONAL,
            "custom",
            f"CUSTOM policy {_name(ap)} rule {i} sends the request to extension provider "
            f"{provider}, which decides first; if it allows: {result.message}",
            _name(ap),
            i,
            _rule_source(ap, i),
        )
    return AuthzDecision(
        result.status,
        result.reason,
        result.message,
        result.policy,
        result.rule_index,
        result.source,
        tuple(notes) + result.notes,
    )

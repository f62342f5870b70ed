"""Build each IngressGroup into one ALB as the AWS Load Balancer Controller would.

The build is a pure function of the platform: group members -> listeners,
ordered rules and target groups, or errors that fail the whole group. It
follows pkg/ingress/model_builder.go, model_build_listener.go,
model_build_listener_rules.go, model_build_load_balancer*.go,
model_build_tags.go, model_build_target_group.go, enhanced_backend_builder.go
and rule_optimizer.go of kubernetes-sigs/aws-load-balancer-controller; see
docs/ingress.md for the rules and their corners.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import ParamSpec, TypeVar

from ekstwin.engines.ingress import albannotations as ann
from ekstwin.engines.ingress.config import AlbOptions, platform_alb_options
from ekstwin.engines.ingress.groups import (
    ClassifiedIngress,
    GroupMembers,
    load_groups,
    sort_members,
)
from ekstwin.engines.ingress.model import (
    CONDITION_VALUES_PER_RULE,
    CONDITION_WILDCARDS_PER_RULE,
    RULES_PER_ALB,
    Action,
    ActionType,
    Alb,
    AlbPlan,
    Condition,
    ForwardTarget,
    IgnoredIngress,
    JwtClaim,
    JwtValidation,
    Listener,
    Member,
    Rule,
    TargetType,
)
from ekstwin.errors import EkstwinError
from ekstwin.model.aws import LoadBalancer
from ekstwin.model.k8s import IngressBackend, IngressPath, Pod, Service, ServicePort
from ekstwin.model.platform import Platform

STACK_TAG = "ingress.k8s.aws/stack"
DUAL_STACK = ("dualstack", "dualstack-without-public-ipv4")
SERVICE_STACK_TAG = "service.k8s.aws/stack"
_NON_ALNUM = re.compile(r"[^A-Za-z0-9]")
_P = ParamSpec("_P")
_T = TypeVar("_T")


class BuildError(EkstwinError):
    """One model-build error: the controller fails the whole group on it."""


@dataclass(frozen=True, slots=True)
class _PortCfg:
    protocol: str
    certificates: tuple[str, ...] = ()
    ssl_policy: str | None = None
    inbound_cidrs: frozenset[str] = frozenset()


@dataclass(slots=True)
class _Ctx:
    platform: Platform
    options: AlbOptions
    errors: list[str] = field(default_factory=list)
    ip_address_type: str = "ipv4"


# -- per-member listen ports ------------------------------------------------------


def _str_list(value: object) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else []


def _explicit_certs(m: ClassifiedIngress) -> list[str]:
    from_params = _str_list(m.param("certificateArn"))
    if from_params:
        return from_params
    return ann.string_list(m.annotations, "certificate-arn") or []


def _is_cidr(text: str) -> bool:
    """net.ParseCIDR: an address and a prefix length (host bits may be set)."""
    if "/" not in text:
        return False
    try:
        ipaddress.ip_network(text, strict=False)
    except ValueError:
        return False
    return True


def _member_ports(m: ClassifiedIngress) -> dict[int, _PortCfg]:
    certs = _explicit_certs(m)
    params_policy = m.param("sslPolicy")
    ssl_policy = str(params_policy) if params_policy else ann.get(m.annotations, "ssl-policy")
    from_params = _str_list(m.param("inboundCIDRs"))
    cidrs = from_params or ann.string_list(m.annotations, "inbound-cidrs") or []
    for cidr in cidrs:
        if not _is_cidr(cidr):
            # net.ParseCIDR's error, wrapped as computeIngressExplicitInboundCIDRs does
            if from_params:
                raise BuildError(
                    f"invalid CIDR in IngressClassParams InboundCIDR {cidr}: "
                    f"invalid CIDR address: {cidr}"
                )
            raise BuildError(
                f"invalid inbound-cidrs settings on Ingress: {m.key}: invalid CIDR address: {cidr}"
            )
    ports = _listen_ports(m, prefer_tls=bool(certs))
    hosts = sorted(
        {r.host for r in m.ingress.rules if r.host} | {h for t in m.ingress.tls for h in t.hosts}
    )
    discovered = (f"acm:discovered-for:{','.join(hosts)}",) if hosts else ()
    out: dict[int, _PortCfg] = {}
    for port, protocol in ports.items():
        if protocol == "HTTPS":
            out[port] = _PortCfg(protocol, tuple(certs) or discovered, ssl_policy, frozenset(cidrs))
        else:
            out[port] = _PortCfg(protocol, (), None, frozenset(cidrs))
    return out


def _listen_ports(m: ClassifiedIngress, *, prefer_tls: bool) -> dict[int, str]:
    raw = ann.get(m.annotations, "listen-ports")
    if raw is None:
        return {443: "HTTPS"} if prefer_tls else {80: "HTTP"}
    try:
        entries = ann.json_value(m.annotations, "listen-ports")
    except ann.AnnotationError as exc:
        raise BuildError(f"failed to parse listen-ports configuration: `{raw}`") from exc
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise BuildError(f"failed to parse listen-ports configuration: `{raw}`")
    if not entries:
        raise BuildError(f"empty listen-ports configuration: `{raw}`")
    out: dict[int, str] = {}
    for entry in entries:
        assert isinstance(entry, dict)
        for protocol, port in entry.items():
            if not isinstance(port, int) or isinstance(port, bool):
                raise BuildError(f"failed to parse listen-ports configuration: `{raw}`")
            if not 1 <= port <= 65535:
                raise BuildError(f"listen port must be within [1, 65535]: {port}")
            if protocol not in ("HTTP", "HTTPS"):
                raise BuildError(f"listen protocol must be within [HTTP, HTTPS]: {protocol}")
            out[port] = protocol
    return out


def _merge_port(port: int, cfgs: list[tuple[str, _PortCfg]], default_policy: str) -> _PortCfg:
    protocol_from: tuple[str, str] | None = None
    cidrs_from: tuple[str, frozenset[str]] | None = None
    policy_from: tuple[str, str] | None = None
    certs: list[str] = []
    default_index = next((i for i, (_, c) in enumerate(cfgs) if c.certificates), None)
    seen: set[str] = set()
    if default_index is not None:
        # The first member's first certificate is the default; it is not put in
        # the seen-set, so a certificate repeating it is listed again as an SNI
        # certificate, as the controller does (mergeListenPortConfigs: "allows the
        # same certificate to be specified for both the default certificate and
        # the SNI certificate").
        certs.append(cfgs[default_index][1].certificates[0])
    for i, (key, c) in enumerate(cfgs):
        if protocol_from is None:
            protocol_from = (key, c.protocol)
        elif protocol_from[1] != c.protocol:
            raise BuildError(
                f"conflicting protocol, {protocol_from[0]}: {protocol_from[1]} | "
                f"{key}: {c.protocol}"
            )
        if c.inbound_cidrs:
            if cidrs_from is None:
                cidrs_from = (key, c.inbound_cidrs)
            elif cidrs_from[1] != c.inbound_cidrs:
                raise BuildError(
                    f"conflicting inbound-cidrs, {cidrs_from[0]}: {_cidr_lists(cidrs_from[1])} | "
                    f"{key}: {_cidr_lists(c.inbound_cidrs)}"
                )
        if c.ssl_policy is not None:
            if policy_from is None:
                policy_from = (key, c.ssl_policy)
            elif policy_from[1] != c.ssl_policy:
                raise BuildError(
                    f"conflicting sslPolicy, {policy_from[0]}: {policy_from[1]} | "
                    f"{key}: {c.ssl_policy}"
                )
        for j, cert in enumerate(c.certificates):
            if i == default_index and j == 0:
                continue
            if cert in seen:
                continue
            seen.add(cert)
            certs.append(cert)
    assert protocol_from is not None
    protocol = protocol_from[1]
    policy = policy_from[1] if policy_from else (default_policy if protocol == "HTTPS" else None)
    return _PortCfg(protocol, tuple(certs), policy, cidrs_from[1] if cidrs_from else frozenset())


def _cidr_lists(cidrs: frozenset[str]) -> str:
    """IPv4 then IPv6 CIDRs, each as Go prints a sorted list (``[a b], [c]``)."""
    v6 = {c for c in cidrs if ":" in c}
    return f"{ann.go_list(sorted(cidrs - v6))}, {ann.go_list(sorted(v6))}"


# -- group-wide exclusive settings ------------------------------------------------


def _exclusive_value(members: list[ClassifiedIngress], param: str, suffix: str) -> set[str]:
    values: set[str] = set()
    for m in members:
        p = m.param(param)
        if p:
            values.add(str(p))
            continue
        v = ann.get(m.annotations, suffix)
        if v is not None:
            values.add(v)
    return values


def _scheme(ctx: _Ctx, members: list[ClassifiedIngress]) -> str:
    schemes = _exclusive_value(members, "scheme", "scheme")
    if not schemes:
        return ctx.options.default_scheme
    if len(schemes) > 1:
        raise BuildError(f"conflicting scheme: {ann.go_set(schemes)}")
    scheme = schemes.pop()
    if scheme not in ("internet-facing", "internal"):
        raise BuildError(f"unknown scheme: {scheme}")
    return scheme


def _ip_address_type(members: list[ClassifiedIngress]) -> str:
    types = _exclusive_value(members, "ipAddressType", "ip-address-type")
    if not types:
        return "ipv4"
    if len(types) > 1:
        raise BuildError(f"conflicting IPAddressType: [{' '.join(sorted(types))}]")
    value = types.pop()
    if value not in ("ipv4", "dualstack", "dualstack-without-public-ipv4"):
        raise BuildError(f"unknown IPAddressType: {value}")
    return value


def _list_setting(members: list[ClassifiedIngress], suffix: str, what: str) -> list[str] | None:
    chosen: list[str] | None = None
    for m in members:
        values = ann.string_list(m.annotations, suffix)
        if values is None:
            continue
        if chosen is None:
            chosen = values
        elif set(chosen) != set(values):
            raise BuildError(f"conflicting {what}: [{' '.join(chosen)}] | [{' '.join(values)}]")
    return chosen


def _manages_backend_rules(
    ctx: _Ctx, members: list[ClassifiedIngress], frontend_groups: list[str] | None
) -> bool:
    """Does the controller add the rules that let the ALB reach its targets?

    Without written frontend groups it creates one and always manages the target
    rules (from the shared backend group, or from the group it created when
    ``--enable-backend-security-group=false``). With written groups only when
    ``manage-backend-security-group-rules`` says so (default: the
    ``--enable-manage-backend-security-group-rules`` flag), which needs the
    backend group feature.
    """
    if not frontend_groups:
        return True
    values: set[bool] = set()
    for m in members:
        value = ann.boolean(m.annotations, "manage-backend-security-group-rules")
        if value is not None:
            values.add(value)
    if len(values) > 1:
        raise BuildError("conflicting manage backend security group rules settings")
    manage = values.pop() if values else ctx.options.enable_manage_backend_security_group_rules
    if manage and not ctx.options.enable_backend_security_group:
        raise BuildError(
            "backendSG feature is required to manage worker node SG rules when frontendSG "
            "manually specified"
        )
    return manage


def _key_values(value: object) -> dict[str, str]:
    out: dict[str, str] = {}
    if isinstance(value, list):
        for item in value:
            if isinstance(item, dict) and "key" in item:
                out[str(item["key"])] = str(item.get("value", ""))
    return out


def _attributes(members: list[ClassifiedIngress]) -> dict[str, str]:
    class_attrs = _key_values(members[0].param("loadBalancerAttributes")) if members else {}
    merged: dict[str, str] = {}
    for m in members:
        attrs = ann.string_map(m.annotations, "load-balancer-attributes") or {}
        for k, v in attrs.items():
            if k in merged and merged[k] != v and k not in class_attrs:
                raise BuildError(f"conflicting load balancer attributes {k}: {merged[k]} | {v}")
            merged[k] = v
    return {**merged, **class_attrs}


def _collision(tags: dict[str, str], external: frozenset[str]) -> str | None:
    """validateTagCollisionWithExternalManagedTags (the first key, in sorted order)."""
    hit = sorted(k for k in tags if k in external)
    return f"external managed tag key {hit[0]} cannot be specified" if hit else None


def _member_tags(m: ClassifiedIngress, external: frozenset[str] = frozenset()) -> dict[str, str]:
    """buildIngressResourceTags: the IngressClassParams tags win over the annotation's."""
    annotation_tags = ann.string_map(m.annotations, "tags") or {}
    problem = _collision(annotation_tags, external)
    if problem:
        raise BuildError(f"failed build tags for Ingress {m.key}: {problem}")
    class_tags = _key_values(m.param("tags"))
    problem = _collision(class_tags, external)
    if problem:
        params = (m.ingress_class.parameters or {}).get("name") if m.ingress_class else None
        raise BuildError(f"failed build tags for IngressClassParams {params or ''}: {problem}")
    return {**annotation_tags, **class_tags}


def _tags(
    members: list[ClassifiedIngress], external: frozenset[str] = frozenset()
) -> dict[str, str]:
    merged: dict[str, str] = {}
    for m in members:
        for k, v in _member_tags(m, external).items():
            if k in merged and merged[k] != v:
                raise BuildError(f"conflicting tag {k}: {merged[k]} | {v}")
            merged[k] = v
    return merged


def _lb_name(members: list[ClassifiedIngress], explicit_group: bool, group: str, scheme: str,
             cluster: str | None) -> str | None:  # fmt: skip
    names = _exclusive_value(members, "loadBalancerName", "load-balancer-name")
    if len(names) > 1:
        raise BuildError(f"conflicting load balancer name: {ann.go_set(names)}")
    if names:
        name = names.pop()
        if len(name) > 32:
            raise BuildError("load balancer name cannot be longer than 32 characters")
        return name
    if cluster is None:
        return None
    digest = hashlib.sha256((cluster + group + scheme).encode()).hexdigest()
    if explicit_group:
        return f"k8s-{_NON_ALNUM.sub('', group)[:17]}-{digest[:10]}"
    ns, _, name = group.partition("/")
    return f"k8s-{_NON_ALNUM.sub('', ns)[:8]}-{_NON_ALNUM.sub('', name)[:8]}-{digest[:10]}"


def _addons(members: list[ClassifiedIngress]) -> None:
    arns = _exclusive_value(members, "__none__", "wafv2-acl-arn")
    if len(arns) > 1:
        raise BuildError(f"conflicting WAFv2 WebACL ARNs: [{' '.join(sorted(arns))}]")
    ids: set[str] = set()
    for m in members:
        v = ann.get(m.annotations, "waf-acl-id") or ann.get(m.annotations, "web-acl-id")
        if v is not None:
            ids.add(v)
    if len(ids) > 1:
        raise BuildError(f"conflicting WAFClassic WebACL IDs: [{' '.join(sorted(ids))}]")
    shield: set[bool] = set()
    for m in members:
        b = ann.boolean(m.annotations, "shield-advanced-protection")
        if b is not None:
            shield.add(b)
    if len(shield) > 1:
        raise BuildError("conflicting enable shield advanced protection")


def _ssl_redirect(members: list[ClassifiedIngress], ports: dict[int, _PortCfg]) -> int | None:
    found: set[int] = set()
    for m in members:
        p = m.param("sslRedirectPort")
        if p:
            try:
                found.add(int(str(p)))
            except ValueError:
                return None  # the controller silently gives up on a bad params value
            continue
        v = ann.int32(m.annotations, "ssl-redirect")
        if v is not None:
            found.add(v)
    if not found:
        return None
    if len(found) > 1:
        raise BuildError(
            f"conflicting sslRedirect port: [{' '.join(str(p) for p in sorted(found))}]"
        )
    port = found.pop()
    if port not in ports:
        raise BuildError(f"listener does not exist for SSLRedirect port: {port}")
    if ports[port].protocol != "HTTPS":
        raise BuildError(f"listener protocol non-SSL for SSLRedirect port: {port}")
    return port


# -- rules --------------------------------------------------------------------------


def _sorted_paths(paths: tuple[IngressPath, ...]) -> list[tuple[int, IngressPath]]:
    exact, prefix, other = [], [], []
    for i, p in enumerate(paths):
        if p.path_type == "Exact":
            exact.append((i, p))
        elif p.path_type == "Prefix":
            prefix.append((i, p))
        elif p.path_type == "ImplementationSpecific":
            other.append((i, p))
        else:
            raise BuildError(f"unknown pathType for path {p.path or ''}")
    prefix.sort(key=lambda t: -len(t[1].path or ""))  # stable: equal lengths keep their order
    return exact + prefix + other


def path_patterns(
    path: str, path_type: str | None, *, use_regex: bool = False
) -> tuple[list[str], list[str]]:
    """ALB path-pattern (values, regexValues) for an Ingress path (buildPathPatterns);
    no pathType is ImplementationSpecific."""
    path_type = path_type or "ImplementationSpecific"
    if path_type == "Exact":
        if "*" in path or "?" in path:
            raise BuildError(f"exact path shouldn't contain wildcards: {path}")
        return [path], []
    if path_type == "Prefix":
        if path == "/":
            return ["/*"], []
        if "*" in path or "?" in path:
            raise BuildError(f"prefix path shouldn't contain wildcards: {path}")
        base = path.removesuffix("/")
        return [base, base + "/*"], []
    if path_type != "ImplementationSpecific":
        raise BuildError(f"unsupported pathType: {path_type}")
    if use_regex:
        return [], [path[1:]]
    return [path], []


def _ci(d: dict[str, object], name: str) -> object | None:
    """A JSON field as Go's decoder finds it: case-insensitively."""
    if name in d:
        return d[name]
    low = name.lower()
    return next((v for k, v in d.items() if k.lower() == low), None)


def _values(cfg: object, name: str = "values") -> list[str]:
    if isinstance(cfg, dict):
        v = _ci(cfg, name)
        if isinstance(v, list):
            return [str(x) for x in v]
    return []


@dataclass(slots=True)
class _Extra:
    hosts: list[str] = field(default_factory=list)
    host_regex: list[str] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)
    path_regex: list[str] = field(default_factory=list)
    others: list[Condition] = field(default_factory=list)


def _annotation_conditions(m: ClassifiedIngress, service: str) -> _Extra:
    out = _Extra()
    try:
        raw = ann.json_value(m.annotations, f"conditions.{service}")
    except ann.AnnotationError as exc:
        raise BuildError(str(exc)) from exc
    if raw is None:
        return out
    if not isinstance(raw, list):
        raise BuildError(f"conditions.{service} must be a JSON list")
    for c in raw:
        if not isinstance(c, dict):
            raise BuildError(f"conditions.{service}: each condition must be an object")
        fld = str(_ci(c, "field"))
        if fld == "host-header":
            cfg = _ci(c, "hostHeaderConfig")
            out.hosts += _values(cfg)
            out.host_regex += _values(cfg, "regexValues")
        elif fld == "path-pattern":
            cfg = _ci(c, "pathPatternConfig")
            out.paths += _values(cfg)
            out.path_regex += _values(cfg, "regexValues")
        elif fld == "http-header":
            cfg = _ci(c, "httpHeaderConfig")
            name = str(_ci(cfg, "httpHeaderName")) if isinstance(cfg, dict) else ""
            regex = _values(cfg, "regexValues")
            out.others.append(Condition(fld, tuple(regex or _values(cfg)), bool(regex), name))
        elif fld == "http-request-method":
            out.others.append(Condition(fld, tuple(_values(_ci(c, "httpRequestMethodConfig")))))
        elif fld == "query-string":
            cfg = _ci(c, "queryStringConfig")
            pairs = _ci(cfg, "values") if isinstance(cfg, dict) else None
            vals = []
            for p in pairs if isinstance(pairs, list) else []:
                if isinstance(p, dict):
                    k = _ci(p, "key")
                    vals.append(f"{'' if k is None else k}={_ci(p, 'value') or ''}")
            out.others.append(Condition(fld, tuple(vals)))
        elif fld == "source-ip":
            out.others.append(Condition(fld, tuple(_values(_ci(c, "sourceIpConfig")))))
        else:
            raise BuildError(f"unknown condition field: {fld}")
    return out


def _conditions(
    m: ClassifiedIngress, host: str | None, path: IngressPath, service: str
) -> tuple[Condition, ...]:
    # read for ImplementationSpecific paths only (getUseRegexPathMatch)
    use_regex = path.path_type in ("ImplementationSpecific", "") and bool(
        ann.boolean(m.annotations, "use-regex-path-match")
    )
    host_values = [host] if host else []
    path_values: list[str] = []
    path_regex: list[str] = []
    if path.path:
        v, r = path_patterns(path.path, path.path_type, use_regex=use_regex)
        path_values += v
        path_regex += r
    extra = _annotation_conditions(m, service)
    host_values += extra.hosts
    path_values += extra.paths
    path_regex += extra.path_regex
    if host_values and extra.host_regex:
        raise BuildError(
            "host condition must specify exactly one of Values and RegexValues, got both "
            f"Values {ann.go_list(host_values)} and RegexValues {ann.go_list(extra.host_regex)}"
        )
    if path_values and path_regex:
        raise BuildError(
            "path condition must specify exactly one of Values and RegexValues, got both "
            f"Values {ann.go_list(path_values)} and RegexValues {ann.go_list(path_regex)}"
        )
    out = list(extra.others)
    if host_values:
        out.append(Condition("host-header", tuple(host_values)))
    if extra.host_regex:
        out.append(Condition("host-header", tuple(extra.host_regex), regex=True))
    if path_values:
        out.append(Condition("path-pattern", tuple(path_values)))
    if path_regex:
        out.append(Condition("path-pattern", tuple(path_regex), regex=True))
    if not out:
        out.append(Condition("path-pattern", ("/*",)))
    return tuple(out)


def _fixed(status: str, body: str | None = None, content_type: str | None = None) -> Action:
    cfg = [("statusCode", status)]
    if content_type:
        cfg.insert(0, ("contentType", content_type))
    if body:
        cfg.append(("messageBody", body))
    return Action(ActionType.FIXED_RESPONSE, config=tuple(cfg))


def pods_for(platform: Platform, svc: Service, port: ServicePort) -> tuple[tuple[Pod, int], ...]:
    """The pods that back ``port`` of ``svc``, each with the container port it
    sends to (none when the Service has no selector: its targets are unknown)."""
    return svc.backends(port, platform.pods_in(svc.meta.ns)) or ()


def _target_type(ctx: _Ctx, m: ClassifiedIngress, svc: Service) -> TargetType:
    raw = ann.get(svc.meta.annotations, "target-type") or ann.get(m.annotations, "target-type")
    raw = raw or ctx.options.default_target_type.value
    params = m.param("targetType")
    if params:
        raw = str(params)
    try:
        tt = TargetType(raw)
    except ValueError as exc:
        raise BuildError(f"unknown targetType: {raw}") from exc
    if tt is TargetType.IP and not ctx.options.enable_ip_target_type:
        raise BuildError("unsupported targetType: ip when EnableIPTargetType is false")
    return tt


def _forward(
    ctx: _Ctx, m: ClassifiedIngress, tuples: list[tuple[str | None, object, int | None, str | None]]
) -> Action:
    ns = m.ingress.meta.ns
    names = {t[0] for t in tuples if t[0]}
    single = len(tuples) == 1 and len(names) == 1
    targets: list[ForwardTarget] = []
    for svc_name, port, weight, tg in tuples:
        if svc_name is None:
            targets.append(ForwardTarget(None, None, None, weight=weight, target_group=tg))
            continue
        svc = ctx.platform.service(ns, svc_name)
        if svc is None:
            if single and ctx.options.tolerate_non_existent_backend_service:
                return _fixed("503", "Backend service does not exist", "text/plain")
            raise BuildError(f'services "{svc_name}" not found')
        if isinstance(port, str) and port.isdigit():
            port = int(port)
        sp = next(
            (p for p in svc.ports if (p.port == port if isinstance(port, int) else p.name == port)),
            None,
        )
        if sp is None:
            raise BuildError(f"unable to find port {port} on service {ns}/{svc_name}")
        tt = _target_type(ctx, m, svc)
        if "IPv6" in svc.ip_families and ctx.ip_address_type not in DUAL_STACK:
            # buildTargetGroupIPAddressType: an IPv6 Service needs a dual-stack ALB
            raise BuildError("unsupported IPv6 configuration, lb not dual-stack")
        if tt is TargetType.INSTANCE and svc.type not in ("NodePort", "LoadBalancer"):
            raise BuildError(
                "TargetGroup port is empty. When using Instance targets, your service be must "
                "of type 'NodePort' or 'LoadBalancer'"
            )
        found = pods_for(ctx.platform, svc, sp)
        targets.append(
            ForwardTarget(
                f"{ns}/{svc_name}",
                port if isinstance(port, (int, str)) else None,
                tt,
                tuple(p.key for p, _ in found),
                tuple(n for _, n in found),
                weight,
            )
        )
    return Action(ActionType.FORWARD, tuple(targets))


def _annotation_action(ctx: _Ctx, m: ClassifiedIngress, name: str) -> Action:
    try:
        raw = ann.json_value(m.annotations, f"actions.{name}")
    except ann.AnnotationError as exc:
        raise BuildError(str(exc)) from exc
    if raw is None:
        if ctx.options.tolerate_non_existent_backend_action:
            return _fixed("503", "Backend action does not exist", "text/plain")
        raise BuildError(f"missing actions.{name} configuration")
    if not isinstance(raw, dict):
        raise BuildError(f"actions.{name} must be a JSON object")
    kind = str(_ci(raw, "type"))
    if kind == "fixed-response":
        cfg = _ci(raw, "fixedResponseConfig")
        if not isinstance(cfg, dict):
            raise BuildError("missing FixedResponseConfig")
        return Action(
            ActionType.FIXED_RESPONSE,
            config=tuple((k, str(v)) for k, v in cfg.items() if v is not None),
        )
    if kind == "redirect":
        cfg = _ci(raw, "redirectConfig")
        if not isinstance(cfg, dict):
            raise BuildError("missing RedirectConfig")
        return Action(
            ActionType.REDIRECT, config=tuple((k, str(v)) for k, v in cfg.items() if v is not None)
        )
    if kind == "forward":
        arn = _ci(raw, "targetGroupARN") or _ci(raw, "targetGroupName")
        if arn:
            return _forward(ctx, m, [(None, None, None, str(arn))])
        cfg = _ci(raw, "forwardConfig")
        groups = _ci(cfg, "targetGroups") if isinstance(cfg, dict) else None
        if not isinstance(groups, list) or not groups:
            raise BuildError("missing ForwardConfig")
        tuples: list[tuple[str | None, object, int | None, str | None]] = []
        for g in groups:
            if not isinstance(g, dict):
                continue
            w = _ci(g, "weight")
            weight = w if isinstance(w, int) else None
            tg = _ci(g, "targetGroupARN") or _ci(g, "targetGroupName")
            svc = _ci(g, "serviceName")
            tuples.append(
                (str(svc) if svc else None, _ci(g, "servicePort"), weight, str(tg) if tg else None)
            )
        return _forward(ctx, m, tuples)
    raise BuildError(f"unknown action type: {kind}")


def _go_kind(value: object) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "string"


def _go_string(obj: dict[str, object], field_name: str, where: str) -> str:
    """A string field as Go's json.Unmarshal fills a struct: case-insensitive name,
    null leaves it empty, another JSON type is an error."""
    v = _ci(obj, field_name)
    if v is None:
        return ""
    if not isinstance(v, str):
        raise _JsonTypeError(
            f"json: cannot unmarshal {_go_kind(v)} into Go struct field {where}.{field_name} "
            "of type string"
        )
    return v


class _JsonTypeError(EkstwinError, ValueError):
    """A JSON value of the wrong type for the controller's Go struct."""


def _jwt_validation(m: ClassifiedIngress) -> JwtValidation | None:
    """``jwt-validation`` as buildJwtValidationConfig reads it; errors fail the group."""
    try:
        raw = ann.json_value(m.annotations, "jwt-validation")
    except ann.AnnotationError as exc:
        raise BuildError(str(exc)) from exc
    if ann.get(m.annotations, "jwt-validation") is None:
        return None
    key = ann.key("jwt-validation")
    text = ann.get(m.annotations, "jwt-validation")
    try:
        if raw is None:
            raw = {}
        if not isinstance(raw, dict):
            raise _JsonTypeError(
                f"json: cannot unmarshal {_go_kind(raw)} into Go value of type "
                "ingress.JwtValidationConfig"
            )
        jwks = _go_string(raw, "jwksEndpoint", "JwtValidationConfig")
        issuer = _go_string(raw, "issuer", "JwtValidationConfig")
        claims_raw = _ci(raw, "additionalClaims")
        if claims_raw is not None and not isinstance(claims_raw, list):
            raise _JsonTypeError(
                f"json: cannot unmarshal {_go_kind(claims_raw)} into Go struct field "
                "JwtValidationConfig.additionalClaims of type []ingress.JwtAdditionalClaim"
            )
        claims: list[JwtClaim] = []
        for c in claims_raw or []:
            if c is None:
                c = {}
            if not isinstance(c, dict):
                raise _JsonTypeError(
                    f"json: cannot unmarshal {_go_kind(c)} into Go struct field "
                    "JwtValidationConfig.additionalClaims of type ingress.JwtAdditionalClaim"
                )
            values = _ci(c, "values")
            if values is not None and not (
                isinstance(values, list) and all(isinstance(v, str) for v in values)
            ):
                bad = (
                    values
                    if not isinstance(values, list)
                    else next(v for v in values if not isinstance(v, str))
                )
                raise _JsonTypeError(
                    f"json: cannot unmarshal {_go_kind(bad)} into Go struct field "
                    "JwtValidationConfig.additionalClaims.values of type "
                    f"{'string' if isinstance(values, list) else '[]string'}"
                )
            claims.append(
                JwtClaim(
                    _go_string(c, "format", "JwtValidationConfig.additionalClaims"),
                    _go_string(c, "name", "JwtValidationConfig.additionalClaims"),
                    tuple(values or ()),
                )
            )
    except _JsonTypeError as exc:
        raise BuildError(f"failed to parse json annotation, {key}: {text}: {exc}") from exc
    if not jwks:
        raise BuildError("jwksEndpoint is a required field for jwt validation")
    if not issuer:
        raise BuildError("issuer is a required field for jwt validation")
    for claim in claims:
        if not claim.format:
            raise BuildError("format is a required field for additional claims for jwt validation")
        if not claim.name:
            raise BuildError("name is a required field for additional claims for jwt validation")
        if not claim.values:
            raise BuildError("values must not be empty for additional claims for jwt validation")
    return JwtValidation(jwks, issuer, tuple(claims))


def _authenticates(ctx: _Ctx, m: ClassifiedIngress, action: Action) -> bool:
    """An authenticate action comes first (``auth-type`` cognito or oidc, from the
    Ingress, or the Service when the rule forwards to a single one)."""
    annotations = dict(m.annotations)
    if action.type is ActionType.FORWARD and len(action.targets) == 1:
        target = action.targets[0]
        if target.service is not None:
            ns, _, name = target.service.partition("/")
            svc = ctx.platform.service(ns, name)
            if svc is not None:
                annotations = {**svc.meta.annotations, **annotations}
    return ann.get(annotations, "auth-type") in ("cognito", "oidc")


def _action(ctx: _Ctx, m: ClassifiedIngress, backend: IngressBackend) -> Action:
    if backend.service_name is None:
        raise BuildError('missing required "service" field')
    if backend.service_port == "use-annotation":
        return _annotation_action(ctx, m, backend.service_name)
    return _forward(ctx, m, [(backend.service_name, backend.service_port, None, None)])


def is_infinite_redirect(
    port: int, protocol: str, conds: tuple[Condition, ...], action: Action
) -> bool:
    if action.type is not ActionType.REDIRECT:
        return False
    cfg = {k.lower(): v for k, v in action.config}
    hosts = {v for c in conds if c.field == "host-header" and not c.regex for v in c.values}
    paths: set[str] = set()
    for c in conds:
        if c.field == "path-pattern":
            if c.regex:
                return False
            paths.update(c.values)
    keeps = {
        "host": ("#{host}", hosts),
        "path": ("/#{path}", paths),
        "port": ("#{port}", {str(port)}),
        "protocol": ("#{protocol}", {protocol}),
        "query": ("#{query}", set()),
    }
    for name, (same, ok) in keeps.items():
        v = cfg.get(name)
        if v is not None and v != same and v not in ok:
            return False
    return True


def is_superset(lhs: tuple[Condition, ...], rhs: tuple[Condition, ...]) -> bool:
    lh: set[str] = set()
    lp: set[str] = set()
    for c in lhs:
        if c.field == "host-header":
            # isSupersetConditions reads HostHeaderConfig.Values only: a host
            # condition of regex values alone restricts nothing here
            if not c.regex:
                lh.update(c.values)
        elif c.field == "path-pattern":
            lp.update(c.values)
        else:
            return False
    rh = {v for c in rhs if c.field == "host-header" and not c.regex for v in c.values}
    rp = {v for c in rhs if c.field == "path-pattern" for v in c.values}
    host_ok = not lh or (bool(rh) and lh >= rh)
    path_ok = not lp or "/*" in lp or (bool(rp) and lp >= rp)
    return host_ok and path_ok


def _rules(ctx: _Ctx, port: int, protocol: str, members: list[ClassifiedIngress]) -> list[Rule]:
    raw: list[Rule] = []
    for m in members:
        for ri, rule in enumerate(m.ingress.rules):
            if not rule.paths:
                continue
            try:
                paths = _sorted_paths(rule.paths)
                for pi, path in paths:
                    svc_name = path.backend.service_name or ""
                    action = _action(ctx, m, path.backend)
                    conds = _conditions(m, rule.host, path, svc_name)
                    # read for every backend, used on HTTPS listeners only
                    jwt = _jwt_validation(m)
                    if protocol != "HTTPS":
                        jwt = None
                    elif jwt is not None and _authenticates(ctx, m, action):
                        raise BuildError(
                            "authentication and jwt validation can't both be configured"
                        )
                    source = m.ingress.meta.line_of(path.pointer)
                    raw.append(Rule(0, m.key, conds, action, source, ri, pi, jwt))
            except (BuildError, ann.AnnotationError) as exc:
                raise BuildError(f"ingress: {m.key}: {exc}") from exc
    return [replace(r, priority=i) for i, r in enumerate(optimize_rules(port, protocol, raw), 1)]


def optimize_rules(port: int, protocol: str, rules: list[Rule]) -> list[Rule]:
    """The controller's rule optimizer (rule_optimizer.go): drop redirect rules that
    would loop, then rules an earlier (kept) redirect rule covers."""
    no_loops = [
        r for r in rules if not is_infinite_redirect(port, protocol, r.conditions, r.action)
    ]
    kept: list[Rule] = []
    for r in no_loops:
        if any(
            k.action.type is ActionType.REDIRECT and is_superset(k.conditions, r.conditions)
            for k in kept
        ):
            continue
        kept.append(r)
    return kept


# -- the group ------------------------------------------------------------------------


def _attempt(
    ctx: _Ctx, prefix: str, fn: Callable[_P, _T], *args: _P.args, **kw: _P.kwargs
) -> _T | None:
    """Run one build step; an error is recorded (the group fails) and None returned."""
    try:
        return fn(*args, **kw)
    except (BuildError, ann.AnnotationError) as exc:
        ctx.errors.append(prefix + str(exc))
        return None


def _existing(platform: Platform, group: str) -> LoadBalancer | None:
    return next((lb for lb in platform.aws.load_balancers if lb.tags.get(STACK_TAG) == group), None)


def _count_values(c: Condition) -> int:
    return len(c.values)


def _quota(albs_rules: list[Listener]) -> list[str]:
    out: list[str] = []
    total = sum(len(ls.rules) for ls in albs_rules)
    if total > RULES_PER_ALB:
        out.append(
            f"TooManyRules: {total} rules on one load balancer, over the quota of {RULES_PER_ALB} "
            "(summed over listeners, default rules not counted); "
            "the controller never splits a group"
        )
    for ls in albs_rules:
        for r in ls.rules:
            values = sum(_count_values(c) for c in r.conditions)
            if values > CONDITION_VALUES_PER_RULE:
                out.append(
                    f"rule {ls.port}:{r.priority} of {r.ingress} has {values} condition values, "
                    f"over the quota of {CONDITION_VALUES_PER_RULE} per rule"
                )
            wild = sum(
                v.count("*") + v.count("?") for c in r.conditions if not c.regex for v in c.values
            )
            if wild > CONDITION_WILDCARDS_PER_RULE:
                out.append(
                    f"rule {ls.port}:{r.priority} of {r.ingress} has {wild} wildcards, "
                    f"over the quota of {CONDITION_WILDCARDS_PER_RULE} per rule"
                )
    return out


def _cluster_name(platform: Platform, options: AlbOptions) -> str | None:
    if options.cluster_name:
        return options.cluster_name
    cluster = platform.eks_cluster()
    return cluster.name if cluster is not None else None


def build_group(
    platform: Platform, gm: GroupMembers, options: AlbOptions, load_errors: tuple[str, ...] = ()
) -> Alb:
    ctx = _Ctx(platform, options)
    # an error loading any Ingress fails the group before its model is built
    ctx.errors.extend(load_errors)
    ordered, order_errors = sort_members(gm.members)
    ctx.errors.extend(order_errors)
    members = [m for _, m in ordered]
    per_member: dict[str, dict[int, _PortCfg]] = {}
    for m in members:
        per_member[m.key] = _attempt(ctx, f"ingress: {m.key}: ", _member_ports, m) or {}
    by_port: dict[int, list[ClassifiedIngress]] = {}
    for m in members:
        for port in per_member[m.key]:
            by_port.setdefault(port, []).append(m)
    merged: dict[int, _PortCfg] = {}
    for port in sorted(by_port):
        cfgs = [(m.key, per_member[m.key][port]) for m in by_port[port]]
        got = _attempt(
            ctx,
            f"failed to merge listenPort config for port: {port}: ",
            _merge_port,
            port,
            cfgs,
            options.default_ssl_policy,
        )
        if got is not None:
            merged[port] = got
    scheme = _attempt(ctx, "", _scheme, ctx, members)
    ip_type = _attempt(ctx, "", _ip_address_type, members)
    ctx.ip_address_type = ip_type or "ipv4"
    subnets = _attempt(ctx, "", _list_setting, members, "subnets", "subnets")
    frontend_groups = _attempt(ctx, "", _list_setting, members, "security-groups", "securityGroups")
    manages_rules = _attempt(ctx, "", _manages_backend_rules, ctx, members, frontend_groups)
    _attempt(ctx, "", _check_coip, members)
    attrs = _attempt(ctx, "", _attributes, members)
    tags = _attempt(ctx, "", _tags, members, options.external_managed_tags)
    cluster = _cluster_name(platform, options)
    name = None
    if scheme is not None:
        name = _attempt(ctx, "", _lb_name, members, gm.explicit, gm.group, scheme, cluster)
    redirect = _attempt(ctx, "", _ssl_redirect, members, merged)
    listeners: list[Listener] = []
    for port in sorted(merged):
        cfg = merged[port]
        port_members = by_port[port]
        default_from: str | None = None
        if redirect is not None and cfg.protocol == "HTTP":
            default = Action(
                ActionType.REDIRECT,
                config=(("port", str(redirect)), ("protocol", "HTTPS"), ("statusCode", "HTTP_301")),
            )
            rules: list[Rule] = []
        else:
            with_default = [m for m in port_members if m.ingress.default_backend is not None]
            default = _fixed("404", content_type="text/plain")
            if len(with_default) > 1:
                ctx.errors.append(
                    "multiple ingress defined default backend: "
                    f"[{' '.join(m.key for m in with_default)}]"
                )
            elif with_default:
                dm = with_default[0]
                backend = dm.ingress.default_backend
                assert backend is not None
                got_action = _attempt(ctx, "", _action, ctx, dm, backend)
                if got_action is not None:
                    default, default_from = got_action, dm.key
            rules = _attempt(ctx, "", _rules, ctx, port, cfg.protocol, port_members) or []
        listeners.append(
            Listener(
                port,
                cfg.protocol,
                cfg.certificates,
                cfg.ssl_policy,
                default,
                default_from,
                tuple(rules),
            )
        )
    _attempt(ctx, "", _addons, members)
    existing = _existing(platform, gm.group)
    rule_counts = {m.key: 0 for m in members}
    for ls in listeners:
        for r in ls.rules:
            rule_counts[r.ingress] += 1
    out_members = tuple(
        Member(
            m.ingress,
            m.key,
            order,
            tuple((p, per_member[m.key][p].protocol) for p in sorted(per_member[m.key])),
            rule_counts[m.key],
        )
        for order, m in ordered
    )
    failed = bool(ctx.errors)
    subnet_ids: tuple[str, ...] = ()
    if existing is not None:
        subnet_ids = existing.subnet_ids
    elif subnets:
        subnet_ids = tuple(subnets)
    return Alb(
        group=gm.group,
        explicit=gm.explicit,
        members=out_members,
        errors=tuple(ctx.errors),
        scheme=scheme,
        ip_address_type=ip_type,
        name=existing.name if existing else name,
        dns_name=existing.dns_name if existing else None,
        canonical_hosted_zone_id=existing.canonical_hosted_zone_id if existing else None,
        subnet_ids=subnet_ids,
        listeners=() if failed else tuple(listeners),
        quota=() if failed else tuple(_quota(listeners)),
        attributes=tuple(sorted((attrs or {}).items())),
        tags=tuple(sorted((tags or {}).items())),
        security_groups=tuple(frontend_groups or ()),
        manages_backend_rules=bool(manages_rules),
    )


def _check_coip(members: list[ClassifiedIngress]) -> str | None:
    """buildLoadBalancerCOIPv4Pool: one pool for the group, never an empty one."""
    pools: set[str] = set()
    for m in members:
        raw = ann.get(m.annotations, "customer-owned-ipv4-pool")
        if raw is None:
            continue
        if not raw:
            raise BuildError(
                f"cannot use empty value for customer-owned-ipv4-pool annotation, ingress: {m.key}"
            )
        pools.add(raw)
    if len(pools) > 1:
        raise BuildError(f"conflicting CustomerOwnedIPv4Pool: [{' '.join(sorted(pools))}]")
    return pools.pop() if pools else None


def build_albs(platform: Platform, options: AlbOptions | None = None) -> AlbPlan:
    """Every IngressGroup of the platform built into its ALB, and the ignored Ingresses.

    ``options`` default to the flags of the platform's Load Balancer Controller
    (its Deployment), else the controller's defaults.
    """
    notes: tuple[str, ...] = ()
    if options is None:
        options, notes = platform_alb_options(platform)
    loaded = load_groups(platform, options)
    albs = tuple(build_group(platform, g, options, loaded.load_errors) for g in loaded.groups)
    return AlbPlan(albs, tuple(IgnoredIngress(k, r) for k, r in loaded.ignored), notes)

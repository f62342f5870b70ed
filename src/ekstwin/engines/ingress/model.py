"""What the ALB model build yields: plain frozen data with a stable JSON shape.

The shapes are documented in docs/ingress.md; ``to_json`` is the public form.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from ekstwin.model.k8s import Ingress
from ekstwin.model.source import Source

#: AWS quota: rules per load balancer, default rules not counted (adjustable).
RULES_PER_ALB = 100
#: AWS quota: condition values per rule (not adjustable).
CONDITION_VALUES_PER_RULE = 5
#: AWS quota: condition wildcards per rule (not adjustable).
CONDITION_WILDCARDS_PER_RULE = 5


class ActionType(StrEnum):
    FORWARD = "forward"
    FIXED_RESPONSE = "fixed-response"
    REDIRECT = "redirect"


class TargetType(StrEnum):
    IP = "ip"
    INSTANCE = "instance"


@dataclass(frozen=True, slots=True)
class Condition:
    """One ALB rule condition. ``values`` are glob values unless ``regex``.

    ``name`` is the header name of an ``http-header`` condition; query-string
    values are written ``key=value`` (``=value`` when the key is absent).
    """

    field: str
    values: tuple[str, ...]
    regex: bool = False
    name: str | None = None

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {"field": self.field, "values": list(self.values)}
        if self.regex:
            out["regex"] = True
        if self.name is not None:
            out["name"] = self.name
        return out


@dataclass(frozen=True, slots=True)
class ForwardTarget:
    """One target group of a forward action: a Service port and its pods."""

    service: str | None  # ns/name, None for a target group given by ARN or name
    service_port: int | str | None
    target_type: TargetType | None
    pods: tuple[str, ...] = ()
    pod_ports: tuple[int, ...] = ()
    weight: int | None = None
    target_group: str | None = None

    def to_json(self) -> dict[str, object]:
        return {
            "service": self.service,
            "service_port": self.service_port,
            "target_type": self.target_type.value if self.target_type else None,
            "weight": self.weight,
            "target_group": self.target_group,
            "pods": list(self.pods),
        }


@dataclass(frozen=True, slots=True)
class Action:
    type: ActionType
    targets: tuple[ForwardTarget, ...] = ()
    config: tuple[tuple[str, str], ...] = ()  # fixed-response / redirect settings, in order

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {"type": self.type.value}
        if self.type is ActionType.FORWARD:
            out["targets"] = [t.to_json() for t in self.targets]
        else:
            out["config"] = dict(self.config)
        return out

    def describe(self) -> str:
        if self.type is ActionType.FORWARD:
            parts = []
            for t in self.targets:
                what = f"{t.service}:{t.service_port}" if t.service else str(t.target_group)
                pods = ", ".join(t.pods) if t.pods else "no pods"
                parts.append(f"{what} -> {pods}")
            return "forward " + "; ".join(parts)
        cfg = dict(self.config)
        if self.type is ActionType.REDIRECT:
            return "redirect " + " ".join(f"{k}={v}" for k, v in self.config)
        return f"fixed-response {cfg.get('statusCode', '')}".strip()


@dataclass(frozen=True, slots=True)
class JwtClaim:
    """One additional claim a JWT validation action checks."""

    format: str  # single-string | string-array | space-separated-values
    name: str
    values: tuple[str, ...]

    def to_json(self) -> dict[str, object]:
        return {"format": self.format, "name": self.name, "values": list(self.values)}


@dataclass(frozen=True, slots=True)
class JwtValidation:
    """The ``jwt-validation`` action the ALB runs before a rule's action (HTTPS only)."""

    jwks_endpoint: str
    issuer: str
    additional_claims: tuple[JwtClaim, ...] = ()

    def to_json(self) -> dict[str, object]:
        return {
            "jwks_endpoint": self.jwks_endpoint,
            "issuer": self.issuer,
            "additional_claims": [c.to_json() for c in self.additional_claims],
        }


@dataclass(frozen=True, slots=True)
class Rule:
    priority: int
    ingress: str  # ns/name
    conditions: tuple[Condition, ...]
    action: Action
    source: Source | None = None
    rule_index: int = 0
    path_index: int | None = None
    jwt_validation: JwtValidation | None = None  # runs first; only on HTTPS listeners

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {
            "priority": self.priority,
            "ingress": self.ingress,
            "conditions": [c.to_json() for c in self.conditions],
            "action": self.action.to_json(),
            "source": str(self.source) if self.source else None,
        }
        if self.jwt_validation is not None:
            out["jwt_validation"] = self.jwt_validation.to_json()
        return out


@dataclass(frozen=True, slots=True)
class Listener:
    port: int
    protocol: str
    certificates: tuple[str, ...]
    ssl_policy: str | None
    default_action: Action
    default_from: str | None  # the Ingress whose defaultBackend is the default action
    rules: tuple[Rule, ...] = ()

    def to_json(self) -> dict[str, object]:
        return {
            "protocol": self.protocol,
            "port": self.port,
            "certificates": list(self.certificates),
            "ssl_policy": self.ssl_policy,
            "default_action": self.default_action.to_json(),
            "default_from": self.default_from,
            "rules": [r.to_json() for r in self.rules],
        }


@dataclass(frozen=True, slots=True)
class Member:
    ingress: Ingress = field(repr=False, compare=False)
    key: str  # ns/name
    order: int
    ports: tuple[tuple[int, str], ...] = ()  # (port, protocol) it listens on
    rule_count: int = 0  # rules it contributes after ssl-redirect and the optimizer

    def to_json(self) -> dict[str, object]:
        return {
            "ingress": self.key,
            "order": self.order,
            "listen_ports": [{"protocol": p, "port": n} for n, p in self.ports],
            "rules": self.rule_count,
            "source": str(self.ingress.meta.source),
        }


@dataclass(frozen=True, slots=True)
class Alb:
    """One ALB: an IngressGroup built as the controller would build it.

    ``errors`` are model-build errors: the controller builds nothing for the
    group while any is present (it reports the first it meets on every
    member; all are listed here). ``quota`` lists the AWS quotas the built
    model exceeds, which fail at deploy time.
    """

    group: str  # the explicit group name, or ns/name of an implicit group
    explicit: bool
    members: tuple[Member, ...]
    errors: tuple[str, ...] = ()
    scheme: str | None = None
    ip_address_type: str | None = None
    name: str | None = None
    dns_name: str | None = None
    canonical_hosted_zone_id: str | None = None
    subnet_ids: tuple[str, ...] = ()
    listeners: tuple[Listener, ...] = ()
    quota: tuple[str, ...] = ()
    attributes: tuple[tuple[str, str], ...] = ()
    tags: tuple[tuple[str, str], ...] = ()
    # the frontend groups written in alb.ingress.kubernetes.io/security-groups
    # (names or ids; empty: the controller creates one)
    security_groups: tuple[str, ...] = ()
    # the controller adds the target groups' ENI rules for this ALB
    manages_backend_rules: bool = True

    @property
    def error(self) -> str | None:
        return self.errors[0] if self.errors else None

    @property
    def rule_count(self) -> int:
        return sum(len(ls.rules) for ls in self.listeners)

    def member(self, key: str) -> Member | None:
        return next((m for m in self.members if m.key == key), None)

    def to_json(self) -> dict[str, object]:
        return {
            "group": self.group,
            "explicit": self.explicit,
            "name": self.name,
            "dns_name": self.dns_name,
            "scheme": self.scheme,
            "ip_address_type": self.ip_address_type,
            "subnets": list(self.subnet_ids),
            "members": [m.to_json() for m in self.members],
            "error": self.error,
            "errors": list(self.errors),
            "listeners": [ls.to_json() for ls in self.listeners],
            "rule_count": self.rule_count,
            "quota": list(self.quota),
            "attributes": dict(self.attributes),
            "tags": dict(self.tags),
        }


@dataclass(frozen=True, slots=True)
class IgnoredIngress:
    ingress: str
    reason: str

    def to_json(self) -> dict[str, object]:
        return {"ingress": self.ingress, "reason": self.reason}


@dataclass(frozen=True, slots=True)
class AlbPlan:
    albs: tuple[Alb, ...]
    ignored: tuple[IgnoredIngress, ...] = ()
    notes: tuple[str, ...] = ()  # on the controller flags read from the platform

    def alb_of(self, ingress_key: str) -> Alb | None:
        return next((a for a in self.albs if a.member(ingress_key) is not None), None)

    def to_json(self) -> dict[str, object]:
        return {
            "load_balancers": [a.to_json() for a in self.albs],
            "ignored": [i.to_json() for i in self.ignored],
            "notes": list(self.notes),
        }

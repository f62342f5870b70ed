"""IAM roles of the model as parsed policy sets, and what they allow, summarised.

A malformed document does not abort anything: the policy is left out and a
message naming the role and the policy is recorded (``RolePolicies.errors``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ekstwin.engines.iam.evaluate import PolicySet
from ekstwin.engines.iam.policy import Effect, Policy, PolicyError, parse_policy
from ekstwin.model.aws import AwsState, IamRole


@dataclass(frozen=True, slots=True)
class Permission:
    """One Allow or Deny statement of a role's identity policies, by service."""

    service: str
    effect: str
    actions: tuple[str, ...]
    resources: tuple[str, ...]
    policy: str
    sid: str | None
    negated_action: bool = False
    negated_resource: bool = False
    conditional: bool = False

    def to_json(self) -> dict[str, object]:
        return {
            "service": self.service,
            "effect": self.effect,
            "actions": list(self.actions),
            "not_action": self.negated_action,
            "resources": list(self.resources),
            "not_resource": self.negated_resource,
            "conditional": self.conditional,
            "policy": self.policy,
            "sid": self.sid,
        }


@dataclass(frozen=True, slots=True)
class RolePolicies:
    role: IamRole
    identity: tuple[Policy, ...]
    boundary: Policy | None
    trust: Policy | None
    scps: tuple[tuple[Policy, ...], ...] | None
    errors: tuple[str, ...] = ()

    def policy_set(self, *, trust: bool = False, session_policy: Policy | None = None) -> PolicySet:
        return PolicySet(
            identity=self.identity,
            permissions_boundary=self.boundary,
            session_policy=session_policy,
            scps=self.scps,
            trust_policy=self.trust if trust else None,
        )

    def permissions(self) -> tuple[Permission, ...]:
        out: list[Permission] = []
        for policy in self.identity:
            for stmt in policy.statements:
                acts = stmt.actions or stmt.not_actions
                written = acts.written if acts else ()
                res = stmt.resources or stmt.not_resources
                resources = res.written if res else ("*",)
                services = sorted(
                    {a.split(":", 1)[0].lower() if ":" in a else "*" for a in written}
                )
                for service in services:
                    out.append(
                        Permission(
                            service=service,
                            effect=stmt.effect.value,
                            actions=tuple(
                                a
                                for a in written
                                if (a.split(":", 1)[0].lower() if ":" in a else "*") == service
                            ),
                            resources=resources,
                            policy=policy.name,
                            sid=stmt.sid,
                            negated_action=stmt.not_actions is not None,
                            negated_resource=stmt.not_resources is not None,
                            conditional=bool(stmt.conditions),
                        )
                    )
        out.sort(key=lambda p: (p.service, p.effect != Effect.DENY.value, p.policy, p.actions))
        return tuple(out)


@dataclass(slots=True)
class RoleCatalog:
    """Parses each role's policies once per run (owned by the caller, not global)."""

    aws: AwsState
    _parsed: dict[str, RolePolicies | None] = field(default_factory=dict)
    _rcps: dict[str, tuple[tuple[Policy, ...], ...] | None] = field(default_factory=dict)

    def get(self, role_arn: str) -> RolePolicies | None:
        if role_arn in self._parsed:
            return self._parsed[role_arn]
        role = self.aws.role(role_arn)
        result = None if role is None else _parse_role(self.aws, role)
        self._parsed[role_arn] = result
        return result

    def rcps(self, account_id: str | None) -> tuple[tuple[Policy, ...], ...] | None:
        """The RCPs of the levels above ``account_id`` (root first), for requests on its
        resources; None when the account has none in the model. Unreadable documents
        are left out (the aws.json schema check reports them)."""
        if not account_id:
            return None
        if account_id not in self._rcps:
            account = self.aws.account(account_id)
            org = account.organization if account is not None else None
            levels: tuple[tuple[Policy, ...], ...] | None = None
            if org is not None and org.rcps:
                parsed: list[tuple[Policy, ...]] = []
                for i, level in enumerate(org.rcps):
                    docs: list[Policy] = []
                    for j, document in enumerate(level):
                        try:
                            docs.append(parse_policy(document, f"rcp[{i}][{j}]"))
                        except PolicyError:
                            continue
                    parsed.append(tuple(docs))
                levels = tuple(parsed)
            self._rcps[account_id] = levels
        return self._rcps[account_id]


def _parse_role(aws: AwsState, role: IamRole) -> RolePolicies:
    errors: list[str] = []

    def parse(document: object, name: str) -> Policy | None:
        try:
            return parse_policy(document, name)
        except PolicyError as exc:
            errors.append(f"role {role.arn}: {exc}")
            return None

    identity: list[Policy] = []
    for name, document in sorted(role.inline_policies.items()):
        parsed = parse(document, f"{role.name}/inline/{name}")
        if parsed is not None:
            identity.append(parsed)
    for arn in role.attached_policy_arns:
        managed = aws.policy(arn)
        if managed is None:
            errors.append(
                f"role {role.arn}: attached policy {arn} is not in the model; "
                "its permissions are not counted"
            )
            continue
        parsed = parse(managed.document, managed.name)
        if parsed is not None:
            identity.append(parsed)
    boundary: Policy | None = None
    if role.permissions_boundary_arn:
        managed = aws.policy(role.permissions_boundary_arn)
        if managed is None:
            errors.append(
                f"role {role.arn}: permissions boundary {role.permissions_boundary_arn} is not "
                "in the model; treated as allowing nothing"
            )
            boundary = Policy(name=role.permissions_boundary_arn, statements=())
        else:
            boundary = parse(managed.document, f"boundary {managed.name}") or Policy(
                name=managed.name, statements=()
            )
    trust = parse(role.trust_policy, f"{role.name}/trust") if role.trust_policy else None
    scps: tuple[tuple[Policy, ...], ...] | None = None
    account = aws.account_of(role.arn)
    if account is not None and account.organization is not None and account.organization.scps:
        levels: list[tuple[Policy, ...]] = []
        for i, level in enumerate(account.organization.scps):
            docs = [parse(d, f"scp[{i}][{j}]") for j, d in enumerate(level)]
            levels.append(tuple(d for d in docs if d is not None))
        scps = tuple(levels)
    return RolePolicies(role, tuple(identity), boundary, trust, scps, tuple(errors))

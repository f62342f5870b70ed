"""AWS IAM policy evaluation: one request against the policies that apply to it.

The order follows the IAM User Guide ("Policy evaluation logic" and
"Cross-account policy evaluation logic"):

1. an explicit Deny in any applicable policy (SCPs, RCPs, resource-based,
   identity-based, permissions boundary, session policy) decides. RCPs
   (resource control policies of the resource owner's organization levels)
   take part only for the services that support them and never for
   service-linked roles; their only Allow is the RCPFullAWSAccess policy AWS
   attaches to every level and that cannot be detached, so only their Denies
   can decide;
2. SCPs: every level of the OU path (root first, account last) needs an
   Allow, for principals of member accounts;
3. resource-based policy: in the same account its Allow is enough when it
   names the user or the session itself; naming the role still leaves the
   boundary and the session policy to cap it; naming the account delegates
   to the identity policies. Role trust policies (and KMS key policies) must
   allow the principal explicitly even in the same account;
4. identity-based policies must allow (unless 3 already decided);
5. a permissions boundary, when set, must allow too;
6. a session policy, when set, must allow too.

Across accounts both sides must allow: the caller's identity policies (with
boundary, session policy and SCPs) and the resource owner's resource policy.
Web-identity and service principals are not IAM principals: only the
resource (trust) policy speaks for them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from ekstwin.engines.iam.conditions import Context, conditions_hold
from ekstwin.engines.iam.guardrails import guard_rail, is_public_statement
from ekstwin.engines.iam.patterns import PatternCache, joined, resolve
from ekstwin.engines.iam.policy import Effect, Patterns, Policy, PrincipalSpec, Statement

__all__ = [
    "Decision",
    "DecidingStatement",
    "DenyKind",
    "Evaluator",
    "PolicySet",
    "Principal",
    "PrincipalType",
    "Request",
    "ResourcePolicy",
    "evaluate",
    "rcps_apply",
]

_ACCOUNT = re.compile(r"\d{12}")
#: actions whose resource policy is the role's trust policy
_TRUST_ACTIONS = ("sts:assumerole", "sts:tagsession", "sts:setsourceidentity", "sts:setcontext")


class PrincipalType(StrEnum):
    IAM_USER = "iam-user"
    IAM_ROLE = "iam-role"
    ROLE_SESSION = "role-session"
    WEB_IDENTITY = "web-identity"
    SERVICE = "service"
    #: an unsigned request: only a resource-based policy that names everyone
    #: (``"*"`` or ``{"AWS": "*"}``) can let it in
    ANONYMOUS = "anonymous"

    @property
    def is_iam(self) -> bool:
        return self in _IAM_TYPES


_IAM_TYPES = frozenset({PrincipalType.IAM_USER, PrincipalType.IAM_ROLE, PrincipalType.ROLE_SESSION})


class DenyKind(StrEnum):
    EXPLICIT = "explicit"
    IMPLICIT = "implicit"
    IMPLICIT_SCP = "implicit-scp"
    IMPLICIT_BOUNDARY = "implicit-boundary"
    IMPLICIT_SESSION = "implicit-session"
    #: the request came through a VPC endpoint whose policy does not allow it
    IMPLICIT_VPC_ENDPOINT = "implicit-vpc-endpoint"
    #: AWS refuses it outside policy logic (see :mod:`.guardrails`)
    GUARD_RAIL = "guard-rail"


@dataclass(frozen=True, slots=True)
class Principal:
    """Who makes the request.

    ``arn`` is the user or role ARN; a ``role-session`` also has
    ``session_arn`` (``arn:aws:sts::A:assumed-role/R/S``); a ``web-identity``
    has ``federated`` (the IAM OIDC provider ARN) and ``issuer_url``; a
    ``service`` principal has ``service`` (``pods.eks.amazonaws.com``).
    """

    type: PrincipalType
    arn: str = ""
    account: str = ""
    session_arn: str | None = None
    federated: str | None = None
    issuer_url: str | None = None
    service: str | None = None

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {"type": self.type.value, "arn": self.arn, "account": self.account}
        for key in ("session_arn", "federated", "issuer_url", "service"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        return out


@dataclass(frozen=True, slots=True)
class Request:
    """One API call: principal, action, resource and the request context.

    ``context`` keys are lower-cased (condition keys are case-insensitive);
    every value is a tuple (single-valued keys hold one). Keys not given are
    absent: nothing is defaulted.
    """

    principal: Principal
    action: str
    resource: str
    context: Mapping[str, tuple[str, ...]] = field(default_factory=dict, hash=False)

    @staticmethod
    def make_context(raw: Mapping[str, object]) -> dict[str, tuple[str, ...]]:
        out: dict[str, tuple[str, ...]] = {}
        for key, value in raw.items():
            if isinstance(value, list | tuple):
                out[key.lower()] = tuple(_scalar(v) for v in value)
            else:
                out[key.lower()] = (_scalar(value),)
        return out


def _scalar(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@dataclass(frozen=True, slots=True)
class ResourcePolicy:
    owner_account: str
    policy: Policy


@dataclass(frozen=True, slots=True)
class PolicySet:
    """Every policy that applies to one request (the ``policies`` of the case format)."""

    identity: tuple[Policy, ...] = ()
    permissions_boundary: Policy | None = None
    session_policy: Policy | None = None
    scps: tuple[tuple[Policy, ...], ...] | None = None
    #: The resource owner's RCPs, one tuple per level (root first); None: no RCPs.
    rcps: tuple[tuple[Policy, ...], ...] | None = None
    resource_policy: ResourcePolicy | None = None
    trust_policy: Policy | None = None
    #: The policy of the VPC endpoint the request goes through; None: no endpoint.
    vpc_endpoint_policy: Policy | None = None
    #: S3 Block Public Access ``RestrictPublicBuckets`` in force for the bucket
    restrict_public_buckets: bool = False


@dataclass(frozen=True, slots=True)
class DecidingStatement:
    policy: str
    sid: str | None
    index: int
    effect: Effect

    def to_json(self) -> dict[str, object]:
        return {
            "policy": self.policy,
            "sid": self.sid,
            "index": self.index,
            "effect": self.effect.value,
        }


@dataclass(frozen=True, slots=True)
class Decision:
    """The answer. ``unknown`` means the input lacks a policy that decides
    (``allowed`` is then False, and ``decision`` is ``"unknown"``)."""

    allowed: bool
    deny_kind: DenyKind | None
    reason: str
    statements: tuple[DecidingStatement, ...] = ()
    unknown: bool = False

    @property
    def decision(self) -> str:
        if self.unknown:
            return "unknown"
        return "Allow" if self.allowed else "Deny"

    def to_json(self) -> dict[str, object]:
        return {
            "decision": self.decision,
            "deny_kind": self.deny_kind.value if self.deny_kind else None,
            "reason": self.reason,
            "statements": [s.to_json() for s in self.statements],
        }


#: deny kinds that no further policy changes
_FINAL = frozenset({DenyKind.EXPLICIT, DenyKind.GUARD_RAIL})

# principal match strength in a resource-based policy, weakest first
_ACCOUNT_MATCH = 1
_ROLE_MATCH = 2
_DIRECT_MATCH = 3


def _principal_match(spec: PrincipalSpec, p: Principal) -> int:
    """How a Principal element names ``p``: 0 not at all, else a strength above."""
    if spec.any:
        return _DIRECT_MATCH
    best = 0
    if p.type.is_iam:
        partition = p.arn.split(":", 2)[1] if p.arn.startswith("arn:") else "aws"
        root = f"arn:{partition}:iam::{p.account}:root"
        for value in spec.aws:
            if value == "*":
                best = max(best, _DIRECT_MATCH)
            elif value in (p.account, root):
                best = max(best, _ACCOUNT_MATCH)
            elif p.session_arn is not None and value == p.session_arn:
                best = max(best, _DIRECT_MATCH)
            elif value == p.arn:
                best = max(best, _DIRECT_MATCH if p.type is PrincipalType.IAM_USER else _ROLE_MATCH)
    elif p.type is PrincipalType.WEB_IDENTITY:
        if p.federated is not None and p.federated in spec.federated:
            best = _DIRECT_MATCH
    elif p.type is PrincipalType.ANONYMOUS:
        if "*" in spec.aws:
            best = _DIRECT_MATCH
    elif p.service is not None and p.service in spec.service:
        best = _DIRECT_MATCH
    return best


def _not_principal_excludes(
    spec: PrincipalSpec, p: Principal, effect: Effect, *, has_boundary: bool
) -> bool:
    """Whether a NotPrincipal element leaves ``p`` out of its statement.

    With Deny, ``p`` is spared only when every identity of its chain is
    listed (the session ARN, the user or role ARN, and the account), and never
    when it has a permissions boundary: AWS then always denies it (IAM User
    Guide, "AWS JSON policy elements: NotPrincipal", key points).

    With Allow (not supported for new policies; older ones meant "everyone
    except") ``p`` is left out as soon as any identity of its chain is listed,
    so the statement never grants a principal it names.
    """
    if spec.any:
        return True
    if p.type.is_iam:
        partition = p.arn.split(":", 2)[1] if p.arn.startswith("arn:") else "aws"
        account_listed = (
            p.account in spec.aws or f"arn:{partition}:iam::{p.account}:root" in spec.aws
        )
        arns = [p.arn] + ([p.session_arn] if p.session_arn else [])
        if effect is Effect.ALLOW:
            return account_listed or any(a in spec.aws for a in arns)
        if has_boundary:
            return False
        return account_listed and all(a in spec.aws for a in arns)
    if p.type is PrincipalType.WEB_IDENTITY:
        return p.federated is not None and p.federated in spec.federated
    if p.type is PrincipalType.ANONYMOUS:
        return False
    return p.service is not None and p.service in spec.service


@dataclass(slots=True)
class Evaluator:
    """Evaluates requests; owns the compiled-pattern cache, so reuse one for many requests."""

    cache: PatternCache = field(default_factory=PatternCache)

    # -- statement matching

    def _in(
        self,
        patterns: Patterns,
        value: str,
        kind: str,
        context: Context,
        *,
        unresolved: bool = False,
    ) -> bool:
        """Does a value of ``patterns`` match? A value whose variable cannot be
        resolved counts as ``unresolved`` (no match for Resource; for
        NotResource the statement must then not apply, so the caller passes True)."""
        if patterns.any or value in patterns.exact:
            return True
        if patterns.wildcard_regex is not None and patterns.wildcard_regex.fullmatch(value):
            return True
        cache = self.cache
        for v in patterns.variables:
            chunks = resolve(v, context)
            if chunks is None:
                if unresolved:
                    return True
                continue
            if joined(chunks) == value or cache.get(kind, chunks).fullmatch(value) is not None:
                return True
        return False

    def statement_applies(
        self,
        stmt: Statement,
        request: Request,
        action: str,
        principal_of: bool,
        *,
        has_boundary: bool = False,
        principal_default_any: bool = False,
    ) -> int:
        """0 if the statement does not apply; else 1, or the principal match strength."""
        context = request.context
        acts = stmt.actions
        if acts is not None:
            if not (acts.any or action in acts.exact) and not self._in(
                acts, action, "action", context
            ):
                return 0
        elif stmt.not_actions is not None and self._in(stmt.not_actions, action, "action", context):
            return 0
        if stmt.resources is not None:
            if not self._in(stmt.resources, request.resource, "resource", context):
                return 0
        elif stmt.not_resources is not None and self._in(
            stmt.not_resources, request.resource, "resource", context, unresolved=True
        ):
            return 0
        strength = 1
        if principal_of:
            if stmt.principal is not None:
                strength = _principal_match(stmt.principal, request.principal)
                if strength == 0:
                    return 0
            elif stmt.not_principal is not None:
                if _not_principal_excludes(
                    stmt.not_principal, request.principal, stmt.effect, has_boundary=has_boundary
                ):
                    return 0
                strength = _DIRECT_MATCH
            elif principal_default_any:
                strength = _DIRECT_MATCH
            else:
                return 0
        if stmt.conditions and not conditions_hold(stmt.conditions, context, self.cache):
            return 0
        return strength

    def _match(
        self,
        policies: Sequence[Policy],
        request: Request,
        action: str,
        *,
        principal_of: bool = False,
        has_boundary: bool = False,
        principal_default_any: bool = False,
    ) -> tuple[list[tuple[Policy, Statement, int]], list[tuple[Policy, Statement, int]]]:
        allows: list[tuple[Policy, Statement, int]] = []
        denies: list[tuple[Policy, Statement, int]] = []
        if not policies:
            return allows, denies
        for policy in policies:
            for stmt in policy.statements:
                strength = self.statement_applies(
                    stmt,
                    request,
                    action,
                    principal_of,
                    has_boundary=has_boundary,
                    principal_default_any=principal_default_any,
                )
                if strength:
                    (allows if stmt.effect is Effect.ALLOW else denies).append(
                        (policy, stmt, strength)
                    )
        return allows, denies

    # -- the decision

    def evaluate(self, request: Request, policies: PolicySet) -> Decision:
        decision = self._decide(request, policies)
        endpoint = policies.vpc_endpoint_policy
        if endpoint is None or decision.unknown or decision.deny_kind in _FINAL:
            return decision
        if decision.allowed and not decision.statements:  # needs no permission
            return decision
        # A request through a VPC endpoint is also judged by the endpoint's policy,
        # a resource-based policy whose Principal defaults to everyone.
        allow, deny = self._match(
            [endpoint],
            request,
            request.action.lower(),
            principal_of=True,
            has_boundary=policies.permissions_boundary is not None,
            principal_default_any=True,
        )
        if deny:
            return Decision(
                False,
                DenyKind.EXPLICIT,
                f"explicitly denied by {endpoint.name} (the VPC endpoint policy)",
                _deciding(deny),
            )
        if not decision.allowed:
            return decision
        if not allow:
            return Decision(
                False,
                DenyKind.IMPLICIT_VPC_ENDPOINT,
                "the request goes through a VPC endpoint whose policy does not allow it",
            )
        return Decision(
            True,
            None,
            decision.reason + ", and by the VPC endpoint policy",
            decision.statements + _deciding(allow),
        )

    def _decide(self, request: Request, policies: PolicySet) -> Decision:
        action = request.action.lower()
        p = request.principal
        iam = p.type.is_iam
        if action == "sts:getcalleridentity" and p.type is not PrincipalType.ANONYMOUS:
            return Decision(
                True,
                None,
                "sts:GetCallerIdentity needs no permission and cannot be denied "
                "(STS API reference)",
            )
        rail = guard_rail(action, request.resource, p.arn)
        if rail is not None:
            return Decision(False, DenyKind.GUARD_RAIL, rail)
        is_assume = action.startswith(_TRUST_ACTIONS)
        resource_doc: Policy | None
        owner: str | None
        if is_assume and policies.trust_policy is not None:
            resource_doc = policies.trust_policy
            owner = _account_of(request.resource)
        elif policies.resource_policy is not None:
            resource_doc = policies.resource_policy.policy
            owner = policies.resource_policy.owner_account
        else:
            resource_doc = None
            owner = _account_of(request.resource)
        cross = owner is not None and owner != p.account

        id_allow, id_deny = self._match(policies.identity if iam else (), request, action)
        boundary = policies.permissions_boundary if iam else None
        pb_allow, pb_deny = self._match([boundary] if boundary else [], request, action)
        session = policies.session_policy
        sp_allow, sp_deny = self._match([session] if session else [], request, action)
        scp_levels = policies.scps if iam else None
        scp_allow: list[list[tuple[Policy, Statement, int]]] = []
        scp_deny: list[tuple[Policy, Statement, int]] = []
        for level in scp_levels or ():
            allow, deny = self._match(level, request, action)
            scp_allow.append(allow)
            scp_deny.extend(deny)
        res_allow, res_deny = self._match(
            [resource_doc] if resource_doc else [],
            request,
            action,
            principal_of=True,
            has_boundary=boundary is not None,
        )
        rcp_deny: list[tuple[Policy, Statement, int]] = []
        if policies.rcps is not None and rcps_apply(action, p):
            for level in policies.rcps:
                rcp_deny.extend(self._match(level, request, action)[1])

        blocked = ""
        if (
            policies.restrict_public_buckets
            and action.startswith("s3:")
            and (p.type is PrincipalType.ANONYMOUS or (iam and cross))
        ):
            public = [m for m in res_allow if is_public_statement(m[1])]
            if public:
                res_allow = [m for m in res_allow if m not in public]
                blocked = (
                    " (S3 Block Public Access, RestrictPublicBuckets: the bucket policy's public "
                    "grant does not reach principals outside the bucket owner's account)"
                )

        denies = scp_deny + rcp_deny + res_deny + id_deny + pb_deny + sp_deny
        if denies:
            names = ", ".join(sorted({f"{pol.name} ({st.label})" for pol, st, _ in denies}))
            return Decision(
                False, DenyKind.EXPLICIT, f"explicitly denied by {names}", _deciding(denies)
            )

        if scp_levels is not None:
            for level_index, allow in enumerate(scp_allow):
                if not allow:
                    return Decision(
                        False,
                        DenyKind.IMPLICIT_SCP,
                        f"no service control policy at {_level_name(level_index, len(scp_allow))} "
                        f"allows {request.action}",
                    )
        scp_used = [m for allow in scp_allow for m in allow]
        if action.startswith("kms:") and _is_kms_key(request.resource) and resource_doc is None:
            return Decision(
                False,
                None,
                "key policy not in the input (a KMS key policy must allow "
                "before IAM policies take effect)",
                unknown=True,
            )

        what = (
            "trust policy"
            if is_assume and policies.trust_policy is not None
            else "resource-based policy"
        )
        if not iam:
            if not res_allow:
                missing = (
                    "there is no " + what
                    if resource_doc is None
                    else f"the {what} does not allow it"
                )
                return Decision(
                    False, DenyKind.IMPLICIT, f"{p.type.value} principal: {missing}{blocked}"
                )
            if session is not None and not sp_allow:
                return Decision(
                    False, DenyKind.IMPLICIT_SESSION, "the session policy does not allow it"
                )
            return Decision(True, None, f"allowed by the {what}", _deciding(res_allow + sp_allow))

        strongest = max((s for _, _, s in res_allow), default=0)
        must_resource = (is_assume and policies.trust_policy is not None) or (
            action.startswith("kms:") and resource_doc is not None
        )
        if (must_resource or cross) and not res_allow:
            if resource_doc is None:
                reason = (
                    f"cross-account request to account {owner}: "
                    "the resource has no resource-based policy"
                )
            elif cross:
                reason = (
                    f"cross-account request: the {what} of account {owner} "
                    "does not allow the principal"
                )
            else:
                reason = (
                    f"the {what} does not allow the principal (it must, even in the same account)"
                )
            return Decision(False, DenyKind.IMPLICIT, reason + blocked)

        if not cross and strongest >= _ROLE_MATCH:
            used = res_allow
            if strongest == _ROLE_MATCH:
                if boundary is not None and not pb_allow:
                    return Decision(
                        False,
                        DenyKind.IMPLICIT_BOUNDARY,
                        f"the {what} names the role, "
                        "but its permissions boundary does not allow it",
                    )
                if session is not None and not sp_allow:
                    return Decision(
                        False,
                        DenyKind.IMPLICIT_SESSION,
                        f"the {what} names the role, but the session policy does not allow it",
                    )
                used = res_allow + pb_allow + sp_allow
            return Decision(
                True,
                None,
                f"allowed by the {what}, which names the principal (same account)",
                _deciding(scp_used + used),
            )

        if not id_allow:
            reason = "no identity-based policy allows it"
            if cross:
                reason = "cross-account request: " + reason + " (both sides must allow)"
            elif resource_doc is not None and strongest == _ACCOUNT_MATCH:
                reason += f" (the {what} only names the account, which delegates to IAM policies)"
            return Decision(False, DenyKind.IMPLICIT, reason)
        if boundary is not None and not pb_allow:
            return Decision(
                False,
                DenyKind.IMPLICIT_BOUNDARY,
                "an identity-based policy allows it but the permissions boundary does not",
            )
        if session is not None and not sp_allow:
            return Decision(
                False,
                DenyKind.IMPLICIT_SESSION,
                "an identity-based policy allows it but the session policy does not",
            )
        if cross:
            reason = f"allowed by an identity-based policy and the {what} of account {owner}"
        elif res_allow:
            reason = f"allowed by an identity-based policy (the {what} names the account)"
        else:
            reason = "allowed by an identity-based policy"
        return Decision(
            True, None, reason, _deciding(scp_used + id_allow + res_allow + pb_allow + sp_allow)
        )


#: Services whose resources RCPs govern (AWS Organizations, "List of AWS services
#: that support RCPs"): the five of the launch (December 2024), then ECR and
#: OpenSearch Serverless (June 2025), Cognito user pools and CloudWatch Logs
#: (January 2026), DynamoDB (February 2026).
RCP_SERVICES = frozenset(
    {"s3", "sts", "kms", "sqs", "secretsmanager",
     "cognito-idp", "logs", "dynamodb", "ecr", "aoss"}
)  # fmt: skip


def rcps_apply(action: str, principal: Principal) -> bool:
    """Whether RCPs take part in a request: a supported service, and not a
    service-linked role (RCPs do not restrict those)."""
    service = action.split(":", 1)[0].lower()
    if service not in RCP_SERVICES:
        return False
    arn = principal.arn or ""
    role = arn.split(":role/", 1)[-1] if ":role/" in arn else ""
    session = arn.split(":assumed-role/", 1)[-1] if ":assumed-role/" in arn else ""
    return not (
        role.startswith("aws-service-role/")
        or role.startswith("AWSServiceRoleFor")
        or session.startswith("AWSServiceRoleFor")
    )


def _level_name(index: int, levels: int) -> str:
    if index == levels - 1:
        return "the account level" if levels > 1 else "the only level (0)"
    if index == 0:
        return "the organization root (level 0)"
    return f"OU level {index}"


def _is_kms_key(arn: str) -> bool:
    """A KMS key ARN (``arn:aws:kms:REGION:ACCOUNT:key/ID``): its key policy decides."""
    parts = arn.split(":", 5)
    return len(parts) == 6 and parts[2] == "kms" and parts[5].startswith("key/")


def _account_of(arn: str) -> str | None:
    parts = arn.split(":", 5)
    if len(parts) == 6 and _ACCOUNT.fullmatch(parts[4]):
        return parts[4]
    return None


def _deciding(matches: list[tuple[Policy, Statement, int]]) -> tuple[DecidingStatement, ...]:
    seen: set[tuple[str, int]] = set()
    out: list[DecidingStatement] = []
    for policy, stmt, _ in matches:
        key = (policy.name, stmt.index)
        if key not in seen:
            seen.add(key)
            out.append(DecidingStatement(policy.name, stmt.sid, stmt.index, stmt.effect))
    return tuple(out)


def evaluate(request: Request, policies: PolicySet, evaluator: Evaluator | None = None) -> Decision:
    """Decide one request. Pass an :class:`Evaluator` to reuse its pattern cache."""
    return (evaluator or Evaluator()).evaluate(request, policies)

"""Every chain from a pod to AWS credentials, and the kubelet's ECR pulls.

* **EKS Pod Identity**: an association for the pod's namespace/ServiceAccount;
  the role must trust ``pods.eks.amazonaws.com`` for ``sts:AssumeRole`` (and
  ``sts:TagSession`` unless session tags are disabled) and live in the
  cluster's account; the node role needs ``eks-auth:AssumeRoleForPodIdentity``.
  When an association exists the pod identity webhook injects it instead of
  IRSA.
* **IRSA**: the ServiceAccount's ``eks.amazonaws.com/role-arn`` annotation
  makes the webhook inject a projected token (issuer = the cluster's OIDC
  issuer, ``sub`` = ``system:serviceaccount:NS:SA``, ``aud`` = the
  ``audience`` annotation or ``sts.amazonaws.com``); pods labelled
  ``eks.amazonaws.com/skip-pod-identity-webhook`` are never mutated. The role's
  account must hold an IAM OIDC provider for the issuer listing the audience,
  and the trust policy must admit the token.
* **Node role**: through IMDS, unless the node requires IMDSv2 with a hop
  limit of 1 (a pod's own network namespace adds a hop); hostNetwork pods
  always reach it. Pods with IRSA or Pod Identity can still reach it.
* **ECR pulls** are made by the kubelet with the node role:
  ``ecr:GetAuthorizationToken`` (account level), then ``ecr:BatchGetImage``
  and ``ecr:GetDownloadUrlForLayer`` on the repository, with its repository
  policy as the resource policy (both sides must allow across accounts).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from ekstwin.engines.ecr import find_repository
from ekstwin.engines.iam.evaluate import (
    Decision,
    DenyKind,
    Evaluator,
    PolicySet,
    Principal,
    PrincipalType,
    Request,
    ResourcePolicy,
)
from ekstwin.engines.iam.patterns import PatternCache
from ekstwin.engines.iam.policy import Effect, PolicyError, Statement, parse_policy
from ekstwin.engines.iam.roles import Permission, RoleCatalog, RolePolicies
from ekstwin.model.aws import (
    EksCluster,
    HttpEndpoint,
    HttpTokens,
    Instance,
    PodIdentityAssociation,
    account_of_arn,
)
from ekstwin.model.k8s import Container, ContainerKind, Pod, ServiceAccount
from ekstwin.model.platform import Platform

__all__ = [
    "ChainStep",
    "IamAnalyzer",
    "ImagePull",
    "ContainerCredentials",
    "PodAccess",
    "RoleGrant",
    "Via",
    "WhoCan",
    "WhoCanEntry",
]

ROLE_ARN = "eks.amazonaws.com/role-arn"
AUDIENCE = "eks.amazonaws.com/audience"
REGIONAL = "eks.amazonaws.com/sts-regional-endpoints"
EXPIRATION = "eks.amazonaws.com/token-expiration"
SKIP_LABEL = "eks.amazonaws.com/skip-pod-identity-webhook"
DEFAULT_AUDIENCE = "sts.amazonaws.com"
POD_IDENTITY_SERVICE = "pods.eks.amazonaws.com"
ECR_PULL_ACTIONS = ("ecr:GetAuthorizationToken", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer")


class Via(StrEnum):
    POD_IDENTITY = "pod-identity"
    IRSA = "irsa"
    NODE_ROLE = "node-role"


@dataclass(frozen=True, slots=True)
class ChainStep:
    """One link of a chain: what was checked, whether it holds, and the detail."""

    step: str
    ok: bool
    detail: str

    def to_json(self) -> dict[str, object]:
        return {"step": self.step, "ok": self.ok, "detail": self.detail}


@dataclass(frozen=True, slots=True)
class RoleGrant:
    """A role a pod may try to obtain, how, and whether it gets it."""

    via: Via
    role_arn: str
    obtained: bool
    steps: tuple[ChainStep, ...]
    nodes: tuple[str, ...] = ()
    permissions: tuple[Permission, ...] = ()
    failure: str | None = None

    def to_json(self) -> dict[str, object]:
        return {
            "via": self.via.value,
            "role_arn": self.role_arn,
            "obtained": self.obtained,
            "failure": self.failure,
            "nodes": list(self.nodes),
            "chain": [s.to_json() for s in self.steps],
            "permissions": [p.to_json() for p in self.permissions],
        }


@dataclass(frozen=True, slots=True)
class ImagePull:
    container: str
    image: str
    repository_arn: str | None
    node_role_arn: str | None
    ok: bool | None  # None: not an ECR image of the model (nothing to evaluate)
    reason: str
    decisions: tuple[tuple[str, str], ...] = ()  # (action, "Allow"/"Deny (kind): reason")

    def to_json(self) -> dict[str, object]:
        return {
            "container": self.container,
            "image": self.image,
            "repository_arn": self.repository_arn,
            "node_role_arn": self.node_role_arn,
            "ok": self.ok,
            "reason": self.reason,
            "decisions": [{"action": a, "decision": d} for a, d in self.decisions],
        }


@dataclass(frozen=True, slots=True)
class ContainerCredentials:
    """What one container's AWS SDK picks first, after the webhook has run.

    ``source`` is ``static-keys`` (``AWS_ACCESS_KEY_ID`` and
    ``AWS_SECRET_ACCESS_KEY`` in its env), ``web-identity`` (``AWS_ROLE_ARN``
    and a token file: IRSA, or the container's own), ``container-credentials``
    (Pod Identity's agent), ``imds`` (the node role) or ``none``.
    """

    container: str
    source: str
    role_arn: str | None
    obtained: bool | None
    detail: str

    def to_json(self) -> dict[str, object]:
        return {
            "container": self.container,
            "source": self.source,
            "role_arn": self.role_arn,
            "obtained": self.obtained,
            "detail": self.detail,
        }


@dataclass(frozen=True, slots=True)
class PodAccess:
    """Everything a pod can obtain in AWS (``ekstwin iam pod``)."""

    pod: str
    service_account: str
    cluster: str | None
    default_credentials: Via | None
    roles: tuple[RoleGrant, ...]
    pulls: tuple[ImagePull, ...]
    notes: tuple[str, ...] = ()
    containers: tuple[ContainerCredentials, ...] = ()

    def to_json(self) -> dict[str, object]:
        return {
            "pod": self.pod,
            "service_account": self.service_account,
            "cluster": self.cluster,
            "default_credentials": self.default_credentials.value
            if self.default_credentials
            else None,
            "roles": [r.to_json() for r in self.roles],
            "image_pulls": [p.to_json() for p in self.pulls],
            "containers": [c.to_json() for c in self.containers],
            "notes": list(self.notes),
        }


@dataclass(frozen=True, slots=True)
class WhoCanEntry:
    pod: str
    via: Via
    role_arn: str
    decision: Decision
    chain: tuple[ChainStep, ...]

    def to_json(self) -> dict[str, object]:
        return {
            "pod": self.pod,
            "via": self.via.value,
            "role_arn": self.role_arn,
            "decision": self.decision.to_json(),
            "chain": [s.to_json() for s in self.chain],
        }


@dataclass(frozen=True, slots=True)
class WhoCan:
    action: str
    resource: str
    entries: tuple[WhoCanEntry, ...]

    def to_json(self) -> dict[str, object]:
        return {
            "action": self.action,
            "resource": self.resource,
            "pods": [e.to_json() for e in self.entries],
        }


def _decision_text(d: Decision) -> str:
    if d.allowed:
        return f"Allow: {d.reason}"
    return f"Deny ({d.deny_kind.value if d.deny_kind else 'implicit'}): {d.reason}"


def _session_arn(role_arn: str, session: str) -> tuple[str, str]:
    """(account, assumed-role session ARN) of a role ARN."""
    parts = role_arn.split(":", 5)
    account = parts[4] if len(parts) == 6 else ""
    partition = parts[1] if len(parts) == 6 else "aws"
    name = parts[5].rsplit("/", 1)[-1] if len(parts) == 6 else role_arn
    return account, f"arn:{partition}:sts::{account}:assumed-role/{name}/{session}"


def session_context(principal: Principal, region: str | None) -> dict[str, tuple[str, ...]]:
    """What AWS puts in the request context of a role session's API call over TLS."""
    ctx: dict[str, tuple[str, ...]] = {
        "aws:principalarn": (principal.arn,),
        "aws:principalaccount": (principal.account,),
        "aws:principaltype": ("AssumedRole",),
        "aws:securetransport": ("true",),
    }
    if principal.session_arn:
        ctx["aws:userid"] = (principal.session_arn.rsplit("/", 1)[-1],)
    if region:
        ctx["aws:requestedregion"] = (region,)
    return ctx


def role_session(role_arn: str, session: str) -> Principal:
    account, session_arn = _session_arn(role_arn, session)
    return Principal(PrincipalType.ROLE_SESSION, role_arn, account, session_arn=session_arn)


@dataclass(slots=True)
class IamAnalyzer:
    """Answers pod questions over one platform; caches per run, so reuse it for many pods."""

    platform: Platform
    evaluator: Evaluator = field(default_factory=Evaluator)
    catalog: RoleCatalog = field(init=False)
    _irsa: dict[tuple[str, str, str, str], RoleGrant] = field(default_factory=dict)
    _pod_identity: dict[tuple[str, str, str], RoleGrant] = field(default_factory=dict)
    _node_roles: dict[tuple[str, bool], RoleGrant] = field(default_factory=dict)
    _cluster: tuple[EksCluster | None] | None = None  # the platform's, once decided
    _pulls: dict[tuple[str, str, str], ImagePull] = field(default_factory=dict)
    _candidates: dict[tuple[str | None, tuple[tuple[str, str], ...]], tuple[Instance, ...]] = field(
        default_factory=dict
    )
    #: Each pod's answer, by key, with the pod it was worked out for (a pod of
    #: another platform under the same key is worked out afresh).
    _pod_access: dict[str, tuple[Pod, PodAccess]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.catalog = RoleCatalog(self.platform.aws)

    # -- where the pod runs

    def cluster_for(self, pod: Pod) -> EksCluster | None:
        """The cluster the pod runs in: its node's, else the platform's."""
        if pod.spec.node_name:
            inst = self.platform.aws.instance_for_node(pod.spec.node_name)
            found = self.platform.cluster_of_instance(inst) if inst is not None else None
            if found is not None:
                return found
        if self._cluster is None:
            self._cluster = (self.platform.eks_cluster(),)
        return self._cluster[0]

    def candidate_nodes(self, pod: Pod, cluster: EksCluster | None) -> tuple[Instance, ...]:
        """The instance the pod is bound to, or every node its nodeSelector admits."""
        selector = tuple(sorted(pod.spec.node_selector.items()))
        key = (pod.spec.node_name, selector)
        cached = self._candidates.get(key)
        if cached is not None:
            return cached
        aws = self.platform.aws
        if pod.spec.node_name:
            inst = aws.instance_for_node(pod.spec.node_name)
            result: tuple[Instance, ...] = (inst,) if inst is not None else ()
        else:
            labels = {n.name: dict(n.meta.labels) for n in self.platform.nodes}
            out = []
            for inst in aws.instances:
                if inst.state != "running":
                    continue
                if cluster is not None and inst.cluster not in (None, cluster.name):
                    continue
                name = inst.node_name or inst.private_dns_name or inst.instance_id
                node_labels = labels.get(name)
                group = cluster.node_group(inst.node_group) if cluster and inst.node_group else None
                if group is not None:
                    node_labels = {**group.labels, **(node_labels or {})}
                if node_labels is not None and any(node_labels.get(k) != v for k, v in selector):
                    continue
                out.append(inst)
            result = tuple(out)
        self._candidates[key] = result
        return result

    # -- the chains

    def pod_access(self, pod: Pod) -> PodAccess:
        """Everything ``pod`` can obtain in AWS (worked out once per pod: the IAM and
        ACC checks of one run all ask)."""
        got = self._pod_access.get(pod.key)
        if got is not None and got[0] is pod:
            return got[1]
        access = self._pod_access_of(pod)
        self._pod_access[pod.key] = (pod, access)
        return access

    def _pod_access_of(self, pod: Pod) -> PodAccess:
        platform = self.platform
        ns, sa_name = pod.namespace, pod.spec.service_account
        cluster = self.cluster_for(pod)
        notes: list[str] = []
        roles: list[RoleGrant] = []
        sa = platform.service_account(ns, sa_name)
        association = cluster.pod_identity(ns, sa_name) if cluster is not None else None
        nodes = self.candidate_nodes(pod, cluster)
        pod_identity: RoleGrant | None = None
        if association is not None and cluster is not None:
            pod_identity = self._pod_identity_grant(cluster, ns, sa_name, association.role_arn)
            roles.append(pod_identity)
        irsa: RoleGrant | None = None
        role_arn = sa.meta.annotations.get(ROLE_ARN) if sa is not None else None
        if sa is None and sa_name != "default":
            notes.append(f"ServiceAccount {ns}/{sa_name} is not in the input")
        if role_arn:
            if SKIP_LABEL in pod.labels:
                notes.append(
                    f"pod is labelled {SKIP_LABEL}: the pod identity webhook skips it, "
                    f"no IRSA token for {role_arn}"
                )
            elif association is not None:
                notes.append(
                    f"ServiceAccount {ns}/{sa_name} also has {ROLE_ARN}={role_arn}, but the Pod "
                    "Identity association takes precedence: the webhook does not inject IRSA"
                )
            elif sa is not None:
                irsa = self._irsa_grant(pod, cluster, sa.meta.annotations, role_arn)
                roles.append(irsa)
        roles.extend(self._node_grants(pod, nodes))
        default: Via | None = None
        if pod_identity is not None:
            default = Via.POD_IDENTITY
        elif irsa is not None:
            default = Via.IRSA
        elif any(r.via is Via.NODE_ROLE and r.obtained for r in roles):
            default = Via.NODE_ROLE
        pulls = tuple(self._pulls_for(pod, nodes))
        containers = tuple(
            self._container_credentials(pod, c, (pod_identity, irsa, roles), sa)
            for c in pod.spec.containers
            if c.kind is not ContainerKind.EPHEMERAL
        )
        expected = {Via.POD_IDENTITY: "container-credentials", Via.IRSA: "web-identity",
                    Via.NODE_ROLE: "imds", None: "none"}[default]  # fmt: skip
        for cred in containers:
            if cred.source != expected or (
                cred.source == "web-identity"
                and irsa is not None
                and cred.role_arn != irsa.role_arn
            ):
                notes.append(f"container {cred.container}: {cred.detail}")
        return PodAccess(
            pod=pod.key,
            service_account=f"{ns}/{sa_name}",
            cluster=cluster.name if cluster else None,
            default_credentials=default,
            roles=tuple(roles),
            pulls=pulls,
            notes=tuple(notes),
            containers=containers,
        )

    def _container_credentials(
        self,
        pod: Pod,
        c: Container,
        grants: tuple[RoleGrant | None, RoleGrant | None, list[RoleGrant]],
        sa: ServiceAccount | None,
    ) -> ContainerCredentials:
        """The AWS SDK default chain for one container, on the env the pod identity
        webhook leaves it: static keys in env, then web identity, then container
        credentials (Pod Identity), then IMDS. The webhook leaves alone a container
        named in ``eks.amazonaws.com/skip-containers``; it adds no web-identity
        variables to a container that sets AWS_ROLE_ARN or AWS_WEB_IDENTITY_TOKEN_FILE
        itself, and no container-credentials variables to one that sets either of
        those (amazon-eks-pod-identity-webhook ``addEnvToContainer``)."""
        pod_identity, irsa, roles = grants
        skipped = c.name in _skip_containers(pod)
        unseen = " (envFrom may add variables the manifest does not show)" if c.env_from else ""
        if c.has_env("AWS_ACCESS_KEY_ID") and c.has_env("AWS_SECRET_ACCESS_KEY"):
            return ContainerCredentials(
                c.name, "static-keys", None, None,
                "sets AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY: its SDK uses those long-lived "
                "keys before any role the pod gets" + unseen,
            )  # fmt: skip
        own_web = c.has_env("AWS_ROLE_ARN") or c.has_env("AWS_WEB_IDENTITY_TOKEN_FILE")
        if irsa is not None and not skipped and not own_web:
            return ContainerCredentials(
                c.name, "web-identity", irsa.role_arn, irsa.obtained,
                f"IRSA: the webhook injects AWS_ROLE_ARN={irsa.role_arn}" + unseen,
            )  # fmt: skip
        if own_web:
            role = c.env_value("AWS_ROLE_ARN")
            if c.has_env("AWS_ROLE_ARN") and c.has_env("AWS_WEB_IDENTITY_TOKEN_FILE"):
                if role is None:
                    return ContainerCredentials(
                        c.name, "web-identity", None, None,
                        "sets AWS_ROLE_ARN (not from a literal value) and a token file itself",
                    )  # fmt: skip
                grant = (
                    self._irsa_grant(pod, self.cluster_for(pod), sa.meta.annotations, role)
                    if sa is not None
                    else None
                )
                return ContainerCredentials(
                    c.name, "web-identity", role, grant.obtained if grant else None,
                    f"sets AWS_ROLE_ARN={role} and the token file itself (the webhook leaves "
                    "them): it assumes that role with the pod's token"
                    + (f"; {grant.failure}" if grant is not None and grant.failure else ""),
                )  # fmt: skip
            only = "AWS_ROLE_ARN" if c.has_env("AWS_ROLE_ARN") else "AWS_WEB_IDENTITY_TOKEN_FILE"
            why = f"sets only {only}, so the webhook adds neither and web identity is incomplete; "
        else:
            why = "the webhook skips it (eks.amazonaws.com/skip-containers); " if skipped else ""
        own_container = c.has_env("AWS_CONTAINER_CREDENTIALS_FULL_URI") or c.has_env(
            "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"
        )
        if pod_identity is not None and not skipped and not own_container:
            return ContainerCredentials(
                c.name, "container-credentials", pod_identity.role_arn, pod_identity.obtained,
                why + f"Pod Identity: {pod_identity.role_arn}" + unseen,
            )  # fmt: skip
        if c.env_value("AWS_EC2_METADATA_DISABLED") == "true":
            return ContainerCredentials(
                c.name, "none", None, None, why + "AWS_EC2_METADATA_DISABLED=true: no IMDS fallback"
            )  # fmt: skip
        node = next((r for r in roles if r.via is Via.NODE_ROLE and r.obtained), None)
        if node is not None:
            return ContainerCredentials(
                c.name, "imds", node.role_arn, True,
                why + f"falls back to the node role {node.role_arn} through IMDS" + unseen,
            )  # fmt: skip
        return ContainerCredentials(c.name, "none", None, None, why + "no credentials" + unseen)

    def _permissions(self, role_arn: str) -> tuple[Permission, ...]:
        parsed = self.catalog.get(role_arn)
        return parsed.permissions() if parsed is not None else ()

    def _irsa_grant(
        self,
        pod: Pod,
        cluster: EksCluster | None,
        sa_annotations: dict[str, str],
        role_arn: str,
    ) -> RoleGrant:
        audience = sa_annotations.get(AUDIENCE) or DEFAULT_AUDIENCE
        issuer = cluster.oidc_issuer if cluster is not None else None
        key = (pod.namespace, pod.spec.service_account, role_arn, f"{audience}|{issuer}")
        expiration = _expiration(
            pod.meta.annotations.get(EXPIRATION), sa_annotations.get(EXPIRATION)
        )
        regional = sa_annotations.get(REGIONAL, "").lower() == "true"
        cached = self._irsa.get(key)
        inject = ChainStep(
            "webhook",
            True,
            f"the pod identity webhook injects AWS_ROLE_ARN={role_arn} and "
            "AWS_WEB_IDENTITY_TOKEN_FILE=/var/run/secrets/eks.amazonaws.com/serviceaccount/token, "
            f"a projected token (audience {audience}, expirationSeconds {expiration})"
            + (", AWS_STS_REGIONAL_ENDPOINTS=regional" if regional else ""),
        )
        if cached is not None:
            return RoleGrant(
                cached.via,
                cached.role_arn,
                cached.obtained,
                (cached.steps[0], inject, *cached.steps[2:]),
                (),
                cached.permissions,
                cached.failure,
            )
        ns, sa = pod.namespace, pod.spec.service_account
        sub = f"system:serviceaccount:{ns}:{sa}"
        steps = [
            ChainStep(
                "service-account", True, f"ServiceAccount {ns}/{sa} annotated {ROLE_ARN}={role_arn}"
            ),
            inject,
        ]
        grant = self.irsa_chain(steps, issuer, sub, audience, role_arn)
        self._irsa[key] = grant
        return grant

    def irsa_chain(
        self, steps: list[ChainStep], issuer: str | None, sub: str, audience: str, role_arn: str
    ) -> RoleGrant:
        def fail(step: str, detail: str) -> RoleGrant:
            steps.append(ChainStep(step, False, detail))
            return RoleGrant(Via.IRSA, role_arn, False, tuple(steps), failure=detail)

        if not issuer:
            return fail("token", "the cluster has no OIDC issuer: there is no token to exchange")
        host_path = issuer.removeprefix("https://").rstrip("/")
        steps.append(ChainStep("token", True, f"token issuer {issuer}, sub {sub}, aud {audience}"))
        role = self.platform.aws.role(role_arn)
        parts = role_arn.split(":", 5)
        account = parts[4] if len(parts) == 6 else ""
        partition = parts[1] if len(parts) == 6 else "aws"
        if role is None:
            return fail(
                "role",
                f"role {role_arn} is not in the model "
                "(wrong ARN, or its account was not collected)",
            )
        provider_arn = f"arn:{partition}:iam::{account}:oidc-provider/{host_path}"
        provider = self.platform.aws.oidc_provider(provider_arn)
        if provider is None:
            return fail(
                "oidc-provider",
                f"account {account} has no IAM OIDC provider for issuer {issuer} ({provider_arn})",
            )
        if provider.client_ids and audience not in provider.client_ids:
            return fail(
                "oidc-provider",
                f"OIDC provider {provider_arn} does not list audience {audience!r} "
                f"(client ids: {', '.join(provider.client_ids)})",
            )
        steps.append(ChainStep("oidc-provider", True, f"{provider_arn} lists audience {audience}"))
        parsed = self.catalog.get(role_arn)
        if parsed is None or parsed.trust is None:
            return fail("trust", f"role {role_arn} has no readable trust policy")
        request = Request(
            Principal(
                PrincipalType.WEB_IDENTITY, "", account, federated=provider_arn, issuer_url=issuer
            ),
            "sts:AssumeRoleWithWebIdentity",
            role_arn,
            {
                f"{host_path}:sub".lower(): (sub,),
                f"{host_path}:aud".lower(): (audience,),
                "aws:federatedprovider": (provider_arn,),
            },
        )
        decision = self.evaluator.evaluate(
            request,
            PolicySet(trust_policy=parsed.trust, rcps=self.catalog.rcps(account_of_arn(role_arn))),
        )
        if (
            not decision.allowed
            and decision.deny_kind is DenyKind.EXPLICIT
            and any(d.policy.startswith("rcp[") for d in decision.statements)
        ):
            return fail("trust", f"the organization's RCPs refuse the token: {decision.reason}")
        if not decision.allowed:
            why = trust_refusal(parsed.trust.statements, provider_arn, host_path, sub, audience)
            return fail("trust", f"the trust policy of {role_arn} refuses the token: {why}")
        steps.append(ChainStep("trust", True, _decision_text(decision)))
        return RoleGrant(
            Via.IRSA, role_arn, True, tuple(steps), permissions=self._permissions(role_arn)
        )

    def _pod_identity_grant(
        self, cluster: EksCluster, ns: str, sa: str, role_arn: str
    ) -> RoleGrant:
        key = (cluster.arn, f"{ns}/{sa}", role_arn)
        cached = self._pod_identity.get(key)
        if cached is not None:
            return cached
        association = cluster.pod_identity(ns, sa)
        tags = association is not None and not association.disable_session_tags
        steps = [
            ChainStep(
                "association",
                True,
                f"EKS Pod Identity association {cluster.name} {ns}/{sa} -> {role_arn}; the webhook "
                "injects AWS_CONTAINER_CREDENTIALS_FULL_URI=http://169.254.170.23/v1/credentials "
                "and a token with audience pods.eks.amazonaws.com",
            )
        ]

        def done(ok: bool, step: str, detail: str, obtained: str = role_arn) -> RoleGrant:
            steps.append(ChainStep(step, ok, detail))
            grant = RoleGrant(
                Via.POD_IDENTITY,
                obtained,
                ok,
                tuple(steps),
                permissions=self._permissions(obtained) if ok else (),
                failure=None if ok else detail,
            )
            self._pod_identity[key] = grant
            return grant

        parsed = self.catalog.get(role_arn)
        if parsed is None:
            return done(False, "role", f"role {role_arn} is not in the model")
        if parsed.role.account_id != cluster.account_id:
            return done(
                False,
                "role",
                f"role {role_arn} is not in the cluster's account {cluster.account_id}",
            )
        if parsed.trust is None:
            return done(False, "trust", f"role {role_arn} has no readable trust policy")
        principal = Principal(PrincipalType.SERVICE, service=POD_IDENTITY_SERVICE)
        actions = ["sts:AssumeRole"] + (["sts:TagSession"] if tags else [])
        for action in actions:
            decision = self.evaluator.evaluate(
                Request(principal, action, role_arn),
                PolicySet(
                    trust_policy=parsed.trust, rcps=self.catalog.rcps(account_of_arn(role_arn))
                ),
            )
            if not decision.allowed:
                return done(
                    False,
                    "trust",
                    f"the trust policy of {role_arn} does not allow {POD_IDENTITY_SERVICE} "
                    f"{action}: {decision.reason}",
                )
        steps.append(
            ChainStep(
                "trust",
                True,
                f"{role_arn} trusts {POD_IDENTITY_SERVICE} for {' and '.join(actions)}",
            )
        )
        detail = (
            "session tags eks-cluster-arn, eks-cluster-name, kubernetes-namespace, "
            "kubernetes-service-account, kubernetes-pod-name, kubernetes-pod-uid"
            if tags
            else "session tags disabled by the association"
        )
        if association is None or not association.target_role_arn:
            return done(True, "session", detail)
        steps.append(ChainStep("session", True, detail))
        target = association.target_role_arn
        failure = self._target_role_refusal(cluster, association, parsed, tags)
        if failure is not None:
            return done(False, "target-role", failure)
        return done(
            True,
            "target-role",
            f"EKS assumes target role {target} with the session of {role_arn} (role chaining"
            + (f", external id {association.external_id}" if association.external_id else "")
            + "): the pod gets the target role's credentials",
            obtained=target,
        )

    def _target_role_refusal(
        self,
        cluster: EksCluster,
        association: PodIdentityAssociation,
        parsed: RolePolicies,
        tags: bool,
    ) -> str | None:
        """Why the association's role may not assume its target role, or None.

        EKS calls sts:AssumeRole (and sts:TagSession when session tags are on) on
        the target role as a session of the association's role, with the
        association's external id: the caller's policies must allow it (across
        accounts, and unless the target's trust names the role itself) and the
        target's trust policy must admit it.
        """
        target = association.target_role_arn or ""
        tparsed = self.catalog.get(target)
        if tparsed is None:
            return f"target role {target} is not in the model"
        if tparsed.trust is None:
            return f"target role {target} has no readable trust policy"
        principal = role_session(parsed.role.arn, "eks-pod-identity")
        context = session_context(principal, cluster.region)
        if association.external_id:
            context["sts:externalid"] = (association.external_id,)
        policies = PolicySet(
            identity=parsed.identity,
            permissions_boundary=parsed.boundary,
            scps=parsed.scps,
            trust_policy=tparsed.trust,
            rcps=self.catalog.rcps(account_of_arn(target)),
        )
        for action in ["sts:AssumeRole"] + (["sts:TagSession"] if tags else []):
            decision = self.evaluator.evaluate(
                Request(principal, action, target, context), policies
            )
            if not decision.allowed:
                return (
                    f"{parsed.role.arn} may not {action} the target role {target}: "
                    f"{decision.reason}"
                )
        return None

    def _node_grants(self, pod: Pod, nodes: Iterable[Instance]) -> list[RoleGrant]:
        by_role: dict[str, list[tuple[Instance, RoleGrant]]] = {}
        for inst in nodes:
            if not inst.instance_profile_role_arn:
                continue
            grant = self._node_grant(inst, pod.spec.host_network)
            by_role.setdefault(inst.instance_profile_role_arn, []).append((inst, grant))
        out: list[RoleGrant] = []
        for role_arn, items in sorted(by_role.items()):
            reachable = [i for i, g in items if g.obtained]
            steps = tuple(g.steps[0] for _, g in items)
            names = tuple(_node_name(i) for i in reachable)
            failure = None
            if not reachable:
                failure = "no node the pod may run on lets it reach instance metadata"
            out.append(
                RoleGrant(
                    Via.NODE_ROLE,
                    role_arn,
                    bool(reachable),
                    steps,
                    names,
                    self._permissions(role_arn) if reachable else (),
                    failure,
                )
            )
        return out

    def _node_grant(self, inst: Instance, host_network: bool) -> RoleGrant:
        key = (inst.instance_id, host_network)
        cached = self._node_roles.get(key)
        if cached is not None:
            return cached
        mo = inst.metadata_options
        name = _node_name(inst)
        settings = (
            f"HttpTokens={mo.http_tokens.value}, hop limit {mo.http_put_response_hop_limit}, "
            f"endpoint {mo.http_endpoint.value}"
        )
        if mo.http_endpoint is HttpEndpoint.DISABLED:
            ok, why = False, "the instance metadata endpoint is disabled"
        elif host_network:
            ok, why = True, "hostNetwork pod: on the node's network, IMDS is one hop away"
        elif mo.reachable_from_pods:
            why = (
                "IMDSv1 answers from any hop"
                if mo.http_tokens is HttpTokens.OPTIONAL
                else "IMDSv2 token reaches the pod (hop limit >= 2)"
            )
            ok = True
        else:
            ok, why = False, "IMDSv2 required with hop limit 1: the pod's extra hop drops the token"
        grant = RoleGrant(
            Via.NODE_ROLE,
            inst.instance_profile_role_arn or "",
            ok,
            (ChainStep("imds", ok, f"node {name} ({settings}): {why}"),),
        )
        self._node_roles[key] = grant
        return grant

    # -- ECR

    def _pulls_for(self, pod: Pod, nodes: tuple[Instance, ...]) -> Iterable[ImagePull]:
        node_roles = sorted(
            {i.instance_profile_role_arn for i in nodes if i.instance_profile_role_arn}
        )
        for c in pod.spec.containers:
            if c.image.ecr_account is None:
                continue
            if not node_roles:
                yield ImagePull(
                    c.name, c.image.text, None, None, None, "no node role known for this pod"
                )
                continue
            for role_arn in node_roles:
                yield self.image_pull(c, role_arn)

    def image_pull(self, c: Container, node_role_arn: str) -> ImagePull:
        key = (c.name, c.image.text, node_role_arn)
        cached = self._pulls.get(key)
        if cached is not None:
            return cached
        result = self._image_pull(c, node_role_arn)
        self._pulls[key] = result
        return result

    def _image_pull(self, c: Container, node_role_arn: str) -> ImagePull:
        aws = self.platform.aws
        repo = find_repository(aws, c)
        if repo is None:
            return ImagePull(
                c.name,
                c.image.text,
                None,
                node_role_arn,
                None,
                f"repository {c.image.repository} of account {c.image.ecr_account} "
                "is not in the model",
            )
        parsed = self.catalog.get(node_role_arn)
        if parsed is None:
            return ImagePull(
                c.name,
                c.image.text,
                repo.arn,
                node_role_arn,
                None,
                f"node role {node_role_arn} is not in the model",
            )
        resource_policy: ResourcePolicy | None = None
        if repo.policy:
            try:
                resource_policy = ResourcePolicy(
                    repo.account_id or "",
                    parse_policy(repo.policy, f"repository policy {repo.name}"),
                )
            except PolicyError as exc:
                return ImagePull(
                    c.name, c.image.text, repo.arn, node_role_arn, None, f"unreadable: {exc}"
                )
        principal = role_session(node_role_arn, "kubelet")
        decisions: list[tuple[str, str]] = []
        failed: list[str] = []
        base = parsed.policy_set()
        for action in ECR_PULL_ACTIONS:
            if action == "ecr:GetAuthorizationToken":
                policies, resource = base, "*"
            else:
                policies = PolicySet(
                    identity=base.identity,
                    permissions_boundary=base.permissions_boundary,
                    scps=base.scps,
                    rcps=self.catalog.rcps(repo.account_id),
                    resource_policy=resource_policy,
                )
                resource = repo.arn
            region = repo.region or (repo.arn.split(":")[3] or None)
            decision = self.evaluator.evaluate(
                Request(principal, action, resource, session_context(principal, region)), policies
            )
            decisions.append((action, _decision_text(decision)))
            if not decision.allowed:
                failed.append(f"{action} denied ({decision.reason})")
        cross = repo.account_id != principal.account
        where = (
            f"cross-account repository in {repo.account_id}" if cross else "same-account repository"
        )
        if failed:
            reason = f"ImagePullBackOff: {where}; " + "; ".join(failed)
        else:
            reason = f"the kubelet can pull ({where})"
        return ImagePull(
            c.name, c.image.text, repo.arn, node_role_arn, not failed, reason, tuple(decisions)
        )

    # -- who can

    def role_decision(
        self,
        role_arn: str,
        session: str,
        action: str,
        resource: str,
        context: Mapping[str, tuple[str, ...]] | None = None,
        *,
        region: str | None = None,
    ) -> Decision | None:
        """What a session of ``role_arn`` may do on ``resource``; None for unknown roles.

        The request carries what AWS adds to a role session's call over TLS
        (principal, account, requested region: the resource's, else ``region``),
        then ``context``; a resource policy known for ``resource`` takes part.
        """
        parsed = self.catalog.get(role_arn)
        if parsed is None:
            return None
        principal = role_session(role_arn, session)
        policies = parsed.policy_set()
        resource_policy = self._resource_policy(resource)
        owner = resource_policy.owner_account if resource_policy else account_of_arn(resource)
        rcps = self.catalog.rcps(owner)
        if resource_policy is not None or rcps is not None:
            policies = PolicySet(
                identity=policies.identity,
                permissions_boundary=policies.permissions_boundary,
                scps=policies.scps,
                rcps=rcps,
                resource_policy=resource_policy,
            )
        parts = resource.split(":", 5)
        if len(parts) == 6 and parts[3]:
            region = parts[3]
        request_ctx = {**session_context(principal, region), **(context or {})}
        return self.evaluator.evaluate(Request(principal, action, resource, request_ctx), policies)

    def who_can(
        self, action: str, resource: str, context: dict[str, object] | None = None
    ) -> WhoCan:
        entries: list[WhoCanEntry] = []
        ctx = Request.make_context(context or {})
        for pod in sorted(self.platform.pods, key=lambda p: p.key):
            access = self.pod_access(pod)
            for grant in access.roles:
                if not grant.obtained:
                    continue
                cluster = self.platform.aws.cluster(access.cluster or "")
                pod_ctx = dict(ctx)
                if grant.via is Via.POD_IDENTITY and access.cluster is not None:
                    pod_ctx.update(_pod_identity_tags(self.platform, access, pod))
                decision = self.role_decision(
                    grant.role_arn,
                    "pod",
                    action,
                    resource,
                    pod_ctx,
                    region=cluster.region if cluster else None,
                )
                if decision is not None and decision.allowed:
                    entries.append(
                        WhoCanEntry(pod.key, grant.via, grant.role_arn, decision, grant.steps)
                    )
        return WhoCan(action, resource, tuple(entries))

    def _resource_policy(self, resource: str) -> ResourcePolicy | None:
        aws = self.platform.aws
        repo = next((r for r in aws.ecr_repositories if r.arn == resource), None)
        if repo is not None and repo.policy:
            try:
                return ResourcePolicy(
                    repo.account_id or "",
                    parse_policy(repo.policy, f"repository policy {repo.name}"),
                )
            except PolicyError:
                return None
        key = aws.kms_key(resource) if ":kms:" in resource else None
        if key is not None and key.policy and "Statement" in key.policy:
            # The key policy decides first; without it the answer is unknown.
            try:
                return ResourcePolicy(
                    key.account_id or "", parse_policy(key.policy, f"key policy {key.key_id}")
                )
            except PolicyError:
                return None
        return None


def _pod_identity_tags(
    platform: Platform, access: PodAccess, pod: Pod
) -> dict[str, tuple[str, ...]]:
    cluster = platform.aws.cluster(access.cluster or "")
    ns, _, sa = access.service_account.partition("/")
    tags = {
        "eks-cluster-name": access.cluster or "",
        "kubernetes-namespace": ns,
        "kubernetes-service-account": sa,
        "kubernetes-pod-name": pod.name,
    }
    if cluster is not None:
        tags["eks-cluster-arn"] = cluster.arn
    return {f"aws:principaltag/{k}": (v,) for k, v in tags.items()}


def _skip_containers(pod: Pod) -> frozenset[str]:
    """Names in the pod's ``eks.amazonaws.com/skip-containers`` annotation (CSV)."""
    value = pod.meta.annotations.get("eks.amazonaws.com/skip-containers", "")
    try:
        row = next(csv.reader([value]), [])
    except csv.Error:
        return frozenset()
    return frozenset(x for x in row if x)


def _node_name(inst: Instance) -> str:
    return inst.node_name or inst.private_dns_name or inst.instance_id


def _expiration(pod_value: str | None, sa_value: str | None) -> int:
    """Pod annotation, else ServiceAccount annotation, else 86400; below 600 becomes 600."""
    for value in (pod_value, sa_value):
        if value is None:
            continue
        try:
            seconds = int(value)
        except ValueError:
            continue
        return max(seconds, 600)
    return 86400


def trust_refusal(
    statements: Iterable[Statement], provider_arn: str, host_path: str, sub: str, audience: str
) -> str:
    """Why a trust policy refuses an IRSA token: issuer, namespace, ServiceAccount or audience."""
    stmts = [s for s in statements if s.effect is Effect.ALLOW]
    federated = [s for s in stmts if s.principal is not None and s.principal.federated]
    if not federated:
        return "it names no federated (OIDC) principal"
    mine = [
        s for s in federated if s.principal is not None and provider_arn in s.principal.federated
    ]
    if not mine:
        others = sorted({f for s in federated if s.principal for f in s.principal.federated})
        return f"it trusts {', '.join(others)}, not this cluster's issuer ({provider_arn})"
    _, ns, sa = sub.rsplit(":", 2)
    reasons: list[str] = []
    for s in mine:
        for cond in s.conditions:
            if cond.key == f"{host_path}:sub".lower():
                for v in cond.values:
                    if v.startswith("system:serviceaccount:") and v.count(":") >= 3:
                        _, _, want_ns, want_sa = v.split(":", 3)
                        if want_ns != ns and "*" not in want_ns:
                            reasons.append(f"namespace: it admits {v}, the pod's token is {sub}")
                        elif want_sa != sa and "*" not in want_sa:
                            reasons.append(
                                f"service account: it admits {v}, the pod's token is {sub}"
                            )
            if cond.key == f"{host_path}:aud".lower() and audience not in cond.values:
                reasons.append(
                    f"audience: it admits {', '.join(cond.values)}, the token has {audience}"
                )
        patterns = PatternCache()
        written = s.actions.written if s.actions is not None else ()
        if not any(patterns.action_matches(a, "sts:assumerolewithwebidentity") for a in written):
            reasons.append("action: it does not allow sts:AssumeRoleWithWebIdentity")
    return "; ".join(dict.fromkeys(reasons)) or "its conditions do not match the token"

"""Which KMS keys the platform uses, for what, by whom; and can that principal use them.

A key is *used* by the cluster's ``encryptionConfig`` (Secrets; the principal
is the cluster role) and by EBS StorageClasses' ``kmsKeyId`` (the principal is
the EBS CSI controller's role, which asks EC2 to create encrypted volumes).

Whether a principal may use a key is one call, :func:`key_decision`, which
hands the key policy, the role's policies and the account's SCPs to the iam
engine's evaluator. When the iam engine is not installed it answers None
(unknown) and the checks that need it stay silent.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from ekstwin.engines import iam
from ekstwin.engines.iam.roles import RoleCatalog
from ekstwin.engines.storage.model import EbsParameters, ebs_csi_identity, is_ebs
from ekstwin.model.aws import Arn, EksCluster, KmsKey
from ekstwin.model.platform import Platform
from ekstwin.model.source import ObjectRef, Source

#: What the EBS CSI driver's role needs on a volume key (EKS User Guide, EBS CSI).
EBS_ACTIONS = (
    "kms:CreateGrant",
    "kms:GenerateDataKeyWithoutPlaintext",
    "kms:Decrypt",
    "kms:DescribeKey",
)
#: What envelope encryption of Secrets does with the key through the cluster role.
SECRETS_ACTIONS = ("kms:Encrypt", "kms:Decrypt", "kms:DescribeKey")


@dataclass(frozen=True, slots=True)
class KeyUse:
    """One use of a key: who refers to it, the key (None: not in aws.json), who calls KMS."""

    key_ref: str
    key: KmsKey | None
    purpose: str  # "secrets" or "ebs"
    user: ObjectRef
    user_source: Source | None
    cluster: EksCluster | None
    principal_arn: str | None

    @property
    def label(self) -> str:
        if self.purpose == "secrets" and self.cluster is not None:
            return f"cluster {self.cluster.name}"
        return f"{self.user.kind} {self.user.name}"

    @property
    def actions(self) -> tuple[str, ...]:
        return SECRETS_ACTIONS if self.purpose == "secrets" else EBS_ACTIONS

    @property
    def expected_region(self) -> str | None:
        return self.cluster.region if self.cluster else None

    @property
    def key_region(self) -> str | None:
        if self.key is not None and self.key.region:
            return self.key.region
        parsed = Arn.parse(self.key_ref)
        return parsed.region if parsed and parsed.region else None


def key_uses(platform: Platform) -> tuple[KeyUse, ...]:
    uses: list[KeyUse] = []
    clusters = platform.aws.clusters
    for cluster in clusters:
        ref = cluster.secrets_key_arn
        if ref:
            uses.append(
                KeyUse(
                    ref,
                    platform.aws.kms_key(ref, cluster.region),
                    "secrets",
                    ObjectRef("EksCluster", cluster.arn),
                    cluster.source,
                    cluster,
                    cluster.role_arn,
                )
            )
    only = platform.eks_cluster()
    for sc in platform.storage_classes:
        if not is_ebs(sc):
            continue
        params = EbsParameters.of(sc)
        if not params.encrypted or not params.kms_key_id:
            continue
        region = only.region if only else None
        role = ebs_csi_identity(platform, only).role_arn if only else None
        uses.append(
            KeyUse(
                params.kms_key_id,
                platform.aws.kms_key(params.kms_key_id, region),
                "ebs",
                sc.meta.ref,
                sc.meta.source,
                only,
                role,
            )
        )
    return tuple(uses)


@dataclass(frozen=True, slots=True)
class KeyDecision:
    allowed: bool
    reason: str


KeyEvaluator = Callable[[Platform, KmsKey, str, str, Mapping[str, str]], KeyDecision | None]


def key_decision(
    platform: Platform, key: KmsKey, principal_arn: str, action: str, context: Mapping[str, str]
) -> KeyDecision | None:
    """May the role ``principal_arn`` perform ``action`` on ``key``? None when unknown.

    Unknown also covers a key without a policy in the input (every real key
    has one, so it was not collected) and policies that do not parse.
    """
    if not key.policy or "Statement" not in key.policy:
        return None
    try:
        return _key_decision(platform, key, principal_arn, action, context)
    except iam.PolicyError:
        return None


def _key_decision(
    platform: Platform, key: KmsKey, principal_arn: str, action: str, context: Mapping[str, str]
) -> KeyDecision | None:
    role = platform.aws.role(principal_arn)
    if role is None or role.account_id is None:
        return None
    policies: list[iam.Policy] = []
    for name, doc in sorted(role.inline_policies.items()):
        policies.append(iam.parse_policy(doc, f"{role.name} inline {name}"))
    for arn in role.attached_policy_arns:
        managed = platform.aws.policy(arn)
        if managed is not None:
            policies.append(iam.parse_policy(managed.document, managed.name))
    boundary = None
    if role.permissions_boundary_arn:
        managed = platform.aws.policy(role.permissions_boundary_arn)
        if managed is None:
            return None
        boundary = iam.parse_policy(managed.document, managed.name)
    account = platform.aws.account(role.account_id)
    scps = None
    if account is not None and account.organization is not None and account.organization.scps:
        scps = tuple(
            tuple(iam.parse_policy(d, f"SCP level {i}") for d in level)
            for i, level in enumerate(account.organization.scps)
        )
    key_account = key.account_id or role.account_id
    principal = iam.Principal(
        iam.PrincipalType.ROLE_SESSION,
        arn=principal_arn,
        account=role.account_id,
        session_arn=f"arn:aws:sts::{role.account_id}:assumed-role/{role.name}/ekstwin",
    )
    request = iam.Request(principal, action, key.arn, iam.Request.make_context(dict(context)))
    policy_set = iam.PolicySet(
        identity=tuple(policies),
        permissions_boundary=boundary,
        scps=scps,
        rcps=RoleCatalog(platform.aws).rcps(key_account),
        resource_policy=iam.ResourcePolicy(
            key_account, iam.parse_policy(key.policy, f"key policy {key.key_id}")
        ),
    )
    decision = iam.evaluate(request, policy_set)
    return KeyDecision(decision.allowed, decision.reason)

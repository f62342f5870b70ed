"""The iam engine: AWS policy evaluation and what each pod can obtain and do in AWS.

* :func:`evaluate` decides one :class:`Request` against a :class:`PolicySet`
  of parsed policies (:func:`parse_policy`), following AWS's documented
  evaluation logic (see :mod:`ekstwin.engines.iam.evaluate`).
* :func:`pod_access` follows every chain a pod has to AWS credentials (EKS Pod
  Identity, IRSA, the node role through IMDS) and the kubelet's ECR pulls;
  :func:`who_can` answers which pods may perform an action on a resource.
"""

from __future__ import annotations

from ekstwin.engines.iam.casefile import parse_case
from ekstwin.engines.iam.chains import (
    ChainStep,
    IamAnalyzer,
    ImagePull,
    PodAccess,
    RoleGrant,
    Via,
    WhoCan,
    WhoCanEntry,
)
from ekstwin.engines.iam.evaluate import (
    DecidingStatement,
    Decision,
    DenyKind,
    Evaluator,
    PolicySet,
    Principal,
    PrincipalType,
    Request,
    ResourcePolicy,
    evaluate,
)
from ekstwin.engines.iam.policy import Policy, PolicyError, Statement, parse_policy
from ekstwin.engines.iam.roles import Permission
from ekstwin.errors import ModelError
from ekstwin.model.platform import Platform

__all__ = [
    "ChainStep",
    "IamAnalyzer",
    "ImagePull",
    "Permission",
    "PodAccess",
    "RoleGrant",
    "Via",
    "WhoCan",
    "WhoCanEntry",
    "pod_access",
    "who_can",
    "DecidingStatement",
    "Decision",
    "DenyKind",
    "Evaluator",
    "Policy",
    "PolicyError",
    "PolicySet",
    "Principal",
    "PrincipalType",
    "Request",
    "ResourcePolicy",
    "Statement",
    "evaluate",
    "parse_case",
    "parse_policy",
]


def pod_access(platform: Platform, namespace: str, name: str) -> PodAccess:
    """Every role the pod can obtain, how, what it may do, and its ECR pulls."""
    pod = platform.pod(namespace, name)
    if pod is None:
        raise ModelError(f"no pod {namespace}/{name} in the platform")
    return IamAnalyzer(platform).pod_access(pod)


def who_can(platform: Platform, action: str, resource: str) -> WhoCan:
    """Which pods can perform ``action`` on ``resource``, with their chains."""
    return IamAnalyzer(platform).who_can(action, resource)

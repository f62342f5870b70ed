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

__all__ = [
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

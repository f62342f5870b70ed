"""The permissions ``ekstwin collect`` needs, and nothing more.

``IAM_ACTIONS`` is every AWS API action :mod:`ekstwin.collect.aws` may call;
``iam_policy()`` wraps them in an identity policy to attach to the role or
user that runs ``ekstwin collect aws``. ``cluster_role()`` is the Kubernetes
ClusterRole ``ekstwin collect k8s`` needs: ``get`` and ``list`` on the kinds
the model reads. Both are written to ``docs/`` (``docs/collect-iam-policy.json``,
``docs/collect-clusterrole.yaml``); a test keeps those files in step with this
module, checks that every action is read-only, and checks that the collectors
call nothing outside them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import yaml

__all__ = [
    "IAM_ACTIONS",
    "KUBE_RESOURCES",
    "KubeResource",
    "cluster_role",
    "iam_policy",
    "is_read_only_action",
    "render_cluster_role",
    "render_iam_policy",
]

#: Every AWS action the collector calls, per IAM service prefix.
IAM_ACTIONS: dict[str, tuple[str, ...]] = {
    "sts": ("GetCallerIdentity",),
    "eks": (
        "ListClusters",
        "DescribeCluster",
        "ListNodegroups",
        "DescribeNodegroup",
        "ListAccessEntries",
        "DescribeAccessEntry",
        "ListAssociatedAccessPolicies",
        "ListPodIdentityAssociations",
        "DescribePodIdentityAssociation",
        "ListIdentityProviderConfigs",
        "DescribeIdentityProviderConfig",
        "ListAddons",
        "DescribeAddon",
    ),
    "ec2": (
        "DescribeVpcs",
        "DescribeSubnets",
        "DescribeRouteTables",
        "DescribeInternetGateways",
        "DescribeNatGateways",
        "DescribeInstances",
        "DescribeSecurityGroups",
        "DescribeSecurityGroupRules",
        "DescribeManagedPrefixLists",
        "GetManagedPrefixListEntries",
        "DescribeNetworkAcls",
        "DescribeVpcPeeringConnections",
        "DescribeNetworkInterfaces",
        "DescribeVpcEndpoints",
    ),
    "iam": (
        "ListAccountAliases",
        "ListRoles",
        "GetRole",
        "ListRolePolicies",
        "GetRolePolicy",
        "ListAttachedRolePolicies",
        "ListPolicies",
        "GetPolicy",
        "GetPolicyVersion",
        "ListInstanceProfiles",
        "ListOpenIDConnectProviders",
        "GetOpenIDConnectProvider",
        "ListSAMLProviders",
    ),
    "ecr": ("DescribeRepositories", "GetRepositoryPolicy", "DescribeImages"),
    "route53": ("ListHostedZones", "GetHostedZone", "ListResourceRecordSets"),
    "kms": ("ListKeys", "DescribeKey", "GetKeyPolicy", "GetKeyRotationStatus", "ListAliases"),
    "elasticloadbalancing": (
        "DescribeLoadBalancers",
        "DescribeListeners",
        "DescribeRules",
        "DescribeTags",
    ),
    "rds": ("DescribeDBInstances",),
    "elasticache": ("DescribeCacheClusters", "DescribeCacheSubnetGroups"),
    "elasticfilesystem": (
        "DescribeFileSystems",
        "DescribeMountTargets",
        "DescribeMountTargetSecurityGroups",
    ),
}

_READ_ONLY = re.compile(r"^(Describe|List|Get)[A-Z][A-Za-z0-9]*$")


def is_read_only_action(action: str) -> bool:
    """``service:Describe*``, ``service:List*`` or ``service:Get*``, with no wildcard."""
    service, _, name = action.partition(":")
    return bool(service) and _READ_ONLY.fullmatch(name) is not None


def iam_policy() -> dict[str, object]:
    """The least-privilege identity policy for ``ekstwin collect aws``."""
    actions = sorted(f"{s}:{a}" for s, names in IAM_ACTIONS.items() for a in names)
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "EkstwinCollectReadOnly",
                "Effect": "Allow",
                "Action": actions,
                "Resource": "*",
            }
        ],
    }


def render_iam_policy() -> str:
    return json.dumps(iam_policy(), indent=2) + "\n"


@dataclass(frozen=True, slots=True)
class KubeResource:
    """One kind ``ekstwin collect k8s`` lists. ``group`` "" is the core API."""

    group: str
    resource: str
    kind: str
    namespaced: bool
    optional: bool = False
    """A custom resource: listed only when discovery shows its API group."""


#: Calico's API server (projectcalico.org/v3) and its CRD storage group
#: (crd.projectcalico.org/v1) serve the same kinds; the collector uses the first
#: one discovery shows.
CALICO_GROUPS: tuple[str, ...] = ("projectcalico.org", "crd.projectcalico.org")

KUBE_RESOURCES: tuple[KubeResource, ...] = (
    KubeResource("", "namespaces", "Namespace", False),
    KubeResource("", "nodes", "Node", False),
    KubeResource("", "pods", "Pod", True),
    KubeResource("", "services", "Service", True),
    KubeResource("", "serviceaccounts", "ServiceAccount", True),
    KubeResource("", "configmaps", "ConfigMap", True),
    KubeResource("", "secrets", "Secret", True),
    KubeResource("", "persistentvolumeclaims", "PersistentVolumeClaim", True),
    KubeResource("", "persistentvolumes", "PersistentVolume", False),
    KubeResource("", "replicationcontrollers", "ReplicationController", True),
    KubeResource("apps", "deployments", "Deployment", True),
    KubeResource("apps", "replicasets", "ReplicaSet", True),
    KubeResource("apps", "statefulsets", "StatefulSet", True),
    KubeResource("apps", "daemonsets", "DaemonSet", True),
    KubeResource("batch", "jobs", "Job", True),
    KubeResource("batch", "cronjobs", "CronJob", True),
    KubeResource("networking.k8s.io", "networkpolicies", "NetworkPolicy", True),
    KubeResource("networking.k8s.io", "ingresses", "Ingress", True),
    KubeResource("networking.k8s.io", "ingressclasses", "IngressClass", False),
    KubeResource("rbac.authorization.k8s.io", "roles", "Role", True),
    KubeResource("rbac.authorization.k8s.io", "rolebindings", "RoleBinding", True),
    KubeResource("rbac.authorization.k8s.io", "clusterroles", "ClusterRole", False),
    KubeResource("rbac.authorization.k8s.io", "clusterrolebindings", "ClusterRoleBinding", False),
    KubeResource("storage.k8s.io", "storageclasses", "StorageClass", False),
    *(
        KubeResource(group, resource, kind, namespaced, optional=True)
        for group in CALICO_GROUPS
        for resource, kind, namespaced in (
            ("networkpolicies", "NetworkPolicy", True),
            ("globalnetworkpolicies", "GlobalNetworkPolicy", False),
            ("networksets", "NetworkSet", True),
            ("globalnetworksets", "GlobalNetworkSet", False),
            ("tiers", "Tier", False),
        )
    ),
    KubeResource("security.istio.io", "authorizationpolicies", "AuthorizationPolicy", True, True),
    KubeResource("security.istio.io", "peerauthentications", "PeerAuthentication", True, True),
    KubeResource("networking.istio.io", "virtualservices", "VirtualService", True, True),
    KubeResource("networking.istio.io", "destinationrules", "DestinationRule", True, True),
)

CLUSTER_ROLE_NAME = "ekstwin-collect"


def cluster_role() -> dict[str, object]:
    """The read-only ClusterRole for ``ekstwin collect k8s``: get and list, nothing else.

    Discovery (``/api``, ``/apis``) is allowed to every authenticated user by
    the default ``system:discovery`` ClusterRole, so it needs no rule here.
    """
    groups: dict[str, list[str]] = {}
    for r in KUBE_RESOURCES:
        groups.setdefault(r.group, []).append(r.resource)
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": {
            "name": CLUSTER_ROLE_NAME,
            "labels": {"app.kubernetes.io/name": "ekstwin"},
        },
        "rules": [
            {"apiGroups": [group], "resources": sorted(resources), "verbs": ["get", "list"]}
            for group, resources in groups.items()
        ],
    }


def render_cluster_role() -> str:
    header = (
        "# The read-only ClusterRole 'ekstwin collect k8s' needs (get and list only).\n"
        "# Bind it to the user or service account that runs the collector:\n"
        "#   kubectl create clusterrolebinding ekstwin-collect \\\n"
        "#     --clusterrole=ekstwin-collect --user=<you>\n"
        "# Drop the 'secrets' resource to keep Secrets out; ekstwin then reports\n"
        "# that it could not list them and SEC001 cannot see them.\n"
    )
    return header + yaml.safe_dump(cluster_role(), sort_keys=False)

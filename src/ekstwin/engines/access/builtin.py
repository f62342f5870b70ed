"""Built-in Kubernetes ClusterRoles and EKS access policies, as data.

Kubernetes creates its bootstrap ClusterRoles (``cluster-admin``, ``admin``,
``edit``, ``view`` and the ``system:*`` ones) in every cluster; manifests refer
to them without defining them. The rules below restate the default
bootstrap policy (``plugin/pkg/auth/authorizer/rbac/bootstrappolicy``) for the
roles that matter for access questions; ``admin``, ``edit`` and ``view`` are
aggregated ClusterRoles whose rules come from the ``system:aggregate-to-*``
roles, as in a real cluster, so a platform's own ``aggregate-to-edit``
ClusterRoles extend them.

The EKS access policies (``arn:aws:eks::aws:cluster-access-policy/<Name>``)
restate the tables of the EKS User Guide ("Review access policy
permissions"). They are Kubernetes permissions enforced by EKS, not RBAC
objects: ``kubectl auth can-i`` and RBAC-only tools do not see them.

Kept as a module (not a JSON file) so it ships with the package without
touching the packaging configuration.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "ACCESS_POLICIES",
    "BUILTIN_BINDINGS",
    "BUILTIN_CLUSTER_ROLES",
    "BuiltinBinding",
    "BuiltinRole",
    "RuleSpec",
]

READ = ("get", "list", "watch")
WRITE = ("create", "delete", "deletecollection", "patch", "update")
READ_WRITE = READ + WRITE

AGGREGATE_TO_ADMIN = "rbac.authorization.k8s.io/aggregate-to-admin"
AGGREGATE_TO_EDIT = "rbac.authorization.k8s.io/aggregate-to-edit"
AGGREGATE_TO_VIEW = "rbac.authorization.k8s.io/aggregate-to-view"


@dataclass(frozen=True, slots=True)
class RuleSpec:
    """One PolicyRule as data."""

    verbs: tuple[str, ...]
    api_groups: tuple[str, ...] = ()
    resources: tuple[str, ...] = ()
    resource_names: tuple[str, ...] = ()
    non_resource_urls: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class BuiltinRole:
    name: str
    rules: tuple[RuleSpec, ...] = ()
    labels: tuple[tuple[str, str], ...] = ()
    aggregate_from: tuple[tuple[str, str], ...] = ()  # one matchLabels selector per pair


@dataclass(frozen=True, slots=True)
class BuiltinBinding:
    """A default ClusterRoleBinding: ``role`` bound to groups or users."""

    name: str
    role: str
    groups: tuple[str, ...] = ()
    users: tuple[str, ...] = ()


def _r(
    groups: str | tuple[str, ...], resources: tuple[str, ...], verbs: tuple[str, ...]
) -> RuleSpec:
    g = (groups,) if isinstance(groups, str) else groups
    return RuleSpec(verbs=verbs, api_groups=g, resources=resources)


_VIEW_RULES = (
    _r("", ("pods", "replicationcontrollers", "replicationcontrollers/scale", "serviceaccounts",
            "services", "services/status", "endpoints", "persistentvolumeclaims",
            "persistentvolumeclaims/status", "configmaps"), READ),
    _r("", ("limitranges", "resourcequotas", "bindings", "events", "pods/status",
            "resourcequotas/status", "namespaces/status", "replicationcontrollers/status",
            "pods/log"), READ),
    _r("", ("namespaces",), READ),
    _r("discovery.k8s.io", ("endpointslices",), READ),
    _r("apps", ("controllerrevisions", "statefulsets", "statefulsets/status", "statefulsets/scale",
                "daemonsets", "daemonsets/status", "deployments", "deployments/status",
                "deployments/scale", "replicasets", "replicasets/status", "replicasets/scale"),
       READ),
    _r("autoscaling", ("horizontalpodautoscalers", "horizontalpodautoscalers/status"), READ),
    _r("batch", ("jobs", "cronjobs", "cronjobs/status", "jobs/status"), READ),
    _r("extensions", ("daemonsets", "daemonsets/status", "deployments", "deployments/scale",
                      "deployments/status", "ingresses", "ingresses/status", "replicasets",
                      "replicasets/scale", "replicasets/status", "replicationcontrollers/scale",
                      "networkpolicies"), READ),
    _r("policy", ("poddisruptionbudgets", "poddisruptionbudgets/status"), READ),
    _r("networking.k8s.io", ("networkpolicies", "ingresses", "ingresses/status"), READ),
)  # fmt: skip

_EDIT_RULES = (
    _r("", ("pods/attach", "pods/proxy", "pods/exec", "pods/portforward", "secrets",
            "services/proxy"), READ),
    _r("", ("serviceaccounts",), ("impersonate",)),
    _r("", ("pods", "pods/attach", "pods/proxy", "pods/exec", "pods/portforward"), WRITE),
    _r("", ("pods/eviction",), ("create",)),
    _r("", ("replicationcontrollers", "replicationcontrollers/scale", "serviceaccounts",
            "services", "services/proxy", "persistentvolumeclaims", "configmaps", "secrets"),
       WRITE),
    _r("", ("serviceaccounts/token",), ("create",)),
    _r("apps", ("statefulsets", "statefulsets/scale", "daemonsets", "deployments",
                "deployments/scale", "deployments/rollback", "replicasets", "replicasets/scale"),
       WRITE),
    _r("autoscaling", ("horizontalpodautoscalers",), WRITE),
    _r("batch", ("jobs", "cronjobs"), WRITE),
    _r("extensions", ("daemonsets", "deployments", "deployments/scale", "deployments/rollback",
                      "ingresses", "replicasets", "replicasets/scale",
                      "replicationcontrollers/scale", "networkpolicies"), WRITE),
    _r("policy", ("poddisruptionbudgets",), WRITE),
    _r("networking.k8s.io", ("networkpolicies", "ingresses"), WRITE),
    _r("coordination.k8s.io", ("leases",), READ_WRITE),
)  # fmt: skip

_ADMIN_RULES = (
    _r("authorization.k8s.io", ("localsubjectaccessreviews",), ("create",)),
    _r("rbac.authorization.k8s.io", ("roles", "rolebindings"), READ_WRITE),
)

BUILTIN_CLUSTER_ROLES: tuple[BuiltinRole, ...] = (
    BuiltinRole(
        "cluster-admin",
        (RuleSpec(("*",), ("*",), ("*",)), RuleSpec(("*",), non_resource_urls=("*",))),
    ),
    BuiltinRole("admin", aggregate_from=((AGGREGATE_TO_ADMIN, "true"),)),
    BuiltinRole(
        "edit",
        labels=((AGGREGATE_TO_ADMIN, "true"),),
        aggregate_from=((AGGREGATE_TO_EDIT, "true"),),
    ),
    BuiltinRole(
        "view",
        labels=((AGGREGATE_TO_EDIT, "true"),),
        aggregate_from=((AGGREGATE_TO_VIEW, "true"),),
    ),
    BuiltinRole("system:aggregate-to-admin", _ADMIN_RULES, ((AGGREGATE_TO_ADMIN, "true"),)),
    BuiltinRole("system:aggregate-to-edit", _EDIT_RULES, ((AGGREGATE_TO_EDIT, "true"),)),
    BuiltinRole("system:aggregate-to-view", _VIEW_RULES, ((AGGREGATE_TO_VIEW, "true"),)),
    BuiltinRole(
        "system:basic-user",
        (
            _r(
                "authorization.k8s.io",
                ("selfsubjectaccessreviews", "selfsubjectrulesreviews"),
                ("create",),
            ),
            _r("authentication.k8s.io", ("selfsubjectreviews",), ("create",)),
        ),
    ),
    BuiltinRole(
        "system:discovery",
        (
            RuleSpec(
                ("get",),
                non_resource_urls=(
                    "/api",
                    "/api/*",
                    "/apis",
                    "/apis/*",
                    "/healthz",
                    "/livez",
                    "/openapi",
                    "/openapi/*",
                    "/readyz",
                    "/version",
                    "/version/",
                ),
            ),
        ),
    ),
    BuiltinRole(
        "system:public-info-viewer",
        (
            RuleSpec(
                ("get",),
                non_resource_urls=("/healthz", "/livez", "/readyz", "/version", "/version/"),
            ),
        ),
    ),
    BuiltinRole(
        "system:node-proxier",
        (
            _r("", ("services", "endpoints"), ("list", "watch")),
            _r("", ("nodes",), READ),
            _r(("", "events.k8s.io"), ("events",), ("create", "update", "patch")),
            _r("discovery.k8s.io", ("endpointslices",), ("list", "watch")),
        ),
    ),
    BuiltinRole(
        "system:kubelet-api-admin",
        (
            _r("", ("nodes",), READ),
            _r("", ("nodes",), ("proxy",)),
            _r(
                "",
                ("nodes/proxy", "nodes/metrics", "nodes/spec", "nodes/stats", "nodes/log"),
                ("*",),
            ),
        ),
    ),
    BuiltinRole(
        "system:node-bootstrapper",
        (_r("certificates.k8s.io", ("certificatesigningrequests",), ("create", *READ)),),
    ),
)

# The default ``cluster-admin`` binding to ``system:masters`` is left out: the
# group is authorized before RBAC is asked, and the analyzer reports it so.
BUILTIN_BINDINGS: tuple[BuiltinBinding, ...] = (
    BuiltinBinding("system:basic-user", "system:basic-user", groups=("system:authenticated",)),
    BuiltinBinding("system:discovery", "system:discovery", groups=("system:authenticated",)),
    BuiltinBinding(
        "system:public-info-viewer",
        "system:public-info-viewer",
        groups=("system:authenticated", "system:unauthenticated"),
    ),
    BuiltinBinding("system:node-proxier", "system:node-proxier", users=("system:kube-proxy",)),
)

_ADMIN_POLICY = (
    _r("apps", ("daemonsets", "deployments", "deployments/rollback", "deployments/scale",
                "replicasets", "replicasets/scale", "statefulsets", "statefulsets/scale"), WRITE),
    _r("apps", ("controllerrevisions", "daemonsets", "daemonsets/status", "deployments",
                "deployments/scale", "deployments/status", "replicasets", "replicasets/scale",
                "replicasets/status", "statefulsets", "statefulsets/scale",
                "statefulsets/status"), READ),
    _r("authorization.k8s.io", ("localsubjectaccessreviews",), ("create",)),
    _r("autoscaling", ("horizontalpodautoscalers",), WRITE),
    _r("autoscaling", ("horizontalpodautoscalers", "horizontalpodautoscalers/status"), READ),
    _r("batch", ("cronjobs", "jobs"), WRITE),
    _r("batch", ("cronjobs", "cronjobs/status", "jobs", "jobs/status"), READ),
    _r("discovery.k8s.io", ("endpointslices",), READ),
    _r("extensions", ("daemonsets", "deployments", "deployments/rollback", "deployments/scale",
                      "ingresses", "networkpolicies", "replicasets", "replicasets/scale",
                      "replicationcontrollers/scale"), WRITE),
    _r("extensions", ("daemonsets", "daemonsets/status", "deployments", "deployments/scale",
                      "deployments/status", "ingresses", "ingresses/status", "networkpolicies",
                      "replicasets", "replicasets/scale", "replicasets/status",
                      "replicationcontrollers/scale"), READ),
    _r("networking.k8s.io", ("ingresses", "ingresses/status", "networkpolicies"), READ),
    _r("networking.k8s.io", ("ingresses", "networkpolicies"), WRITE),
    _r("policy", ("poddisruptionbudgets",), WRITE),
    _r("policy", ("poddisruptionbudgets", "poddisruptionbudgets/status"), READ),
    _r("rbac.authorization.k8s.io", ("rolebindings", "roles"), READ_WRITE),
    _r("", ("configmaps", "endpoints", "persistentvolumeclaims", "persistentvolumeclaims/status",
            "pods", "replicationcontrollers", "replicationcontrollers/scale", "serviceaccounts",
            "services", "services/status"), READ),
    _r("", ("pods/attach", "pods/exec", "pods/portforward", "pods/proxy", "secrets",
            "services/proxy"), READ),
    _r("", ("configmaps", "events", "persistentvolumeclaims", "replicationcontrollers",
            "replicationcontrollers/scale", "secrets", "serviceaccounts", "services",
            "services/proxy"), WRITE),
    _r("", ("pods", "pods/attach", "pods/exec", "pods/portforward", "pods/proxy"), WRITE),
    _r("", ("serviceaccounts",), ("impersonate",)),
    _r("", ("bindings", "events", "limitranges", "namespaces/status", "pods/log", "pods/status",
            "replicationcontrollers/status", "resourcequotas", "resourcequotas/status"), READ),
    _r("", ("namespaces",), READ),
)  # fmt: skip

_EDIT_POLICY = tuple(
    r
    for r in _ADMIN_POLICY
    if "rbac.authorization.k8s.io" not in r.api_groups
    and "authorization.k8s.io" not in r.api_groups
)

_VIEW_POLICY = (
    _r("apps", ("controllerrevisions", "daemonsets", "daemonsets/status", "deployments",
                "deployments/scale", "deployments/status", "replicasets", "replicasets/scale",
                "replicasets/status", "statefulsets", "statefulsets/scale",
                "statefulsets/status"), READ),
    _r("autoscaling", ("horizontalpodautoscalers", "horizontalpodautoscalers/status"), READ),
    _r("batch", ("cronjobs", "cronjobs/status", "jobs", "jobs/status"), READ),
    _r("discovery.k8s.io", ("endpointslices",), READ),
    _r("extensions", ("daemonsets", "daemonsets/status", "deployments", "deployments/scale",
                      "deployments/status", "ingresses", "ingresses/status", "networkpolicies",
                      "replicasets", "replicasets/scale", "replicasets/status",
                      "replicationcontrollers/scale"), READ),
    _r("networking.k8s.io", ("ingresses", "ingresses/status", "networkpolicies"), READ),
    _r("policy", ("poddisruptionbudgets", "poddisruptionbudgets/status"), READ),
    _r("", ("configmaps", "endpoints", "persistentvolumeclaims", "persistentvolumeclaims/status",
            "pods", "replicationcontrollers", "replicationcontrollers/scale", "serviceaccounts",
            "services", "services/status"), READ),
    _r("", ("bindings", "events", "limitranges", "namespaces/status", "pods/log", "pods/status",
            "replicationcontrollers/status", "resourcequotas", "resourcequotas/status"), READ),
    _r("", ("namespaces",), READ),
)  # fmt: skip

ACCESS_POLICIES: dict[str, tuple[RuleSpec, ...]] = {
    "AmazonEKSClusterAdminPolicy": (
        RuleSpec(("*",), ("*",), ("*",)),
        RuleSpec(("*",), non_resource_urls=("*",)),
    ),
    "AmazonEKSAdminPolicy": _ADMIN_POLICY,
    "AmazonEKSEditPolicy": _EDIT_POLICY,
    "AmazonEKSAdminViewPolicy": (RuleSpec(READ, ("*",), ("*",)),),
    "AmazonEKSViewPolicy": _VIEW_POLICY,
}
"""Access policies by name. The component policies (Auto Mode, hybrid nodes) are
not listed: they grant EKS components narrow rights and are reported as unknown."""

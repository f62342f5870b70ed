"""Which kinds and groups the reader knows, and where objects of a kind live
(cluster-scoped, namespaced); the marks a Secret document carries once its values
were dropped."""

from __future__ import annotations

from collections.abc import Mapping

from ekstwin.model.k8s import DEFAULT_NAMESPACE, WorkloadKind

__all__ = [
    "ADMIN_POLICY_GROUP",
    "CALICO_GROUPS",
    "CLUSTER_SCOPED",
    "CORE_GROUPS",
    "CREDENTIALS_KEY",
    "HAD_VALUES_KEY",
    "LINE_KINDS",
    "NAMESPACED",
    "WORKLOAD_KINDS",
    "is_secret_document",
    "namespace_of",
]


CALICO_GROUPS = frozenset({"projectcalico.org", "crd.projectcalico.org"})


#: Kinds whose documents keep a line for each of their parts.
LINE_KINDS = frozenset(
    {
        "NetworkPolicy",
        "GlobalNetworkPolicy",
        "AdminNetworkPolicy",
        "BaselineAdminNetworkPolicy",
        "AuthorizationPolicy",
        "PeerAuthentication",
        "VirtualService",
        "Role",
        "ClusterRole",
        "Ingress",
        "ConfigMap",
        "Deployment",
        "StatefulSet",
        "DaemonSet",
        "ReplicaSet",
        "Job",
        "CronJob",
        "Pod",
        "SecurityGroupPolicy",
    }
)


CLUSTER_SCOPED = frozenset(
    {
        "Namespace",
        "Node",
        "PersistentVolume",
        "StorageClass",
        "ClusterRole",
        "ClusterRoleBinding",
        "GlobalNetworkPolicy",
        "GlobalNetworkSet",
        "Tier",
        "AdminNetworkPolicy",
        "BaselineAdminNetworkPolicy",
        "IngressClass",
        "CustomResourceDefinition",
        "PriorityClass",
        "MutatingWebhookConfiguration",
        "ValidatingWebhookConfiguration",
        "APIService",
        "CSIDriver",
        "FelixConfiguration",
        "BGPConfiguration",
        "IPPool",
        "HostEndpoint",
        "ClusterInformation",
    }
)


WORKLOAD_KINDS = {k.value: k for k in WorkloadKind}


#: Namespaced kinds the model reads: without metadata.namespace they land in
#: ``default``, as ``kubectl apply`` would put them. Other kinds keep the
#: namespace they were given (none when absent): whether they are namespaced
#: is not known.
NAMESPACED = frozenset(
    {*WORKLOAD_KINDS, "Pod", "Service", "Ingress", "NetworkPolicy", "ServiceAccount", "Role",
     "RoleBinding", "ConfigMap", "Secret", "PersistentVolumeClaim", "NetworkSet",
     "AuthorizationPolicy", "PeerAuthentication", "VirtualService", "DestinationRule",
     "Endpoints", "EndpointSlice", "ResourceQuota", "LimitRange", "PodDisruptionBudget",
     "HorizontalPodAutoscaler", "Lease", "Event", "ControllerRevision", "SecurityGroupPolicy"}
)  # fmt: skip


def namespace_of(kind: str, given: str | None) -> str | None:
    if kind in CLUSTER_SCOPED:
        return None
    if given is None and kind in NAMESPACED:
        return DEFAULT_NAMESPACE
    return given


#: Set by the reader on a Secret document whose values it dropped.
HAD_VALUES_KEY = "ekstwin.io/had-values"


#: ... and, for each key whose value looked like a credential, why (absent when the
#: values were dropped before they could be judged).
CREDENTIALS_KEY = "ekstwin.io/credentials"


def is_secret_document(data: Mapping[str, object]) -> bool:
    """Whether a document is read as a Kubernetes Secret: the one answer that both the
    model and the redaction of values go by.

    Any document whose ``kind`` is ``Secret`` is one, whatever its ``apiVersion``
    (``V1``, ``" v1"``, ``1``, none): Kubernetes has one Secret kind, a document that
    says Secret with another version is a Secret written wrongly, and its values must
    be dropped either way. The kind is compared as the reader compares names it
    forgives (case and surrounding blanks ignored).
    """
    kind = data.get("kind")
    return isinstance(kind, str) and kind.strip().lower() == "secret"


ADMIN_POLICY_GROUP = "policy.networking.k8s.io"


#: The API groups of Kubernetes' own kinds; a kind the reader knows is read in any
#: of them (a Service in ``apps`` too, as the reader forgives a wrong group).
CORE_GROUPS = (
    "",
    "apps",
    "batch",
    "extensions",
    "networking.k8s.io",
    "rbac.authorization.k8s.io",
    "storage.k8s.io",
    "policy",
)

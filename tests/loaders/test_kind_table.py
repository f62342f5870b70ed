"""The (group, kind) table the Kubernetes reader goes by: which module reads each
kind, in which API groups, and what a document of no handled kind becomes."""

from __future__ import annotations

import pytest

from ekstwin.loaders.kubernetes import (
    ADMIN_POLICY_GROUP,
    CALICO_GROUPS,
    CORE_GROUPS,
    KIND_HANDLERS,
    WORKLOAD_KINDS,
    read_kube_documents,
)
from ekstwin.loaders.kubernetes.objects import KindHandler, KubeObjects, kind_table
from ekstwin.model.k8s import Meta
from ekstwin.model.source import Source

#: kind -> the module that reads it, in each of CORE_GROUPS
CORE_KINDS = {
    "Namespace": "core",
    "Node": "core",
    "ServiceAccount": "core",
    "ConfigMap": "core",
    "Pod": "workloads",
    **dict.fromkeys(WORKLOAD_KINDS, "workloads"),
    "Service": "services",
    "Ingress": "services",
    "IngressClass": "services",
    "NetworkPolicy": "netpol",
    "Role": "rbac",
    "ClusterRole": "rbac",
    "RoleBinding": "rbac",
    "ClusterRoleBinding": "rbac",
    "StorageClass": "storage",
    "PersistentVolumeClaim": "storage",
    "PersistentVolume": "storage",
}
CALICO_KINDS = ("NetworkPolicy", "GlobalNetworkPolicy", "NetworkSet", "GlobalNetworkSet", "Tier")


def test_the_table_names_the_module_that_reads_each_group_and_kind() -> None:
    expected = {
        **{(g, k): m for g in CORE_GROUPS for k, m in CORE_KINDS.items()},
        **{(g, k): "calico" for g in CALICO_GROUPS for k in CALICO_KINDS},
        (ADMIN_POLICY_GROUP, "AdminNetworkPolicy"): "adminpolicy",
        (ADMIN_POLICY_GROUP, "BaselineAdminNetworkPolicy"): "adminpolicy",
        ("security.istio.io", "AuthorizationPolicy"): "istio",
        ("security.istio.io", "PeerAuthentication"): "istio",
        ("networking.istio.io", "VirtualService"): "istio",
        ("networking.istio.io", "DestinationRule"): "istio",
        ("vpcresources.k8s.aws", "SecurityGroupPolicy"): "awsvpc",
    }
    got = {key: h.__module__.rpartition(".")[2] for key, h in KIND_HANDLERS.items()}
    assert got == expected


def _doc(api_version: str, kind: str) -> tuple[object, Source, dict[str, int]]:
    data = {"apiVersion": api_version, "kind": kind, "metadata": {"name": "x", "namespace": "n"}}
    return data, Source("t.yaml", 1), {}


@pytest.mark.parametrize(
    ("api_version", "kind", "read_as"),
    [
        ("v1", "Service", "services"),
        ("apps/v1", "Service", "services"),  # a core kind in any core group
        ("projectcalico.org/v3", "NetworkPolicy", "calico_policies"),
        ("networking.k8s.io/v1", "NetworkPolicy", "network_policies"),
        ("projectcalico.org/v3", "Pod", "opaque"),  # a core kind in Calico's group
        ("v1", "Tier", "opaque"),  # a Calico kind in a core group
        ("security.istio.io/v1", "VirtualService", "opaque"),  # Istio kind, other group
        ("cert-manager.io/v1", "Certificate", "opaque"),
        ("example.com/v1", "Secret", "secrets"),  # a Secret whatever its group
    ],
)
def test_a_document_is_read_by_its_group_and_kind_or_kept_opaque(
    api_version: str, kind: str, read_as: str
) -> None:
    objs = read_kube_documents(iter([_doc(api_version, kind)]))
    assert (objs.diagnostics.kept, objs.diagnostics.counted) == ((), ())
    filled = {
        name: [o.meta.kind for o in value]
        for name, value in vars(objs).items()
        if isinstance(value, list) and value
    }
    assert filled == {read_as: [kind]}


def test_two_handlers_for_one_group_and_kind_are_refused() -> None:
    def handler(objs: KubeObjects, data: dict[str, object], meta: Meta) -> None:
        return None

    part: dict[tuple[str, str], KindHandler] = {("", "Pod"): handler}
    with pytest.raises(ValueError, match=r"two handlers for \('', 'Pod'\)"):
        kind_table(part, {("", "Service"): handler}, part)

"""The cluster's own objects, implied when the input does not hold them.

An application repository holds its own namespaces and workloads, not the
objects every EKS cluster has: the namespaces Kubernetes creates
(``default``, ``kube-system``, ``kube-public``, ``kube-node-lease``, each with
its automatic ``kubernetes.io/metadata.name`` label) and CoreDNS, the EKS
add-on that serves cluster DNS (pods labelled ``k8s-app: kube-dns`` in
``kube-system`` behind the ``kube-dns`` Service, on 53/UDP and 53/TCP).
Without them a policy that allows DNS to kube-system reads as a peer that
selects nothing, and no check can tell whether DNS is blocked.

Each implied object is added only when the input lacks it, as a manifest run
through the same reader as the input's, with a source
``<implied: why>`` (``Source.implied``) that every output shows. ``--no-implied``
turns this off.
"""

from __future__ import annotations

import copy

from ekstwin.loaders.kubernetes import KubeObjects, add_document
from ekstwin.model.k8s import NAMESPACE_NAME_LABEL, Meta, Namespace
from ekstwin.model.source import Source

__all__ = ["CLUSTER_NAMESPACES", "COREDNS_SOURCE", "NAMESPACE_SOURCE", "add_implied"]

#: The namespaces the API server creates in every cluster.
CLUSTER_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")

NAMESPACE_SOURCE = Source.implied_by("created by Kubernetes in every cluster")
COREDNS_SOURCE = Source.implied_by("the EKS CoreDNS add-on")

_DNS_NAMESPACE = "kube-system"
_DNS_LABELS = {"k8s-app": "kube-dns", "eks.amazonaws.com/component": "coredns"}
_DNS_PORTS = (
    {"name": "dns", "containerPort": 53, "protocol": "UDP"},
    {"name": "dns-tcp", "containerPort": 53, "protocol": "TCP"},
    {"name": "metrics", "containerPort": 9153, "protocol": "TCP"},
)

# The objects the EKS CoreDNS add-on installs, as manifests (what
# `kubectl get -n kube-system deploy/coredns svc/kube-dns sa/coredns -o yaml`
# shows on a new cluster, reduced to the fields ekstwin reads).
_COREDNS: tuple[dict[str, object], ...] = (
    {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": {"name": "coredns", "namespace": _DNS_NAMESPACE, "labels": _DNS_LABELS},
    },
    {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "coredns", "namespace": _DNS_NAMESPACE, "labels": _DNS_LABELS},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"k8s-app": "kube-dns"}},
            "template": {
                "metadata": {"labels": _DNS_LABELS},
                "spec": {
                    "serviceAccountName": "coredns",
                    "containers": [
                        {
                            "name": "coredns",
                            "image": "coredns/coredns",
                            "imagePullPolicy": "IfNotPresent",
                            "ports": list(_DNS_PORTS),
                        }
                    ],
                },
            },
        },
    },
    {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {
            "name": "kube-dns",
            "namespace": _DNS_NAMESPACE,
            "labels": {**_DNS_LABELS, "kubernetes.io/name": "CoreDNS"},
        },
        "spec": {
            "selector": {"k8s-app": "kube-dns"},
            "ports": [
                {"name": "dns", "port": 53, "targetPort": 53, "protocol": "UDP"},
                {"name": "dns-tcp", "port": 53, "targetPort": 53, "protocol": "TCP"},
                {"name": "metrics", "port": 9153, "targetPort": 9153, "protocol": "TCP"},
            ],
        },
    },
)


def _has_dns(objs: KubeObjects) -> bool:
    """Whether the input holds cluster DNS pods (or a workload that makes them)."""
    key, value = "k8s-app", "kube-dns"
    for w in objs.workloads:
        if w.meta.namespace == _DNS_NAMESPACE and w.template_labels.get(key) == value:
            return True
    return any(p.namespace == _DNS_NAMESPACE and p.labels.get(key) == value for p in objs.pods)


def add_implied(objs: KubeObjects) -> None:
    """Add what every EKS cluster has and the input lacks."""
    declared = {ns.name for ns in objs.namespaces}
    for name in CLUSTER_NAMESPACES:
        if name not in declared:
            meta = Meta(
                "v1", "Namespace", name, None, NAMESPACE_SOURCE, labels={NAMESPACE_NAME_LABEL: name}
            )
            objs.namespaces.append(Namespace(meta=meta, implicit=True))
    if _has_dns(objs):
        return
    services = {(s.meta.namespace, s.meta.name) for s in objs.services}
    accounts = {(a.meta.namespace, a.meta.name) for a in objs.service_accounts}
    for doc in _COREDNS:
        md = doc["metadata"]
        assert isinstance(md, dict)
        key = (md["namespace"], md["name"])
        if (doc["kind"] == "Service" and key in services) or (
            doc["kind"] == "ServiceAccount" and key in accounts
        ):
            continue
        add_document(objs, copy.deepcopy(doc), COREDNS_SOURCE, {})

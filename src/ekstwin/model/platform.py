"""The platform: every object the twin loaded, typed and immutable."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import field
from typing import TYPE_CHECKING

from ekstwin.model._dataclass import dataclass
from ekstwin.model.adminpolicy import AdminNetworkPolicy
from ekstwin.model.aws import AwsState, EksCluster, Instance
from ekstwin.model.calico import CalicoPolicy, NetworkSet, Tier
from ekstwin.model.k8s import (
    AwsAuth,
    ConfigMap,
    Ingress,
    IngressClass,
    Meta,
    Namespace,
    NetworkPolicy,
    Node,
    OpaqueObject,
    PersistentVolume,
    PersistentVolumeClaim,
    Pod,
    PodSpec,
    Role,
    RoleBinding,
    Secret,
    Service,
    ServiceAccount,
    StorageClass,
    Workload,
)
from ekstwin.model.source import ObjectRef
from ekstwin.model.vpc import SecurityGroupPolicy

if TYPE_CHECKING:  # imported by what makes their objects (a platform without them does not)
    from ekstwin.model.istio import (
        AuthorizationPolicy,
        DestinationRule,
        PeerAuthentication,
        VirtualService,
    )
    from ekstwin.model.keycloak import Realm

#: The names a user may give a workload kind (as kubectl does), by kind.
_WORKLOAD_KINDS = {
    alias: kind
    for kind, aliases in (
        ("Deployment", ("deployment", "deployments", "deploy")),
        ("StatefulSet", ("statefulset", "statefulsets", "sts")),
        ("DaemonSet", ("daemonset", "daemonsets", "ds")),
        ("Job", ("job", "jobs")),
        ("CronJob", ("cronjob", "cronjobs", "cj")),
        ("ReplicaSet", ("replicaset", "replicasets", "rs")),
        ("ReplicationController", ("replicationcontroller", "replicationcontrollers", "rc")),
    )
    for alias in aliases
}


@dataclass(frozen=True, slots=True)
class Platform:
    """One platform as loaded. Build it with ``ekstwin.loaders.load``.

    ``pods`` holds both the Pod objects of the input and the pods that the
    workloads would create; ``workloads`` the controllers themselves.
    """

    namespaces: tuple[Namespace, ...] = ()
    nodes: tuple[Node, ...] = ()
    workloads: tuple[Workload, ...] = ()
    pods: tuple[Pod, ...] = ()
    services: tuple[Service, ...] = ()
    ingresses: tuple[Ingress, ...] = ()
    ingress_classes: tuple[IngressClass, ...] = ()
    network_policies: tuple[NetworkPolicy, ...] = ()
    service_accounts: tuple[ServiceAccount, ...] = ()
    roles: tuple[Role, ...] = ()
    role_bindings: tuple[RoleBinding, ...] = ()
    config_maps: tuple[ConfigMap, ...] = ()
    secrets: tuple[Secret, ...] = ()
    storage_classes: tuple[StorageClass, ...] = ()
    pvcs: tuple[PersistentVolumeClaim, ...] = ()
    pvs: tuple[PersistentVolume, ...] = ()
    calico_policies: tuple[CalicoPolicy, ...] = ()
    network_sets: tuple[NetworkSet, ...] = ()
    tiers: tuple[Tier, ...] = ()
    admin_network_policies: tuple[AdminNetworkPolicy, ...] = ()
    security_group_policies: tuple[SecurityGroupPolicy, ...] = ()
    authorization_policies: tuple[AuthorizationPolicy, ...] = ()
    peer_authentications: tuple[PeerAuthentication, ...] = ()
    virtual_services: tuple[VirtualService, ...] = ()
    destination_rules: tuple[DestinationRule, ...] = ()
    opaque: tuple[OpaqueObject, ...] = ()
    aws_auth: AwsAuth | None = None
    aws: AwsState = field(default_factory=AwsState)
    realms: tuple[Realm, ...] = ()
    # lookup indexes, built on first use (the first object of a key wins, as the
    # scans they replace did)
    _index: dict[str, dict[tuple[str | None, str], object]] = field(
        init=False, repr=False, compare=False, hash=False, default_factory=dict
    )

    # -- lookups ---------------------------------------------------------

    def _lookup(self, kind: str, key: tuple[str | None, str]) -> object | None:
        index = self._index.get(kind)
        if index is None:
            index = {}
            if kind == "namespace":
                for ns in self.namespaces:
                    index.setdefault((None, ns.name), ns)
            elif kind == "pod":
                for p in self.pods:
                    index.setdefault((p.namespace, p.name), p)
            elif kind == "service":
                for svc in self.services:
                    index.setdefault((svc.meta.namespace, svc.meta.name), svc)
            else:
                for sa in self.service_accounts:
                    index.setdefault((sa.meta.namespace, sa.meta.name), sa)
            self._index[kind] = index
        return index.get(key)

    def namespace(self, name: str) -> Namespace | None:
        got = self._lookup("namespace", (None, name))
        assert got is None or isinstance(got, Namespace)
        return got

    def pod(self, namespace: str, name: str) -> Pod | None:
        got = self._lookup("pod", (namespace, name))
        assert got is None or isinstance(got, Pod)
        return got

    def workloads_named(self, spec: str) -> tuple[tuple[ObjectRef, tuple[Pod, ...]], ...]:
        """The workloads ``spec`` names, each with its pods (sorted by name):
        ``NS/KIND/NAME`` (``deployment``, ``statefulset``, ``daemonset``, ``job``,
        ``cronjob``, ``replicaset``, ``replicationcontroller``; any case, plural or
        short forms such as ``deploy``, ``sts``, ``ds``) or ``NS/NAME``, which may
        name several workloads of different kinds. Empty when none matches."""
        parts = spec.strip().split("/")
        if len(parts) == 3:
            ns, kind_text, name = parts
            kind = _WORKLOAD_KINDS.get(kind_text.lower())
            if kind is None:
                return ()
        elif len(parts) == 2:
            ns, name = parts
            kind = None
        else:
            return ()
        out = []
        for w in self.workloads:
            if w.meta.ns != ns or w.meta.name != name:
                continue
            if kind is not None and w.kind.value != kind:
                continue
            pods = tuple(
                sorted((p for p in self.pods if p.workload == w.ref), key=lambda p: p.name)
            )
            out.append((w.ref, pods))
        return tuple(out)

    def workload_pod(self, spec: str) -> tuple[Pod | None, str]:
        """The pod a workload spec (``NS/deployment/NAME``, or ``NS/NAME`` naming one
        workload) stands for, the first of its pods by name, and a note saying so;
        or None and what is wrong. A workload's pods share one template, so they are
        alike to every policy and role that does not name a single pod (a
        StatefulSet's ``statefulset.kubernetes.io/pod-name``)."""
        found = self.workloads_named(spec)
        if not found:
            return None, (
                f"no pod and no workload {spec} in the platform (give NS/POD, NS/KIND/NAME "
                "such as shop/deployment/web, or NS/NAME of a workload)"
            )
        if len(found) > 1:
            kinds = ", ".join(f"{r.namespace}/{r.kind.lower()}/{r.name}" for r, _ in found)
            return None, f"{spec} names {len(found)} workloads: say which ({kinds})"
        ref, pods = found[0]
        if not pods:
            return None, f"{ref} makes no pod (replicas: 0?)"
        return pods[0], f"{ref}: answered for its pod {pods[0].key} ({len(pods)} pod(s))"

    def cluster_of_instance(self, inst: Instance) -> EksCluster | None:
        """The EKS cluster an instance is a node of: the one it names (its
        ``eks:cluster-name`` tag), else the only cluster whose VPC holds its
        subnet; None when neither says."""
        clusters = self.aws.clusters
        if inst.cluster:
            return next((c for c in clusters if c.name == inst.cluster), None)
        subnet = self.aws.subnet(inst.subnet_id)
        if subnet is None:
            return None
        in_vpc = [c for c in clusters if c.vpc_id and c.vpc_id == subnet.vpc_id]
        return in_vpc[0] if len(in_vpc) == 1 else None

    def eks_cluster(self, name: str | None = None) -> EksCluster | None:
        """The EKS cluster this platform is, decided here for every engine:

        1. the cluster ``name`` names (its name or ARN: what a caller was told,
           such as a ``--cluster-name`` flag); None when the AWS input lacks it;
        2. else the only cluster of the AWS input;
        3. else the cluster the Kubernetes input's nodes run in (the Node objects
           it holds and the nodes its pods name, through their instances:
           :meth:`cluster_of_instance`), when they point at one;
        4. else, when the Kubernetes input names no node the AWS input knows, the
           one cluster the AWS input's instances are nodes of;
        5. else unknown (None): several clusters and nothing to choose by. An
           engine then judges what needs the cluster as unknown, never the
           first cluster listed.
        """
        clusters = self.aws.clusters
        if name is not None:
            return self.aws.cluster(name)
        if len(clusters) <= 1:
            return clusters[0] if clusters else None
        named: dict[str, EksCluster] = {}
        for node in self.nodes:
            if node.implicit and not node.meta.source.implied:
                continue  # a node made from an instance of the AWS input, not named by it
            inst = (
                self.aws.instance(node.instance_id)
                if node.instance_id
                else self.aws.instance_for_node(node.name)
            )
            found = self.cluster_of_instance(inst) if inst is not None else None
            if found is not None:
                named[found.arn] = found
        if not named:
            for inst in self.aws.instances:
                found = self.cluster_of_instance(inst)
                if found is not None:
                    named[found.arn] = found
        return next(iter(named.values())) if len(named) == 1 else None

    def _in_namespace(self, kind: str, objects: tuple[Pod | Service, ...], ns: str) -> object:
        """The ``objects`` (pods or services) of namespace ``ns``, in the input's order."""
        index = self._index.get(kind)
        if index is None:
            grouped: dict[tuple[str | None, str], list[object]] = {}
            for o in objects:
                grouped.setdefault((None, o.meta.ns), []).append(o)
            index = self._index[kind] = {k: tuple(v) for k, v in grouped.items()}
        return index.get((None, ns), ())

    def pods_in(self, namespace: str) -> tuple[Pod, ...]:
        """The pods of ``namespace``, in the input's order."""
        got = self._in_namespace("pods_in", self.pods, namespace)
        assert isinstance(got, tuple)
        return got

    def services_in(self, namespace: str) -> tuple[Service, ...]:
        """The Services of ``namespace``, in the input's order."""
        got = self._in_namespace("services_in", self.services, namespace)
        assert isinstance(got, tuple)
        return got

    def service(self, namespace: str, name: str) -> Service | None:
        got = self._lookup("service", (namespace, name))
        assert got is None or isinstance(got, Service)
        return got

    def service_account(self, namespace: str, name: str) -> ServiceAccount | None:
        got = self._lookup("service_account", (namespace, name))
        assert got is None or isinstance(got, ServiceAccount)
        return got

    def pod_specs(self) -> Iterator[tuple[Meta, PodSpec]]:
        """Each pod template as written: every workload's, and every pod's whose
        workload is not in the input (bare Pods, or live pods of unknown owners)."""
        known = set()
        for w in self.workloads:
            known.add(w.ref)
            yield w.meta, w.spec
        for p in self.pods:
            if p.workload is None or (p.workload not in known and p.meta.kind == "Pod"):
                if p.workload is not None:
                    known.add(p.workload)
                yield p.meta, p.spec

    def metas(self, *, include_opaque: bool = True) -> Iterator[Meta]:
        """Every object read from the input (pods made from workloads excluded)."""
        groups: list[tuple[object, ...]] = [
            self.namespaces,
            self.nodes,
            self.workloads,
            self.services,
            self.ingresses,
            self.ingress_classes,
            self.network_policies,
            self.service_accounts,
            self.roles,
            self.role_bindings,
            self.config_maps,
            self.secrets,
            self.storage_classes,
            self.pvcs,
            self.pvs,
            self.calico_policies,
            self.network_sets,
            self.tiers,
            self.admin_network_policies,
            self.authorization_policies,
            self.peer_authentications,
            self.virtual_services,
            self.destination_rules,
        ]
        if include_opaque:
            groups.append(self.opaque)
        for group in groups:
            for obj in group:
                if getattr(obj, "implicit", False):
                    continue
                if getattr(obj, "template_of", None) is not None:
                    continue
                meta = getattr(obj, "meta", None)
                if isinstance(meta, Meta) and not meta.source.implied:
                    yield meta
        for pod in self.pods:
            if pod.workload is None and not pod.meta.source.implied:
                yield pod.meta

    def implied(self) -> tuple[ObjectRef, ...]:
        """The objects ekstwin assumed because the input lacks them (their source
        is ``<implied: why>``): the cluster's namespaces, CoreDNS, the workloads
        operators make, nodes named by pods. Pods made from them are not listed."""
        groups: list[tuple[object, ...]] = [
            self.namespaces, self.nodes, self.workloads, self.services, self.service_accounts,
        ]  # fmt: skip
        out = []
        for group in groups:
            for obj in group:
                meta = getattr(obj, "meta", None)
                if isinstance(meta, Meta) and meta.source.implied:
                    out.append(meta.ref)
        return tuple(out)

    def meta_of(self, ref: ObjectRef) -> Meta | None:
        for meta in self.metas():
            if meta.ref == ref:
                return meta
        return None

    def kind_counts(self) -> dict[str, int]:
        counts = Counter(m.kind for m in self.metas(include_opaque=False))
        return dict(sorted(counts.items()))

    def opaque_counts(self) -> dict[str, int]:
        counts = Counter(f"{o.meta.api_version}/{o.meta.kind}" for o in self.opaque)
        return dict(sorted(counts.items()))

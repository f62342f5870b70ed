"""Build the Platform from raw inputs: convert, expand workloads, join AWS.

Workloads become the pods their controllers would create, named the way the
controllers name them (``web-<hash>-<suffix>``, ``db-0``, one DaemonSet pod
per node) and labelled the way they label them (``pod-template-hash``,
``statefulset.kubernetes.io/pod-name``, ``job-name`` ...), so selectors on
those labels work. When the input already holds a workload's live pods (the
output of ``kubectl get -A -o yaml``), the workload is not expanded again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from ekstwin.findings import DiagnosticCollector
from ekstwin.loaders.aws import build_aws
from ekstwin.loaders.implied import add_implied
from ekstwin.loaders.inputs import RawInputs
from ekstwin.loaders.keycloak import build_realms
from ekstwin.loaders.kubernetes import KubeObjects, read_kube_documents
from ekstwin.loaders.operators import add_operator_workloads
from ekstwin.model.aws import AwsState, Instance
from ekstwin.model.k8s import (
    NAMESPACE_NAME_LABEL,
    Meta,
    Namespace,
    Node,
    OwnerRef,
    PersistentVolumeClaim,
    Pod,
    Workload,
    WorkloadKind,
)
from ekstwin.model.keycloak import Realm
from ekstwin.model.platform import Platform
from ekstwin.model.source import ObjectRef, Source

_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
#: Each byte value to the character it picks (``_ALPHABET[b % len(_ALPHABET)]``).
_PICK = bytes(ord(_ALPHABET[b % len(_ALPHABET)]) for b in range(256))


def name_suffix(seed: str, length: int) -> str:
    """A deterministic suffix in the alphabet Kubernetes uses for generated names."""
    return hashlib.sha256(seed.encode()).digest()[:length].translate(_PICK).decode()


def _node_from_instance(inst: Instance) -> Node | None:
    name = inst.node_name or inst.private_dns_name
    is_node = bool(
        inst.node_name
        or inst.node_group
        or inst.cluster
        or "eks:cluster-name" in inst.tags
        or any(k.startswith("kubernetes.io/cluster/") for k in inst.tags)
    )
    if not name or not is_node or inst.state not in ("running", "pending"):
        return None
    labels = {
        "kubernetes.io/hostname": name,
        "node.kubernetes.io/instance-type": inst.instance_type,
    }
    if inst.availability_zone:
        labels["topology.kubernetes.io/zone"] = inst.availability_zone
    if inst.node_group:
        labels["eks.amazonaws.com/nodegroup"] = inst.node_group
    return Node(
        meta=Meta("v1", "Node", name, None, inst.source, labels=labels),
        instance_type=inst.instance_type,
        zone=inst.availability_zone,
        internal_ip=inst.private_ip,
        instance_id=inst.instance_id,
        implicit=True,
    )


def _nodes(objs: KubeObjects, aws: AwsState) -> list[Node]:
    nodes: dict[str, Node] = {n.name: n for n in objs.nodes}
    for account in aws.accounts:
        for inst in account.instances:
            node = _node_from_instance(inst)
            if node is not None and node.name not in nodes:
                nodes[node.name] = node
    wanted = [p.spec.node_name for p in objs.pods] + [w.spec.node_name for w in objs.workloads]
    for name in wanted:
        if name and name not in nodes:
            source = Source.implied_by("spec.nodeName of a pod")
            nodes[name] = Node(
                meta=Meta(
                    "v1", "Node", name, None, source, labels={"kubernetes.io/hostname": name}
                ),
                implicit=True,
            )
    return sorted(nodes.values(), key=lambda n: n.name)


def _pod_meta(w: Workload, name: str, extra_labels: dict[str, str]) -> Meta:
    return Meta(
        api_version="v1",
        kind="Pod",
        name=name,
        namespace=w.meta.namespace,
        source=w.meta.source,
        labels={**w.template_labels, **extra_labels},
        annotations=dict(w.template_annotations),
        owners=(OwnerRef(w.kind.value, w.meta.name, controller=True),),
    )


def _expand(w: Workload, nodes: list[Node]) -> list[Pod]:
    ns = w.meta.namespace or "default"
    seed = f"{ns}/{w.kind.value}/{w.meta.name}"
    pods: list[Pod] = []

    def make(
        name: str, labels: dict[str, str], ordinal: int | None = None, node: str | None = None
    ) -> None:
        spec = w.spec
        if node is not None and spec.node_name != node:
            from dataclasses import replace

            spec = replace(spec, node_name=node)
        pods.append(
            Pod(meta=_pod_meta(w, name, labels), spec=spec, workload=w.ref, ordinal=ordinal)
        )

    if w.kind in (
        WorkloadKind.DEPLOYMENT,
        WorkloadKind.REPLICA_SET,
        WorkloadKind.REPLICATION_CONTROLLER,
    ):
        template_hash = name_suffix(seed + "/template", 10)
        for i in range(w.replicas):
            suffix = name_suffix(f"{seed}/{i}", 5)
            if w.kind is WorkloadKind.DEPLOYMENT:
                make(
                    f"{w.meta.name}-{template_hash}-{suffix}", {"pod-template-hash": template_hash}
                )
            else:
                make(f"{w.meta.name}-{suffix}", {})
    elif w.kind is WorkloadKind.STATEFUL_SET:
        revision = f"{w.meta.name}-{name_suffix(seed + '/revision', 10)}"
        for i in range(w.replicas):
            pod_name = f"{w.meta.name}-{i}"
            make(
                pod_name,
                {
                    "statefulset.kubernetes.io/pod-name": pod_name,
                    "apps.kubernetes.io/pod-index": str(i),
                    "controller-revision-hash": revision,
                },
                ordinal=i,
            )
    elif w.kind is WorkloadKind.DAEMON_SET:
        revision = name_suffix(seed + "/revision", 10)
        targets = [
            n
            for n in nodes
            if all(n.meta.labels.get(k) == v for k, v in w.spec.node_selector.items())
        ]
        labels = {"controller-revision-hash": revision, "pod-template-generation": "1"}
        if not nodes:
            make(f"{w.meta.name}-{name_suffix(seed, 5)}", labels)
        for n in targets:
            make(f"{w.meta.name}-{name_suffix(seed + '/' + n.name, 5)}", labels, node=n.name)
    else:  # Job, CronJob: the pods of one run
        job = w.meta.name
        if w.kind is WorkloadKind.CRON_JOB:
            minutes = int(hashlib.sha256(seed.encode()).hexdigest()[:7], 16) % 10**8
            job = f"{w.meta.name}-{minutes:08d}"
        uid = hashlib.sha256((seed + "/uid").encode()).hexdigest()
        controller_uid = f"{uid[:8]}-{uid[8:12]}-{uid[12:16]}-{uid[16:20]}-{uid[20:32]}"
        labels = {
            "batch.kubernetes.io/job-name": job,
            "job-name": job,
            "batch.kubernetes.io/controller-uid": controller_uid,
            "controller-uid": controller_uid,
        }
        for i in range(w.replicas):
            make(f"{job}-{name_suffix(f'{seed}/{i}', 5)}", labels)
    return pods


def _workloads_with_live_pods(
    objs: KubeObjects,
) -> tuple[set[tuple[str, str, str]], dict[tuple[str, str, str], tuple[str, str, str]]]:
    """Workloads that have pods in the input, and each workload's owning workload."""
    parent: dict[tuple[str, str, str], tuple[str, str, str]] = {}
    for w in objs.workloads:
        ns = w.meta.namespace or "default"
        for o in w.meta.owners:
            if o.controller or len(w.meta.owners) == 1:
                parent[(ns, w.kind.value, w.meta.name)] = (ns, o.kind, o.name)
    live: set[tuple[str, str, str]] = set()
    for p in objs.pods:
        for o in p.meta.owners:
            key: tuple[str, str, str] | None = (p.namespace, o.kind, o.name)
            while key is not None and key not in live:
                live.add(key)
                key = parent.get(key)
    return live, parent


def _top_workload(
    key: tuple[str, str, str],
    parent: dict[tuple[str, str, str], tuple[str, str, str]],
    known: set[tuple[str, str, str]],
) -> tuple[str, str, str]:
    seen = {key}
    while key in parent and parent[key] in known and parent[key] not in seen:
        key = parent[key]
        seen.add(key)
    return key


def _live_pod_workload(
    pod: Pod,
    parent: dict[tuple[str, str, str], tuple[str, str, str]],
    known: set[tuple[str, str, str]],
) -> ObjectRef | None:
    owners = [o for o in pod.meta.owners if o.controller] or list(pod.meta.owners)
    if not owners or owners[0].kind == "Node":
        # A static pod (the kubelet's mirror pod, owned by its Node) is a
        # workload of its own, not one per node.
        return None
    o = owners[0]
    key = _top_workload((pod.namespace, o.kind, o.name), parent, known)
    if key not in known and key[1] == "ReplicaSet":
        # The ReplicaSet is not in the input: name its Deployment when the
        # ReplicaSet name is "<deployment>-<pod-template-hash>".
        template_hash = pod.labels.get("pod-template-hash")
        if template_hash and key[2].endswith(f"-{template_hash}"):
            return ObjectRef("Deployment", key[2][: -len(template_hash) - 1], pod.namespace)
    return ObjectRef(key[1], key[2], key[0])


def _claims(objs: KubeObjects, workloads: Iterable[Workload]) -> list[PersistentVolumeClaim]:
    claims = list(objs.pvcs)
    existing = {(c.meta.namespace, c.meta.name) for c in claims}
    for w in workloads:
        for t in w.volume_claim_templates:
            for i in range(w.replicas):
                name = f"{t.name}-{w.meta.name}-{i}"
                if (w.meta.namespace, name) in existing:
                    continue
                claims.append(
                    PersistentVolumeClaim(
                        meta=Meta(
                            "v1",
                            "PersistentVolumeClaim",
                            name,
                            w.meta.namespace,
                            w.meta.source,
                            labels=dict(w.template_labels),
                        ),
                        storage_class_name=t.storage_class_name,
                        access_modes=t.access_modes,
                        storage=t.storage,
                        template_of=w.ref,
                    )
                )
    return claims


def _namespaces(objs: KubeObjects, pods: list[Pod]) -> list[Namespace]:
    declared = {ns.name: ns for ns in objs.namespaces}
    implied: dict[str, Source] = {}
    groups: list[Iterable[object]] = [
        objs.workloads, pods, objs.services, objs.ingresses, objs.network_policies,
        objs.service_accounts, objs.roles, objs.role_bindings, objs.config_maps, objs.secrets,
        objs.pvcs, objs.calico_policies, objs.network_sets, objs.authorization_policies,
        objs.peer_authentications, objs.virtual_services, objs.destination_rules, objs.opaque,
    ]  # fmt: skip
    for group in groups:
        for obj in group:
            meta = getattr(obj, "meta", None)
            if isinstance(meta, Meta) and meta.namespace and meta.namespace not in declared:
                implied.setdefault(meta.namespace, meta.source)
    out = list(declared.values())
    for name, source in implied.items():
        out.append(
            Namespace(
                meta=Meta(
                    "v1", "Namespace", name, None, source, labels={NAMESPACE_NAME_LABEL: name}
                ),
                implicit=True,
            )
        )
    return sorted(out, key=lambda n: n.name)


def assemble(
    raw: RawInputs, *, namespace: str | None = None, implied: bool = True
) -> tuple[Platform, DiagnosticCollector]:
    """The platform and every diagnostic met on the way (the raw ones included;
    past the first few of a code in a file, counted).

    ``namespace`` is where namespaced objects without one go (``kubectl apply -n``).
    With ``implied`` (the default) the cluster's own objects that the input lacks
    are added (``ekstwin.loaders.implied``) and the pods operators make from the
    input's custom resources (``ekstwin.loaders.operators``)."""
    diags = DiagnosticCollector(raw.diagnostics)
    diags.count(raw.counted_diagnostics)
    objs = read_kube_documents(
        iter((d.data, d.source, d.lines) for d in raw.kube), namespace=namespace
    )
    diags.extend(objs.diagnostics)
    # Implied unless the input holds only AWS or Keycloak data: an empty input (a
    # new directory in a diff's base) is a cluster too, with its own objects.
    if implied and (raw.kube or not (raw.aws or raw.realms)):
        add_operator_workloads(objs)
        add_implied(objs)
    aws, aws_diags = build_aws(raw.aws)
    diags.extend(aws_diags)
    realms: list[Realm] = []
    for doc in raw.realms:
        got, realm_diags = build_realms(doc.data, doc.source, doc.lines)
        realms.extend(got)
        diags.extend(realm_diags)

    nodes = _nodes(objs, aws)
    live, parent = _workloads_with_live_pods(objs)
    known = {(w.meta.namespace or "default", w.kind.value, w.meta.name) for w in objs.workloads}
    pods: list[Pod] = []
    for p in objs.pods:
        ref = _live_pod_workload(p, parent, known)
        if ref is not None:
            from dataclasses import replace

            p = replace(p, workload=ref)
            # The workload named may be one the ReplicaSet chain did not reach
            # (a Deployment whose ReplicaSet is not in the input): it has live
            # pods, so it is not expanded again either.
            live.add((ref.namespace or "default", ref.kind, ref.name))
        pods.append(p)
    expanded_workloads: list[Workload] = []
    for w in objs.workloads:
        key = (w.meta.namespace or "default", w.kind.value, w.meta.name)
        if key in live or (key in parent and parent[key] in known):
            continue
        expanded_workloads.append(w)
        pods.extend(_expand(w, nodes))

    platform = Platform(
        namespaces=tuple(_namespaces(objs, pods)),
        nodes=tuple(nodes),
        workloads=tuple(objs.workloads),
        pods=tuple(pods),
        services=tuple(objs.services),
        ingresses=tuple(objs.ingresses),
        ingress_classes=tuple(objs.ingress_classes),
        network_policies=tuple(objs.network_policies),
        service_accounts=tuple(objs.service_accounts),
        roles=tuple(objs.roles),
        role_bindings=tuple(objs.role_bindings),
        config_maps=tuple(objs.config_maps),
        secrets=tuple(objs.secrets),
        storage_classes=tuple(objs.storage_classes),
        pvcs=tuple(_claims(objs, expanded_workloads)),
        pvs=tuple(objs.pvs),
        calico_policies=tuple(objs.calico_policies),
        network_sets=tuple(objs.network_sets),
        tiers=tuple(objs.tiers),
        admin_network_policies=tuple(objs.admin_network_policies),
        security_group_policies=tuple(objs.security_group_policies),
        authorization_policies=tuple(objs.authorization_policies),
        peer_authentications=tuple(objs.peer_authentications),
        virtual_services=tuple(objs.virtual_services),
        destination_rules=tuple(objs.destination_rules),
        opaque=tuple(objs.opaque),
        aws_auth=objs.aws_auth,
        aws=aws,
        realms=tuple(realms),
    )
    return platform, diags

"""Building the platform: workload expansion, live pods, nodes, claims, whole inputs."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

from ekstwin.findings import Diagnostic, DiagnosticLevel
from ekstwin.loaders import LoadResult, load
from ekstwin.loaders.assemble import _ALPHABET, name_suffix
from ekstwin.model.k8s import OwnerRef
from ekstwin.model.source import ObjectRef, Source

FIXTURES = Path(__file__).parent.parent / "fixtures"
MANIFESTS = FIXTURES / "manifests"
STDIN = "<stdin>"


def _load(text: str) -> LoadResult:
    """The input as written: nothing implied (tests/loaders/test_implied.py)."""
    return load(["-"], stdin_text=lambda: text, implied=False)


def _pods(r: LoadResult) -> list[tuple[str, str | None, str | None, dict[str, str]]]:
    return [
        (p.key, str(p.workload) if p.workload else None, p.spec.node_name, p.labels)
        for p in r.platform.pods
    ]


def _deployment(name: str, spec: str = "") -> str:
    return (
        f"apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: {name}, namespace: ns}}\n"
        f"spec:\n{spec}  template:\n    metadata: {{labels: {{app: {name}}}}}\n"
        "    spec: {containers: [{name: c, image: 'x:1'}]}\n"
    )


def _daemonset(selector: str = "") -> str:
    return (
        "apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: agent, namespace: ns}\n"
        "spec:\n  template:\n    metadata: {labels: {app: agent}}\n"
        f"    spec:\n{selector}      containers: [{{name: c, image: 'x:1'}}]\n"
    )


def _node(name: str, zone: str) -> str:
    return (
        f"---\napiVersion: v1\nkind: Node\nmetadata:\n  name: {name}\n"
        f"  labels: {{topology.kubernetes.io/zone: {zone}}}\n"
    )


def test_deployment_expands_to_its_replicas_with_deterministic_names() -> None:
    r = _load(_deployment("web", "  replicas: 3\n"))
    labels = {"app": "web", "pod-template-hash": "6jps5twm5m"}
    assert _pods(r) == [
        ("ns/web-6jps5twm5m-jg2mq", "Deployment/ns/web", None, labels),
        ("ns/web-6jps5twm5m-fcv9s", "Deployment/ns/web", None, labels),
        ("ns/web-6jps5twm5m-5sm9c", "Deployment/ns/web", None, labels),
    ]
    pod = r.platform.pods[0]
    assert pod.meta.owners == (OwnerRef("Deployment", "web", controller=True),)
    assert pod.meta.source == Source(STDIN, 1)  # the workload's source
    assert _pods(_load(_deployment("web", "  replicas: 3\n"))) == _pods(r)


def test_deployment_replicas_default_to_one_and_zero_makes_none() -> None:
    r = _load(_deployment("one") + "---\n" + _deployment("zero", "  replicas: 0\n"))
    assert [(p.key, str(p.workload)) for p in r.platform.pods] == [
        ("ns/one-cqflf6ht9l-zhbrw", "Deployment/ns/one")
    ]
    assert [(w.meta.name, w.replicas) for w in r.platform.workloads] == [("one", 1), ("zero", 0)]


def test_statefulset_pods_have_ordinals_and_claims_from_templates() -> None:
    r = _load(
        "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: db, namespace: ns}\nspec:\n"
        "  replicas: 2\n  serviceName: db\n"
        "  template:\n    metadata: {labels: {app: db}}\n"
        "    spec: {containers: [{name: c, image: 'pg:16'}]}\n"
        "  volumeClaimTemplates:\n"
        "    - metadata: {name: data}\n"
        "      spec:\n        storageClassName: gp3\n        accessModes: [ReadWriteOnce]\n"
        "        resources: {requests: {storage: 10Gi}}\n"
    )
    rev = "db-wwvxd4spl8"
    assert [(p.key, p.ordinal, p.labels) for p in r.platform.pods] == [
        (
            f"ns/db-{i}",
            i,
            {
                "app": "db",
                "statefulset.kubernetes.io/pod-name": f"db-{i}",
                "apps.kubernetes.io/pod-index": str(i),
                "controller-revision-hash": rev,
            },
        )
        for i in (0, 1)
    ]
    assert [
        (
            c.meta.name,
            c.meta.namespace,
            c.storage_class_name,
            c.access_modes,
            c.storage,
            c.template_of,
        )
        for c in r.platform.pvcs
    ] == [
        (
            f"data-db-{i}",
            "ns",
            "gp3",
            ("ReadWriteOnce",),
            "10Gi",
            ObjectRef("StatefulSet", "db", "ns"),
        )
        for i in (0, 1)
    ]
    assert r.platform.workloads[0].service_name == "db"


def test_daemonset_makes_one_pod_per_node_from_node_objects() -> None:
    r = _load(_daemonset() + _node("n1", "a") + _node("n2", "b"))
    assert [(p.key, p.spec.node_name) for p in r.platform.pods] == [
        ("ns/agent-nrjz8", "n1"),
        ("ns/agent-z7q4l", "n2"),
    ]


def test_daemonset_honours_its_node_selector() -> None:
    r = _load(
        _daemonset("      nodeSelector: {topology.kubernetes.io/zone: b}\n")
        + _node("n1", "a")
        + _node("n2", "b")
    )
    assert [(p.key, p.spec.node_name) for p in r.platform.pods] == [("ns/agent-z7q4l", "n2")]


def test_daemonset_without_any_node_makes_one_pod() -> None:
    r = _load(_daemonset())
    assert [(p.key, p.spec.node_name) for p in r.platform.pods] == [("ns/agent-q7q7k", None)]


def test_daemonset_nodes_come_from_aws_instances_and_pod_node_names(tmp_path: Path) -> None:
    shutil.copy(FIXTURES / "aws" / "full.json", tmp_path / "aws.json")
    (tmp_path / "k8s.yaml").write_text(
        _daemonset() + "---\napiVersion: v1\nkind: Pod\nmetadata: {name: bare, namespace: ns}\n"
        "spec:\n  nodeName: n-from-pod\n  containers: [{name: c, image: 'x:1'}]\n"
    )
    r = load([str(tmp_path)], implied=False)
    aws_node = "ip-198-18-0-10.eu-west-1.compute.internal"
    assert [(n.name, n.implicit, n.instance_type, n.zone) for n in r.platform.nodes] == [
        (aws_node, True, "m5.large", "eu-west-1a"),
        ("n-from-pod", True, None, None),
    ]
    assert sorted((p.name, p.spec.node_name) for p in r.platform.pods) == [
        ("agent-522ls", aws_node),
        ("agent-stn9z", "n-from-pod"),
        ("bare", "n-from-pod"),
    ]


def test_job_runs_min_of_parallelism_and_completions() -> None:
    job = (
        "apiVersion: batch/v1\nkind: Job\nmetadata: {{name: {name}, namespace: ns}}\n"
        "spec:\n{spec}  template: {{spec: {{containers: [{{name: c, image: 'x:1'}}]}}}}\n"
    )
    r = _load(
        job.format(name="a", spec="  parallelism: 3\n  completions: 2\n")
        + "---\n"
        + job.format(name="b", spec="")
        + "---\n"
        + job.format(name="c", spec="  parallelism: 0\n")
    )
    assert [(p.name, p.labels["job-name"], str(p.workload)) for p in r.platform.pods] == [
        ("a-qwmxh", "a", "Job/ns/a"),
        ("a-bmdpv", "a", "Job/ns/a"),
        ("b-g5st5", "b", "Job/ns/b"),
    ]
    uid = r.platform.pods[0].labels["controller-uid"]
    assert r.platform.pods[0].labels == {
        "batch.kubernetes.io/job-name": "a",
        "job-name": "a",
        "batch.kubernetes.io/controller-uid": uid,
        "controller-uid": uid,
    }


def test_cronjob_expands_to_the_pods_of_one_run() -> None:
    r = _load(
        "apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: nightly, namespace: ns}\n"
        "spec:\n  schedule: '0 3 * * *'\n  jobTemplate:\n    spec:\n"
        "      template: {spec: {containers: [{name: c, image: 'x:1'}]}}\n"
    )
    (w,) = r.platform.workloads
    assert (w.kind.value, w.schedule, w.replicas) == ("CronJob", "0 3 * * *", 1)
    assert [(p.name, p.labels["job-name"], str(p.workload)) for p in r.platform.pods] == [
        ("nightly-48336259-n2z49", "nightly-48336259", "CronJob/ns/nightly")
    ]


def test_helm_template_output_loads_into_the_default_namespace_with_one_warning() -> None:
    f = MANIFESTS / "helm-template.yaml"
    r = load([str(f)], implied=False)
    assert r.diagnostics == (
        Diagnostic(
            Source(str(f), 6),
            "3 namespaced objects without metadata.namespace were put in namespace 'default' "
            "(the first here)",
            "pass --namespace NS for the namespace they are applied to (as kubectl apply -n NS), "
            "or set metadata.namespace",
            level=DiagnosticLevel.WARNING,
            code="namespace-defaulted",
        ),
    )
    p = r.platform
    assert [(str(m.ref), m.source) for m in p.metas()] == [
        ("Deployment/default/shop", Source(str(f), 27)),
        ("Service/default/shop", Source(str(f), 15)),
        ("ServiceAccount/default/shop", Source(str(f), 6)),
    ]
    assert [(ns.name, ns.implicit) for ns in p.namespaces] == [("default", True)]
    assert _pods(r) == [
        (
            "default/shop-n6cqds4qlx-2bsx5",
            "Deployment/default/shop",
            None,
            {"app.kubernetes.io/name": "shop", "pod-template-hash": "n6cqds4qlx"},
        )
    ]


def test_kubectl_get_output_keeps_live_pods_and_does_not_expand_their_workloads() -> None:
    f = MANIFESTS / "kubectl-get-all.yaml"
    r = load([str(f)], implied=False)
    assert r.diagnostics == ()
    p = r.platform
    assert [
        (x.key, str(x.workload), x.ip, x.host_ip, x.phase, x.spec.node_name, x.meta.source)
        for x in p.pods
    ] == [
        (
            "shop/web-6f7b8c9d5-x7k2p",
            "Deployment/shop/web",
            "198.18.0.57",
            "198.18.0.10",
            "Running",
            "ip-198-18-0-10.eu-west-1.compute.internal",
            Source(str(f), 3),
        ),
        # its ReplicaSet is not in the input: the Deployment is named from the
        # pod-template-hash label, and not expanded again
        (
            "shop/api-5c4d3b2a1-q9w8e",
            "Deployment/shop/api",
            "198.18.0.88",
            None,
            "Running",
            "ip-198-18-0-11.eu-west-1.compute.internal",
            Source(str(f), 39),
        ),
    ]
    assert [str(w.ref) for w in p.workloads] == [
        "ReplicaSet/shop/web-6f7b8c9d5",
        "ReplicaSet/shop/web-55aa66bb7",
        "Deployment/shop/web",
        "Deployment/shop/api",
    ]
    assert [n.name for n in p.nodes] == [
        "ip-198-18-0-10.eu-west-1.compute.internal",
        "ip-198-18-0-11.eu-west-1.compute.internal",
    ]
    (secret,) = p.secrets
    assert (secret.keys, secret.had_values, secret.meta.annotations) == (("token",), True, {})
    assert "a3ViZWN0bC1saXZlLXRva2VuLXZhbHVl" not in repr(p) + repr(r.raw)
    assert all("managedFields" not in repr(d.data) for d in r.raw.kube)


def test_live_pod_of_unknown_owner_names_that_owner() -> None:
    r = _load(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: x-1\n  namespace: ns\n"
        "  ownerReferences: [{kind: ReplicaSet, name: x, controller: true}]\n"
        "spec: {containers: [{name: c, image: 'x:1'}]}\n"
    )
    assert [(p.key, p.workload) for p in r.platform.pods] == [
        ("ns/x-1", ObjectRef("ReplicaSet", "x", "ns"))
    ]


def test_full_fixture_platform(tmp_path: Path) -> None:
    r = load([str(MANIFESTS / "full")], implied=False)
    assert r.diagnostics == ()
    p = r.platform
    assert p.kind_counts() == {
        "AuthorizationPolicy": 1,
        "ClusterRole": 1,
        "ClusterRoleBinding": 1,
        "ConfigMap": 2,
        "CronJob": 1,
        "DaemonSet": 1,
        "Deployment": 1,
        "DestinationRule": 1,
        "GlobalNetworkPolicy": 1,
        "GlobalNetworkSet": 1,
        "Ingress": 1,
        "IngressClass": 1,
        "Job": 1,
        "Namespace": 2,
        "NetworkPolicy": 2,
        "NetworkSet": 1,
        "Node": 1,
        "PeerAuthentication": 1,
        "PersistentVolume": 1,
        "PersistentVolumeClaim": 1,
        "Role": 1,
        "RoleBinding": 1,
        "Secret": 1,
        "Service": 1,
        "ServiceAccount": 1,
        "StatefulSet": 1,
        "StorageClass": 1,
        "Tier": 1,
        "VirtualService": 1,
    }
    assert p.opaque_counts() == {
        "cert-manager.io/v1/Certificate": 2,
        "cert-manager.io/v1/ClusterIssuer": 1,
    }
    assert [(ns.name, ns.implicit) for ns in p.namespaces] == [
        ("api", True),
        ("dev", False),
        ("istio-system", True),
        ("kube-system", True),
        ("shop", False),
    ]
    assert [(x.key, str(x.workload), x.spec.node_name) for x in p.pods] == [
        ("shop/web-42pjw5k7cm-jjgsf", "Deployment/shop/web", None),
        ("shop/web-42pjw5k7cm-fqlw9", "Deployment/shop/web", None),
        ("shop/db-0", "StatefulSet/shop/db", None),
        ("shop/db-1", "StatefulSet/shop/db", None),
        (
            "kube-system/agent-hj5mf",
            "DaemonSet/kube-system/agent",
            "ip-198-18-1-20.eu-west-1.compute.internal",
        ),
        ("shop/migrate-j2lh8", "Job/shop/migrate", None),
        ("shop/migrate-8gvm2", "Job/shop/migrate", None),
        ("shop/report-14015162-fwlsc", "CronJob/shop/report", None),
    ]
    assert [c.meta.name for c in p.pvcs] == ["uploads", "data-db-0", "data-db-1"]
    assert p.aws_auth is not None
    assert [(e.arn, e.username, e.groups) for e in p.aws_auth.map_roles] == [
        (
            "arn:aws:iam::111122223333:role/eks-node",
            "system:node:{{EC2PrivateDNSName}}",
            ("system:bootstrappers", "system:nodes"),
        ),
        ("arn:aws:iam::111122223333:role/ops", "ops", ("ops",)),
    ]
    rule = p.roles[0].rules[0]
    assert rule.source == Source(str(MANIFESTS / "full" / "rbac.yaml"), 15)


def test_static_pods_are_each_their_own_workload() -> None:
    def static(name: str, app: str) -> str:
        return (
            f"---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}-node-1\n"
            f"  namespace: kube-system\n  labels: {{component: {app}}}\n"
            "  ownerReferences: [{apiVersion: v1, kind: Node, name: node-1, controller: true}]\n"
            f"spec:\n  nodeName: node-1\n  containers: [{{name: c, image: 'x:1'}}]\n"
        )

    r = _load(static("kube-proxy", "proxy") + static("etcd", "etcd"))
    assert [(p.key, p.workload, p.workload_key) for p in r.platform.pods] == [
        ("kube-system/kube-proxy-node-1", None, "kube-system/kube-proxy-node-1"),
        ("kube-system/etcd-node-1", None, "kube-system/etcd-node-1"),
    ]
    assert r.diagnostics == ()


def test_namespace_option_places_objects_without_one_as_kubectl_apply_n() -> None:
    f = MANIFESTS / "helm-template.yaml"
    r = load([str(f)], namespace="shop", implied=False)
    assert r.diagnostics == ()
    assert [str(m.ref) for m in r.platform.metas()] == [
        "Deployment/shop/shop",
        "Service/shop/shop",
        "ServiceAccount/shop/shop",
    ]
    assert [(ns.name, ns.implicit) for ns in r.platform.namespaces] == [("shop", True)]
    # An object that names its namespace keeps it; a cluster-scoped one has none.
    r = load(
        ["-"],
        namespace="argocd",
        implied=False,
        stdin_text=lambda: (
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: other}\n---\n"
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: r}\n"
        ),
    )
    assert [str(m.ref) for m in r.platform.metas()] == ["ClusterRole/r", "ConfigMap/other/a"]


def test_generated_name_suffixes_pick_from_the_alphabet_by_each_digest_byte() -> None:
    for seed in ("shop/Deployment/web/0", "", "ns/StatefulSet/db/template", "é/ü"):
        digest = hashlib.sha256(seed.encode()).digest()
        for length in (5, 10):
            want = "".join(_ALPHABET[b % len(_ALPHABET)] for b in digest[:length])
            assert name_suffix(seed, length) == want

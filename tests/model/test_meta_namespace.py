"""Engines read an object's namespace as ``meta.ns`` and never default it
themselves: the loader puts every namespaced object that names no namespace in
one (``default`` here, with one warning), and cluster-scoped objects keep none."""

from __future__ import annotations

from ekstwin.loaders import load

OBJECTS = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template: {metadata: {labels: {app: web}}, spec: {containers: [{name: c, image: "web:1"}]}}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec: {selector: {app: web}, ports: [{port: 80}]}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web}
spec: {defaultBackend: {service: {name: web, port: {number: 80}}}}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny}
spec: {podSelector: {}}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: web}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: read}
rules: []
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: read}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: read}
subjects: [{kind: ServiceAccount, name: web}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: settings}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data}
spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
---
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: calico}
spec: {selector: all()}
---
apiVersion: projectcalico.org/v3
kind: NetworkSet
metadata: {name: partners}
spec: {nets: [203.0.113.0/24]}
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: authz}
spec: {}
---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: mtls}
spec: {mtls: {mode: STRICT}}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: web}
spec: {hosts: [web], http: [{route: [{destination: {host: web}}]}]}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: web}
spec: {host: web}
---
apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: view-all}
rules: []
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: global}
spec: {selector: all()}
---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: gp3}
provisioner: ebs.csi.aws.com
---
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: alb}
spec: {controller: ingress.k8s.aws/alb}
"""

CLUSTER_SCOPED = {"Namespace", "ClusterRole", "GlobalNetworkPolicy", "StorageClass", "IngressClass"}


def test_the_loader_gives_every_namespaced_object_a_namespace_and_cluster_scoped_none() -> None:
    result = load(["-"], stdin_text=lambda: OBJECTS, implied=False)
    assert [d.code for d in result.diagnostics] == ["namespace-defaulted"]
    p = result.platform
    got = sorted((m.kind, m.name, m.namespace) for m in p.metas())
    want = sorted(
        (kind, name, None if kind in CLUSTER_SCOPED else "default")
        for kind, name in [
            ("Deployment", "web"), ("Service", "web"), ("Ingress", "web"),
            ("NetworkPolicy", "deny"), ("ServiceAccount", "web"), ("Role", "read"),
            ("RoleBinding", "read"), ("ConfigMap", "settings"),
            ("PersistentVolumeClaim", "data"), ("NetworkPolicy", "calico"),
            ("NetworkSet", "partners"), ("AuthorizationPolicy", "authz"),
            ("PeerAuthentication", "mtls"), ("VirtualService", "web"),
            ("DestinationRule", "web"), ("Namespace", "shop"), ("ClusterRole", "view-all"),
            ("GlobalNetworkPolicy", "global"), ("StorageClass", "gp3"), ("IngressClass", "alb"),
        ]
    )  # fmt: skip
    assert got == want
    assert {m.ns for m in p.metas() if m.kind not in CLUSTER_SCOPED} == {"default"}
    assert {p.namespace for p in p.pods} == {"default"}


def test_the_namespace_given_on_the_command_line_is_the_one_filled_in() -> None:
    result = load(["-"], stdin_text=lambda: OBJECTS, implied=False, namespace="shop")
    assert result.diagnostics == ()
    namespaced = {m.namespace for m in result.platform.metas() if m.kind not in CLUSTER_SCOPED}
    assert namespaced == {"shop"}

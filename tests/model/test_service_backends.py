"""Which pods back a Service on which port: one rule in the model
(``Service.backends``, ``ServicePort.target_for``) that net, mesh and ingress read.

The rule is the EndpointSlice controller's: a numeric targetPort is taken as it
is; a named one is the first container port of that name and of the Service
port's protocol in the pod's containers, then in its restartable init
containers (kubernetes/kubernetes@e637659d8932 staging/src/k8s.io/endpointslice/
utils.go findPort, getEndpointPorts: a pod without the port is left out of that
port's endpoints only). A Service without a selector gets no endpoints from the
controller: its endpoints are unknown here, not empty.
"""

from __future__ import annotations

from ekstwin.engines.ingress import pods_for
from ekstwin.engines.mesh.routes import routes
from ekstwin.engines.net import NetModel, ServiceVerdict, can
from ekstwin.loaders import load
from ekstwin.model.k8s import Protocol, Service
from ekstwin.model.platform import Platform

PODS = """\
apiVersion: v1
kind: Pod
metadata: {name: a, namespace: shop, labels: {app: dns}}
spec:
  containers:
  - name: tcp-only
    image: "dns:1"
    ports: [{name: dns, containerPort: 5353, protocol: TCP}]
---
apiVersion: v1
kind: Pod
metadata: {name: b, namespace: shop, labels: {app: dns}}
spec:
  containers:
  - name: first
    image: "dns:1"
    ports: [{name: other, containerPort: 9}]
  - name: udp
    image: "dns:1"
    ports: [{name: dns, containerPort: 1053, protocol: UDP}]
  - name: tcp
    image: "dns:1"
    ports: [{name: dns, containerPort: 2053, protocol: TCP}]
  - name: udp-again
    image: "dns:1"
    ports: [{name: dns, containerPort: 3053, protocol: UDP}]
---
apiVersion: v1
kind: Pod
metadata: {name: c, namespace: shop, labels: {app: dns}}
spec:
  initContainers:
  - name: sidecar
    image: "proxy:1"
    restartPolicy: Always
    ports: [{name: dns, containerPort: 4053, protocol: UDP}]
  - name: setup
    image: "setup:1"
    ports: [{name: dns, containerPort: 6053, protocol: TCP}]
  containers:
  - name: main
    image: "dns:1"
---
apiVersion: v1
kind: Pod
metadata: {name: d, namespace: shop, labels: {app: dns}}
spec:
  hostNetwork: true
  nodeName: node-1
  containers:
  - name: main
    image: "dns:1"
    ports: [{name: dns, containerPort: 53, protocol: UDP}]
---
apiVersion: v1
kind: Pod
metadata: {name: e, namespace: other, labels: {app: dns}}
spec:
  containers:
  - name: main
    image: "dns:1"
    ports: [{name: dns, containerPort: 53, protocol: UDP}]
---
apiVersion: v1
kind: Service
metadata: {name: dns, namespace: shop}
spec:
  selector: {app: dns}
  ports:
  - {name: udp, port: 53, targetPort: dns, protocol: UDP}
  - {name: tcp, port: 53, targetPort: dns, protocol: TCP}
  - {name: metrics, port: 9153, targetPort: 9153}
---
apiVersion: v1
kind: Service
metadata: {name: by-hand, namespace: shop}
spec:
  ports: [{port: 80, targetPort: 8080}]
"""


def _platform(text: str = PODS) -> Platform:
    return load(["-"], stdin_text=lambda: text, implied=False).platform


def _service(p: Platform, name: str) -> Service:
    svc = p.service("shop", name)
    assert svc is not None
    return svc


def _backends(p: Platform, svc: Service, port: int, protocol: Protocol) -> list[tuple[str, int]]:
    sp = svc.port(port, protocol)
    assert sp is not None
    found = svc.backends(sp, p.pods)
    assert found is not None
    return [(pod.key, target) for pod, target in found]


def test_a_named_target_port_resolves_to_the_first_port_of_that_name_and_protocol() -> None:
    p = _platform()
    svc = _service(p, "dns")
    # a: the name exists only for TCP, so a backs the TCP port and not the UDP one;
    # b: several containers hold the name, the first of the right protocol wins;
    # c: a restartable init container (sidecar) counts, a plain init container not;
    # d: a host-network pod is a backend (at its node's address);
    # e: same labels in another namespace, never.
    assert _backends(p, svc, 53, Protocol.UDP) == [
        ("shop/b", 1053),
        ("shop/c", 4053),
        ("shop/d", 53),
    ]
    assert _backends(p, svc, 53, Protocol.TCP) == [("shop/a", 5353), ("shop/b", 2053)]
    # a numeric targetPort is taken as it is, declared or not
    assert _backends(p, svc, 9153, Protocol.TCP) == [
        ("shop/a", 9153),
        ("shop/b", 9153),
        ("shop/c", 9153),
        ("shop/d", 9153),
    ]


def test_a_service_without_selector_has_unknown_endpoints() -> None:
    p = _platform()
    svc = _service(p, "by-hand")
    assert svc.backends(svc.ports[0], p.pods) is None
    assert not any(svc.selects(pod) for pod in p.pods)


def test_net_follows_a_service_to_the_pods_of_its_port_and_protocol() -> None:
    model = NetModel(_platform())
    got = can(model, "shop/a", "shop/svc/dns", 53, "UDP")
    assert isinstance(got, ServiceVerdict)
    assert [(v.destination, v.port) for v in got.backends] == [
        ("shop/b", 1053),
        ("shop/c", 4053),
        ("shop/d", 53),
    ]
    none = can(model, "shop/a", "shop/svc/by-hand", 80)
    assert isinstance(none, ServiceVerdict)
    assert (none.backends, none.problem) == (
        (),
        "Service has no selector (its endpoints are not modelled)",
    )


def test_the_alb_targets_a_named_port_only_where_the_protocol_matches() -> None:
    # The Load Balancer Controller reads the Service's endpoints: a pod whose
    # port of that name is UDP is no target of the TCP Service port (before the
    # rule moved to the model, the ingress engine matched the name alone).
    text = PODS.split("---\napiVersion: v1\nkind: Service", maxsplit=1)[0] + (
        "---\napiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: shop}\n"
        "spec:\n  selector: {app: dns}\n  ports: [{port: 80, targetPort: dns}]\n"
    )
    p = _platform(text)
    svc = _service(p, "web")
    found = pods_for(p, svc, svc.ports[0])
    assert [(pod.key, target) for pod, target in found] == [("shop/a", 5353), ("shop/b", 2053)]


def test_mesh_routes_list_the_pods_behind_the_routed_port() -> None:
    text = (
        PODS
        + """\
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: dns, namespace: shop}
spec:
  hosts: [dns]
  tcp:
  - route:
    - destination: {host: dns, port: {number: 53}}
"""
    )
    table = routes(_platform(text), "shop/dns")
    (route,) = table.routes
    (target,) = route.targets
    # the Service port 53 exists for UDP and TCP: a pod backing either is behind it
    assert target.pods == ("shop/a", "shop/b", "shop/c", "shop/d")

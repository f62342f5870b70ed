"""Which pods are in the mesh: the sidecar injector's decision, per pod.

The decision follows the injector as installed by the Istio charts (verified
against istio/istio ``pkg/kube/inject`` and the chart's webhook selectors):

1. The API server calls the injector only when one of its webhooks selects
   the pod. The namespace label ``istio-injection`` wins over ``istio.io/rev``
   on a namespace: ``enabled`` calls it, any other value (``disabled``) never
   does, whatever the pod says. With neither namespace label, a pod label
   ``sidecar.istio.io/inject=true`` or a pod label ``istio.io/rev=<rev>`` calls
   it. The webhook selectors read *labels*: the old annotation alone never
   opts a pod in. A pod label ``sidecar.istio.io/inject=false`` stops every
   webhook.
2. The injector skips host-network pods and the Kubernetes system namespaces.
3. It reads the pod label ``sidecar.istio.io/inject``, or, when the label is
   absent, the deprecated annotation of the same name: ``y``/``yes``/``true``/
   ``on`` injects, any other value does not, absent means the default policy
   (``enabled``: inject).
4. The injection template ``grpc-agent`` (annotation
   ``inject.istio.io/templates``) adds only the agent: the pod is *proxyless*
   (a gRPC application configured over xDS, no Envoy, no traffic capture).

Pods that already carry an ``istio-proxy`` container (read from a live
cluster, or injected by ``istioctl kube-inject``) are in the mesh as they are.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from ekstwin.model.k8s import Pod
from ekstwin.model.platform import Platform

INJECTION_LABEL = "istio-injection"
REVISION_LABEL = "istio.io/rev"
INJECT_LABEL = "sidecar.istio.io/inject"
TEMPLATES_ANNOTATION = "inject.istio.io/templates"
PROXY_CONTAINER = "istio-proxy"
PROXYLESS_TEMPLATE = "grpc-agent"
#: Namespaces the injector never injects (istio/istio pkg/kube/inject).
IGNORED_NAMESPACES = frozenset(
    {"kube-system", "kube-public", "kube-node-lease", "local-path-storage"}
)
_TRUE = frozenset({"y", "yes", "true", "on"})


class DataPlane(StrEnum):
    SIDECAR = "sidecar"
    PROXYLESS = "proxyless"
    NONE = "none"


@dataclass(frozen=True, slots=True)
class Injection:
    """The injector's decision for one pod, and the label or rule that made it."""

    pod: str
    data_plane: DataPlane
    reason: str
    revision: str | None = None
    opted_out: bool = False  # the namespace asks for injection, the pod refused it

    @property
    def in_mesh(self) -> bool:
        return self.data_plane is not DataPlane.NONE

    def to_json(self) -> dict[str, object]:
        return {
            "pod": self.pod,
            "data_plane": self.data_plane.value,
            "reason": self.reason,
            "revision": self.revision,
            "opted_out": self.opted_out,
        }


def _templates(pod: Pod) -> tuple[str, ...]:
    raw = pod.meta.annotations.get(TEMPLATES_ANNOTATION, "")
    return tuple(t.strip() for t in raw.split(",") if t.strip())


def _injected(pod: Pod, reason: str, revision: str | None) -> Injection:
    if PROXYLESS_TEMPLATE in _templates(pod):
        return Injection(
            pod.key,
            DataPlane.PROXYLESS,
            f"{reason}; template {PROXYLESS_TEMPLATE!r}: agent only, no Envoy",
            revision,
        )
    return Injection(pod.key, DataPlane.SIDECAR, reason, revision)


def decide_injection(
    platform: Platform, pod: Pod, *, namespaces_by_default: bool = False
) -> Injection:
    """Is ``pod`` injected, with what, and why.

    ``namespaces_by_default`` is the chart value
    ``sidecarInjectorWebhook.enableNamespacesByDefault`` (off by default).
    """
    names = {c.name for c in pod.spec.containers}
    if PROXY_CONTAINER in names:
        return _injected(pod, f"the pod already has an {PROXY_CONTAINER} container", None)
    ns = platform.namespace(pod.namespace)
    ns_labels = ns.labels if ns is not None else {}
    pod_label = pod.labels.get(INJECT_LABEL)
    pod_rev = pod.labels.get(REVISION_LABEL)

    # 1. Does any webhook select the pod?
    ns_inject = ns_labels.get(INJECTION_LABEL)
    ns_rev = ns_labels.get(REVISION_LABEL)
    namespace_asks = False
    revision: str | None = None
    if ns_inject is not None:
        if ns_inject != "enabled":
            return Injection(
                pod.key,
                DataPlane.NONE,
                f"namespace label {INJECTION_LABEL}={ns_inject}: no injection webhook selects "
                "the namespace, whatever the pod says",
            )
        namespace_asks = True
        revision = "default"
        why = f"namespace label {INJECTION_LABEL}=enabled"
        if ns_rev is not None:
            why += f" (wins over {REVISION_LABEL}={ns_rev})"
    elif ns_rev is not None:
        namespace_asks = True
        revision = ns_rev
        why = f"namespace label {REVISION_LABEL}={ns_rev}"
    elif pod_label == "true":
        revision = "default"
        why = f"pod label {INJECT_LABEL}=true"
    elif pod_rev is not None and pod_label != "false":
        revision = pod_rev
        why = f"pod label {REVISION_LABEL}={pod_rev}"
    elif namespaces_by_default:
        revision = "default"
        why = "enableNamespacesByDefault"
        namespace_asks = True
    else:
        hint = ""
        if pod.meta.annotations.get(INJECT_LABEL, "").lower() in _TRUE:
            hint = (
                f" (the annotation {INJECT_LABEL} alone does not select a pod: "
                "the webhooks read labels)"
            )
        return Injection(
            pod.key,
            DataPlane.NONE,
            f"neither the namespace ({INJECTION_LABEL}, {REVISION_LABEL}) nor the pod labels "
            f"ask for injection{hint}",
        )
    if pod_label == "false":
        return Injection(
            pod.key,
            DataPlane.NONE,
            f"{why}, but pod label {INJECT_LABEL}=false",
            revision,
            opted_out=namespace_asks,
        )
    # 2. What the injector itself skips.
    if pod.spec.host_network:
        return Injection(pod.key, DataPlane.NONE, f"{why}, but the pod uses the host network")
    if pod.namespace in IGNORED_NAMESPACES:
        return Injection(pod.key, DataPlane.NONE, f"{why}, but {pod.namespace} is never injected")
    # 3. The pod's own word: the label, else the deprecated annotation.
    if pod_label is not None:
        value, where = pod_label, f"pod label {INJECT_LABEL}={pod_label}"
    else:
        value = pod.meta.annotations.get(INJECT_LABEL, "")
        where = f"pod annotation {INJECT_LABEL}={value} (deprecated)"
    if value == "":
        return _injected(pod, why, revision)
    if value.lower() in _TRUE:
        return _injected(pod, why if why == where else f"{why}; {where}", revision)
    return Injection(
        pod.key, DataPlane.NONE, f"{why}, but {where}", revision, opted_out=namespace_asks
    )


def mesh_members(
    platform: Platform, *, namespaces_by_default: bool = False
) -> dict[str, Injection]:
    """The injector's decision for every pod, by ``ns/name``."""
    return {
        p.key: decide_injection(platform, p, namespaces_by_default=namespaces_by_default)
        for p in platform.pods
    }

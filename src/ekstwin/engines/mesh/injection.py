"""Which pods are in the mesh: the sidecar injector's decision, per pod.

The decision follows the injector as installed by the Istio charts (verified
against istio/istio ``pkg/kube/inject/inject.go`` ``injectRequired`` and the
chart's ``mutatingwebhook.yaml`` selectors):

1. The API server calls the injector only when one of its webhooks selects
   the pod. The namespace label ``istio-injection`` wins over ``istio.io/rev``
   on a namespace: ``enabled`` calls the default revision, any other value
   (``disabled``) never calls a webhook, whatever the pod says. A namespace
   label ``istio.io/rev=<rev>`` calls that revision. With neither namespace
   label, a pod label ``istio.io/rev=<rev>`` calls revision ``<rev>`` alone
   (the default revision's object webhook requires the pod to have no
   ``istio.io/rev``), else a pod label ``sidecar.istio.io/inject=true`` calls
   the default revision; ``enableNamespacesByDefault`` adds a webhook for pods
   with neither label. The webhook selectors read *labels*: the annotation alone
   never opts a pod in. A pod label ``sidecar.istio.io/inject=false`` stops
   every webhook.
2. The injector skips host-network pods and the Kubernetes system namespaces.
3. It reads the pod label ``sidecar.istio.io/inject``, or, when the label is
   absent, the annotation of the same name: exactly ``true`` injects, exactly
   ``false`` does not; an empty or any other value (``yes``, ``False``, ``0``)
   falls back to the defaults, which are, in order, the injector's
   ``neverInjectSelector``, its ``alwaysInjectSelector`` and its ``policy``
   (``enabled``: inject; ``disabled``: inject only on an explicit ``true``).
   These are read from the revision's ``istio-sidecar-injector`` ConfigMap
   (key ``config``) when the input holds it; otherwise the chart defaults
   apply (policy ``enabled``, no selectors).
4. The injection template ``grpc-agent`` (annotation
   ``inject.istio.io/templates``) adds only the agent: the pod is *proxyless*
   (a gRPC application configured over xDS, no Envoy, no traffic capture).

Pods that already carry an ``istio-proxy`` container (read from a live
cluster, or injected by ``istioctl kube-inject``) are in the mesh as they are.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import yaml

from ekstwin.errors import SelectorSyntaxError
from ekstwin.model.k8s import Pod
from ekstwin.model.platform import Platform
from ekstwin.model.selectors import LabelSelector

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
INJECTOR_CONFIGMAP = "istio-sidecar-injector"


@dataclass(frozen=True, slots=True)
class InjectorConfig:
    """One revision's injector settings (the ConfigMap's ``config`` key)."""

    policy: str = "enabled"
    never_inject: tuple[LabelSelector, ...] = ()
    always_inject: tuple[LabelSelector, ...] = ()
    source: str | None = None  # "ns/name" of the ConfigMap read; None: chart defaults
    problem: str | None = None  # why the ConfigMap could not be read


def _selectors(raw: object) -> tuple[LabelSelector, ...]:
    if not isinstance(raw, list):
        return ()
    out = []
    for item in raw:
        try:
            out.append(LabelSelector.from_obj(item))
        except (SelectorSyntaxError, TypeError, ValueError):
            continue  # the injector logs an invalid selector and skips it
    return tuple(out)


def injector_config(platform: Platform, revision: str) -> InjectorConfig:
    """The injector settings of ``revision`` (``default`` reads ``istio-sidecar-injector``,
    any other ``istio-sidecar-injector-<rev>``)."""
    name = INJECTOR_CONFIGMAP if revision == "default" else f"{INJECTOR_CONFIGMAP}-{revision}"
    for cm in sorted(platform.config_maps, key=lambda c: (c.meta.namespace != "istio-system",)):
        if cm.meta.name != name or "config" not in cm.data:
            continue
        where = f"{cm.meta.namespace}/{cm.meta.name}"
        try:
            doc = yaml.safe_load(cm.data["config"])
        except yaml.YAMLError:
            return InjectorConfig(source=where, problem="its config key is not YAML")
        if not isinstance(doc, dict):
            return InjectorConfig(source=where, problem="its config key is not a mapping")
        policy = doc.get("policy", "enabled")
        return InjectorConfig(
            policy=str(policy) if policy is not None else "enabled",
            never_inject=_selectors(doc.get("neverInjectSelector")),
            always_inject=_selectors(doc.get("alwaysInjectSelector")),
            source=where,
        )
    return InjectorConfig()


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


def _selection(
    pod: Pod, ns_labels: dict[str, str], namespaces_by_default: bool
) -> tuple[str, str, bool] | str:
    """Which webhook the API server calls: (revision, why, the namespace asks),
    or why none does."""
    pod_label = pod.labels.get(INJECT_LABEL)
    pod_rev = pod.labels.get(REVISION_LABEL)
    ns_inject = ns_labels.get(INJECTION_LABEL)
    ns_rev = ns_labels.get(REVISION_LABEL)
    if ns_inject is not None:
        if ns_inject != "enabled":
            return (
                f"namespace label {INJECTION_LABEL}={ns_inject}: no injection webhook selects "
                "the namespace, whatever the pod says"
            )
        why = f"namespace label {INJECTION_LABEL}=enabled"
        if ns_rev is not None:
            why += f" (wins over {REVISION_LABEL}={ns_rev})"
        return "default", why, True
    if ns_rev is not None:
        return ns_rev, f"namespace label {REVISION_LABEL}={ns_rev}", True
    if pod_rev is not None and pod_label != "false":
        why = f"pod label {REVISION_LABEL}={pod_rev}"
        if pod_label == "true":
            why += f" (with {INJECT_LABEL}=true: only revision {pod_rev}'s webhook selects the pod)"
        return pod_rev, why, False
    if pod_label == "true":
        return "default", f"pod label {INJECT_LABEL}=true", False
    if namespaces_by_default and pod_label is None and pod.namespace not in IGNORED_NAMESPACES:
        return "default", "enableNamespacesByDefault", True
    hint = ""
    if pod_label is None and pod.meta.annotations.get(INJECT_LABEL) == "true":
        hint = (
            f" (the annotation {INJECT_LABEL} alone does not select a pod: "
            "the webhooks read labels)"
        )
    elif pod_label not in (None, "true", "false"):
        hint = f" (the webhooks select on {INJECT_LABEL}=true exactly, not {pod_label!r})"
    return (
        f"neither the namespace ({INJECTION_LABEL}, {REVISION_LABEL}) nor the pod labels "
        f"ask for injection{hint}"
    )


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
    ns_labels = dict(ns.labels) if ns is not None else {}
    pod_label = pod.labels.get(INJECT_LABEL)

    # 1. Does any webhook select the pod?
    selected = _selection(pod, ns_labels, namespaces_by_default)
    if isinstance(selected, str):
        return Injection(pod.key, DataPlane.NONE, selected)
    revision, why, namespace_asks = selected
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
    # 3. The pod's own word: the label, else the annotation; only "true"/"false" count.
    if pod_label is not None:
        value, where = pod_label, f"pod label {INJECT_LABEL}={pod_label}"
    else:
        value = pod.meta.annotations.get(INJECT_LABEL, "")
        where = f"pod annotation {INJECT_LABEL}={value} (deprecated)"
    config = injector_config(platform, revision)
    cfg_where = (
        f"injector ConfigMap {config.source}" if config.source else "injector chart defaults"
    )
    if config.problem:
        cfg_where += f" (not read: {config.problem}; chart defaults assumed)"
    if config.policy not in ("enabled", "disabled"):
        return Injection(
            pod.key,
            DataPlane.NONE,
            f"{why}, but the injector's policy {config.policy!r} is neither enabled nor "
            f"disabled: the injector injects nothing ({cfg_where})",
            revision,
        )
    if value == "true":
        return _injected(pod, why if why == where else f"{why}; {where}", revision)
    if value == "false":
        return Injection(
            pod.key, DataPlane.NONE, f"{why}, but {where}", revision, opted_out=namespace_asks
        )
    ignored = f"; {where} is neither 'true' nor 'false' (ignored)" if value else ""
    for sel in config.never_inject:
        if not sel.is_empty and sel.matches(pod.labels):
            return Injection(
                pod.key,
                DataPlane.NONE,
                f"{why}{ignored}, but the pod matches neverInjectSelector ({cfg_where})",
                revision,
                opted_out=namespace_asks,
            )
    for sel in config.always_inject:
        if not sel.is_empty and sel.matches(pod.labels):
            return _injected(
                pod, f"{why}{ignored}; the pod matches alwaysInjectSelector ({cfg_where})", revision
            )
    if config.policy == "enabled":
        extra = f"; policy enabled ({cfg_where})" if config.source else ""
        return _injected(pod, f"{why}{ignored}{extra}", revision)
    return Injection(
        pod.key,
        DataPlane.NONE,
        f"{why}{ignored}, but the injector's policy is disabled ({cfg_where}): "
        f"only {INJECT_LABEL}=true injects",
        revision,
    )


def mesh_members(
    platform: Platform, *, namespaces_by_default: bool = False
) -> dict[str, Injection]:
    """The injector's decision for every pod, by ``ns/name``."""
    return {
        p.key: decide_injection(platform, p, namespaces_by_default=namespaces_by_default)
        for p in platform.pods
    }

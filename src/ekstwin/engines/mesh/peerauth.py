"""The mTLS mode a workload's sidecar enforces on one inbound port.

PeerAuthentication composes as istiod does (istio/istio
``pilot/pkg/security/authn``, ``ComposePeerAuthentication``):

- a policy without a selector (or with empty ``matchLabels``) in the root
  namespace is mesh-wide; elsewhere it is namespace-wide; a policy with a
  selector outside the root namespace is workload-level, and one with a
  selector *in* the root namespace is ignored;
- in each scope only one policy counts: the oldest (``creationTimestamp``),
  ties broken by name;
- the mode starts PERMISSIVE; the mesh, then the namespace, then the workload
  policy replace it unless their mode is UNSET (or absent);
- ``portLevelMtls`` of the chosen workload policy overrides the mode for the
  listed container ports; UNSET there inherits the workload's mode.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from ekstwin.model.istio import PeerAuthentication, WorkloadSelector
from ekstwin.model.k8s import Pod
from ekstwin.model.platform import Platform
from ekstwin.model.source import Source

ROOT_NAMESPACE = "istio-system"


class MtlsMode(StrEnum):
    STRICT = "STRICT"
    PERMISSIVE = "PERMISSIVE"
    DISABLE = "DISABLE"


class Scope(StrEnum):
    DEFAULT = "default"
    MESH = "mesh"
    NAMESPACE = "namespace"
    WORKLOAD = "workload"
    PORT = "port"


@dataclass(frozen=True, slots=True)
class MtlsDecision:
    """The mode on one port and the policy (and scope) that set it."""

    mode: MtlsMode
    scope: Scope
    policy: str | None  # ns/name of the deciding PeerAuthentication
    source: Source | None
    ignored: tuple[str, ...] = ()  # policies that matched but lost (newer duplicates)

    @property
    def explanation(self) -> str:
        if self.policy is None:
            return f"mTLS {self.mode.value}: no PeerAuthentication applies (Istio's default)"
        where = f" ({self.source})" if self.source is not None else ""
        scope = self.scope.value
        return f"mTLS {self.mode.value} from {scope}-level PeerAuthentication {self.policy}{where}"

    def to_json(self) -> dict[str, object]:
        return {
            "mode": self.mode.value,
            "scope": self.scope.value,
            "policy": self.policy,
            "file": None if self.source is None else self.source.file,
            "line": None if self.source is None else self.source.line,
            "ignored": list(self.ignored),
        }


def selector_matches(selector: WorkloadSelector | None, labels: dict[str, str]) -> bool:
    if selector is None:
        return True
    return all(labels.get(k) == v for k, v in selector.match_labels.items())


def _is_wide(pa: PeerAuthentication) -> bool:
    return pa.selector is None or not pa.selector.match_labels


def _key(pa: PeerAuthentication) -> tuple[bool, str, str, str]:
    # Oldest first; a policy without a timestamp sorts after dated ones.
    created = pa.created or ""
    return (created == "", created, pa.meta.name, pa.meta.namespace or "")


def _mode(text: str | None) -> MtlsMode | None:
    if text is None or text.upper() == "UNSET":
        return None
    try:
        return MtlsMode(text.upper())
    except ValueError:
        return None


def _name(pa: PeerAuthentication) -> str:
    return f"{pa.meta.namespace}/{pa.meta.name}"


@dataclass(frozen=True, slots=True)
class ChosenPolicies:
    mesh: PeerAuthentication | None
    namespace: PeerAuthentication | None
    workload: PeerAuthentication | None
    ignored: tuple[str, ...]


def choose_policies(
    policies: Iterable[PeerAuthentication],
    namespace: str,
    labels: dict[str, str],
    root_namespace: str = ROOT_NAMESPACE,
) -> ChosenPolicies:
    """The one mesh, namespace and workload policy that count for a workload."""
    mesh: list[PeerAuthentication] = []
    ns: list[PeerAuthentication] = []
    wl: list[PeerAuthentication] = []
    for pa in policies:
        pns = pa.meta.ns
        if _is_wide(pa):
            if pns == root_namespace:
                mesh.append(pa)
            elif pns == namespace:
                ns.append(pa)
        elif pns == namespace and pns != root_namespace and selector_matches(pa.selector, labels):
            wl.append(pa)
    ignored: list[str] = []
    chosen: list[PeerAuthentication | None] = []
    for group in (mesh, ns, wl):
        group.sort(key=_key)
        chosen.append(group[0] if group else None)
        ignored.extend(_name(p) for p in group[1:])
    return ChosenPolicies(chosen[0], chosen[1], chosen[2], tuple(ignored))


def effective_mtls(
    platform: Platform,
    pod: Pod,
    port: int | None,
    root_namespace: str = ROOT_NAMESPACE,
) -> MtlsDecision:
    """The mTLS mode ``pod``'s sidecar enforces on container port ``port``
    (``None``: the workload-wide mode, without port-level exceptions)."""
    chosen = choose_policies(
        platform.peer_authentications, pod.namespace, pod.labels, root_namespace
    )
    mode, scope, deciding = MtlsMode.PERMISSIVE, Scope.DEFAULT, None
    for pa, sc in (
        (chosen.mesh, Scope.MESH),
        (chosen.namespace, Scope.NAMESPACE),
        (chosen.workload, Scope.WORKLOAD),
    ):
        if pa is None:
            continue
        m = _mode(pa.mode)
        if m is not None:
            mode, scope, deciding = m, sc, pa
    source = None if deciding is None else deciding.meta.line_of("/spec/mtls/mode")
    wl = chosen.workload
    if port is not None and wl is not None and port in wl.port_level_mtls:
        m = _mode(wl.port_level_mtls[port])
        if m is not None:
            mode, scope, deciding = m, Scope.PORT, wl
            source = wl.meta.line_of(f"/spec/portLevelMtls/{port}")
    return MtlsDecision(
        mode,
        scope,
        None if deciding is None else _name(deciding),
        source,
        chosen.ignored,
    )


def namespace_mtls(
    platform: Platform, namespace: str, root_namespace: str = ROOT_NAMESPACE
) -> MtlsDecision:
    """The namespace-wide mode: the mesh policy, then the namespace policy."""
    chosen = choose_policies(platform.peer_authentications, namespace, {}, root_namespace)
    mode, scope, deciding = MtlsMode.PERMISSIVE, Scope.DEFAULT, None
    for pa, sc in ((chosen.mesh, Scope.MESH), (chosen.namespace, Scope.NAMESPACE)):
        m = None if pa is None else _mode(pa.mode)
        if pa is not None and m is not None:
            mode, scope, deciding = m, sc, pa
    if deciding is None:
        return MtlsDecision(mode, scope, None, None, chosen.ignored)
    return MtlsDecision(
        mode, scope, _name(deciding), deciding.meta.line_of("/spec/mtls/mode"), chosen.ignored
    )

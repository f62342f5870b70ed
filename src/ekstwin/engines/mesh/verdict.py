"""The mesh's verdict on one flow: mTLS at connection time, then authorization.

The source and the destination are the net engine's :class:`Endpoint` objects
(or the strings ``ekstwin net can`` takes, resolved the same way), so that a
flow is named identically on both layers.

The walk, for a TCP flow to a destination pod:

1. Who is in the mesh (:mod:`ekstwin.engines.mesh.injection`).
2. What the client sends. A sidecar originates mutual TLS by itself (auto
   mTLS) when the destination has a sidecar or agent and its mode on the port
   is not DISABLE; a DestinationRule ``trafficPolicy.tls.mode`` for the
   destination's host overrides that (ISTIO_MUTUAL: mTLS, DISABLE: plaintext).
   A proxyless gRPC client has no auto mTLS: only ISTIO_MUTUAL makes it use
   mTLS. Anything outside the mesh sends plaintext.
3. What the server accepts (:mod:`ekstwin.engines.mesh.peerauth`): STRICT
   refuses plaintext at connection level (the connection is reset: no HTTP
   status at all); DISABLE does not terminate mTLS. Proxyless servers support
   only STRICT and DISABLE; PERMISSIVE acts as DISABLE.
4. Authorization (:mod:`ekstwin.engines.mesh.authz`), with the peer's
   principal and namespace only when the connection is mutual TLS. A
   proxyless server does not enforce AuthorizationPolicy on its inbound side.

A destination outside the mesh, and any non-TCP flow (sidecars capture TCP
only), is not the mesh's business: the mesh allows it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from ekstwin.engines.mesh.authz import (
    AuthzDecision,
    AuthzStatus,
    Peer,
    Request,
    evaluate,
    policies_for,
)
from ekstwin.engines.mesh.injection import DataPlane, Injection, decide_injection
from ekstwin.engines.mesh.peerauth import ROOT_NAMESPACE, MtlsDecision, MtlsMode, effective_mtls
from ekstwin.engines.net import Endpoint, EndpointKind, NetModel, resolve_endpoint
from ekstwin.errors import ConfigError
from ekstwin.model.istio import DestinationRule
from ekstwin.model.k8s import Pod, Service
from ekstwin.model.platform import Platform
from ekstwin.model.source import Source

TRUST_DOMAIN = "cluster.local"
CLUSTER_DOMAIN = "svc.cluster.local"
HTTP_PORT_PROTOCOLS = frozenset({"http", "http2", "grpc", "grpc-web"})
TCP_PORT_PROTOCOLS = frozenset({"tcp", "tls", "https", "mongo", "mysql", "redis", "udp"})


class MeshQueryError(ConfigError):
    """A mesh question names something the platform does not have."""


class MeshStatus(StrEnum):
    ALLOWED = "allowed"
    REFUSED = "refused"
    CONDITIONAL = "conditional"


class MeshReason(StrEnum):
    NOT_TCP = "not-tcp"
    NOT_IN_MESH = "destination-not-in-mesh"
    MTLS_TO_NON_MESH = "mtls-to-non-mesh"
    PLAINTEXT_TO_STRICT = "plaintext-to-strict"
    MTLS_TO_DISABLE = "mtls-to-disable"
    PROXYLESS_NO_AUTHZ = "proxyless-no-authz"
    NO_ALLOW_POLICY = "no-allow-policy"
    ALLOW_MATCHED = "allow-matched"
    NO_ALLOW_MATCHED = "no-allow-matched"
    DENY_MATCHED = "deny-matched"
    CUSTOM = "custom"
    DEPENDS_ON_REQUEST = "depends-on-request"


_AUTHZ_REASONS = {
    "no-allow-policy": MeshReason.NO_ALLOW_POLICY,
    "allow-matched": MeshReason.ALLOW_MATCHED,
    "no-allow-matched": MeshReason.NO_ALLOW_MATCHED,
    "deny-matched": MeshReason.DENY_MATCHED,
    "custom": MeshReason.CUSTOM,
    "allow-depends-on-request": MeshReason.DEPENDS_ON_REQUEST,
    "deny-depends-on-request": MeshReason.DEPENDS_ON_REQUEST,
}


@dataclass(frozen=True, slots=True)
class Tls:
    """What the client sends and why."""

    mtls: bool
    why: str

    def to_json(self) -> dict[str, object]:
        return {"mtls": self.mtls, "why": self.why}


@dataclass(frozen=True, slots=True)
class MeshVerdict:
    source: str
    destination: str
    protocol: str
    port: int
    status: MeshStatus
    reason: MeshReason
    message: str
    source_side: Injection | None
    destination_side: Injection | None
    http: bool = False
    method: str | None = None
    path: str | None = None
    tls: Tls | None = None
    mtls: MtlsDecision | None = None
    authz: AuthzDecision | None = None
    principal: str | None = None

    @property
    def allowed(self) -> bool:
        return self.status is MeshStatus.ALLOWED

    @property
    def deciding_source(self) -> Source | None:
        """The file and line of what decided: the rule, else the PeerAuthentication."""
        if self.authz is not None and self.authz.source is not None:
            return self.authz.source
        return None if self.mtls is None else self.mtls.source

    def to_json(self) -> dict[str, object]:
        src = self.deciding_source
        return {
            "from": self.source,
            "to": self.destination,
            "protocol": self.protocol,
            "port": self.port,
            "http": self.http,
            "method": self.method,
            "path": self.path,
            "status": self.status.value,
            "allowed": self.allowed,
            "reason": self.reason.value,
            "message": self.message,
            "file": None if src is None else src.file,
            "line": None if src is None else src.line,
            "source_side": None if self.source_side is None else self.source_side.to_json(),
            "destination_side": (
                None if self.destination_side is None else self.destination_side.to_json()
            ),
            "tls": None if self.tls is None else self.tls.to_json(),
            "principal": self.principal,
            "mtls": None if self.mtls is None else self.mtls.to_json(),
            "authz": None if self.authz is None else self.authz.to_json(),
        }


def host_matches(pattern: str, fqdn: str, namespace: str) -> bool:
    """A VirtualService/DestinationRule host against a Service FQDN; short names
    are relative to the resource's namespace."""
    p = pattern.lower().rstrip(".")
    if p == "*":
        return True
    if p.startswith("*."):
        return fqdn.endswith(p[1:])
    if "." not in p:
        p = f"{p}.{namespace}.{CLUSTER_DOMAIN}"
    elif p.count(".") == 1:
        p = f"{p}.{CLUSTER_DOMAIN}"
    return p == fqdn


def service_fqdn(svc: Service) -> str:
    return f"{svc.meta.name}.{svc.meta.ns}.{CLUSTER_DOMAIN}"


class MeshModel:
    """The mesh view of one platform: injection per pod, services, options."""

    def __init__(
        self,
        platform: Platform,
        net: NetModel | None = None,
        *,
        root_namespace: str = ROOT_NAMESPACE,
        namespaces_by_default: bool = False,
    ) -> None:
        self.platform = platform
        self.net = net if net is not None else NetModel(platform)
        self.root_namespace = root_namespace
        self.injections: dict[str, Injection] = {
            p.key: decide_injection(platform, p, namespaces_by_default=namespaces_by_default)
            for p in platform.pods
        }

    # -- lookups ---------------------------------------------------------

    def injection(self, ep: Endpoint) -> Injection | None:
        if ep.pod is None:
            return None
        return self.injections.get(ep.pod.key)

    def services_of(self, pod: Pod) -> list[Service]:
        return [svc for svc in self.platform.services_in(pod.namespace) if svc.selects(pod)]

    def port_protocol(self, pod: Pod, port: int) -> tuple[bool | None, str]:
        """Is ``port`` of ``pod`` declared HTTP (True), TCP (False) or undeclared (None)."""
        for svc in self.services_of(pod):
            for sp in svc.ports:
                if sp.target_for(pod) != port or not sp.name:
                    continue
                proto = sp.name.split("-", 1)[0].lower()
                where = f"Service {svc.meta.namespace}/{svc.meta.name} port {sp.name!r}"
                if proto in HTTP_PORT_PROTOCOLS:
                    return True, where
                if proto in TCP_PORT_PROTOCOLS:
                    return False, where
        return None, "no Service names the port's protocol"

    def destination_rule(
        self, fqdn: str, service_namespace: str, client_namespace: str | None
    ) -> DestinationRule | None:
        """The DestinationRule a client proxy in ``client_namespace`` applies to
        ``fqdn``, found as Istio's push context does: the client's namespace
        first, then the rules the service's namespace exports to the client,
        then those the root namespace exports; within a namespace the most
        specific host wins (an exact host, else the longest wildcard)."""
        order = [client_namespace, service_namespace, self.root_namespace]
        for step, ns in enumerate(order):
            if ns is None or ns in order[:step]:
                continue
            found = []
            for d in self.platform.destination_rules:
                dns = d.meta.ns
                if dns != ns or not host_matches(d.host, fqdn, dns):
                    continue
                if ns != client_namespace and not _exported_to(d, client_namespace):
                    continue
                wildcard = d.host.startswith("*")
                found.append(((wildcard, -len(d.host) if wildcard else 0, d.meta.name), d))
            if found:
                return min(found, key=lambda kd: kd[0])[1]
        return None

    def destination_rule_tls(
        self, pod: Pod, client_namespace: str | None = None
    ) -> tuple[str | None, DestinationRule | None]:
        """The ``trafficPolicy.tls.mode`` a client in ``client_namespace`` applies
        to ``pod``'s Services, and the rule that says it (mode None: the rule
        found sets no TLS mode, auto mTLS applies)."""
        for svc in self.services_of(pod):
            ns = svc.meta.ns
            dr = self.destination_rule(service_fqdn(svc), ns, client_namespace)
            if dr is not None:
                return (dr.tls_mode.upper() if dr.tls_mode else None), dr
        return None, None

    def endpoint(self, spec: str | Endpoint) -> Endpoint:
        if isinstance(spec, Endpoint):
            return spec
        try:
            got = resolve_endpoint(self.net, spec)
        except ValueError as exc:
            raise MeshQueryError(str(exc)) from exc
        if isinstance(got, Service):
            raise MeshQueryError(
                f"{spec} is a Service: ask about its pods, or use the combined view "
                "(ekstwin.engines.mesh.combined.explain), which follows the Service to its backends"
            )
        return got


def _exported_to(dr: DestinationRule, namespace: str | None) -> bool:
    """``exportTo``: absent or ``*`` every namespace, ``.`` its own, ``~`` none."""
    own = dr.meta.ns
    if not dr.export_to:
        return True
    for target in dr.export_to:
        if target in ("*", namespace) or (target == "." and own == namespace):
            return True
    return False


def _principal(ep: Endpoint) -> str | None:
    if ep.pod is None:
        return None
    return f"{TRUST_DOMAIN}/ns/{ep.pod.namespace}/sa/{ep.pod.spec.service_account or 'default'}"


def _client_tls(
    model: MeshModel,
    src_inj: Injection | None,
    dst: Pod,
    dst_inj: Injection,
    server_mode: MtlsMode | None,
) -> Tls:
    if src_inj is None or not src_inj.in_mesh:
        return Tls(False, "the source has no sidecar: it sends plaintext")
    client_ns = src_inj.pod.split("/", 1)[0]
    dr_mode, dr = model.destination_rule_tls(dst, client_ns)
    dr_name = None if dr is None else f"DestinationRule {dr.meta.namespace}/{dr.meta.name}"
    if dr_mode == "ISTIO_MUTUAL":
        return Tls(True, f"{dr_name} sets tls.mode ISTIO_MUTUAL")
    if dr_mode is not None:
        return Tls(False, f"{dr_name} sets tls.mode {dr_mode}: no Istio mutual TLS")
    if src_inj.data_plane is DataPlane.PROXYLESS:
        return Tls(False, "a proxyless client has no auto mTLS and no DestinationRule asks for it")
    if not dst_inj.in_mesh:
        return Tls(False, "auto mTLS: the destination has no sidecar, so plaintext")
    if server_mode is MtlsMode.DISABLE:
        return Tls(False, "auto mTLS: the destination's mode on the port is DISABLE, so plaintext")
    return Tls(True, "auto mTLS: the source's sidecar originates Istio mutual TLS")


def mesh_verdict(
    target: MeshModel | Platform,
    src: str | Endpoint,
    dst: str | Endpoint,
    port: int,
    protocol: str = "TCP",
    *,
    method: str | None = None,
    path: str | None = None,
    host: str | None = None,
) -> MeshVerdict:
    """What the mesh does to ``src`` -> ``dst`` on ``protocol``/``port`` (a
    container port of the destination), with the deciding rule."""
    model = target if isinstance(target, MeshModel) else MeshModel(target)
    s = model.endpoint(src)
    d = model.endpoint(dst)
    proto = protocol.upper()
    s_inj = model.injection(s)
    d_inj = model.injection(d)

    def verdict(
        status: MeshStatus,
        reason: MeshReason,
        message: str,
        *,
        http: bool = False,
        tls: Tls | None = None,
        mtls: MtlsDecision | None = None,
        principal: str | None = None,
        authz: AuthzDecision | None = None,
    ) -> MeshVerdict:
        return MeshVerdict(
            s.name, d.name, proto, port, status, reason, message, s_inj, d_inj,
            http, method, path, tls, mtls, authz, principal,
        )  # fmt: skip

    if proto != "TCP":
        return verdict(
            MeshStatus.ALLOWED,
            MeshReason.NOT_TCP,
            f"sidecars capture TCP only: {proto} passes untouched",
        )
    if d.kind is not EndpointKind.POD or d.pod is None or d_inj is None or not d_inj.in_mesh:
        why = d_inj.reason if d_inj is not None else "not a pod"
        if d.pod is not None and d_inj is not None and s_inj is not None and s_inj.in_mesh:
            dr_mode, dr = model.destination_rule_tls(d.pod, s_inj.pod.split("/", 1)[0])
            if dr_mode == "ISTIO_MUTUAL" and dr is not None:
                tls = Tls(True, f"DestinationRule {dr.meta.namespace}/{dr.meta.name} sets "
                          "tls.mode ISTIO_MUTUAL")  # fmt: skip
                return verdict(
                    MeshStatus.REFUSED,
                    MeshReason.MTLS_TO_NON_MESH,
                    f"{tls.why}, but {d.name} has no sidecar ({why}): it cannot answer the "
                    "TLS handshake",
                    tls=tls,
                )
        return verdict(
            MeshStatus.ALLOWED,
            MeshReason.NOT_IN_MESH,
            f"{d.name} is not in the mesh ({why}): the mesh enforces nothing there",
        )
    pod = d.pod
    mtls = effective_mtls(model.platform, pod, port, model.root_namespace)
    mode = mtls.mode
    proxyless = d_inj.data_plane is DataPlane.PROXYLESS
    if proxyless and mode is MtlsMode.PERMISSIVE:
        mode = MtlsMode.DISABLE
    tls = _client_tls(model, s_inj, pod, d_inj, mode)
    declared, proto_why = model.port_protocol(pod, port)
    http = bool(declared) or (declared is None and (method is not None or path is not None))
    principal = _principal(s) if tls.mtls else None
    side = "proxyless gRPC server" if proxyless else "sidecar"
    if not tls.mtls and mode is MtlsMode.STRICT:
        return verdict(
            MeshStatus.REFUSED,
            MeshReason.PLAINTEXT_TO_STRICT,
            f"plaintext to STRICT: {tls.why}; {d.name}'s {side} requires mutual TLS on port {port} "
            f"({mtls.explanation}); the connection is reset before any request (no HTTP status)",
            http=http,
            tls=tls,
            mtls=mtls,
            principal=principal,
        )
    if tls.mtls and mode is MtlsMode.DISABLE:
        as_disable = ", PERMISSIVE acts as DISABLE" if mode is not mtls.mode else ""
        return verdict(
            MeshStatus.REFUSED,
            MeshReason.MTLS_TO_DISABLE,
            f"{tls.why}, but {d.name}'s {side} does not terminate mTLS on port {port} "
            f"({mtls.explanation}{as_disable})",
            http=http,
            tls=tls,
            mtls=mtls,
            principal=principal,
        )
    if proxyless:
        return verdict(
            MeshStatus.ALLOWED,
            MeshReason.PROXYLESS_NO_AUTHZ,
            f"{d.name} is a proxyless gRPC server: {'mTLS' if tls.mtls else 'plaintext'} accepted "
            f"({mtls.explanation}); AuthorizationPolicy is not enforced on its inbound side",
            http=http,
            tls=tls,
            mtls=mtls,
            principal=principal,
        )
    applied, ignored = policies_for(
        model.platform.authorization_policies, pod, model.root_namespace
    )
    peer_ns = s.pod.namespace if principal is not None and s.pod is not None else None
    peer = Peer(principal, peer_ns, s.address)
    req = Request(port, http, method, path, host, d.address)
    decision = evaluate(applied, peer, req)
    notes = list(decision.notes)
    notes.extend(
        f"AuthorizationPolicy {a.meta.namespace}/{a.meta.name} uses targetRefs: it applies to "
        "gateways/waypoints, not to this sidecar"
        for a in ignored
    )
    if declared is False and (method or path):
        notes.append(f"the port is TCP ({proto_why}): the sidecar does not see HTTP attributes")
    decision = AuthzDecision(
        decision.status, decision.reason, decision.message, decision.policy,
        decision.rule_index, decision.source, tuple(notes),
    )  # fmt: skip
    status = {
        AuthzStatus.ALLOW: MeshStatus.ALLOWED,
        AuthzStatus.DENY: MeshStatus.REFUSED,
        AuthzStatus.CONDITIONAL: MeshStatus.CONDITIONAL,
    }[decision.status]
    connection = "mutual TLS as " + principal if principal else "plaintext (no peer identity)"
    message = f"{connection} accepted ({mtls.explanation}); {decision.message}"
    if decision.status is AuthzStatus.DENY:
        message += " (HTTP 403 RBAC: access denied)" if http else " (the connection is closed)"
    return verdict(
        status,
        _AUTHZ_REASONS[decision.reason],
        message,
        http=http,
        tls=tls,
        mtls=mtls,
        principal=principal,
        authz=decision,
    )

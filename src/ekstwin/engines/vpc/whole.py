"""The whole path of a flow: the cluster's layers (NetworkPolicy/Calico, the
mesh) and the AWS layers, in the order a packet meets them, and one verdict.

Any layer that denies denies the flow; else any layer that cannot be judged
leaves it unknown (with the reasons); else it is allowed. When the input has
no VPC data at all (no security group, no network ACL) the AWS layers are
reported as not judged and the verdict is the cluster layers' alone, as it
was before the AWS layer existed.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from ekstwin.engines.mesh.combined import (
    CombinedServiceVerdict,
    CombinedVerdict,
    NetCanAnswer,
    explain,
)
from ekstwin.engines.mesh.verdict import MeshModel, MeshStatus, MeshVerdict, mesh_verdict
from ekstwin.engines.net import (
    Decision,
    Endpoint,
    EndpointKind,
    NetModel,
    NetQueryError,
    Reason,
    ServiceVerdict,
    Verdict,
    can,
    resolve_endpoint,
    service_backends,
)
from ekstwin.engines.net.enforcement import Enforcer
from ekstwin.engines.vpc.endpoints import AwsEndpoint
from ekstwin.engines.vpc.layers import PATH_ORDER, Layer, LayerVerdict, first_drop, overall
from ekstwin.engines.vpc.model import VpcModel
from ekstwin.engines.vpc.place import candidates, is_aws_spec, place
from ekstwin.model.k8s import Service

_NOT_RULED = (Reason.NO_POLICY, Reason.NOT_ENFORCED, Reason.LOOPBACK, Reason.NO_ENFORCER)


@dataclass(frozen=True, slots=True)
class PathVerdict:
    """Every layer of one flow in path order, and what they add up to.

    ``aws_judged`` is False when the input has no VPC data: the verdict is then
    the cluster layers' (``cluster_allowed``), as before the AWS layer. Else it
    is every layer's: a policy decision about an address the input lacks, or a
    mesh verdict that depends on the request, is unknown."""

    layers: tuple[LayerVerdict, ...]
    aws_judged: bool
    cluster_allowed: bool
    src: AwsEndpoint | None = None
    dst: AwsEndpoint | None = None
    note: str | None = None

    @property
    def allowed(self) -> bool | None:
        if not self.aws_judged:
            return self.cluster_allowed
        return overall(self.layers)

    @property
    def denied_at(self) -> LayerVerdict | None:
        return first_drop(self.layers)

    @property
    def unknown(self) -> tuple[str, ...]:
        if self.allowed is not None:
            return ()
        return tuple(f"{v.layer.value}: {v.decided_by}" for v in self.layers if v.allowed is None)

    def to_json(self) -> list[dict[str, object]]:
        return [v.to_json() for v in self.layers]


def _decision_layer(layer: Layer, d: Decision, unknown_address: str | None) -> LayerVerdict:
    text = d.message
    if d.policy is not None and str(d.policy) not in text:
        text = f"{text} ({d.policy})"
    if not d.allowed and unknown_address is not None and d.reason not in _NOT_RULED:
        return LayerVerdict(
            layer, None, f"{text}; the address of {unknown_address} is unknown", d.source
        )
    return LayerVerdict(layer, d.allowed, text, d.source)


def mesh_layer(m: MeshVerdict) -> LayerVerdict:
    allowed = {MeshStatus.ALLOWED: True, MeshStatus.REFUSED: False}.get(m.status)
    return LayerVerdict(Layer.MESH, allowed, m.message, m.deciding_source)


def cluster_layers(
    v: Verdict,
    mesh: MeshVerdict | None = None,
    *,
    unknown_source: str | None = None,
    unknown_destination: str | None = None,
) -> tuple[LayerVerdict, ...]:
    """The cluster's layers of a verdict: NetworkPolicy/Calico egress and ingress,
    and the mesh when judged. A policy decision about an endpoint whose address
    is unknown (an AWS interface the input gives no address for) is unknown."""
    out = [
        _decision_layer(Layer.NETWORKPOLICY_EGRESS, v.egress, unknown_destination),
        _decision_layer(Layer.NETWORKPOLICY_INGRESS, v.ingress, unknown_source),
    ]
    if mesh is not None:
        out.append(mesh_layer(mesh))
    return tuple(out)


#: Why Calico leaves a strict-mode branch-ENI pod alone, and where it is said.
CALICO_SKIPS_BRANCH = (
    "not enforced: strict-mode branch ENI pod, Calico does not manage its vlan interface "
    "(the VPC CNI names its host veth vlan..., Calico's interface prefix is eni; "
    "aws/amazon-vpc-cni-k8s@b52188387f2e pkg/sgpp/utils.go BuildHostVethNamePrefix)"
)


def calico_skips(ctx: VpcModel, ep: AwsEndpoint) -> bool | None:
    """Whether NetworkPolicy is left unenforced on ``ep`` because Calico enforces
    it and ``ep`` is a pod on a branch ENI in POD_SECURITY_GROUP_ENFORCING_MODE
    strict: the VPC CNI gives such a pod a host veth named ``vlan...``, which
    Calico (``eni`` interface prefix on EKS) does not manage. The VPC CNI's own
    network policy agent attaches to both prefixes, so with it (alone or next
    to Calico) the policy holds. None: the enforcer is unknown."""
    if not (ep.branch and ctx.strict):
        return False
    enf = ctx.enforcement
    if enf.enforcer is Enforcer.UNKNOWN:
        return None
    return enf.enforcer is Enforcer.CALICO and not enf.vpc_cni_too


def _branch_layer(ctx: VpcModel, ep: AwsEndpoint, verdict: LayerVerdict) -> LayerVerdict:
    """A NetworkPolicy layer of a flow whose pod end ``ep`` may be unmanaged by Calico."""
    skips = calico_skips(ctx, ep)
    if skips:
        return LayerVerdict(verdict.layer, True, CALICO_SKIPS_BRANCH, None)
    if skips is False or verdict.allowed is True:
        return verdict
    return LayerVerdict(
        verdict.layer, None,
        f"{verdict.decided_by}; whether it is enforced is unknown: the input shows no "
        "enforcer, and Calico does not manage a strict-mode branch ENI pod's vlan "
        "interface (the VPC CNI network policy agent does)",
        verdict.source,
    )  # fmt: skip


def in_path_order(*groups: tuple[LayerVerdict, ...]) -> tuple[LayerVerdict, ...]:
    rank = {layer: i for i, layer in enumerate(PATH_ORDER)}
    return tuple(sorted((v for g in groups for v in g), key=lambda v: rank[v.layer]))


def whole_path(
    ctx: VpcModel,
    v: Verdict,
    mesh: MeshVerdict | None,
    src: AwsEndpoint,
    dst: AwsEndpoint,
    *,
    aws: bool = True,
) -> PathVerdict:
    """Every layer of ``v``'s flow between the placed endpoints ``src`` and ``dst``."""
    cluster = cluster_layers(
        v,
        mesh,
        unknown_source=src.name if src.address is None else None,
        unknown_destination=dst.name if dst.address is None else None,
    )
    cluster_allowed = v.allowed and (mesh is None or mesh.allowed)
    if src.branch or dst.branch:
        ends = {Layer.NETWORKPOLICY_EGRESS: src, Layer.NETWORKPOLICY_INGRESS: dst}
        cluster = tuple(
            _branch_layer(ctx, ends[c.layer], c) if c.layer in ends else c for c in cluster
        )
        if any(calico_skips(ctx, ep) for ep in (src, dst)):
            egress_ok = calico_skips(ctx, src) or v.egress.allowed
            ingress_ok = calico_skips(ctx, dst) or v.ingress.allowed
            cluster_allowed = bool(egress_ok and ingress_ok) and (mesh is None or mesh.allowed)
    if not aws:
        return PathVerdict(cluster, False, cluster_allowed, src, dst)
    layers = ctx.aws_layers(src, dst, v.protocol, v.port)
    return PathVerdict(in_path_order(cluster, layers), ctx.has_vpc_data, cluster_allowed, src, dst)


def net_endpoint(model: NetModel, ep: AwsEndpoint) -> Endpoint:
    """The net engine's endpoint for a placed AWS endpoint (its address, if known)."""
    if ep.address is not None:
        return model.address_endpoint(ep.address)
    return Endpoint(EndpointKind.EXTERNAL, ep.name, None)


def worst(paths: list[PathVerdict]) -> PathVerdict:
    """Of the verdicts from each ENI an endpoint may use, the first that denies,
    else the first unknown, else the first."""
    for want in (False, None):
        for p in paths:
            if p.allowed is want:
                return p
    return paths[0]


@dataclass(frozen=True, slots=True)
class FlowAnswer:
    """``net can``'s answer: the cluster engines' result as today (a verdict, or
    one per Service backend), and the whole path of each verdict, in order."""

    result: Verdict | ServiceVerdict | CombinedVerdict | CombinedServiceVerdict
    paths: tuple[PathVerdict, ...]
    aws: bool

    @property
    def verdicts(self) -> tuple[Verdict | CombinedVerdict, ...]:
        if isinstance(self.result, ServiceVerdict | CombinedServiceVerdict):
            return tuple(self.result.backends)
        return (self.result,)

    def to_json(self) -> dict[str, object]:
        """``net can``'s JSON (``ekstwin/schemas/net-can.schema.json``): the cluster
        layers' object as before, each verdict with its ``layers`` in path order,
        ``placement`` when the AWS layers were judged, and ``allowed`` over the
        whole path (null: unknown, then ``unknown`` lists the reasons)."""
        doc = NetCanAnswer(self.result).to_json()
        backends = doc.get("backends")
        if isinstance(backends, list):
            for backend, path in zip(backends, self.paths, strict=True):
                assert isinstance(backend, dict)
                _path_json(backend, path)
            doc["allowed"] = self.allowed
        elif self.paths:
            _path_json(doc, self.paths[0])
        return doc

    @property
    def allowed(self) -> bool | None:
        """One verdict's, or for a Service: some backend allowed, else unknown
        when some backend is unknown, else denied."""
        got = [p.allowed for p in self.paths]
        if not isinstance(self.result, ServiceVerdict | CombinedServiceVerdict):
            return got[0] if got else self.result.allowed
        if any(a is True for a in got):
            return True
        return None if any(a is None for a in got) else False


def _path_json(doc: dict[str, object], path: PathVerdict) -> None:
    doc["allowed"] = path.allowed
    doc["layers"] = path.to_json()
    if path.aws_judged and path.src is not None and path.dst is not None:
        doc["placement"] = {"from": path.src.to_json(), "to": path.dst.to_json()}
    if path.allowed is None:
        doc["unknown"] = list(path.unknown)


def _verdict_of(v: Verdict | CombinedVerdict) -> tuple[Verdict, MeshVerdict | None]:
    if isinstance(v, CombinedVerdict):
        return v.network, v.mesh
    return v, None


def _spec_endpoints(
    ctx: VpcModel, model: NetModel, spec: str
) -> tuple[tuple[AwsEndpoint, ...], Endpoint | None]:
    """An AWS spec's placed candidates and the net endpoint of the first."""
    found = candidates(ctx, spec)
    return found, net_endpoint(model, found[0])


def explain_flow(  # noqa: PLR0917 (as net can: endpoints, port, protocol)
    ctx: VpcModel,
    model: NetModel,
    source: str,
    destination: str,
    port: int,
    protocol: str = "TCP",
    *,
    mesh: MeshModel | None = None,
    aws: bool = True,
    method: str | None = None,
    path: str | None = None,
    host: str | None = None,
) -> FlowAnswer:
    """``net can`` over the whole path. Pods, workloads, Services, nodes and
    addresses resolve as the net engine resolves them; ``rds:ID``,
    ``cache:ID``, ``efs:ID``, ``eni:ID``, ``vpce:ID``, ``s3``, ``alb:NAME`` and
    ``control-plane`` are placed in the VPC (an ALB or the control plane is
    judged from each of its ENIs, and the worst answer is given)."""
    proto = protocol.upper()
    if not (is_aws_spec(source) or is_aws_spec(destination)):
        if mesh is not None:
            result: Verdict | ServiceVerdict | CombinedVerdict | CombinedServiceVerdict = (
                explain(mesh, source, destination, port, proto, method=method, path=path,
                        host=host)
            )  # fmt: skip
        else:
            result = can(model, source, destination, port, proto)
        answer = FlowAnswer(result, (), aws)
        paths = []
        for v in answer.verdicts:
            net_v, mesh_v = _verdict_of(v)
            src = place(ctx, net_v.source)
            dst = place(ctx, net_v.destination)
            paths.append(whole_path(ctx, net_v, mesh_v, src, dst, aws=aws))
        return FlowAnswer(result, tuple(paths), aws)
    srcs = candidates(ctx, source) if is_aws_spec(source) else None
    dsts = candidates(ctx, destination) if is_aws_spec(destination) else None
    if srcs is None:
        got = resolve_endpoint(model, source)
        if isinstance(got, Service):
            raise NetQueryError("a Service cannot be the source of a flow")
        net_src = got
        srcs = (place(ctx, got.name),)
    else:
        net_src = net_endpoint(model, srcs[0])
    if dsts is None:
        dst_got = resolve_endpoint(model, destination)
        if isinstance(dst_got, Service):
            return _to_service(ctx, model, srcs, net_src, dst_got, port, proto, mesh, aws,
                               method, path, host)  # fmt: skip
        net_dst = dst_got
        dsts = (place(ctx, dst_got.name),)
    else:
        net_dst = net_endpoint(model, dsts[0])
    return _one_flow(ctx, model, srcs, net_src, dsts, net_dst, port, proto, mesh, aws,
                     method, path, host)  # fmt: skip


def _one_flow(  # noqa: PLR0917
    ctx: VpcModel,
    model: NetModel,
    srcs: tuple[AwsEndpoint, ...],
    net_src: Endpoint,
    dsts: tuple[AwsEndpoint, ...],
    net_dst: Endpoint,
    port: int,
    proto: str,
    mesh: MeshModel | None,
    aws: bool,
    method: str | None,
    path: str | None,
    host: str | None,
) -> FlowAnswer:
    v = model.verdict(net_src, net_dst, proto, port)
    v = replace(v, source=srcs[0].name, destination=dsts[0].name)
    m = None
    if mesh is not None:
        m = mesh_verdict(mesh, net_src, net_dst, port, proto, method=method, path=path, host=host)
    paths = [whole_path(ctx, v, m, s, d, aws=aws) for s in srcs for d in dsts]
    chosen = worst(paths)
    result: Verdict | CombinedVerdict = v if m is None else CombinedVerdict(v, m)
    return FlowAnswer(result, (chosen,), aws)


def _to_service(  # noqa: PLR0917
    ctx: VpcModel,
    model: NetModel,
    srcs: tuple[AwsEndpoint, ...],
    net_src: Endpoint,
    svc: Service,
    port: int,
    proto: str,
    mesh: MeshModel | None,
    aws: bool,
    method: str | None,
    path: str | None,
    host: str | None,
) -> FlowAnswer:
    name = f"{svc.meta.namespace}/svc/{svc.meta.name}"
    backends, problem = service_backends(model, svc, port, proto)
    verdicts: list[Verdict] = []
    combined: list[CombinedVerdict] = []
    paths: list[PathVerdict] = []
    for ep, target_port in backends:
        one = _one_flow(ctx, model, srcs, net_src, (place(ctx, ep.name),), ep, target_port, proto,
                        mesh, aws, method, path, host)  # fmt: skip
        v = one.result
        if isinstance(v, CombinedVerdict):
            combined.append(v)
        elif isinstance(v, Verdict):
            verdicts.append(v)
        paths.extend(one.paths)
    if mesh is not None:
        result: ServiceVerdict | CombinedServiceVerdict = CombinedServiceVerdict(
            srcs[0].name, name, proto, port, tuple(combined), problem
        )
    else:
        result = ServiceVerdict(srcs[0].name, name, proto, port, tuple(verdicts), problem)
    return FlowAnswer(result, tuple(paths), aws)

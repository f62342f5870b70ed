"""Endpoint specs (``rds:ID``, ``alb:NAME``, ``control-plane``, pods, addresses)
placed in the VPC."""

from __future__ import annotations

from ekstwin.engines.vpc.endpoints import AwsEndpoint, AwsEndpointKind, Placement
from ekstwin.engines.vpc.model import INTERNET_ADDRESS, VpcModel, VpcQueryError
from ekstwin.model.k8s import Pod

#: The prefixes of the AWS endpoint forms of ``net can`` / ``net path``.
AWS_SPEC_PREFIXES = ("rds:", "cache:", "efs:", "eni:", "vpce:", "alb:")
AWS_SPEC_WORDS = ("s3", "internet", "control-plane")


def is_aws_spec(spec: str) -> bool:
    low = spec.strip().lower()
    return low in AWS_SPEC_WORDS or low.startswith(AWS_SPEC_PREFIXES)


def place_pod(ctx: VpcModel, pod: Pod) -> AwsEndpoint:
    """Where a pod's traffic enters the VPC (see :meth:`VpcModel.place_pod`)."""
    return ctx.place_pod(pod)


def place(ctx: VpcModel, spec: str) -> AwsEndpoint:
    """The first of :func:`candidates` (the one a single verdict is given for)."""
    return candidates(ctx, spec)[0]


def candidates(ctx: VpcModel, spec: str) -> tuple[AwsEndpoint, ...]:
    """Every ENI an endpoint spec may use: one for most, each of an ALB's or the
    control plane's ENIs (any of them may open the connection)."""
    text = spec.strip()
    low = text.lower()
    aws = ctx.aws
    if low == "internet":
        return (ctx.address_endpoint(INTERNET_ADDRESS, "internet"),)
    if low == "s3":
        pl = ctx.s3_prefix_list()
        return (
            AwsEndpoint(
                AwsEndpointKind.S3, "s3", None, None, (), Placement.OUTSIDE, has_groups=False,
                prefix_list_id=pl, ports=(443,),
                evidence=(f"Amazon S3 (prefix list {pl or 'unknown'})",),
            ),
        )  # fmt: skip
    if low == "control-plane":
        return _control_plane(ctx)
    kind, _, ident = text.partition(":")
    kind = kind.lower()
    if kind == "rds":
        db = next(
            (d for d in aws.db_instances if ident in (d.db_instance_id, d.db_cluster_id)), None
        )
        if db is None:
            raise VpcQueryError(f"no RDS DB instance {ident!r} in the input")
        iface = db.interfaces[0] if db.interfaces else None
        subnet = (
            iface.subnet_id if iface else (db.subnet_ids[0] if len(db.subnet_ids) == 1 else None)
        )
        return (
            ctx.interface_endpoint(
                AwsEndpointKind.RDS, f"rds:{db.db_instance_id}", iface.eni_id if iface else None,
                subnet, iface.address if iface else None, db.security_group_ids or None,
                (db.port,), db.source, f"RDS {db.engine} {db.db_instance_id} on port {db.port}",
            ),
        )  # fmt: skip
    if kind == "cache":
        cc = next((c for c in aws.cache_clusters if c.cache_cluster_id == ident), None)
        if cc is None:
            raise VpcQueryError(f"no ElastiCache cluster {ident!r} in the input")
        iface = cc.interfaces[0] if cc.interfaces else None
        return (
            ctx.interface_endpoint(
                AwsEndpointKind.CACHE, f"cache:{cc.cache_cluster_id}",
                iface.eni_id if iface else None, iface.subnet_id if iface else None,
                iface.address if iface else None, cc.security_group_ids or None, (cc.port,),
                cc.source, f"ElastiCache {cc.engine} {cc.cache_cluster_id} on port {cc.port}",
            ),
        )  # fmt: skip
    if kind == "efs":
        targets = [
            m for m in aws.efs_mount_targets if ident in (m.mount_target_id, m.file_system_id)
        ]
        if not targets:
            raise VpcQueryError(f"no EFS mount target {ident!r} in the input")
        return tuple(
            ctx.interface_endpoint(
                AwsEndpointKind.EFS, f"efs:{m.mount_target_id}", m.eni_id, m.subnet_id, m.address,
                m.security_group_ids or None, (2049,), m.source,
                f"EFS mount target {m.mount_target_id} of {m.file_system_id}",
            )
            for m in targets
        )  # fmt: skip
    if kind == "vpce":
        e = next((v for v in aws.vpc_endpoints if v.vpc_endpoint_id == ident), None)
        if e is None:
            raise VpcQueryError(f"no VPC endpoint {ident!r} in the input")
        if e.endpoint_type.value == "Gateway":
            return candidates(ctx, "s3") if e.service == "s3" else (
                AwsEndpoint(
                    AwsEndpointKind.VPCE, f"vpce:{ident}", None, None, (), Placement.OUTSIDE,
                    has_groups=False, prefix_list_id=None, ports=(443,),
                    evidence=(f"gateway endpoint for {e.service_name}",), source=e.source,
                ),
            )  # fmt: skip
        ifaces = e.interfaces or ()
        iface = ifaces[0] if ifaces else None
        return (
            ctx.interface_endpoint(
                AwsEndpointKind.VPCE, f"vpce:{ident}", iface.eni_id if iface else None,
                iface.subnet_id if iface else (e.subnet_ids[0] if len(e.subnet_ids) == 1 else None),
                iface.address if iface else None, e.security_group_ids or None, (443,), e.source,
                f"interface endpoint for {e.service_name}",
            ),
        )  # fmt: skip
    if kind == "eni":
        held = ctx.eni_by_id.get(ident)
        if held is None:
            raise VpcQueryError(f"no network interface {ident!r} in the input")
        eni, inst = held
        if inst is not None and eni.device_index == 0:
            node = inst.node_name or inst.private_dns_name
            if node:
                return (ctx.node_endpoint(node, label=f"eni:{ident}"),)
        return (
            ctx.interface_endpoint(
                AwsEndpointKind.ENI, f"eni:{ident}", eni.eni_id, eni.subnet_id, eni.primary_ip,
                eni.security_group_ids or None, (), eni.source, eni.description or "",
            ),
        )  # fmt: skip
    if kind == "alb":
        return _alb(ctx, ident)
    parts = text.split("/")
    if len(parts) == 2 and parts[0] == "node":
        if parts[1] not in ctx.nodes and ctx.aws.instance_for_node(parts[1]) is None:
            raise VpcQueryError(f"no node {parts[1]!r} in the input")
        return (ctx.node_endpoint(parts[1]),)
    if len(parts) == 2:
        pod = ctx.platform.pod(parts[0], parts[1])
        if pod is not None:
            return (ctx.place_pod(pod),)
    if len(parts) in (2, 3):
        pod, note = ctx.platform.workload_pod(text)
        if pod is None:
            raise VpcQueryError(note)
        return (ctx.place_pod(pod),)
    return (ctx.address_endpoint(text),)


def _alb(ctx: VpcModel, name: str) -> tuple[AwsEndpoint, ...]:
    lb = next((x for x in ctx.aws.load_balancers if name in (x.name, x.arn, x.dns_name)), None)
    if lb is None:
        raise VpcQueryError(f"no load balancer {name!r} in the input")
    prefix = f"ELB {'app' if lb.type.value == 'application' else 'net'}/{lb.name}/"
    enis = sorted(
        (e for e in ctx.aws.network_interfaces if (e.description or "").startswith(prefix)),
        key=lambda e: (e.subnet_id or "", e.eni_id),
    )
    groups = lb.security_groups or None
    why = f"load balancer {lb.name} ({lb.scheme.value})"
    if enis:
        return tuple(
            ctx.interface_endpoint(
                AwsEndpointKind.ALB, f"alb:{lb.name}", e.eni_id, e.subnet_id, e.primary_ip,
                e.security_group_ids or groups, (), lb.source, f"{why}: node {e.eni_id}",
            )
            for e in enis
        )  # fmt: skip
    return tuple(
        ctx.interface_endpoint(
            AwsEndpointKind.ALB, f"alb:{lb.name}", None, s, None, groups, (), lb.source,
            f"{why}: a node in {s} (its address is not in the input)",
        )
        for s in (lb.subnet_ids or (None,))
    )  # fmt: skip


def _control_plane(ctx: VpcModel) -> tuple[AwsEndpoint, ...]:
    cluster = ctx.cluster
    if cluster is None:
        raise VpcQueryError("no EKS cluster in the input: the control plane is unknown")
    wanted = f"Amazon EKS {cluster.name}"
    groups = tuple(
        dict.fromkeys(
            g for g in (cluster.cluster_security_group_id, *cluster.security_group_ids) if g
        )
    )
    enis = sorted(
        (e for e in ctx.aws.network_interfaces if (e.description or "") == wanted),
        key=lambda e: (e.subnet_id or "", e.eni_id),
    )
    if enis:
        return tuple(
            ctx.interface_endpoint(
                AwsEndpointKind.CONTROL_PLANE, "control-plane", e.eni_id, e.subnet_id,
                e.primary_ip, e.security_group_ids or groups or None, (), cluster.source,
                f"EKS control plane ENI {e.eni_id} ({wanted})",
            )
            for e in enis
        )  # fmt: skip
    return tuple(
        ctx.interface_endpoint(
            AwsEndpointKind.CONTROL_PLANE, "control-plane", None, s, None, groups or None, (),
            cluster.source,
            f"EKS control plane: an ENI in cluster subnet {s} (not in the input; any cluster "
            "subnet may hold one)",
        )
        for s in (cluster.subnet_ids or (None,))
    )  # fmt: skip

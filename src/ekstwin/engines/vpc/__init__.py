"""vpc: the AWS layers of a flow (security groups, network ACLs, routes) and
where pods, nodes and AWS services sit in the VPC.

Public API::

    ctx = VpcModel.build(platform)              # compile once (ctx.models(p).vpc)
    src = place(ctx, "shop/web")                # -> AwsEndpoint
    dst = place(ctx, "rds:orders")
    aws_layers(ctx, src, dst, "TCP", 5432)      # -> tuple[LayerVerdict, ...]

See docs/net.md (the AWS layer) for the semantics and every choice made.
"""

from __future__ import annotations

from ekstwin.engines.vpc.endpoints import AwsEndpoint, AwsEndpointKind, Placement
from ekstwin.engines.vpc.layers import (
    AWS_LAYERS,
    PATH_ORDER,
    Layer,
    LayerVerdict,
    first_drop,
    overall,
)
from ekstwin.engines.vpc.model import NOT_JUDGED, VpcModel, VpcQueryError
from ekstwin.engines.vpc.place import candidates, is_aws_spec, place, place_pod

__all__ = [
    "AWS_LAYERS",
    "NOT_JUDGED",
    "PATH_ORDER",
    "AwsEndpoint",
    "AwsEndpointKind",
    "Layer",
    "LayerVerdict",
    "Placement",
    "VpcModel",
    "VpcQueryError",
    "aws_layers",
    "candidates",
    "first_drop",
    "is_aws_spec",
    "overall",
    "place",
    "place_pod",
]


def aws_layers(
    ctx: VpcModel, src: AwsEndpoint, dst: AwsEndpoint, protocol: str, port: int
) -> tuple[LayerVerdict, ...]:
    """The AWS layers of one flow in path order: security-group-egress,
    nacl-outbound, route, nacl-inbound, security-group-ingress, nacl-return."""
    return ctx.aws_layers(src, dst, protocol, port)

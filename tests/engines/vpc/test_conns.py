"""The AWS layers over every port at once, and the cluster matrix with the AWS
layer, checked against a pod-by-pod computation."""

from __future__ import annotations

from dataclasses import replace

import pytest

from ekstwin.engines.net import ConnectionSet, Granularity, NetModel, matrix
from ekstwin.engines.vpc import VpcModel, place
from ekstwin.engines.vpc.conns import AwsConnections, cluster_matrix, rule_connections
from ekstwin.model.platform import Platform

from .world import ACLS, GROUPS, entry, pod, rule, sg, world


def test_rule_connections_cover_ports_icmp_types_and_all() -> None:
    assert str(rule_connections("6", 5432, 5432)) == "TCP:5432"
    assert str(rule_connections("17", None, None)) == "UDP"
    assert rule_connections("-1", None, None).is_all
    assert str(rule_connections("1", 8, -1)) == "ICMP:2048-2303"
    assert str(rule_connections("1", 3, 4)) == "ICMP:772"
    assert rule_connections("50", None, None).is_empty  # ESP: not modelled by the net engine


def test_a_pair_of_classes_gets_the_ports_every_layer_passes() -> None:
    db = sg("sg-db", 120, ingress=(rule(121, "6", 5400, 5500, group_id="sg-node"),))
    acl_db = replace(ACLS[1], entries=(
        entry(90, False, "deny", "6", "198.18.0.0/16", 5450, 5450),
        entry(100, False, "allow", "6", "198.18.0.0/16", 5000, 6000),
        entry(100, True, "allow", "6", "198.18.0.0/16", 32768, 60999),
    ))  # fmt: skip
    ctx = VpcModel.build(world(security_groups=(*GROUPS[:2], db, GROUPS[3]),
                               network_acls=(ACLS[0], acl_db)))  # fmt: skip
    allowed, unknown = AwsConnections(ctx).pair(place(ctx, "shop/web-0"), place(ctx, "rds:db1"))
    assert str(allowed) == "TCP:5400-5449,5451-5500"
    assert unknown.is_empty


def test_an_unknown_group_leaves_its_ports_unknown() -> None:
    pods = (pod("shop/web-9", "n9", "198.18.2.99"), pod("shop/api-0", "n2", "198.18.2.20"))
    ctx = VpcModel.build(world(pods=pods))
    allowed, unknown = AwsConnections(ctx).pair(place(ctx, "shop/web-9"), place(ctx, "shop/api-0"))
    assert allowed.is_empty
    assert unknown.is_all


def _naive(
    platform: Platform, by: Granularity
) -> tuple[dict[tuple[str, str], str], dict[tuple[str, str], str]]:
    model = NetModel(platform)
    ctx = VpcModel.build(platform)
    aws = AwsConnections(ctx)
    pods = {p.key: p for p in platform.pods}
    allowed: dict[tuple[str, str], ConnectionSet] = {}
    unknown: dict[tuple[str, str], ConnectionSet] = {}
    for f in matrix(model, Granularity.POD):
        a, u = aws.pair(ctx.place_pod(pods[f.source]), ctx.place_pod(pods[f.destination]))
        key = (_group(model, f.source, by), _group(model, f.destination, by))
        for cells, part in ((allowed, a), (unknown, u)):
            got = f.allow & part
            if got:
                cells[key] = cells.get(key, ConnectionSet.none()) | got
    for key in list(unknown):
        rest = unknown[key] - allowed.get(key, ConnectionSet.none())
        if rest:
            unknown[key] = rest
        else:
            del unknown[key]
    return ({k: str(v) for k, v in allowed.items()}, {k: str(v) for k, v in unknown.items()})


def _group(model: NetModel, name: str, by: Granularity) -> str:
    from ekstwin.engines.net.matrix import group_of

    return group_of(model.endpoints[name], by)


@pytest.mark.parametrize("by", [Granularity.WORKLOAD, Granularity.NAMESPACE])
@pytest.mark.parametrize(
    "env", [{}, {"ENABLE_POD_ENI": "true"},
            {"ENABLE_POD_ENI": "true", "POD_SECURITY_GROUP_ENFORCING_MODE": "standard"}],
)  # fmt: skip
def test_the_cluster_matrix_with_the_aws_layer_is_the_pod_by_pod_union(
    by: Granularity, env: dict[str, str]
) -> None:
    no_self = tuple(
        replace(g, ingress=g.ingress[1:]) if g.group_id == "sg-node" else g for g in GROUPS
    )
    pods = (
        pod("shop/web-0", "n1", "198.18.1.20", {"app": "web"}),
        pod("shop/web-1", "n1", "198.18.1.21", {"app": "web"}),
        pod("shop/api-0", "n2", "198.18.2.20", {"app": "api"}),
        pod("pay/payments-0", "n2", "198.18.2.30", {"app": "payments"}),
        pod("pay/payments-1", "n1", "198.18.1.31", {"app": "payments"}),
        pod("ops/lost-0", "n9", "198.18.2.99", {"app": "lost"}),
    )
    for groups in (GROUPS, no_self):
        p = world(env, pods=pods, security_groups=groups)
        got = cluster_matrix(VpcModel.build(p), NetModel(p), by)
        want_allowed, want_unknown = _naive(p, by)
        assert {(f.source, f.destination): str(f.allow) for f in got.allowed} == want_allowed
        assert {(f.source, f.destination): str(f.allow) for f in got.unknown} == want_unknown

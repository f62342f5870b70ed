"""service_flows with a filter asked per VPC class gives the flows that judging
every flow and filtering afterwards gives, in the same order (VPC003 and VPC005
ask AWS first and the policies only for what they keep)."""

from __future__ import annotations

import dataclasses
from typing import Any

from hypothesis import HealthCheck, given, settings

from ekstwin.engines.checks import CheckContext
from ekstwin.engines.vpc.endpoints import AwsEndpoint, Placement
from ekstwin.engines.vpc.flows import AwsFilter, service_flows
from ekstwin.engines.vpc.matrix import aws_destinations
from ekstwin.engines.vpc.model import INTERNET_ADDRESS, VpcModel
from ekstwin.loaders import load
from ekstwin.model.platform import Platform
from tests.lab.aws_platforms import APPS, NAMESPACES, aws_specs, build_platform

_SERVICES = "\n---\n".join(
    f"""apiVersion: v1
kind: Service
metadata: {{name: {app}, namespace: {ns}}}
spec:
  selector: {{app: {app}}}
  ports:
  - {{name: http, port: 8080, targetPort: 80}}
  - {{name: dns, port: 53, protocol: UDP}}"""
    for ns in NAMESPACES
    for app in APPS
)


def _with_services(platform: Platform) -> Platform:
    loaded = load(["-"], stdin_text=lambda: _SERVICES, implied=False).platform
    return dataclasses.replace(platform, services=loaded.services)


def _filters(vm: VpcModel) -> dict[str, AwsFilter]:
    def denied(src: AwsEndpoint, dst: AwsEndpoint, proto: str, port: int) -> bool:
        return vm.aws_allowed(src, dst, proto, port) is False

    def between_nodes(src: AwsEndpoint, dst: AwsEndpoint, proto: str, port: int) -> bool:
        node = (Placement.NODE_ENI, Placement.CUSTOM_NETWORKING)
        return (
            src.placement in node
            and dst.placement in node
            and vm.same_node(src, dst) is None
            and denied(src, dst, proto, port)
        )

    return {"denied": denied, "between nodes": between_nodes, "all": lambda *_: True}


def _names(flows: Any) -> list[tuple[str, str, str, int, str]]:
    return [(f.src.name, f.dst.name, f.protocol, f.port, f.what) for f in flows]


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=aws_specs(modes=("strict", "standard")))
def test_a_filter_asked_per_class_keeps_what_filtering_every_flow_keeps(
    spec: dict[str, Any],
) -> None:
    platform = _with_services(build_platform(spec))
    ctx = CheckContext()
    vm = ctx.models(platform).vpc
    every = list(service_flows(platform, ctx))
    assert every, "the case calls no Service"  # the test would compare nothing
    for name, keep in _filters(vm).items():
        want = [f for f in every if keep(f.src, f.dst, f.protocol, f.port)]
        assert _names(service_flows(platform, ctx, keep)) == _names(want), name


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=aws_specs(modes=("strict", "standard")))
def test_groups_of_one_aws_key_get_one_aws_verdict_off_their_node(spec: dict[str, Any]) -> None:
    """What the vpc checks rely on to ask AWS once per bucket of pod groups."""
    platform = _with_services(build_platform(spec))
    ctx = CheckContext()
    models = ctx.models(platform)
    vm = models.vpc
    internet = vm.address_endpoint(INTERNET_ADDRESS, "internet")
    targets = [(internet, 443), *((d, p) for d in aws_destinations(vm) for p in d.ports)]
    pods = [vm.place_pod(p) for p in platform.pods if not p.spec.host_network]
    buckets: dict[tuple[object, ...], list[AwsEndpoint]] = {}
    for g in models.pod_groups:
        buckets.setdefault(g.aws_key, []).extend(vm.place_pod(m) for m in g.members)
    for members in buckets.values():
        for dst, port in targets:
            assert len({vm.aws_allowed(m, dst, "TCP", port) for m in members}) == 1
        for dst in pods:
            off = [m for m in members if m.node != dst.node]
            assert len({vm.aws_allowed(m, dst, "TCP", 80) for m in off}) <= 1

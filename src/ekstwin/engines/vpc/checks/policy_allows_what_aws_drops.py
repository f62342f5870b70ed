"""VPC004."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from ekstwin.engines.checks import Check, CheckContext
from ekstwin.engines.net.engine import Reason
from ekstwin.engines.vpc.endpoints import AwsEndpoint
from ekstwin.engines.vpc.layers import AWS_LAYERS, Layer, LayerVerdict, first_drop
from ekstwin.engines.vpc.matrix import aws_destinations
from ekstwin.engines.vpc.whole import net_endpoint, whole_path
from ekstwin.findings import Confidence, Finding, Severity
from ekstwin.model.k8s import Pod
from ekstwin.model.platform import Platform
from ekstwin.model.source import ObjectRef

#: The layers judged here: the forward path. A reply the ACLs drop is VPC005's.
_FORWARD = frozenset(AWS_LAYERS) - {Layer.NACL_RETURN}

#: Egress decisions that come from the pod's own policies: a rule that allows,
#: or policies that pass the flow on to the profile. A pod no policy selects is
#: open by default, and its policies say nothing about the flow.
_POLICY_ALLOWS = frozenset({Reason.RULE, Reason.PASSED})


@dataclass(frozen=True, slots=True)
class _Blocked:
    pod: Pod
    destination: AwsEndpoint
    port: int
    egress: str
    drop: LayerVerdict


class PolicyAllowsWhatAwsDrops(Check):
    """
    ## What it does
    For every workload whose egress policies allow a connection to an AWS
    network interface of the input (an RDS or Aurora instance, an ElastiCache
    cluster, an EFS mount target, an interface VPC endpoint) on its listener
    port, judges the AWS layers of the path: the security groups of the ENI
    that carries the pod's address (its node's, or its own branch ENI with
    security groups for pods), the network ACLs, the route and the
    destination's security groups. Reports the flows that a policy lets out
    and AWS drops on the way there (replies that a network ACL drops are
    VPC005's).

    ## Why is this bad?
    The NetworkPolicy says the connection is intended; the security groups
    say otherwise. The application times out connecting to its database, and
    the policy misleads whoever reads it. Typical cause: a pod moved to its own
    security group (SecurityGroupPolicy) while the database's group still
    admits only the node group.

    ## Example
    `payments-api` uses the pod security group `payments-api-pods`; its
    NetworkPolicy allows `198.18.17.20:5432`; the database's group admits
    5432 from the node group only.

    ## Fix
    Admit the port from the group the pod's traffic carries (the pod security
    group or the node group) in the destination's security group, or fix the
    layer named; if the flow is not intended, remove it from the policy.

    ## References
    - Amazon EKS User Guide: Security groups for pods
    - Amazon VPC User Guide: Security group rules; Network ACLs
    """

    id = "VPC004"
    slug = "policy-allows-what-aws-drops"
    title = "A network policy allows a connection to an AWS service that AWS drops"
    severity = Severity.MEDIUM
    confidence = Confidence.MEDIUM

    def run(self, platform: Platform, ctx: CheckContext) -> Iterator[Finding]:
        models = ctx.models(platform)
        vpc, net = models.vpc, models.net
        if not vpc.has_vpc_data:
            return
        destinations = [
            (d, net_endpoint(net, d)) for d in aws_destinations(vpc) if d.address is not None
        ]
        if not destinations:
            return
        seen: set[tuple[object, ...]] = set()
        blocked: dict[tuple[str, str, int], list[_Blocked]] = {}
        for pod in sorted(platform.pods, key=lambda p: p.key):
            ep = net.endpoints.get(pod.key)
            if ep is None or pod.spec.host_network:
                continue
            src = vpc.place_pod(pod)
            src_class = vpc.class_key(src)
            for dst, net_dst in destinations:
                for port in dst.ports:
                    key = (pod.workload_key, src_class, dst.name, port)
                    if key in seen:
                        continue
                    seen.add(key)
                    if vpc.aws_allowed(src, dst, "TCP", port) is not False:
                        continue  # no AWS layer denies it (the unworded verdict, per class)
                    v = net.verdict(ep, net_dst, "TCP", port)
                    if not v.egress.allowed or v.egress.reason not in _POLICY_ALLOWS:
                        continue
                    layers = whole_path(vpc, v, None, src, dst).layers
                    drop = first_drop(tuple(la for la in layers if la.layer in _FORWARD))
                    if drop is None:
                        continue
                    blocked.setdefault((pod.workload_key, dst.name, port), []).append(
                        _Blocked(pod, dst, port, v.egress.message, drop)
                    )
        for (workload, destination, port), cases in sorted(blocked.items()):
            yield self._finding(workload, destination, port, cases)

    def _finding(
        self, workload: str, destination: str, port: int, cases: list[_Blocked]
    ) -> Finding:
        first = cases[0]
        drop = first.drop
        where = f" ({drop.source.file}:{drop.source.line})" if drop.source else ""
        evidence = [
            f"egress policy of {first.pod.key}: {first.egress}",
            f"{first.pod.key} -> {destination} TCP/{port}: {drop.layer.value}: "
            f"{drop.decided_by}{where}",
        ]
        if len(cases) > 1:
            others = ", ".join(c.pod.key for c in cases[1:4])
            evidence.append(f"also for pods placed otherwise: {others}")
        ns, _, name = workload.rpartition("/")
        return self.finding(
            ObjectRef("Workload", name, ns or None),
            f"{workload} may connect to {destination} on TCP {port} by its network policies, "
            f"but AWS drops it at {drop.layer.value}",
            drop.source or first.pod.meta.source,
            evidence=evidence,
            fix=f"fix {drop.layer.value} for the group or subnet the pod's traffic carries "
            f"(TCP {port} to {destination}), or take the flow out of the policy if it is not "
            "intended",
            key=f"{workload}->{destination}:{port}",
        )

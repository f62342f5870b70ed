"""STO005."""

from __future__ import annotations

import math
from collections.abc import Iterator

from ekstwin.engines.checks import Check, CheckContext
from ekstwin.engines.storage.model import allowed_zones, class_for
from ekstwin.engines.storage.plan import storage_plan
from ekstwin.findings import Confidence, Finding, Severity
from ekstwin.model.platform import Platform
from ekstwin.model.source import ObjectRef


class StatefulSetCannotSpread(Check):
    """
    ## What it does
    Finds StatefulSets whose replicas cannot spread over Availability Zones:
    all eligible nodes (by `nodeSelector`, with the node groups' labels) and
    the classes' `allowedTopologies` leave one AZ for two or more replicas,
    or, with three or more replicas, so few AZs that one AZ holds a majority
    of them.

    ## Why is this bad?
    EBS volumes stay in their AZ. When that AZ goes down, its replicas cannot
    be rescheduled anywhere else, and a StatefulSet whose majority was there
    loses quorum (Kafka, etcd, ZooKeeper, Redis Sentinel, Postgres with
    synchronous replicas).

    ## Example
    Three Kafka brokers with `nodeSelector: {pool: compute}` where the
    compute node group has subnets in two AZs.

    ## Fix
    Give the node group (or the nodes the selector picks) a subnet in a third
    AZ, relax the selector, and add a `topologySpreadConstraints` on
    `topology.kubernetes.io/zone`.

    ## References
    - Kubernetes documentation: Pod Topology Spread Constraints
    - Amazon EKS Best Practices Guide: Reliability, "Spread nodes and workloads across AZs"
    """

    id = "STO005"
    slug = "statefulset-cannot-spread"
    title = "StatefulSet replicas cannot spread over Availability Zones"
    severity = Severity.MEDIUM
    confidence = Confidence.MEDIUM

    def run(self, platform: Platform, ctx: CheckContext) -> Iterator[Finding]:
        for s in storage_plan(platform).statefulsets:
            if not any(v.basis.value != "regional" for r in s.replica_plans for v in r.volumes):
                continue  # no zonal volume: replicas can move
            workload = next(
                w for w in platform.workloads if w.meta.name == s.name and w.meta.ns == s.namespace
            )
            usable = set(s.eligible_zones)
            for t in workload.volume_claim_templates:
                permitted = allowed_zones(class_for(platform, t.storage_class_name))
                if permitted is not None:
                    usable &= permitted
            eligible = sorted(usable)
            zones = len(eligible)
            if zones == 0 or s.replicas < 2:
                continue
            busiest = math.ceil(s.replicas / zones)
            if zones == 1:
                message = (
                    f"StatefulSet {s.namespace}/{s.name}: all {s.replicas} replicas can only run "
                    f"in {eligible[0]}"
                )
                severity = Severity.HIGH
            elif s.replicas >= 3 and busiest >= s.quorum:
                message = (
                    f"StatefulSet {s.namespace}/{s.name}: {s.replicas} replicas over "
                    f"{zones} AZs put {busiest} in one AZ, a majority; losing it loses quorum"
                )
                severity = Severity.MEDIUM
            else:
                continue
            selector = ", ".join(f"{k}={v}" for k, v in sorted(s.node_selector.items()))
            yield self.finding(
                ObjectRef("StatefulSet", s.name, s.namespace),
                message,
                workload.meta.source,
                evidence=[
                    f"zones with eligible nodes: {', '.join(s.eligible_zones)}"
                    + (f" (nodeSelector {selector})" if selector else ""),
                    f"of those, the classes' allowedTopologies permit: {', '.join(eligible)}",
                    f"replicas {s.replicas}, majority {s.quorum}",
                ],
                fix="make nodes eligible in at least three AZs and spread the replicas over "
                "topology.kubernetes.io/zone",
                severity=severity,
            )

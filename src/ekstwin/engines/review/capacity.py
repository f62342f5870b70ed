"""Capacity and storage: subnets that run out of pod addresses sooner, and
StatefulSets whose volumes lose their spread over availability zones."""

from __future__ import annotations

from ekstwin.engines.ipam.plan import Scenario, SubnetPlan
from ekstwin.engines.ipam.plan import plan as ip_plan
from ekstwin.engines.review.model import Area, Change, ChangeKind
from ekstwin.engines.storage import StatefulSetPlan, storage_plan
from ekstwin.model.platform import Platform

#: A subnet's free addresses must move by this share of its usable addresses (or it
#: must start or stop being exhausted) to be worth a reviewer's line: every added
#: pod takes one address, which is no news.
SUBNET_SHARE = 0.05


def _at_max_size(platform: Platform) -> dict[str, SubnetPlan]:
    """The address plan with every node group of the cluster at its maximum size:
    where the VPC CNI's settings (warm pools, prefixes, max pods) show."""
    cluster = platform.eks_cluster()
    groups = cluster.node_groups if cluster is not None else ()
    scenario = Scenario(scale={g.name: g.scaling.max for g in groups})
    return {s.subnet_id: s for s in ip_plan(platform, scenario).subnets}


def capacity_changes(base: Platform, head: Platform) -> list[Change]:
    """Subnets of the account (aws.json) whose free addresses, with every node group
    at its maximum size, drop or rise by at least :data:`SUBNET_SHARE` of their size,
    or that start or stop running out. Nothing is compared when neither side
    describes subnets."""
    if not base.aws.subnets and not head.aws.subnets:
        return []
    old, new = _at_max_size(base), _at_max_size(head)
    out: list[Change] = []
    for subnet_id in sorted(set(old) & set(new)):
        a, b = old[subnet_id], new[subnet_id]
        delta = b.after.free - a.after.free
        flipped = a.exhausted != b.exhausted
        if not flipped and abs(delta) < max(1.0, SUBNET_SHARE * max(a.usable, 1)):
            continue
        kind = ChangeKind.NARROWED if delta < 0 else ChangeKind.WIDENED
        subject = f"subnet {subnet_id} ({b.cidr}, {b.zone})"
        state = f"; runs out at {b.runs_out_at}" if b.exhausted and b.runs_out_at else ""
        out.append(
            Change(
                Area.CAPACITY,
                kind,
                subject,
                f"{subject} at the node groups' maximum size: {a.after.free} -> "
                f"{b.after.free} free of {b.usable}{state}",
                tuple(
                    f"{label}: {u.pods} pods, {u.warm} warm, {u.eni_primaries} ENI primaries "
                    f"on {u.nodes} nodes"
                    for label, u in (("after", b.after), ("before", a.after))
                ),
            )
        )
    return out


def _spread(platform: Platform) -> dict[str, tuple[tuple[str, ...], tuple[str, ...]]]:
    """Per StatefulSet: the zones its replicas' volumes are in, and the zones whose
    loss takes its quorum."""
    now = storage_plan(platform)
    fragile: dict[str, list[str]] = {}
    for zone in now.zones:
        for s in storage_plan(platform, lose_az=zone).statefulsets:
            if s.loses_quorum:
                fragile.setdefault(_key(s), []).append(zone)
    out = {}
    for s in now.statefulsets:
        zones = sorted({z for r in s.replica_plans for v in r.volumes for z in v.zones})
        out[_key(s)] = (tuple(zones), tuple(fragile.get(_key(s), ())))
    return out


def _key(s: StatefulSetPlan) -> str:
    return f"{s.namespace}/{s.name}"


def storage_changes(base: Platform, head: Platform) -> list[Change]:
    """StatefulSets (on both sides) whose volumes span fewer or more zones, or for
    which the loss of a zone newly breaks (or no longer breaks) quorum, as
    ``storage plan --lose-az`` sees it."""
    old, new = _spread(base), _spread(head)
    out: list[Change] = []
    for key in sorted(set(old) & set(new)):
        (zones_a, fragile_a), (zones_b, fragile_b) = old[key], new[key]
        if (zones_a, fragile_a) == (zones_b, fragile_b):
            continue
        worse = set(fragile_b) - set(fragile_a) or len(zones_b) < len(zones_a)
        kind = ChangeKind.NARROWED if worse else ChangeKind.WIDENED
        parts = []
        if zones_a != zones_b:
            parts.append(
                f"volumes in {', '.join(zones_a) or 'no known zone'} -> "
                f"{', '.join(zones_b) or 'no known zone'}"
            )
        if fragile_a != fragile_b:
            parts.append(
                f"losing {', '.join(fragile_b) or 'no single zone'} breaks quorum "
                f"(was {', '.join(fragile_a) or 'none'})"
            )
        out.append(
            Change(
                Area.STORAGE,
                kind,
                f"StatefulSet {key}",
                f"StatefulSet {key}: " + "; ".join(parts),
                namespace=key.partition("/")[0],
            )
        )
    return out

"""ipamd's warm pool: how many addresses a node holds for N pods.

The model replays what ipamd's pool manager does while pods arrive one at a
time and the pool settles after each (``pkg/ipamd/ipamd.go`` of
aws/amazon-vpc-cni-k8s: ``isDatastorePoolTooLow``, ``datastoreTargetState``,
``tryAssignIPs`` / ``tryAssignPrefixes``, ``getPrefixesNeeded``,
``GetENIResourcesToAllocate``, ``hasRoomForEni``):

* ``S`` slots per ENI = IPv4 addresses per ENI - 1; a slot holds one IP, or a
  /28 prefix of 16 with prefix delegation (nitro or bare-metal types only).
* The pool is never "too low" once it holds as many IPs as the node's kubelet
  max pods: growth stops there.
* WARM_IP_TARGET or MINIMUM_IP_TARGET set: short = max(WARM_IP - available,
  MINIMUM_IP - total); they override WARM_ENI_TARGET, and WARM_PREFIX_TARGET
  with prefix delegation (shortness is then counted in prefixes, rounded up).
  MINIMUM_IP_TARGET alone stops growing at the minimum: the next pod fails.
* Otherwise, secondary IPs: low when available < S x WARM_ENI_TARGET (or
  WARM_ENI_TARGET = 0 and nothing is available); prefix delegation: low when
  available < 16 x WARM_PREFIX_TARGET (or the target is 0 and nothing is
  available).
* Growth fills the existing ENIs first (S IPs at a time, ``short`` IPs in
  IP-target mode, the prefixes needed with delegation); only when no ENI has
  room is one new ENI attached, with the same amount.
* Custom networking never puts pod addresses on the primary ENI; security
  groups for pods keep one ENI for the trunk (on trunk-compatible types:
  the VPC resource controller's IsTrunkingCompatible, as ipamd reads it).

Subnet addresses: every attached ENI's primary address comes out of its
subnet too (the primary ENI's and the trunk's from the node subnet; with
custom networking the other ENIs' from the ENIConfig subnet).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from ekstwin.engines.ipam.limits import IPS_PER_PREFIX, InstanceTypeLimits, max_pods
from ekstwin.model.aws import VpcCniSettings

__all__ = ["GrowthLimit", "WarmPool", "warm_pool"]


class GrowthLimit(StrEnum):
    """Why the pool stopped growing (``none`` when it is at its warm target)."""

    NONE = "none"
    MAX_PODS = "max-pods"  # the pool holds the kubelet max pods
    ENIS = "enis"  # every ENI the instance can attach is full
    MINIMUM_IP_TARGET = "minimum-ip-target"  # MINIMUM_IP_TARGET alone froze the pool


@dataclass(frozen=True, slots=True)
class WarmPool:
    """One node's pool after ``pods`` pods (that need a VPC address) arrived.

    ``slots_per_eni`` lists the IPs (or prefixes) on each ENI that carries pod
    addresses, in attachment order; ``enis`` counts every attached ENI
    (the primary and the trunk included).
    """

    pods: int
    pods_placed: int
    prefix_delegation: bool
    enis: int
    slots_per_eni: tuple[int, ...]
    ips: int
    unused_ips: int
    node_subnet_addresses: int
    pod_subnet_addresses: int
    growth_limit: GrowthLimit
    first_failed_pod: int | None = None

    @property
    def prefixes(self) -> int:
        return sum(self.slots_per_eni) if self.prefix_delegation else 0

    @property
    def subnet_addresses(self) -> int:
        return self.node_subnet_addresses + self.pod_subnet_addresses

    @property
    def pods_failed(self) -> int:
        return self.pods - self.pods_placed


@dataclass(slots=True)
class _Pool:
    slots: list[int]  # per attached ENI (index 0 = the primary)
    first_usable: int  # 1 with custom networking: the primary carries no pods
    per_slot: int
    assigned: int = 0

    @property
    def total(self) -> int:
        return sum(self.slots[self.first_usable :]) * self.per_slot

    @property
    def available(self) -> int:
        return self.total - self.assigned

    def free_prefixes(self) -> int:
        # pods fill prefixes in order: the untouched ones are free
        used = -(-self.assigned // IPS_PER_PREFIX)
        return max(sum(self.slots[self.first_usable :]) - used, 0)


def _ip_target_short(pool: _Pool, warm_ip: int, minimum_ip: int) -> int:
    """``datastoreTargetState``: IPs short (prefixes short with delegation)."""
    short = max(warm_ip - pool.available, 0, minimum_ip - pool.total)
    if pool.per_slot > 1:
        return -(-short // IPS_PER_PREFIX)
    return short


def warm_pool(
    limits: InstanceTypeLimits,
    settings: VpcCniSettings,
    pods: int,
    *,
    kubelet_max_pods: int | None = None,
) -> WarmPool:
    """The pool ipamd holds on one node of ``limits`` for ``pods`` pods that need an IP.

    ``kubelet_max_pods`` is the node's max pods (node capacity); by default the
    CNI formula for the instance type and settings.
    """
    prefix = settings.enable_prefix_delegation and limits.cni_prefix_delegation
    custom = settings.custom_network
    trunk = settings.enable_pod_eni and limits.reserves_trunk
    if kubelet_max_pods is None:
        kubelet_max_pods = max_pods(
            limits,
            prefix_delegation=settings.enable_prefix_delegation,
            custom_networking=custom,
            security_groups_for_pods=trunk,
            max_eni=settings.max_eni,
        ).max_pods
    eni_limit = limits.default_card_enis
    if settings.max_eni is not None:
        eni_limit = min(eni_limit, settings.max_eni)
    ip_enis = eni_limit - (1 if trunk else 0)  # ENIs that may carry addresses
    slots_max = limits.ips_per_eni - 1
    per_slot = IPS_PER_PREFIX if prefix else 1
    ip_targets = settings.ip_targets_defined
    warm_ip = settings.warm_ip_target or 0
    minimum_ip = settings.minimum_ip_target or 0
    warm_eni = settings.warm_eni_target
    warm_prefix = settings.warm_prefix_target or 0

    pool = _Pool([0], 1 if custom else 0, per_slot)
    limit = GrowthLimit.NONE

    def settle() -> GrowthLimit:
        while True:
            if pool.total >= kubelet_max_pods:
                return GrowthLimit.MAX_PODS
            if ip_targets:
                short = _ip_target_short(pool, warm_ip, minimum_ip)
                if short <= 0:
                    if warm_ip == 0 and pool.available == 0:
                        return GrowthLimit.MINIMUM_IP_TARGET
                    return GrowthLimit.NONE
                wanted = short
            elif prefix:
                if not (
                    pool.available < IPS_PER_PREFIX * warm_prefix
                    or (warm_prefix == 0 and pool.available == 0)
                ):
                    return GrowthLimit.NONE
                wanted = max(1, warm_prefix - pool.free_prefixes())
            else:
                if not (
                    pool.available < slots_max * warm_eni or (warm_eni == 0 and pool.available == 0)
                ):
                    return GrowthLimit.NONE
                wanted = slots_max
            if prefix:
                wanted = max(1, wanted)
            grown = False
            for i in range(pool.first_usable, len(pool.slots)):
                if pool.slots[i] < slots_max:
                    pool.slots[i] += min(slots_max - pool.slots[i], wanted)
                    grown = True
                    break
            if grown:
                continue
            if len(pool.slots) >= ip_enis:
                return GrowthLimit.ENIS
            pool.slots.append(min(wanted, slots_max))

    limit = settle()
    first_failed: int | None = None
    placed = 0
    for n in range(1, pods + 1):
        if pool.available > 0:
            pool.assigned += 1
            placed += 1
        elif first_failed is None:
            first_failed = n
        limit = settle()

    attached = len(pool.slots) + (1 if trunk else 0)
    pod_slots = tuple(pool.slots[pool.first_usable :])
    ips = pool.total
    eni_primaries = len(pool.slots)
    if custom:
        node_subnet = 1 + (1 if trunk else 0)
        pod_subnet = ips + (eni_primaries - 1)
    else:
        node_subnet = ips + eni_primaries + (1 if trunk else 0)
        pod_subnet = 0
    return WarmPool(
        pods=pods,
        pods_placed=placed,
        prefix_delegation=prefix,
        enis=attached,
        slots_per_eni=pod_slots,
        ips=ips,
        unused_ips=ips - pool.assigned,
        node_subnet_addresses=node_subnet,
        pod_subnet_addresses=pod_subnet,
        growth_limit=limit,
        first_failed_pod=first_failed,
    )

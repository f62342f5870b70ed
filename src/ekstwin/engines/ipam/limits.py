"""Instance-type network limits and the max-pods formulas.

The table ships as ``ekstwin/data/instance_types.json``: for every instance
type of the VPC CNI's ``misc/eni-max-pods.txt``, the facts that bound pods
(ENIs per network card, IPv4 addresses per ENI, the default network card,
hypervisor, bare metal), whether the VPC resource controller can attach a
trunk ENI (security groups for pods), and vCPUs. The file records where each
fact comes from and when; ``scripts/build_instance_types.py`` rebuilds it
from the CNI's and the resource controller's generated limits, and
``ekstwin ipam refresh-instance-types`` from EC2 DescribeInstanceTypes
(keeping the trunk facts, which EC2 does not publish).

Two max-pods figures, because the real platform has two:

* the VPC CNI's (``misc/eni-max-pods.txt``, ipamd): ``ENIs x (IPs per ENI - 1) + 2``
  with the ENIs of the default network card only; with prefix delegation each
  secondary slot holds a /28 (16 addresses), which ipamd allows on nitro *and*
  bare-metal types; custom networking leaves the primary ENI out; security
  groups for pods reserve one ENI for the trunk, but only on types ipamd
  deems trunk compatible (``IsTrunkingCompatible`` in ``pkg/awsutils``: the
  resource controller's flag, and true for a type its list lacks).
* the EKS AMI's ``max-pods-calculator.sh``: the same formula (it knows custom
  networking but not security groups for pods; prefix delegation only when the
  hypervisor is nitro), capped at 110 for up to 30 vCPUs and 250 above.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Any, Protocol

from ekstwin.errors import ConfigError

__all__ = [
    "CAP_HIGH_CPU",
    "CAP_LOW_CPU",
    "IPS_PER_PREFIX",
    "InstanceTypeLimits",
    "InstanceTypeTable",
    "MaxPods",
    "MaxPodsMode",
    "NetworkCard",
    "Ec2Client",
    "fetch_instance_types",
    "limits_from_ec2",
    "load_instance_types",
    "max_pods",
    "table_json",
    "with_trunk_facts",
]

IPS_PER_PREFIX = 16
CAP_LOW_CPU = 110
CAP_HIGH_CPU = 250
CAP_VCPU_THRESHOLD = 30  # the calculator: more than 30 vCPUs -> 250
TABLE_FORMAT = "ekstwin-instance-types"
TABLE_VERSION = 2


@dataclass(frozen=True, slots=True)
class NetworkCard:
    index: int
    max_enis: int


@dataclass(frozen=True, slots=True)
class InstanceTypeLimits:
    """The network limits of one instance type, as DescribeInstanceTypes gives them."""

    instance_type: str
    max_enis: int  # NetworkInfo.MaximumNetworkInterfaces: every card together
    ips_per_eni: int  # NetworkInfo.Ipv4AddressesPerInterface
    network_cards: tuple[NetworkCard, ...] = ()
    default_network_card: int = 0
    hypervisor: str | None = None  # "nitro", "xen", or None (bare metal)
    bare_metal: bool = False
    vcpus: int | None = None  # None: not known
    # the VPC resource controller's IsTrunkingCompatible; None: not in its list
    trunk_compatible: bool | None = None
    branch_enis: int | None = None  # branch ENIs (pods with security groups) per node

    @property
    def default_card_enis(self) -> int:
        """ENIs pods can use: the default network card's (the CNI's ENI limit)."""
        if len(self.network_cards) > 1:
            card = next(
                (c for c in self.network_cards if c.index == self.default_network_card), None
            )
            if card is not None:
                return card.max_enis
        return self.max_enis

    @property
    def nitro(self) -> bool:
        return self.hypervisor == "nitro"

    @property
    def cni_prefix_delegation(self) -> bool:
        """ipamd allows prefix delegation on nitro and on bare metal."""
        return self.nitro or self.bare_metal

    @property
    def calculator_prefix_delegation(self) -> bool:
        """The EKS AMI calculator counts prefixes only when the hypervisor is nitro."""
        return self.nitro

    @property
    def reserves_trunk(self) -> bool:
        """ipamd keeps an ENI for the trunk (``IsTrunkingCompatible`` in pkg/awsutils).

        ipamd asks the resource controller's limits it is built with; a type
        missing from them counts as compatible.
        """
        return self.trunk_compatible is not False

    @property
    def pod_cap(self) -> int | None:
        """The calculator's cap (110 or 250 by vCPUs); None when the vCPUs are unknown."""
        if self.vcpus is None:
            return None
        return CAP_HIGH_CPU if self.vcpus > CAP_VCPU_THRESHOLD else CAP_LOW_CPU

    def to_json(self) -> dict[str, object]:
        return {
            "max_enis": self.max_enis,
            "ips_per_eni": self.ips_per_eni,
            "network_cards": [[c.index, c.max_enis] for c in self.network_cards],
            "default_network_card": self.default_network_card,
            "hypervisor": self.hypervisor,
            "bare_metal": self.bare_metal,
            "trunk_compatible": self.trunk_compatible,
            "branch_enis": self.branch_enis,
            "vcpus": self.vcpus,
        }

    @classmethod
    def from_json(cls, name: str, data: Mapping[str, Any]) -> InstanceTypeLimits:
        return cls(
            instance_type=name,
            max_enis=int(data["max_enis"]),
            ips_per_eni=int(data["ips_per_eni"]),
            network_cards=tuple(NetworkCard(int(i), int(n)) for i, n in data["network_cards"]),
            default_network_card=int(data["default_network_card"]),
            hypervisor=data["hypervisor"] or None,
            bare_metal=bool(data["bare_metal"]),
            vcpus=_optional_int(data.get("vcpus")),
            trunk_compatible=_optional_bool(data.get("trunk_compatible")),
            branch_enis=_optional_int(data.get("branch_enis")),
        )


def _optional_int(value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"expected a whole number or null, got {value!r}")
    return value


def _optional_bool(value: object) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    raise TypeError(f"expected true, false or null, got {value!r}")


def limits_from_ec2(item: Mapping[str, Any]) -> InstanceTypeLimits | None:
    """One ``InstanceTypes[]`` item of EC2 DescribeInstanceTypes; None without IPv4 limits."""
    name = item.get("InstanceType")
    net = item.get("NetworkInfo")
    if not isinstance(name, str) or not isinstance(net, Mapping):
        return None
    enis = net.get("MaximumNetworkInterfaces")
    ips = net.get("Ipv4AddressesPerInterface")
    if not isinstance(enis, int) or not isinstance(ips, int):
        return None
    cards: list[NetworkCard] = []
    raw_cards = net.get("NetworkCards")
    for position, card in enumerate(raw_cards if isinstance(raw_cards, list) else []):
        if isinstance(card, Mapping) and isinstance(card.get("MaximumNetworkInterfaces"), int):
            index = card.get("NetworkCardIndex")
            cards.append(
                NetworkCard(
                    index if isinstance(index, int) else position,
                    card["MaximumNetworkInterfaces"],
                )
            )
    default_card = net.get("DefaultNetworkCardIndex")
    vcpu = item.get("VCpuInfo")
    vcpus = vcpu.get("DefaultVCpus") if isinstance(vcpu, Mapping) else None
    hypervisor = item.get("Hypervisor")
    return InstanceTypeLimits(
        instance_type=name,
        max_enis=enis,
        ips_per_eni=ips,
        network_cards=tuple(cards),
        default_network_card=default_card if isinstance(default_card, int) else 0,
        hypervisor=hypervisor if isinstance(hypervisor, str) and hypervisor else None,
        bare_metal=item.get("BareMetal") is True,
        vcpus=vcpus if isinstance(vcpus, int) else None,
    )


def _type_sort_key(name: str) -> tuple[str, str]:
    family, _, size = name.partition(".")
    return family, size


def table_json(
    limits: Iterable[InstanceTypeLimits],
    source: str,
    sources: Iterable[Mapping[str, str]] = (),
) -> str:
    """The shipped table's text: one instance type a line, sorted, stable for diffs.

    ``source`` says in one line where the table comes from; ``sources`` list
    each upstream the facts were taken from (what, where, its date).
    """
    by_name = {lim.instance_type: lim for lim in limits}
    lines = [
        f"  {json.dumps(name)}: {json.dumps(by_name[name].to_json(), separators=(', ', ': '))}"
        for name in sorted(by_name, key=_type_sort_key)
    ]
    head = (
        f'{{\n  "format": "{TABLE_FORMAT}",\n  "version": {TABLE_VERSION},\n'
        f'  "source": {json.dumps(source)},\n'
        f'  "sources": [{", ".join(json.dumps(dict(s)) for s in sources)}],\n'
        '  "instance_types": {\n'
    )
    body = ",\n".join("  " + line for line in lines)
    return head + body + "\n  }\n}\n"


@dataclass(frozen=True, slots=True)
class InstanceTypeTable:
    """Instance-type limits by name."""

    types: Mapping[str, InstanceTypeLimits]
    source: str = ""
    sources: tuple[Mapping[str, str], ...] = ()

    def get(self, name: str) -> InstanceTypeLimits | None:
        return self.types.get(name)

    def __getitem__(self, name: str) -> InstanceTypeLimits:
        found = self.types.get(name)
        if found is None:
            raise ConfigError(
                f"unknown instance type {name!r} - check the spelling, or rebuild the table "
                "with `ekstwin ipam refresh-instance-types`"
            )
        return found

    def __iter__(self) -> Iterator[InstanceTypeLimits]:
        return iter(self.types.values())

    def __len__(self) -> int:
        return len(self.types)


def load_instance_types(path: str | Path | None = None) -> InstanceTypeTable:
    """The shipped table, or the one at ``path`` (written by refresh-instance-types)."""
    try:
        if path is None:
            text = (
                resources.files("ekstwin").joinpath("data/instance_types.json").read_text("utf-8")
            )
            where = "ekstwin/data/instance_types.json"
        else:
            text = Path(path).read_text(encoding="utf-8")
            where = str(path)
        data = json.loads(text)
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot read the instance-type table ({exc})") from exc
    if not isinstance(data, dict) or data.get("format") != TABLE_FORMAT:
        raise ConfigError(f"{where} is not an ekstwin instance-type table")
    raw = data.get("instance_types")
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: instance_types is missing")
    try:
        types = {name: InstanceTypeLimits.from_json(name, v) for name, v in raw.items()}
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigError(f"{where}: malformed entry ({exc})") from exc
    raw_sources = data.get("sources")
    sources = tuple(
        {str(k): str(v) for k, v in entry.items()}
        for entry in (raw_sources if isinstance(raw_sources, list) else [])
        if isinstance(entry, dict)
    )
    return InstanceTypeTable(types, str(data.get("source", "")), sources)


# ---------------------------------------------------------------------------
# max pods


class MaxPodsMode(StrEnum):
    SECONDARY_IP = "secondary-ip"
    PREFIX_DELEGATION = "prefix-delegation"


@dataclass(frozen=True, slots=True)
class MaxPods:
    """Max pods of an instance type under the given CNI options.

    ``max_pods`` is the VPC CNI's figure (what the ENIs can address, +2 for
    host-network pods); ``max_pods_capped`` is the EKS AMI calculator's
    recommendation (110/250 cap), never above ``max_pods``, and None when the
    type's vCPUs are unknown and the cap could matter. ``calculator_mode``
    differs from ``mode`` when prefix delegation is asked for on a non-nitro
    bare-metal type; ``trunk`` says whether ipamd keeps an ENI for the trunk;
    ``notes`` say all of it in words.
    """

    instance_type: str
    enis: int
    ips_per_eni: int
    max_pods: int
    max_pods_capped: int | None
    mode: MaxPodsMode
    calculator_mode: MaxPodsMode
    notes: tuple[str, ...] = ()
    trunk: bool = False

    def to_json(self) -> dict[str, object]:
        """The documented JSON shape of ``ekstwin ipam max-pods``."""
        return {
            "instance_type": self.instance_type,
            "enis": self.enis,
            "ips_per_eni": self.ips_per_eni,
            "max_pods": self.max_pods,
            "max_pods_capped": self.max_pods_capped,
            "mode": self.mode.value,
        }


def _formula(enis: int, ips_per_eni: int, prefix: bool) -> int:
    per_slot = IPS_PER_PREFIX if prefix else 1
    return max(enis, 0) * (ips_per_eni - 1) * per_slot + 2


def max_pods(
    limits: InstanceTypeLimits,
    *,
    prefix_delegation: bool = False,
    custom_networking: bool = False,
    security_groups_for_pods: bool = False,
    max_eni: int | None = None,
) -> MaxPods:
    """The CNI's max pods and the calculator's capped value for one instance type.

    ``security_groups_for_pods`` is ENABLE_POD_ENI: ipamd then keeps one ENI of
    the default card for the trunk when the type is trunk compatible
    (``hasRoomForEni``); on other types nothing is reserved, and pods that ask
    for security groups cannot run there.
    """
    notes: list[str] = []
    enis = limits.default_card_enis
    if max_eni is not None and max_eni >= 1:
        enis = min(enis, max_eni)
    calc_enis = enis - 1 if custom_networking else enis
    trunk = security_groups_for_pods and limits.reserves_trunk
    cni_enis = calc_enis - 1 if trunk else calc_enis
    if len(limits.network_cards) > 1:
        notes.append(
            f"{len(limits.network_cards)} network cards: pods use the "
            f"{limits.default_card_enis} ENIs of card {limits.default_network_card} only"
        )
    if custom_networking:
        notes.append("custom networking: the primary ENI takes no pod addresses")
    if trunk:
        notes.append(
            "security groups for pods: one ENI is the trunk; the calculator does not know it"
        )
        if limits.trunk_compatible is None:
            notes.append(
                f"{limits.instance_type} is not in the VPC resource controller's limits: ipamd "
                "keeps an ENI for a trunk, the controller may never attach one"
            )
    elif security_groups_for_pods:
        notes.append(
            f"security groups for pods: {limits.instance_type} is not trunk compatible; ipamd "
            "keeps no ENI for a trunk and pods that ask for security groups cannot run here"
        )
    cni_prefix = prefix_delegation and limits.cni_prefix_delegation
    calc_prefix = prefix_delegation and limits.calculator_prefix_delegation
    if prefix_delegation and not cni_prefix:
        notes.append(
            f"prefix delegation needs a nitro or bare-metal type; {limits.instance_type} "
            f"({limits.hypervisor or 'unknown'} hypervisor) falls back to secondary IPs"
        )
    elif cni_prefix and not calc_prefix:
        notes.append(
            "bare metal without the nitro hypervisor: the CNI delegates prefixes, the EKS AMI "
            "calculator counts secondary IPs"
        )
    cni_value = _formula(cni_enis, limits.ips_per_eni, cni_prefix)
    calc_value = min(_formula(calc_enis, limits.ips_per_eni, calc_prefix), cni_value)
    cap = limits.pod_cap
    capped: int | None
    if cap is not None:
        capped = min(calc_value, cap)
    elif calc_value <= CAP_LOW_CPU:
        capped = calc_value  # below either cap
    else:
        capped = None
        notes.append(
            f"the vCPUs of {limits.instance_type} are not in the instance-type table: the "
            "calculator's 110/250 cap cannot be judged"
        )
    return MaxPods(
        instance_type=limits.instance_type,
        enis=cni_enis,
        ips_per_eni=limits.ips_per_eni,
        max_pods=cni_value,
        max_pods_capped=capped,
        mode=MaxPodsMode.PREFIX_DELEGATION if cni_prefix else MaxPodsMode.SECONDARY_IP,
        calculator_mode=MaxPodsMode.PREFIX_DELEGATION if calc_prefix else MaxPodsMode.SECONDARY_IP,
        notes=tuple(notes),
        trunk=trunk,
    )


class _Paginator(Protocol):
    def paginate(self, **kwargs: Any) -> Iterable[Mapping[str, Any]]: ...


class Ec2Client(Protocol):
    """The part of a boto3 EC2 client the refresh needs."""

    def get_paginator(self, operation_name: str) -> _Paginator: ...


def with_trunk_facts(
    limits: Iterable[InstanceTypeLimits], known: InstanceTypeTable
) -> list[InstanceTypeLimits]:
    """``limits`` with the trunk facts of ``known`` (EC2 does not publish them)."""
    out = []
    for lim in limits:
        old = known.get(lim.instance_type)
        if old is not None:
            lim = replace(lim, trunk_compatible=old.trunk_compatible, branch_enis=old.branch_enis)
        out.append(lim)
    return out


def fetch_instance_types(client: Ec2Client) -> list[InstanceTypeLimits]:
    """Every instance type EC2 describes in the client's region (all pages)."""
    out: list[InstanceTypeLimits] = []
    for page in client.get_paginator("describe_instance_types").paginate():
        for item in page.get("InstanceTypes", []):
            limits = limits_from_ec2(item)
            if limits is not None:
                out.append(limits)
    return out

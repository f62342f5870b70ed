"""Build ``src/ekstwin/data/instance_types.json`` from the upstream facts.

The table covers every instance type of the VPC CNI's ``misc/eni-max-pods.txt``
and takes each fact from the project that owns it:

* ENIs of the default network card, IPv4 addresses per ENI, the network cards,
  hypervisor and bare metal: the CNI's generated limits
  (aws/amazon-vpc-cni-k8s ``pkg/vpc/vpc_ip_resource_limit.go``), the file
  ``eni-max-pods.txt`` is printed from;
* trunk compatibility and branch ENIs (security groups for pods): the VPC
  resource controller's limits (aws/amazon-vpc-resource-controller-k8s
  ``pkg/aws/vpc/limits.go``); a type it lacks is recorded as null;
* vCPUs (the EKS AMI calculator's 110/250 cap): EC2 DescribeInstanceTypes as
  moto ships it, then the AWS instance-type pages for the retired types moto
  no longer carries (``MANUAL_VCPUS``); a type found in neither is null.

Run it with a Python that has moto installed, on checkouts of the two
repositories::

    python scripts/build_instance_types.py \\
        --cni CHECKOUT --cni-commit SHA --cni-date YYYY-MM-DD \\
        --resource-controller CHECKOUT --resource-controller-commit SHA \\
        --resource-controller-date YYYY-MM-DD [--output PATH]
"""

from __future__ import annotations

import argparse
import datetime
import gzip
import json
import re
import sys
from importlib import metadata, resources
from pathlib import Path
from typing import Any

from ekstwin.engines.ipam.limits import InstanceTypeLimits, NetworkCard, table_json

DEFAULT_OUTPUT = Path(__file__).resolve().parent.parent / "src/ekstwin/data/instance_types.json"

# vCPUs of retired types moto no longer describes (AWS EC2 "previous generation"
# and accelerated-computing instance-type pages).
MANUAL_VCPUS = {
    "c5a.metal": 96,
    "c5ad.metal": 96,
    "cr1.8xlarge": 32,
    "dl1.24xlarge": 96,
    "f1.2xlarge": 8,
    "f1.4xlarge": 16,
    "f1.16xlarge": 64,
    "g4ad.xlarge": 4,
    "g4ad.2xlarge": 8,
    "g4ad.4xlarge": 16,
    "g4ad.8xlarge": 32,
    "g4ad.16xlarge": 64,
    "hs1.8xlarge": 16,
    "p3.2xlarge": 8,
    "p3.8xlarge": 32,
    "p3.16xlarge": 64,
    "u-6tb1.metal": 448,
    "u-9tb1.metal": 448,
    "u-12tb1.metal": 448,
    "u-18tb1.metal": 448,
    "u-24tb1.metal": 448,
}

_ENTRY = re.compile(r'^\t"(?P<name>[a-z0-9.\-]+)": \{\n(?P<body>.*?)^\t\},', re.S | re.M)
_FIELD = re.compile(r"(\w+):\s+(\"[^\"]*\"|[\w.]+),")


def _go_map(text: str) -> dict[str, dict[str, list[str]]]:
    """The entries of a generated Go map literal: field name -> values in order."""
    out: dict[str, dict[str, list[str]]] = {}
    for m in _ENTRY.finditer(text):
        fields: dict[str, list[str]] = {}
        for key, value in _FIELD.findall(m.group("body")):
            fields.setdefault(key, []).append(value.strip('"'))
        out[m.group("name")] = fields
    return out


def _eni_max_pods(text: str) -> dict[str, int]:
    out = {}
    for line in text.splitlines():
        if line.strip() and not line.startswith("#"):
            name, value = line.split()
            out[name] = int(value)
    return out


def _moto_vcpus() -> dict[str, int]:
    folder = resources.files("moto").joinpath("ec2/resources")
    for name in ("instance_types.json.gz", "instance_types.json"):
        entry = folder.joinpath(name)
        if entry.is_file():
            raw = entry.read_bytes()
            data: dict[str, Any] = json.loads(gzip.decompress(raw) if name.endswith(".gz") else raw)
            return {
                k: v["VCpuInfo"]["DefaultVCpus"]
                for k, v in data.items()
                if isinstance(v.get("VCpuInfo"), dict)
            }
    raise SystemExit("error: moto ships no ec2/resources/instance_types.json - install moto")


def build(
    cni_limits: str, eni_max_pods: str, rc_limits: str, vcpus: dict[str, int]
) -> list[InstanceTypeLimits]:
    cni = _go_map(cni_limits)
    rc = _go_map(rc_limits)
    published = _eni_max_pods(eni_max_pods)
    missing = sorted(set(published) - set(cni))
    if missing:
        raise SystemExit(f"error: the CNI limits lack {', '.join(missing)}")
    out = []
    for name in published:
        f = cni[name]
        enis = int(f["ENILimit"][0])
        ips = int(f["IPv4Limit"][0])
        cards = tuple(
            NetworkCard(int(i), int(n))
            for i, n in zip(
                f.get("NetworkCardIndex", []), f.get("MaximumNetworkInterfaces", []), strict=True
            )
        )
        hypervisor = f["HypervisorType"][0]
        r = rc.get(name)
        lim = InstanceTypeLimits(
            instance_type=name,
            max_enis=sum(c.max_enis for c in cards) if cards else enis,
            ips_per_eni=ips,
            network_cards=cards,
            default_network_card=int(f["DefaultNetworkCardIndex"][0]),
            hypervisor=hypervisor if hypervisor in ("nitro", "xen") else None,
            bare_metal=f["IsBareMetal"][0] == "true",
            vcpus=vcpus.get(name, MANUAL_VCPUS.get(name)),
            trunk_compatible=None if r is None else r["IsTrunkingCompatible"][0] == "true",
            branch_enis=None if r is None else int(r["BranchInterface"][0]),
        )
        if lim.default_card_enis != enis or enis * (ips - 1) + 2 != published[name]:
            raise SystemExit(f"error: {name}: the CNI limits disagree with eni-max-pods.txt")
        out.append(lim)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cni", type=Path, required=True, help="aws/amazon-vpc-cni-k8s checkout")
    parser.add_argument("--cni-commit", required=True)
    parser.add_argument("--cni-date", required=True, help="date of the limits commit")
    parser.add_argument("--resource-controller", type=Path, required=True)
    parser.add_argument("--resource-controller-commit", required=True)
    parser.add_argument("--resource-controller-date", required=True)
    parser.add_argument("--output", "-o", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args(argv)
    cni_file = "pkg/vpc/vpc_ip_resource_limit.go"
    rc_file = "pkg/aws/vpc/limits.go"
    limits = build(
        (args.cni / cni_file).read_text("utf-8"),
        (args.cni / "misc/eni-max-pods.txt").read_text("utf-8"),
        (args.resource_controller / rc_file).read_text("utf-8"),
        _moto_vcpus(),
    )
    moto = metadata.version("moto")
    sources = [
        {
            "facts": "ENIs, IPv4 per ENI, network cards, hypervisor, bare metal; the type list",
            "from": f"aws/amazon-vpc-cni-k8s@{args.cni_commit} {cni_file}, misc/eni-max-pods.txt",
            "date": args.cni_date,
        },
        {
            "facts": "trunk_compatible (IsTrunkingCompatible), branch_enis; null: not listed",
            "from": f"aws/amazon-vpc-resource-controller-k8s@{args.resource_controller_commit} "
            f"{rc_file}",
            "date": args.resource_controller_date,
        },
        {
            "facts": "vcpus (DescribeInstanceTypes VCpuInfo.DefaultVCpus); null: not known",
            "from": f"moto {moto} ec2/resources/instance_types; AWS EC2 instance-type pages "
            "for retired types",
            "date": datetime.date.today().isoformat(),
        },
    ]
    source = (
        f"aws/amazon-vpc-cni-k8s@{args.cni_commit[:12]} ({args.cni_date}) limits, "
        f"aws/amazon-vpc-resource-controller-k8s@{args.resource_controller_commit[:12]} "
        f"({args.resource_controller_date}) trunk flags, moto {moto} vCPUs"
    )
    args.output.write_text(table_json(limits, source, sources), encoding="utf-8")
    print(f"wrote {len(limits)} instance types to {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

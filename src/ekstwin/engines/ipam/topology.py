"""Where each node sits in the VPC: its instance, subnet, ENIConfig and CNI settings.

Shared by the address model and the planner. Nothing here allocates; it only
reads the model and resolves references the way ipamd would.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ekstwin.model.aws import AwsState, EksCluster, Instance, Subnet, VpcCniSettings
from ekstwin.model.k8s import Node
from ekstwin.model.platform import Platform

#: ipamd: a node label that names its ENIConfig out of band and wins over everything.
EXTERNAL_ENI_CONFIG_LABEL = "vpc.amazonaws.com/externalEniConfig"
#: ipamd's default annotation and label naming a node's ENIConfig.
ENI_CONFIG_KEY = "k8s.amazonaws.com/eniConfig"
#: The ENIConfig a node uses when nothing names one.
ENI_CONFIG_DEFAULT = "default"

ZONE_LABELS = ("topology.kubernetes.io/zone", "failure-domain.beta.kubernetes.io/zone")
NODEGROUP_LABEL = "eks.amazonaws.com/nodegroup"


@dataclass(frozen=True, slots=True)
class EniConfig:
    """An ``ENIConfig`` (crd.k8s.amazonaws.com): the subnet and security groups of pod ENIs."""

    name: str
    subnet_id: str | None
    security_groups: tuple[str, ...] = ()


def eni_configs(platform: Platform) -> dict[str, EniConfig]:
    """Every ENIConfig in the input, by name (kept as opaque objects by the loader)."""
    out: dict[str, EniConfig] = {}
    for obj in platform.opaque:
        if obj.meta.kind != "ENIConfig":
            continue
        spec = obj.body.get("spec")
        subnet: str | None = None
        groups: tuple[str, ...] = ()
        if isinstance(spec, Mapping):
            raw_subnet = spec.get("subnet")
            subnet = raw_subnet if isinstance(raw_subnet, str) and raw_subnet else None
            raw_groups = spec.get("securityGroups")
            if isinstance(raw_groups, list):
                groups = tuple(g for g in raw_groups if isinstance(g, str))
        out.setdefault(obj.meta.name, EniConfig(obj.meta.name, subnet, groups))
    return out


def eni_config_name(node: Node, settings: VpcCniSettings) -> str:
    """The ENIConfig ipamd picks for a node: external label, annotation, label, ``default``."""
    labels = node.meta.labels
    if EXTERNAL_ENI_CONFIG_LABEL in labels:
        return labels[EXTERNAL_ENI_CONFIG_LABEL]
    annotation = settings.env.get("ENI_CONFIG_ANNOTATION_DEF") or ENI_CONFIG_KEY
    if annotation in node.meta.annotations:
        return node.meta.annotations[annotation]
    label = settings.eni_config_label or ENI_CONFIG_KEY
    if label in labels:
        return labels[label]
    return ENI_CONFIG_DEFAULT


def node_zone(node: Node) -> str | None:
    if node.zone:
        return node.zone
    for label in ZONE_LABELS:
        if node.meta.labels.get(label):
            return node.meta.labels[label]
    return None


def instance_index(aws: AwsState) -> dict[str, Instance]:
    """Instances by id, node name and private DNS name (first wins)."""
    index: dict[str, Instance] = {}
    for inst in aws.instances:
        for key in (inst.instance_id, inst.node_name, inst.private_dns_name):
            if key and key not in index:
                index[key] = inst
    return index


def instance_for(node: Node, index: Mapping[str, Instance]) -> Instance | None:
    if node.instance_id and node.instance_id in index:
        return index[node.instance_id]
    return index.get(node.name)


def cluster_subnets(aws: AwsState, cluster: EksCluster | None) -> list[Subnet]:
    """Subnets nodes of the cluster may be in: node groups' subnets, else the cluster's,
    else the private subnets of its VPC, else every subnet; sorted by id."""
    ids: list[str] = []
    if cluster is not None:
        for group in cluster.node_groups:
            ids.extend(group.subnet_ids)
        if not ids:
            ids.extend(cluster.subnet_ids)
    found = [s for s in (aws.subnet(i) for i in dict.fromkeys(ids)) if s is not None]
    if not found:
        vpc_id = cluster.vpc_id if cluster is not None else None
        found = [
            s
            for s in aws.subnets
            if (vpc_id is None or s.vpc_id == vpc_id) and not s.map_public_ip_on_launch
        ]
    if not found:
        found = list(aws.subnets)
    return sorted(found, key=lambda s: s.subnet_id)

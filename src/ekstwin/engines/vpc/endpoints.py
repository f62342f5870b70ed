"""Where one end of a flow sits in the VPC."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from ekstwin.model.source import Source


class AwsEndpointKind(StrEnum):
    POD = "pod"
    NODE = "node"
    HOST_NETWORK_POD = "host-network-pod"
    ENI = "eni"
    RDS = "rds"
    CACHE = "cache"
    EFS = "efs"
    VPCE = "vpce"
    S3 = "s3"
    INTERNET = "internet"
    ALB = "alb"
    CONTROL_PLANE = "control-plane"
    ADDRESS = "address"


class Placement(StrEnum):
    """Which ENI carries a pod's address, and so whose security groups apply."""

    NODE_ENI = "node-eni"  # the node's primary or secondary ENI: the node's groups
    CUSTOM_NETWORKING = "custom-networking"  # a secondary ENI from the ENIConfig
    BRANCH_ENI = "branch-eni"  # security groups for pods
    HOST = "host"  # the node itself (hostNetwork pods too): its primary ENI
    INTERFACE = "interface"  # an ENI of its own (AWS service, load balancer, ...)
    OUTSIDE = "outside"  # outside every VPC of the input
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class AwsEndpoint:
    """One end of a flow as AWS sees it.

    ``subnet_id`` None: the subnet is unknown; ``group_ids`` None: the security
    groups are unknown (an endpoint that has none, such as the internet, has
    ``has_groups`` False). ``snat``: traffic from it to an address outside its
    VPC (and outside AWS_VPC_K8S_CNI_EXCLUDE_SNAT_CIDRS) leaves SNATed to its
    node's primary address, through the node's primary ENI. ``evidence`` says
    why it sits where it does.
    """

    kind: AwsEndpointKind
    name: str
    address: str | None
    subnet_id: str | None
    group_ids: tuple[str, ...] | None
    placement: Placement = Placement.UNKNOWN
    snat: bool = False
    evidence: tuple[str, ...] = ()
    vpc_id: str | None = None
    node: str | None = None
    eni_id: str | None = None
    public_address: str | None = None
    has_groups: bool = True
    prefix_list_id: str | None = None
    ports: tuple[int, ...] = ()
    source: Source | None = None

    @property
    def branch(self) -> bool:
        return self.placement is Placement.BRANCH_ENI

    @property
    def outside(self) -> bool:
        return self.placement is Placement.OUTSIDE

    def to_json(self) -> dict[str, object]:
        return {
            "kind": self.kind.value,
            "name": self.name,
            "address": self.address,
            "subnet": self.subnet_id,
            "security_groups": None if self.group_ids is None else list(self.group_ids),
            "placement": self.placement.value,
            "snat": self.snat,
            "evidence": list(self.evidence),
        }

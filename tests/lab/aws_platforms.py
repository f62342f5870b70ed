"""Random small platforms with the AWS network around them, for the differential test.

The topology is fixed, the filters are random. One VPC 198.18.0.0/16 with three
subnets: ``subnet-a`` 198.18.0.0/23 (nodes 0 and 1: pods of both pass no ACL
between them), ``subnet-b`` 198.18.2.0/24 (node 2 and an interface endpoint) and
``subnet-d`` 198.18.3.0/24 (an RDS instance, a cache node and an EFS mount
target). Nine pod slots, slot i on node i % 3. Random: the pods' namespaces and
labels, the security groups (CIDR, group and prefix-list peers; -1, TCP, UDP and
ICMP with port ranges and ICMP types), which groups each node and service carries,
network ACLs (allow and deny entries, return-port gaps) and their subnets, the
route tables (internet through a NAT or an internet gateway, a blackhole route),
SecurityGroupPolicies, the enforcing mode and external SNAT.

A case is plain JSON (``spec``) so that a disagreement can be kept under
``tests/lab/regressions/`` and replayed; :func:`build_platform` turns it into the
model (the AWS part built directly, not through aws.json, so that the test does
not depend on the loader).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import yaml
from hypothesis import strategies as st

from ekstwin.loaders import load
from ekstwin.model.aws import (
    Account,
    AwsState,
    EksCluster,
    Instance,
    InternetGateway,
    NatGateway,
    NetworkInterface,
    Route,
    RouteTable,
    Subnet,
    Vpc,
    VpcCniSettings,
)
from ekstwin.model.platform import Platform
from ekstwin.model.selectors import LabelSelector
from ekstwin.model.vpc import (
    CacheCluster,
    DatabaseInstance,
    EfsMountTarget,
    ManagedPrefixList,
    NaclAction,
    NetworkAcl,
    NetworkAclEntry,
    SecurityGroup,
    SecurityGroupPolicy,
    SecurityGroupRule,
    ServiceInterface,
    VpcEndpoint,
)

VPC_CIDR = "198.18.0.0/16"
SUBNETS = {
    "subnet-a": "198.18.0.0/23",
    "subnet-b": "198.18.2.0/24",
    "subnet-d": "198.18.3.0/24",
    "subnet-p": "198.18.4.0/24",
    "subnet-c": "198.18.5.0/24",  # the pods' subnet with custom networking
}
#: The NAT gateway, in the public subnet (whose own route table leads to the
#: internet gateway).
NAT_ID = "nat-1"
NAT_IP = "198.18.4.10"
NODES = 3
NODE_SUBNETS = ("subnet-a", "subnet-a", "subnet-b")
SLOTS = 9
NAMESPACES = ("a", "b")
APPS = ("web", "db")
GROUPS = ("sg-node", "sg-cluster", "sg-pa", "sg-pb", "sg-data", "sg-vpce")
#: What pods serve and the differential test probes between pods.
POD_PORTS = (("TCP", 80), ("UDP", 53))
PROBE_PORTS = (*POD_PORTS, ("ICMP", 8 * 256))
#: (kind, id, address, subnet, port)
SERVICES = (
    ("rds", "db1", "198.18.3.10", "subnet-d", 5432),
    ("cache", "c1", "198.18.3.11", "subnet-d", 6379),
    ("efs", "fsmt-1", "198.18.3.12", "subnet-d", 2049),
    ("vpce", "vpce-1", "198.18.2.100", "subnet-b", 443),
)


def node_ip(j: int) -> str:
    return f"198.18.{j}.10"


def slot_ip(i: int, custom: bool = False) -> str:
    """Slot i's address: in its node's subnet, or with custom networking in the
    ENIConfig's subnet-c (a branch-ENI pod stays in its node's: the trunk ENI's)."""
    return f"198.18.5.{20 + i}" if custom else f"198.18.{i % NODES}.{20 + i}"


def _custom(spec: dict[str, Any], pod: dict[str, Any]) -> bool:
    if spec.get("custom") is None:
        return False
    return not any(
        s["namespace"] == pod["namespace"] and s["app"] == pod["app"] for s in spec["sgps"]
    )


# --------------------------------------------------------------------------- model


def _manifests(spec: dict[str, Any]) -> str:
    docs: list[dict[str, Any]] = []
    for j in range(NODES):
        docs.append(
            {
                "apiVersion": "v1",
                "kind": "Node",
                "metadata": {
                    "name": f"node-{j}",
                    "labels": {"topology.kubernetes.io/zone": "us-east-1a"},
                },
                "status": {"addresses": [{"type": "InternalIP", "address": node_ip(j)}]},
            }
        )
    for ns in NAMESPACES:
        docs.append({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
    for pod in spec["pods"]:
        i = pod["slot"]
        docs.append(
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {
                    "name": f"p{i}",
                    "namespace": pod["namespace"],
                    "labels": {"app": pod["app"]},
                },
                "spec": {
                    "nodeName": f"node-{i % NODES}",
                    "containers": [
                        {
                            "name": "c",
                            "image": "busybox:1.36",
                            "ports": [
                                {"containerPort": port, "protocol": proto}
                                for proto, port in POD_PORTS
                            ],
                        }
                    ],
                },
                "status": {"podIP": slot_ip(i, _custom(spec, pod)), "phase": "Running"},
            }
        )
    if spec.get("custom") is not None:
        docs.append(
            {
                "apiVersion": "crd.k8s.amazonaws.com/v1alpha1",
                "kind": "ENIConfig",
                "metadata": {"name": "default"},
                "spec": {"subnet": "subnet-c", "securityGroups": spec["custom"]},
            }
        )
    docs.extend(spec.get("policies", []))
    # the lab enforces NetworkPolicy as Calico does (iptables on the pods' eni
    # interfaces): the platform says so, so that the engines judge it as Calico
    docs.append(
        {
            "apiVersion": "apps/v1",
            "kind": "DaemonSet",
            "metadata": {"name": "calico-node", "namespace": "kube-system"},
            "spec": {
                "selector": {"matchLabels": {"k8s-app": "calico-node"}},
                "template": {
                    "metadata": {"labels": {"k8s-app": "calico-node"}},
                    "spec": {
                        "hostNetwork": True,
                        "containers": [{"name": "calico-node", "image": "calico/node:v3.28.0"}],
                    },
                },
            },
        }
    )
    return yaml.safe_dump_all(docs, sort_keys=False)


def _rule(raw: dict[str, Any]) -> SecurityGroupRule:
    peer = raw["peer"]
    return SecurityGroupRule(
        protocol=raw["protocol"],
        from_port=raw.get("from"),
        to_port=raw.get("to"),
        cidr=peer if not peer.startswith(("sg-", "pl-")) else None,
        group_id=peer if peer.startswith("sg-") else None,
        prefix_list_id=peer if peer.startswith("pl-") else None,
    )


def _aws(spec: dict[str, Any]) -> AwsState:
    groups = tuple(
        SecurityGroup(
            gid,
            vpc_id="vpc-1",
            ingress=tuple(_rule(r) for r in g["ingress"]),
            egress=tuple(_rule(r) for r in g["egress"]),
        )
        for gid, g in sorted(spec["groups"].items())
    )
    instances = tuple(
        Instance(
            f"i-{j}",
            "m5.large",
            NODE_SUBNETS[j],
            availability_zone="us-east-1a",
            private_ip=node_ip(j),
            public_ip=f"203.0.113.{200 + j}" if j in spec.get("public_nodes", ()) else None,
            node_name=f"node-{j}",
            cluster="lab",
            security_group_ids=tuple(spec["node_groups"][j]),
            network_interfaces=(
                NetworkInterface(
                    f"eni-{j}",
                    subnet_id=NODE_SUBNETS[j],
                    device_index=0,
                    primary_ip=node_ip(j),
                    security_group_ids=tuple(spec["node_groups"][j]),
                    vpc_id="vpc-1",
                    attached_instance_id=f"i-{j}",
                ),
            ),
        )
        for j in range(NODES)
    )
    acls = [
        NetworkAcl(
            acl["id"],
            "vpc-1",
            is_default=acl.get("default", False),
            subnet_ids=tuple(acl["subnets"]),
            entries=tuple(
                NetworkAclEntry(
                    e["n"],
                    e["egress"],
                    NaclAction(e["action"]),
                    protocol=e["protocol"],
                    cidr=e["cidr"],
                    from_port=e.get("from"),
                    to_port=e.get("to"),
                    icmp_type=e.get("type"),
                    icmp_code=e.get("code"),
                )
                for e in acl["entries"]
            ),
        )
        for acl in spec["acls"]
    ]
    public = RouteTable(
        "rtb-public", "vpc-1", subnet_ids=("subnet-p",),
        routes=(Route(VPC_CIDR, "local"), Route("0.0.0.0/0", "igw-1")),
    )  # fmt: skip
    tables = (
        public,
        *(
            RouteTable(
                t["id"],
                "vpc-1",
                main=t.get("main", False),
                subnet_ids=tuple(t.get("subnets", ())),
                routes=(
                    Route(VPC_CIDR, "local"),
                    *(Route(r["dest"], r["target"], r.get("state", "active")) for r in t["routes"]),
                ),
            )
            for t in spec["tables"]
        ),
    )
    svc_groups = spec["service_groups"]
    dbs, caches, efs, endpoints = [], [], [], []
    for kind, ident, address, subnet, port in SERVICES:
        sg = tuple(svc_groups[ident])
        itf = ServiceInterface(subnet, address, f"eni-{ident}")
        if kind == "rds":
            dbs.append(
                DatabaseInstance(
                    ident,
                    "postgres",
                    port,
                    "vpc-1",
                    subnet_ids=(subnet,),
                    security_group_ids=sg,
                    interfaces=(itf,),
                )
            )
        elif kind == "cache":
            caches.append(
                CacheCluster(
                    ident,
                    "redis",
                    port,
                    "vpc-1",
                    subnet_ids=(subnet,),
                    security_group_ids=sg,
                    interfaces=(itf,),
                )
            )
        elif kind == "efs":
            efs.append(EfsMountTarget(ident, "fs-1", subnet, address, f"eni-{ident}", sg))
        else:
            endpoints.append(
                VpcEndpoint(
                    ident,
                    "vpc-1",
                    "com.amazonaws.us-east-1.sts",
                    subnet_ids=(subnet,),
                    security_group_ids=sg,
                    interfaces=(itf,),
                )
            )
    env = {
        "ENABLE_POD_ENI": "true",
        "POD_SECURITY_GROUP_ENFORCING_MODE": spec["mode"],
        # SNAT keeps the pod's port (32768-60999): with --random-fully the port is
        # drawn from 1024-65535 and an ACL holding part of that range is a coin toss
        "AWS_VPC_K8S_CNI_RANDOMIZESNAT": "none",
    }
    if spec.get("custom") is not None:
        env["AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG"] = "true"
    if spec.get("external_snat"):
        env["AWS_VPC_K8S_CNI_EXTERNALSNAT"] = "true"
    cluster = EksCluster(
        "lab",
        "us-east-1",
        "arn:aws:eks:us-east-1:111122223333:cluster/lab",
        "1.31",
        vpc_id="vpc-1",
        subnet_ids=("subnet-a", "subnet-b"),
        cluster_security_group_id="sg-cluster",
        vpc_cni=VpcCniSettings.from_env(env),
    )
    account = Account(
        "111122223333",
        eks_clusters=(cluster,),
        vpcs=(Vpc("vpc-1", "us-east-1", (VPC_CIDR,)),),
        subnets=tuple(
            Subnet(sid, "vpc-1", cidr, "us-east-1a") for sid, cidr in sorted(SUBNETS.items())
        ),
        route_tables=tables,
        nat_gateways=(NatGateway(NAT_ID, "subnet-p", "203.0.113.250", NAT_IP),),
        internet_gateways=(InternetGateway("igw-1", "vpc-1"),),
        instances=instances,
        security_groups=groups,
        prefix_lists=(
            ManagedPrefixList("pl-1", "lab-list", entries=("198.18.2.0/24", "203.0.113.0/25")),
        ),
        network_acls=tuple(acls),
        db_instances=tuple(dbs),
        cache_clusters=tuple(caches),
        efs_mount_targets=tuple(efs),
        vpc_endpoints=tuple(endpoints),
    )
    return AwsState(accounts=(account,))


def build_platform(spec: dict[str, Any]) -> Platform:
    text = _manifests(spec)
    result = load(["-"], stdin_text=lambda: text, implied=False)
    errors = [str(d) for d in result.diagnostics if d.level.value == "error"]
    assert errors == [], errors
    sgps = tuple(
        SecurityGroupPolicy(
            s["name"],
            s["namespace"],
            tuple(s["groups"]),
            pod_selector=LabelSelector(match_labels=(("app", s["app"]),)),
        )
        for s in spec["sgps"]
    )
    return dataclasses.replace(result.platform, aws=_aws(spec), security_group_policies=sgps)


# --------------------------------------------------------------------------- strategies

_CIDRS = (
    "0.0.0.0/0",
    VPC_CIDR,
    "198.18.0.0/23",
    "198.18.2.0/24",
    "198.18.3.0/24",
    "198.18.3.8/29",
    "198.18.4.0/24",
    "198.18.5.0/24",
    "203.0.113.0/24",
    "10.0.0.0/8",
)
_TCP_UDP_PORTS = (
    (None, None),
    (80, 80),
    (53, 53),
    (0, 1023),
    (81, 6000),
    (5432, 5432),
    (443, 443),
    (2049, 2049),
    (6379, 6379),
    (0, 65535),
)
_ICMP = ((None, None), (8, None), (8, 0), (0, None), (3, None))


@st.composite
def _sg_rule(draw: st.DrawFn) -> dict[str, Any]:
    proto = draw(st.sampled_from(("-1", "6", "17", "1", "6")))
    peer_kind = draw(st.integers(0, 9))
    if peer_kind <= 4:
        peer = draw(st.sampled_from(_CIDRS))
    elif peer_kind <= 6:
        peer = f"{slot_ip(draw(st.integers(0, SLOTS - 1)))}/32"
    elif peer_kind <= 8:
        peer = draw(st.sampled_from(GROUPS))
    else:
        peer = "pl-1"
    rule: dict[str, Any] = {"protocol": proto, "peer": peer}
    if proto in ("6", "17"):
        lo, hi = draw(st.sampled_from(_TCP_UDP_PORTS))
    elif proto == "1":
        lo, hi = draw(st.sampled_from(_ICMP))
    else:
        lo, hi = None, None
    if lo is not None or hi is not None:
        rule["from"], rule["to"] = lo, hi
    return rule


@st.composite
def _group(draw: st.DrawFn) -> dict[str, Any]:
    ingress = draw(st.lists(_sg_rule(), max_size=3))
    broad = draw(st.integers(0, 3))
    if broad == 0:  # the whole VPC, every protocol
        ingress.append({"protocol": "-1", "peer": VPC_CIDR})
    elif broad == 1:  # the group's members and the nodes (the EKS cluster group's shape)
        ingress.append({"protocol": "-1", "peer": draw(st.sampled_from(GROUPS))})
        ingress.append({"protocol": "-1", "peer": "sg-node"})
    if draw(st.integers(0, 2)) == 0:
        egress = draw(st.lists(_sg_rule(), max_size=3))
    else:  # EC2's default egress rule
        egress = [{"protocol": "-1", "peer": "0.0.0.0/0"}]
    return {"ingress": ingress, "egress": egress}


#: A port range either holds all of Linux's ephemeral ports (32768-60999, where
#: the replies go) or none of them: a range holding some (49152-65535) lets a
#: connection through or not by the port the kernel picks at random, and the
#: probes would be a coin toss (docs/lab.md).
_ACL_PORTS = (
    (None, None),
    (80, 80),
    (53, 53),
    (1024, 65535),
    (1024, 32767),  # a gap: Linux's ephemeral ports (32768-60999) are not in it
    (32768, 60999),
    (61000, 65535),  # another gap
    (0, 1023),
    (5432, 6379),
)


#: The NAT gateway translates to ports 1024-65535 (AWS): in the ACL of its
#: subnet a range holds all of them or none, for the same reason.
_NAT_SAFE_PORTS = ((None, None), (80, 80), (53, 53), (1024, 65535), (0, 1023), (5432, 6379))


@st.composite
def _acl_entry(draw: st.DrawFn, n: int, nat_safe: bool = False) -> dict[str, Any]:
    proto = draw(st.sampled_from(("-1", "6", "17", "1", "6", "-1")))
    entry: dict[str, Any] = {
        "n": n,
        "egress": draw(st.booleans()),
        "action": draw(st.sampled_from(("allow", "deny"))),
        "protocol": proto,
        "cidr": draw(st.sampled_from(_CIDRS)),
    }
    if proto in ("6", "17"):
        lo, hi = draw(st.sampled_from(_NAT_SAFE_PORTS if nat_safe else _ACL_PORTS))
        if lo is not None:
            entry["from"], entry["to"] = lo, hi
    elif proto == "1":
        t, c = draw(st.sampled_from(_ICMP))
        if t is not None:
            entry["type"] = t
            if c is not None:
                entry["code"] = c
    return entry


@st.composite
def _acl(draw: st.DrawFn, ident: str, subnets: list[str], default: bool) -> dict[str, Any]:
    """Open (AWS's default ACL), open after one to three random entries, or
    random entries only; so that a path of up to six ACL checks (through the
    NAT gateway and back) often passes and the other layers show."""
    kind = draw(st.integers(0, 4))
    size = 0 if kind == 0 else 3 if kind == 4 else draw(st.integers(1, 3))
    numbers = draw(st.lists(st.integers(1, 30), min_size=size, max_size=size, unique=True))
    nat_safe = default or "subnet-p" in subnets
    entries = [draw(_acl_entry(n * 10, nat_safe)) for n in numbers]
    if kind < 4:
        entries.append({"n": 500, "egress": False, "action": "allow", "protocol": "-1",
                        "cidr": "0.0.0.0/0"})  # fmt: skip
        entries.append({"n": 500, "egress": True, "action": "allow", "protocol": "-1",
                        "cidr": "0.0.0.0/0"})  # fmt: skip
    return {"id": ident, "default": default, "subnets": subnets, "entries": entries}


@st.composite
def _tables(draw: st.DrawFn) -> list[dict[str, Any]]:
    gateway = draw(st.sampled_from(("nat-1", "igw-1")))
    main: dict[str, Any] = {"id": "rtb-main", "main": True, "routes": []}
    if draw(st.integers(0, 4)) > 0:
        main["routes"].append({"dest": "0.0.0.0/0", "target": gateway})
    tables = [main]
    if draw(st.booleans()):
        own: dict[str, Any] = {
            "id": "rtb-own",
            "subnets": [draw(st.sampled_from(("subnet-a", "subnet-b", "subnet-c", "subnet-d")))],
            "routes": [{"dest": "0.0.0.0/0", "target": gateway}],
        }
        extra = draw(st.integers(0, 2))
        if extra == 1:  # a route whose target is gone
            own["routes"].append({"dest": "203.0.113.0/24", "target": "nat-gone",
                                  "state": "blackhole"})  # fmt: skip
        elif extra == 2:
            own["routes"].append({"dest": "203.0.113.0/25", "target": "nat-gone",
                                  "state": "blackhole"})  # fmt: skip
        tables.append(own)
    return tables


@st.composite
def aws_specs(draw: st.DrawFn, modes: tuple[str, ...] = ("strict",)) -> dict[str, Any]:
    """One random case (JSON-able)."""
    slots = draw(st.lists(st.integers(0, SLOTS - 1), min_size=2, max_size=SLOTS, unique=True))
    pods = [
        {
            "slot": i,
            "namespace": draw(st.sampled_from(NAMESPACES)),
            "app": draw(st.sampled_from(APPS)),
        }
        for i in sorted(slots)
    ]
    groups = {g: draw(_group()) for g in GROUPS}
    node_groups = [
        draw(
            st.lists(
                st.sampled_from(("sg-node", "sg-cluster")), min_size=1, max_size=2, unique=True
            )
        )
        for _ in range(NODES)
    ]
    service_groups = {
        ident: draw(st.lists(st.sampled_from(GROUPS), min_size=1, max_size=2, unique=True))
        for _, ident, *_rest in SERVICES
    }
    acls = [draw(_acl("acl-default", [], True))]
    free = sorted(SUBNETS)
    for k in range(draw(st.integers(0, 2))):
        chosen = draw(st.lists(st.sampled_from(free), min_size=1, max_size=2, unique=True))
        free = [s for s in free if s not in chosen]
        acls.append(draw(_acl(f"acl-{k}", chosen, False)))
        if not free:
            break
    sgps = [
        {
            "name": f"sgp{k}",
            "namespace": draw(st.sampled_from(NAMESPACES)),
            "app": draw(st.sampled_from(APPS)),
            "groups": draw(
                st.lists(
                    st.sampled_from(("sg-pa", "sg-pb", "sg-cluster")),
                    min_size=1,
                    max_size=2,
                    unique=True,
                )
            ),
        }
        for k in range(draw(st.integers(0, 2)))
    ]
    return {
        "pods": pods,
        "groups": groups,
        "node_groups": node_groups,
        "service_groups": service_groups,
        "acls": acls,
        "tables": draw(_tables()),
        "sgps": sgps,
        "mode": draw(st.sampled_from(modes)),
        "public_nodes": draw(st.lists(st.integers(0, NODES - 1), max_size=NODES, unique=True)),
        "external_snat": draw(st.integers(0, 4)) == 0,
        # custom networking: the ENIConfig's groups (none: the node's), or off
        "custom": draw(
            st.one_of(st.none(), st.lists(st.sampled_from(GROUPS), max_size=2, unique=True))
        ),
    }

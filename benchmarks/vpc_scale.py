"""Scale benchmark of the AWS layer (security groups, network ACLs, routes).

    .venv/bin/python benchmarks/vpc_scale.py [--pods 20000] [--nodes 1000]

The platform: the net benchmark's cluster (``net_scale.generate``: pods/20
namespaces, 0.3 NetworkPolicies per pod and Calico tiers) with every pod
given a node (20 per node), plus an AWS network built here: a VPC of
198.18.0.0/15 with 10 pod subnets (the pods' addresses, as with subnet
discovery), 30 node subnets and 8 service subnets; 1,000 instances in 10
node groups; 500 security groups of 60 rules each (group references, CIDRs
including single hosts inside the pod subnets, 20 prefix lists, port ranges);
50 network ACLs with deny entries; 200 AWS destinations (120 RDS instances,
40 ElastiCache clusters, 20 EFS mount targets, 20 interface endpoints); 30
SecurityGroupPolicies (ENABLE_POD_ENI=true).

Prints, next to the issue's targets (<= 15 s each, <= 3 GiB, <= 100 ms):
the pod-to-AWS matrix time, the full cluster matrix with the AWS layer (by
workload), the process's peak memory, one ``net can`` after loading, and the
same figures with the AWS layer off (``--no-aws``) for comparison. AWS's VPC
Reachability Analyzer, which the issue names, is a service of an AWS account
and cannot run here; it has no figures to compare.
"""

from __future__ import annotations

import argparse
import importlib.util
import random
import resource
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import yaml

from ekstwin.engines.mesh import MeshModel
from ekstwin.engines.net import Granularity, NetModel, matrix
from ekstwin.engines.vpc import VpcModel
from ekstwin.engines.vpc.conns import cluster_matrix
from ekstwin.engines.vpc.matrix import aws_matrix
from ekstwin.engines.vpc.whole import explain_flow
from ekstwin.loaders import load
from ekstwin.model.aws import (
    Account,
    AwsState,
    EksCluster,
    Instance,
    NatGateway,
    NetworkInterface,
    NodeGroup,
    Route,
    RouteTable,
    Subnet,
    Vpc,
    VpcCniSettings,
)
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

VPC = "vpc-bench"
HERE = Path(__file__).resolve().parent


def _net_scale() -> Any:
    spec = importlib.util.spec_from_file_location("net_scale", HERE / "net_scale.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def kubernetes_docs(pods: int, nodes: int) -> list[dict[str, Any]]:
    docs: list[dict[str, Any]] = _net_scale().generate(pods)
    per_node = max(1, pods // nodes)
    n = 0
    for doc in docs:
        if doc.get("kind") == "Pod":
            doc["spec"]["nodeName"] = f"node-{min(n // per_node, nodes - 1)}"
            n += 1
    for i in range(nodes):
        docs.append(
            {
                "apiVersion": "v1",
                "kind": "Node",
                "metadata": {"name": f"node-{i}", "labels": {"nodegroup": f"ng{i % 10}"}},
                "status": {"addresses": [{"type": "InternalIP", "address": _node_ip(i)}]},
            }
        )
    return docs


def _node_ip(i: int) -> str:
    return f"198.19.{i // 34}.{i % 34 + 10}"


PORTS = [
    ("6", 443, 443), ("6", 5432, 5432), ("6", 6379, 6379), ("6", 2049, 2049),
    ("6", 8080, 8090), ("6", 9090, 9090), ("6", 1024, 65535), ("17", 53, 53), ("-1", None, None),
]  # fmt: skip


def aws_state(rng: random.Random, nodes: int) -> tuple[AwsState, tuple[SecurityGroupPolicy, ...]]:
    pod_subnets = [f"198.18.{8 * k}.0/21" for k in range(10)]
    node_subnets = [f"198.19.{k}.0/24" for k in range(30)]
    svc_subnets = [f"198.19.{100 + k}.0/24" for k in range(8)]
    subnets = (
        [Subnet(f"subnet-pod{k}", VPC, c, f"az{k % 3}") for k, c in enumerate(pod_subnets)]
        + [Subnet(f"subnet-node{k}", VPC, c, f"az{k % 3}") for k, c in enumerate(node_subnets)]
        + [Subnet(f"subnet-svc{k}", VPC, c, f"az{k % 3}") for k, c in enumerate(svc_subnets)]
        + [Subnet("subnet-pub", VPC, "198.19.200.0/24", "az0", map_public_ip_on_launch=True)]
    )
    lists = tuple(
        ManagedPrefixList(
            f"pl-{k}", f"list-{k}", owner_id="123456789012",
            entries=tuple(f"198.19.{150 + k}.{16 * e}/28" for e in range(10)),
        )
        for k in range(20)
    )  # fmt: skip
    ng_groups = [f"sg-ng{k}" for k in range(10)]
    svc_groups = [f"sg-svc{k}" for k in range(40)]
    sgp_groups = [f"sg-pod{k}" for k in range(30)]
    filler = [f"sg-x{k}" for k in range(500 - 12 - 40 - 30)]
    all_groups = [*ng_groups, "sg-shared", "sg-cluster", *svc_groups, *sgp_groups, *filler]
    # single hosts: bastions and appliances in the node and service subnets, and
    # addresses on the far side of a VPN (TEST-NET-3)
    hosts = [f"198.19.{rng.randrange(108)}.{rng.randrange(200, 250)}/32" for _ in range(150)]
    hosts += [f"203.0.113.{rng.randrange(1, 255)}/32" for _ in range(50)]
    cidrs = [*pod_subnets, *node_subnets, *svc_subnets, *hosts, "0.0.0.0/0", "198.18.0.0/15"]

    def rules(count: int) -> tuple[SecurityGroupRule, ...]:
        out = []
        for _ in range(count):
            proto, lo, hi = rng.choice(PORTS)
            kind = rng.random()
            if kind < 0.4:
                peer: dict[str, str] = {"group_id": rng.choice(all_groups)}
            elif kind < 0.8:
                peer = {"cidr": rng.choice(cidrs)}
            else:
                peer = {"prefix_list_id": rng.choice(lists).prefix_list_id}
            out.append(SecurityGroupRule(proto, lo, hi, **peer))
        return tuple(out)

    groups = []
    for gid in all_groups:
        ingress = rules(40)
        egress = rules(20)
        if gid in ("sg-shared", *svc_groups):
            ingress = (SecurityGroupRule(group_id="sg-shared"), *ingress[1:])
        if gid in (*ng_groups, *sgp_groups, "sg-shared"):
            egress = (SecurityGroupRule(cidr="0.0.0.0/0"), *egress[1:])
        groups.append(SecurityGroup(gid, VPC, gid, ingress=ingress, egress=egress))
    acls = [NetworkAcl("acl-default", VPC, is_default=True, entries=(
        NetworkAclEntry(100, False, NaclAction.ALLOW), NetworkAclEntry(100, True, NaclAction.ALLOW),
    ))]  # fmt: skip
    for k, s in enumerate(subnets[:48]):
        entries = []
        for e in range(10):
            proto, lo, hi = rng.choice(PORTS)
            action = NaclAction.DENY if rng.random() < 0.2 else NaclAction.ALLOW
            for egress in (False, True):
                entries.append(
                    NetworkAclEntry(10 * (e + 1), egress, action, proto, rng.choice(cidrs), lo, hi)
                )
        entries += [NetworkAclEntry(200, False, NaclAction.ALLOW),
                    NetworkAclEntry(200, True, NaclAction.ALLOW)]  # fmt: skip
        acls.append(NetworkAcl(f"acl-{k}", VPC, entries=tuple(entries), subnet_ids=(s.subnet_id,)))
    acls.append(NetworkAcl("acl-spare", VPC))
    instances = []
    for i in range(nodes):
        subnet = f"subnet-node{i // 34}"
        sgs = (ng_groups[i % 10], "sg-shared")
        eni = NetworkInterface(f"eni-n{i}", subnet, 0, _node_ip(i), security_group_ids=sgs)
        instances.append(
            Instance(
                f"i-{i}",
                "m5.4xlarge",
                subnet,
                private_ip=_node_ip(i),
                node_name=f"node-{i}",
                node_group=f"ng{i % 10}",
                cluster="bench",
                security_group_ids=sgs,
                network_interfaces=(eni,),
            )
        )
    dbs, caches, efs, endpoints = [], [], [], []
    for k in range(200):
        subnet = f"subnet-svc{k % 8}"
        address = f"198.19.{100 + k % 8}.{10 + k // 8}"
        sgs = (svc_groups[k % 40], svc_groups[(k * 7) % 40])
        iface = (ServiceInterface(subnet, address, f"eni-svc{k}"),)
        if k < 120:
            dbs.append(DatabaseInstance(f"db{k}", "postgres", 5432 if k % 3 else 3306, VPC,
                                        security_group_ids=sgs, interfaces=iface))  # fmt: skip
        elif k < 160:
            caches.append(CacheCluster(f"cache{k}", "redis", 6379, VPC, security_group_ids=sgs,
                                       interfaces=iface))  # fmt: skip
        elif k < 180:
            efs.append(EfsMountTarget(f"fsmt-{k}", f"fs-{k // 4}", subnet, address,
                                      f"eni-svc{k}", sgs))  # fmt: skip
        else:
            endpoints.append(VpcEndpoint(f"vpce-{k}", VPC, f"com.amazonaws.eu-west-1.svc{k}",
                                         subnet_ids=(subnet,), security_group_ids=sgs,
                                         interfaces=iface))  # fmt: skip
    tables = (
        RouteTable("rtb-main", VPC, main=True, routes=(
            Route("198.18.0.0/15", "local"), Route("0.0.0.0/0", "nat-1"),
            *(Route(pl.prefix_list_id, "pcx-1") for pl in lists[:5]),
        )),
        RouteTable("rtb-pub", VPC, subnet_ids=("subnet-pub",), routes=(
            Route("198.18.0.0/15", "local"), Route("0.0.0.0/0", "igw-1"),
        )),
    )  # fmt: skip
    env = {"ENABLE_POD_ENI": "true"}
    cluster = EksCluster(
        "bench", "eu-west-1", "arn:aws:eks:eu-west-1:123456789012:cluster/bench", "1.31",
        vpc_id=VPC, subnet_ids=tuple(f"subnet-node{k}" for k in range(3)),
        cluster_security_group_id="sg-cluster", vpc_cni=VpcCniSettings.from_env(env),
        node_groups=tuple(NodeGroup(f"ng{k}", security_group_ids=(ng_groups[k],))
                          for k in range(10)),
    )  # fmt: skip
    account = Account(
        "123456789012", eks_clusters=(cluster,), vpcs=(Vpc(VPC, "eu-west-1", ("198.18.0.0/15",)),),
        subnets=tuple(subnets), route_tables=tables, instances=tuple(instances),
        nat_gateways=(NatGateway("nat-1", "subnet-pub"),), security_groups=tuple(groups),
        prefix_lists=lists, network_acls=tuple(acls), db_instances=tuple(dbs),
        cache_clusters=tuple(caches), efs_mount_targets=tuple(efs), vpc_endpoints=tuple(endpoints),
    )  # fmt: skip
    sgps = tuple(
        SecurityGroupPolicy(
            f"sgp{k}",
            f"ns{k * 7:03d}",
            (sgp_groups[k],),
            pod_selector=LabelSelector((("app", "app0"),)),
        )
        for k in range(30)
    )
    return AwsState(accounts=(account,)), sgps


CPU: dict[str, float] = {}


def _timed(fn: Any, name: str = "") -> tuple[float, Any]:
    """Wall time of ``fn()`` (and its CPU time under ``name``: the machine may be
    shared, and the CPU time is what the work itself costs)."""
    c0 = time.process_time()
    t0 = time.perf_counter()
    got = fn()
    wall = time.perf_counter() - t0
    if name:
        CPU[name] = time.process_time() - c0
    return wall, got


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pods", type=int, default=20000)
    ap.add_argument("--nodes", type=int, default=1000)
    args = ap.parse_args()
    rng = random.Random(21)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "cluster.yaml"
        path.write_text(
            yaml.safe_dump_all(kubernetes_docs(args.pods, args.nodes), sort_keys=False),
            encoding="utf-8",
        )
        t_load, result = _timed(lambda: load([str(path)]))
    aws, sgps = aws_state(rng, args.nodes)
    platform = replace(result.platform, aws=aws, security_group_policies=sgps)
    t_net, model = _timed(lambda: NetModel(platform))
    t_vpc, ctx = _timed(lambda: VpcModel.build(platform))
    t_mesh, mesh = _timed(lambda: MeshModel(platform, model))
    pods = sorted(p.key for p in platform.pods if not p.spec.host_network)
    print(
        f"platform: {len(platform.pods):,} pods on {len(platform.nodes):,} nodes, "
        f"{len(platform.network_policies):,} NetworkPolicies, {len(aws.security_groups)} "
        f"security groups x 60 rules, {len(aws.network_acls)} network ACLs, "
        f"{len(aws.db_instances) + len(aws.cache_clusters) + len(aws.efs_mount_targets)}"
        f" + {len(aws.vpc_endpoints)} AWS destinations"
    )
    print(f"loading: YAML {t_load:.1f}s, net model {t_net:.1f}s, VPC model {t_vpc:.1f}s, "
          f"mesh model {t_mesh:.1f}s")  # fmt: skip
    src, dst = pods[len(pods) // 3], "rds:db7"
    t_can, answer = _timed(lambda: explain_flow(ctx, model, src, dst, 5432, mesh=mesh), "can")
    t_can_pod, _ = _timed(
        lambda: explain_flow(ctx, model, src, pods[-1], 8080, mesh=mesh), "can_pod"
    )
    t_can_off, _ = _timed(
        lambda: explain_flow(
            ctx, model, pods[len(pods) // 2], "rds:db9", 5432, mesh=mesh, aws=False
        )
    )
    t_to_aws, m = _timed(lambda: aws_matrix(ctx, model, Granularity.WORKLOAD), "to_aws")
    t_cluster, cm = _timed(lambda: cluster_matrix(ctx, model, Granularity.WORKLOAD), "cluster")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    # the comparison: the cluster layers alone (--no-aws)
    t_to_aws_off, m_off = _timed(
        lambda: aws_matrix(ctx, model, Granularity.WORKLOAD, aws=False), "to_aws_off"
    )
    fresh = NetModel(platform)  # the same work from scratch: class rows and the matrix
    t_cluster_off, net_m = _timed(lambda: matrix(fresh, Granularity.WORKLOAD), "cluster_off")
    print(f"{'figure':44} {'with AWS':>17} {'--no-aws':>17} {'target':>10}")
    rows = [
        ("pod-to-AWS matrix (by workload)", "to_aws", t_to_aws, "to_aws_off", t_to_aws_off,
         "<= 15 s"),
        ("cluster matrix (by workload)", "cluster", t_cluster, "cluster_off", t_cluster_off,
         "<= 15 s"),
        ("one net can after loading (pod -> RDS)", "can", t_can, "", t_can_off, "<= 0.1 s"),
        ("one net can after loading (pod -> pod)", "can_pod", t_can_pod, "", None, "<= 0.1 s"),
    ]  # fmt: skip
    print(f"{'':44} {'(wall / CPU seconds)':>32}")
    for name, key, on, key_off, off, target in rows:
        on_text = f"{on:7.3f} / {CPU[key]:7.3f}"
        off_text = (
            "" if off is None else f"{off:7.3f}" + (f" / {CPU[key_off]:7.3f}" if key_off else "")
        )
        print(f"{name:44} {on_text:>17} {off_text:>17} {target:>10}")
    print(
        f"{'peak memory (max RSS of the process)':44} {rss / 2**30:8.2f}GiB "
        f"{'':>10} {'<= 3 GiB':>10}"
    )
    print(
        f"pod-to-AWS flows {len(m.flows):,} (without AWS {len(m_off.flows):,}); cluster matrix "
        f"{len(cm.allowed.flows):,} allowed + {len(cm.unknown.flows):,} unknown flows (policy "
        f"alone {len(net_m.flows):,}); net can {src} -> {dst}: {answer.allowed}"
    )
    print("VPC Reachability Analyzer (named by the issue) is an AWS service: it cannot run here, "
          "so there is no figure of it to compare")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())

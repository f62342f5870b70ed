"""What the AWS layer renders, as text (no root needed): network ACLs, route
tables, security groups, and which security groups a branch ENI carries."""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path

from ekstwin.lab import aws as aws_module
from ekstwin.lab import render as render_module
from ekstwin.lab.aws import (
    GroupMembers,
    branch_groups,
    render_router,
    render_service_groups,
)
from ekstwin.model.aws import (
    Account,
    AwsState,
    EksCluster,
    Instance,
    NetworkInterface,
    Route,
    RouteTable,
    Subnet,
    VpcCniSettings,
)
from ekstwin.model.k8s import Meta, Pod, PodSpec
from ekstwin.model.platform import Platform
from ekstwin.model.selectors import LabelSelector
from ekstwin.model.source import Source
from ekstwin.model.vpc import (
    ManagedPrefixList,
    NaclAction,
    NetworkAcl,
    NetworkAclEntry,
    SecurityGroup,
    SecurityGroupPolicy,
    SecurityGroupRule,
)

ALLOW, DENY = NaclAction.ALLOW, NaclAction.DENY


def _platform(**account: object) -> Platform:
    base: dict[str, object] = {
        "subnets": (
            Subnet("subnet-a", "vpc-1", "198.18.0.0/24", "us-east-1a"),
            Subnet("subnet-b", "vpc-1", "198.18.1.0/24", "us-east-1a"),
        )
    }
    base.update(account)
    return Platform(aws=AwsState(accounts=(Account("111122223333", **base),)))  # type: ignore[arg-type]


def test_network_acl_entries_in_rule_number_order_first_match_default_deny() -> None:
    acl = NetworkAcl(
        "acl-1",
        "vpc-1",
        subnet_ids=("subnet-a",),
        entries=(
            NetworkAclEntry(200, False, ALLOW, "-1", "0.0.0.0/0"),
            NetworkAclEntry(100, False, DENY, "6", "198.18.1.0/24", 22, 22),
            NetworkAclEntry(110, False, ALLOW, "1", "0.0.0.0/0", icmp_type=8, icmp_code=0),
            NetworkAclEntry(100, True, ALLOW, "17", "0.0.0.0/0", 1024, 65535),
            NetworkAclEntry(120, True, ALLOW, "58", "::/0"),  # IPv6: never an IPv4 packet
        ),
    )
    text = render_router(_platform(network_acls=(acl,)), "inet0").iptables
    i, o = "ekaws-acl-i-" , "ekaws-acl-o-"  # fmt: skip
    lines = text.splitlines()
    out_chain = next(x.split()[0][1:] for x in lines if x.startswith(":" + o))
    in_chain = next(x.split()[0][1:] for x in lines if x.startswith(":" + i))
    rules = [x for x in lines if x.startswith("-A") and not x.startswith("-A ekaws-igw")]
    assert rules == [
        "-A FORWARD -o inet0 -j ekaws-igw",
        "-A FORWARD -j ekaws-nacl",
        # the same subnet passes no ACL; subnet-b has no ACL known: not rendered
        "-A ekaws-nacl -s 198.18.0.0/24 -d 198.18.0.0/24 -j RETURN",
        "-A ekaws-nacl -s 198.18.1.0/24 -d 198.18.1.0/24 -j RETURN",
        f"-A ekaws-nacl -s 198.18.0.0/24 -j {out_chain}",
        f"-A ekaws-nacl -d 198.18.0.0/24 -j {in_chain}",
        f'-A {out_chain} -p udp -m udp --dport 1024:65535 -m comment --comment "acl-1 100" '
        "-j RETURN",
        f'-A {out_chain} -m comment --comment "acl-1 *" -j DROP',
        f"-A {in_chain} -p tcp -m tcp --dport 22:22 -s 198.18.1.0/24 "
        '-m comment --comment "acl-1 100" -j DROP',
        f'-A {in_chain} -p icmp -m icmp --icmp-type 8/0 -m comment --comment "acl-1 110" -j RETURN',
        f'-A {in_chain} -m comment --comment "acl-1 200" -j RETURN',
        f'-A {in_chain} -m comment --comment "acl-1 *" -j DROP',
    ]
    # the internet gateway translates only addresses with a public one (none here)
    assert [x for x in lines if x.startswith("-A ekaws-igw")] == [
        "-A ekaws-igw -m set --match-set ekaws-rch225ymhit4hg2ib77w src -j RETURN",
        '-A ekaws-igw -m comment --comment "no public address: the internet gateway does not '
        'translate it" -j DROP',
    ]
    assert "ctstate" not in text  # stateless: replies are judged like requests


def test_route_tables_become_policy_routing() -> None:
    table = RouteTable(
        "rtb-1",
        "vpc-1",
        subnet_ids=("subnet-a",),
        routes=(
            Route("198.18.0.0/16", "local"),
            Route("0.0.0.0/0", "nat-1"),
            Route("203.0.113.0/25", "nat-gone", state="blackhole"),
            Route("203.0.113.128/25", "pcx-1"),  # the far side is not in the lab
            Route("pl-s3", "vpce-1"),
        ),
    )
    main = RouteTable(
        "rtb-main", "vpc-1", main=True,
        routes=(Route("198.18.0.0/16", "local"), Route("203.0.113.64/26", "igw-1")),
    )  # fmt: skip
    platform = _platform(
        route_tables=(table, main),
        prefix_lists=(ManagedPrefixList("pl-s3", "com.amazonaws.us-east-1.s3", entries=()),),
    )
    rules = render_router(platform, "inet0", {"nat-1": "g0"})
    assert rules.routes == (
        "route add throw 198.18.0.0/16 table 1000",
        "route add 0.0.0.0/0 dev g0 table 1000",  # the NAT gateway's namespace
        "route add blackhole 203.0.113.0/25 table 1000",
        "route add blackhole 203.0.113.128/25 table 1000",
        "rule add from 198.18.0.0/24 lookup 1000 pref 100",
        "route add throw 198.18.0.0/16 table 1001",
        "route add 203.0.113.64/26 dev inet0 table 1001",
        # no default route: what no route matches is dropped, not routed by the router's own table
        "route add blackhole 0.0.0.0/0 table 1001",
        "rule add from 198.18.1.0/24 lookup 1001 pref 100",
    )
    assert rules.internet_in_main is False


def test_security_group_rules_and_peers() -> None:
    db = SecurityGroup(
        "sg-db",
        ingress=(
            SecurityGroupRule("6", 5432, 5432, group_id="sg-app"),
            SecurityGroupRule("6", 5432, 5432, prefix_list_id="pl-office"),
            SecurityGroupRule("6", 5432, 5432, prefix_list_id="pl-aws"),  # entries unknown
            SecurityGroupRule("1", 8, None, cidr="198.18.0.0/16"),
            SecurityGroupRule("-1", cidr="0.0.0.0/0"),
            SecurityGroupRule("58", cidr="::/0"),
            SecurityGroupRule("6", 22, 22, group_id="sg-nobody"),
        ),
        egress=(),
    )
    platform = _platform(
        security_groups=(db,),
        prefix_lists=(
            ManagedPrefixList("pl-office", entries=("203.0.113.0/28",)),
            ManagedPrefixList("pl-aws", "com.amazonaws.us-east-1.s3", owner_id="AWS"),
        ),
    )
    members = GroupMembers({"sg-app": ("198.18.0.20", "198.18.0.21")})
    rules = render_service_groups(platform, ("sg-db",), members)
    lines = rules.iptables.splitlines()
    chain = next(x.split()[0][1:] for x in lines if x.startswith(":ekaws-in-"))
    sets = [x.split()[1] for x in rules.ipsets.splitlines() if x.startswith("create")]
    app = next(s for s in sets if "198.18.0.20" in rules.ipsets.split(f"create {s}")[1][:200])
    office = next(s for s in sets if s != app)
    assert [x for x in lines if x.startswith(f"-A {chain}")] == [
        f"-A {chain} -p tcp -m tcp --dport 5432:5432 -m set --match-set {app} src "
        '-m comment --comment "sg-db in 0" -j ACCEPT',
        f"-A {chain} -p tcp -m tcp --dport 5432:5432 -m set --match-set {office} src "
        '-m comment --comment "sg-db in 1" -j ACCEPT',
        f"-A {chain} -p icmp -m icmp --icmp-type 8 -s 198.18.0.0/16 "
        '-m comment --comment "sg-db in 3" -j ACCEPT',
        f'-A {chain} -m comment --comment "sg-db in 4" -j ACCEPT',
        f'-A {chain} -m comment --comment "no rule of sg-db" -j DROP',
    ]
    assert sorted(rules.ipsets.splitlines()) == sorted(
        [
            f"create {app} hash:net family inet maxelem 1048576",
            f"add {app} 198.18.0.20/32",
            f"add {app} 198.18.0.21/32",
            f"create {office} hash:net family inet maxelem 1048576",
            f"add {office} 203.0.113.0/28",
        ]
    )
    # stateful: a reply or a packet of an admitted flow passes before any rule
    assert "-A ekaws-eni-in -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT" in lines
    assert "-A ekaws-eni-out -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT" in lines


def _pod(name: str, labels: dict[str, str], sa: str = "default") -> Pod:
    meta = Meta("v1", "Pod", name, "shop", Source("pods.yaml", 1), labels=labels)
    return Pod(meta, PodSpec((), service_account=sa))


def test_branch_groups_union_of_matching_policies() -> None:
    cluster = EksCluster(
        "c", "us-east-1", "arn:aws:eks:us-east-1:111122223333:cluster/c", "1.31",
        vpc_cni=VpcCniSettings.from_env({"ENABLE_POD_ENI": "true"}),
    )  # fmt: skip
    sgps = (
        SecurityGroupPolicy("b", "shop", ("sg-2", "sg-1"),
                            pod_selector=LabelSelector((("app", "api"),))),
        SecurityGroupPolicy("a", "shop", ("sg-1",), pod_selector=LabelSelector()),
        SecurityGroupPolicy("both", "shop", ("sg-3",),
                            pod_selector=LabelSelector((("app", "api"),)),
                            service_account_selector=LabelSelector((("tier", "x"),))),
        SecurityGroupPolicy("other-ns", "web", ("sg-9",), pod_selector=LabelSelector()),
    )  # fmt: skip
    platform = dataclasses.replace(_platform(eks_clusters=(cluster,)), security_group_policies=sgps)
    assert branch_groups(platform, _pod("p", {"app": "api"})) == ("sg-1", "sg-2")
    assert branch_groups(platform, _pod("q", {"app": "web"})) == ("sg-1",)
    off = dataclasses.replace(platform, aws=_platform().aws)
    assert branch_groups(off, _pod("p", {"app": "api"})) is None  # ENABLE_POD_ENI off


def test_renderers_read_the_model_only() -> None:
    """The renderers import no engine: the differential test compares the two."""
    for module in (aws_module, render_module):
        tree = ast.parse(Path(str(module.__file__)).read_text("utf-8"))
        imported = [
            node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
        ] + [a.name for node in ast.walk(tree) if isinstance(node, ast.Import) for a in node.names]
        assert [m for m in imported if m.startswith("ekstwin.") and
                not m.startswith("ekstwin.model")] == [], module.__name__  # fmt: skip


def test_group_members_follow_the_labs_placement() -> None:
    """A branch-ENI pod's address that the input also lists on its node's ENI
    (or inside a prefix of it) is the branch ENI's, not a member of the node's group."""
    node_eni = NetworkInterface(
        "eni-1",
        device_index=0,
        primary_ip="198.18.0.10",
        secondary_ips=("198.18.0.11", "198.18.0.12"),
        prefixes=("198.18.0.32/28",),
        security_group_ids=("sg-node",),
    )
    platform = _platform(
        instances=(Instance("i-1", "m5.large", "subnet-a", network_interfaces=(node_eni,)),)
    )
    lab = [
        ("198.18.0.10", ("sg-node",)),  # the node
        ("198.18.0.11", ("sg-node",)),  # a pod on the node's ENI
        ("198.18.0.12", ("sg-pod",)),  # a branch-ENI pod
        ("198.18.0.33", ("sg-pod",)),  # a branch-ENI pod inside the node ENI's prefix
    ]
    members = GroupMembers.build(platform, lab)
    assert dict(members.by_group) == {
        "sg-node": ("198.18.0.10", "198.18.0.11", "198.18.0.32/28", "198.18.0.33 nomatch"),
        "sg-pod": ("198.18.0.12", "198.18.0.33"),
    }

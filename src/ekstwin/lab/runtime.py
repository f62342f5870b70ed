"""Bring a lab plan up as network namespaces, apply policy, bring it down again.

Everything the lab creates is a network namespace named ``<prefix>…``; veth
pairs are created inside a lab namespace with their peer put straight into
another lab namespace, so no interface, route, rule or sysctl ever lands in
the root namespace. A state file (``<state-dir>/<prefix>state.json``) is
written before anything is created; ``down`` removes what the state file
lists and every namespace that carries the prefix, so it also cleans up
after a crash.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from ekstwin.lab.agent import __file__ as _agent_file
from ekstwin.lab.aws import (
    FIRST_TABLE,
    AwsRules,
    GroupMembers,
    NodeEnis,
    branch_groups,
    node_instance,
    pod_eni_groups,
    primary_groups,
    render_node_groups,
    render_router,
    render_service_groups,
    service_destinations,
)
from ekstwin.lab.plan import (
    INTERNET_ADDRESS,
    INTERNET_CIDR,
    LabPlan,
    PodSite,
    custom_network_groups,
)
from ekstwin.lab.render import LocalEndpoint, PolicyRenderer, SnatConfig
from ekstwin.lab.system import LabError, lab_namespaces, require_lab_host, run, run_in
from ekstwin.model.platform import Platform

__all__ = [
    "DEFAULT_STATE_DIR",
    "DownReport",
    "LabState",
    "apply_policy",
    "bring_down",
    "bring_up",
    "read_state",
    "state_file",
]

log = logging.getLogger(__name__)

DEFAULT_STATE_DIR = "/run/ekstwin-lab"
#: The helper runs as a plain script (stdlib only) so that it starts fast.
AGENT_PATH = os.path.abspath(_agent_file)
_MAC = "ee:ee:ee:ee:ee:ee"
_EMPTY_TABLES = "*filter\nCOMMIT\n*nat\nCOMMIT\n*mangle\nCOMMIT\n"
#: The router's link to the internet namespace.
INTERNET_IFACE = "inet0"
#: Routing tables of branch-ENI pods in their node namespace start here.
BRANCH_TABLE = 2000
#: The ports a NAT gateway translates to (AWS: 1024-65535).
NAT_PORTS = "1024-65535"
#: Linux's ephemeral ports (its default, set in every pod namespace of an AWS lab).
EPHEMERAL_PORTS = "32768 60999"
#: The VPC CNI's rule priorities (networkutils: VlanRulePriority,
#: ToContainerRulePriority, FromPodRulePriority).
VLAN_PREF = 10
TO_CONTAINER_PREF = 512
FROM_POD_PREF = 1536
Progress = Callable[[str], None]


def state_file(state_dir: str, prefix: str) -> Path:
    return Path(state_dir) / f"{prefix}state.json"


def _pid_file(state_dir: str, prefix: str) -> Path:
    return Path(state_dir) / f"{prefix}listener.pid"


@dataclass(frozen=True, slots=True)
class LabState:
    prefix: str
    plan: LabPlan
    platform_paths: tuple[str, ...]
    listener_pid: int | None
    status: str
    #: Whether the platform was loaded with the objects ekstwin implies (probe
    #: loads it again the same way).
    implied: bool = True


def _write_state(state_dir: str, prefix: str, data: dict[str, object]) -> None:
    path = state_file(state_dir, prefix)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=1), encoding="utf-8")
    tmp.replace(path)


def read_state(state_dir: str, prefix: str) -> LabState | None:
    path = state_file(state_dir, prefix)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise LabError(f"cannot read the lab state {path}: {exc} - run 'ekstwin lab down'") from exc
    plan = LabPlan.from_json(data["plan"])
    pid = data.get("listener_pid")
    return LabState(
        prefix=str(data["prefix"]),
        plan=plan,
        platform_paths=tuple(data.get("platform_paths", [])),
        listener_pid=int(pid) if pid else None,
        status=str(data.get("status", "")),
        implied=data.get("implied", True) is not False,
    )


def _batch(netns: str | None, lines: list[str]) -> None:
    if not lines:
        return
    args = ["ip"] + (["-n", netns] if netns else []) + ["-batch", "-"]
    run(args, "\n".join(lines) + "\n")


def _veth(local: str, peer_netns: str, peer: str = "eth0") -> list[str]:
    return [
        f"link add {local} address {_MAC} type veth peer name {peer} netns {peer_netns} "
        f"address {_MAC}",
        f"link set {local} arp off up",
    ]


def _pod_routes(plan: LabPlan, pod: PodSite) -> list[str]:
    """A pod's routes and rules in its node namespace, as the VPC CNI sets them.

    With the AWS layer every pod has the CNI's "to container" rule (``to <pod>
    lookup main``, priority 512). A branch-ENI pod (security groups for pods)
    has a table of its own whose default route is its branch link (the CNI's
    VLAN). Strict mode: rules on the input interface (priority 10: from its veth
    and from its branch link to its table) and no route in the main table, so
    all its traffic, even from and to the node's other pods, goes through the
    VPC. Standard mode: the pod's route is in the main table and a "from
    <pod>" rule (priority 1536) sends what it sends elsewhere to its table,
    so traffic with the node's other pods stays on the node."""
    route = f"route add {pod.ip}/32 dev {pod.iface}"
    if not plan.aws:
        return [route]
    to_container = f"rule add to {pod.ip}/32 lookup main pref {TO_CONTAINER_PREF}"
    if not pod.branch:
        return [route, to_container]
    table = BRANCH_TABLE + int(pod.branch.removeprefix("br"))
    lines = [
        f"link set {pod.branch} arp off up",
        f"route add default dev {pod.branch} table {table}",
    ]
    if plan.pod_sg_mode == "standard":
        lines += [route, to_container,
                  f"rule add from {pod.ip}/32 lookup {table} pref {FROM_POD_PREF}"]  # fmt: skip
        if not plan.external_snat:
            # the pod's veth has the usual prefix: the CNI's connmark sends its new
            # connections outside the VPC to the main table, SNATed through eth0;
            # its table routes only the VPC (and the SNAT exclusions) to the branch
            lines[1] = f"route add default dev eth0 table {table}"
            lines += [
                f"route add {cidr} dev {pod.branch} table {table}"
                for cidr in (*plan.vpc_cidrs, *plan.exclude_snat_cidrs)
            ]
        return lines
    return [
        *lines,
        f"route add {pod.ip}/32 dev {pod.iface} table {table}",
        f"rule add iif {pod.branch} lookup {table} pref {VLAN_PREF}",
        f"rule add iif {pod.iface} lookup {table} pref {VLAN_PREF}",
    ]


def _nat_gateway_rules(address: str) -> str:
    return (
        "*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n"
        ":POSTROUTING ACCEPT [0:0]\n"
        + "".join(
            f'-A POSTROUTING -o eth0 ! -s {address}/32 {proto}-m comment --comment "NAT gateway" '
            f"-j SNAT --to-source {address}{ports}\n"
            for proto, ports in (
                ("-p tcp ", f":{NAT_PORTS} --random-fully"),
                ("-p udp ", f":{NAT_PORTS} --random-fully"),
                ("", ""),
            )
        )
        + "COMMIT\n"
    )


def _build(plan: LabPlan, progress: Progress) -> None:
    names = plan.namespaces()
    _batch(None, [f"netns add {n}" for n in names])
    progress(f"{len(names)} namespaces")
    vpc = plan.vpc_netns
    lines = ["link set lo up"]
    for node in plan.nodes:
        lines += _veth(node.vpc_iface, node.netns)
        lines.append(f"route add {node.ip}/32 dev {node.vpc_iface}")
    for pod in plan.pods:
        if pod.branch:
            # the branch ENI: its own link from the pod's node to the VPC
            lines += _veth(pod.branch, plan.node(pod.node).netns, pod.branch)
            lines.append(f"route add {pod.ip}/32 dev {pod.branch}")
        else:
            lines.append(f"route add {pod.ip}/32 dev {plan.node(pod.node).vpc_iface}")
    for svc in plan.services:
        lines += _veth(svc.vpc_iface, svc.netns)
        lines.append(f"route add {svc.ip}/32 dev {svc.vpc_iface}")
    for nat in plan.nats:
        lines += _veth(nat.vpc_iface, nat.netns)
        lines.append(f"route add {nat.ip}/32 dev {nat.vpc_iface}")
    lines += _veth(INTERNET_IFACE, plan.internet_netns)
    if not plan.aws:
        # with the AWS layer the subnets' route tables lead to the internet
        lines.append(f"route add {INTERNET_CIDR} dev {INTERNET_IFACE}")
    _batch(vpc, lines)
    hosts = [(s.netns, s.ip) for s in plan.services] + [(g.netns, g.ip) for g in plan.nats]
    for netns, ip in hosts:
        _batch(
            netns,
            [
                "link set lo up",
                "link set eth0 arp off up",
                f"addr add {ip}/32 dev eth0",
                "route add default dev eth0",
            ],
        )
    _batch(
        plan.internet_netns,
        [
            "link set lo up",
            "link set eth0 arp off up",
            f"addr add {INTERNET_ADDRESS}/24 dev eth0",
            "route add default dev eth0",
        ],
    )
    for node in plan.nodes:
        lines = [
            "link set lo up",
            "link set eth0 arp off up",
            f"addr add {node.ip}/32 dev eth0",
            "route add default dev eth0",
        ]
        for pod in plan.pods:
            if pod.node == node.name:
                lines += _veth(pod.iface, pod.netns)
                lines += _pod_routes(plan, pod)
        _batch(node.netns, lines)
    progress(f"{len(plan.nodes)} nodes wired")
    for pod in plan.pods:
        _batch(
            pod.netns,
            [
                "link set lo up",
                "link set eth0 arp off up",
                f"addr add {pod.ip}/32 dev eth0",
                "route add default dev eth0",
            ],
        )
    progress(f"{len(plan.pods)} pods wired")
    for ns in (vpc, *(n.netns for n in plan.nodes), *(g.netns for g in plan.nats)):
        run_in(ns, ["sh", "-c", "echo 1 > /proc/sys/net/ipv4/ip_forward"])
    for nat in plan.nats:
        # what a NAT gateway forwards leaves with its address, on ports 1024-65535
        run_in(nat.netns, ["sh", "-c", "for f in /proc/sys/net/ipv4/conf/*/send_redirects; "
                           "do echo 0 > $f; done"])  # fmt: skip
        run_in(nat.netns, ["iptables-restore"], _nat_gateway_rules(nat.ip))
    if plan.aws:
        # the ephemeral ports the network ACLs' return entries are judged against
        for pod in plan.pods:
            run_in(pod.netns, ["sh", "-c", f"echo {EPHEMERAL_PORTS} > "
                               "/proc/sys/net/ipv4/ip_local_port_range"])  # fmt: skip
        # a packet of a pod in strict mode leaves its node and comes back in on
        # another link: no reverse-path filter may drop it
        for ns in (vpc, *(n.netns for n in plan.nodes)):
            run_in(
                ns,
                ["sh", "-c", "for f in /proc/sys/net/ipv4/conf/*/rp_filter; do echo 0 > $f; done"],
            )


def apply_policy(platform: Platform, plan: LabPlan, pod_ips: Mapping[str, str]) -> None:
    """Render the platform's policy for each node and load it (iptables and ipsets).

    ``pod_ips``: the address of every pod of the platform; a local pod is tied to
    its interface by address, so a platform whose pods take the plan's addresses
    can be applied to a lab built from another platform (the differential test
    re-renders rules without rebuilding namespaces)."""
    renderer = PolicyRenderer(platform, pod_ips)
    by_ip = {ip: key for key, ip in pod_ips.items()}
    aws_rules = _apply_aws(platform, plan) if plan.aws else {}
    for node in plan.nodes:
        locals_ = [
            LocalEndpoint(by_ip[p.ip], p.ip, p.iface)
            for p in plan.pods
            # a strict-mode branch-ENI pod's veth is not Calico's (``vlan`` prefix)
            if p.node == node.name and p.ip in by_ip and p.iface.startswith("cali")
        ]
        snat = (
            None
            if plan.external_snat
            else SnatConfig(
                node.ip, plan.vpc_cidrs, plan.exclude_snat_cidrs, randomize=plan.randomize_snat
            )
        )
        rules = renderer.render_node(locals_, snat)
        extra = aws_rules.get(node.name)
        run_in(node.netns, ["iptables-restore"], _EMPTY_TABLES)
        run_in(node.netns, ["ipset", "destroy"])
        run_in(node.netns, ["ipset", "restore"], rules.ipsets + (extra.ipsets if extra else ""))
        run_in(node.netns, ["iptables-restore"], rules.iptables + (extra.iptables if extra else ""))
    if plan.nodes:
        # flows admitted under the previous rules must not ride on as ESTABLISHED
        run([sys.executable, "-I", AGENT_PATH, "flush-conntrack", plan.prefix,
             *(n.netns for n in plan.nodes), *(s.netns for s in plan.services),
             *(g.netns for g in plan.nats)])  # fmt: skip


def _apply_aws(platform: Platform, plan: LabPlan) -> dict[str, AwsRules]:
    """Load the VPC router's network ACLs and route tables and each service's
    security groups; return each node's security groups (its ``mangle`` table)."""
    router = render_router(platform, INTERNET_IFACE, {g.gateway_id: g.vpc_iface for g in plan.nats})
    vpc = plan.vpc_netns
    run_in(vpc, ["iptables-restore"], _EMPTY_TABLES)
    run_in(vpc, ["ipset", "destroy"])
    run_in(vpc, ["ipset", "restore"], router.ipsets)
    run_in(vpc, ["iptables-restore"], router.iptables)
    current = run(["ip", "-n", vpc, "rule", "show"])
    stale = [line for line in current.splitlines() if line.startswith("100:")]
    lines = ["rule del pref 100" for _ in stale]
    lines += [f"route flush table {FIRST_TABLE + i}" for i in range(len(stale))]
    with contextlib.suppress(LabError):  # a table already empty is no error
        run(["ip", "-force", "-n", vpc, "-batch", "-"], "\n".join(lines) + "\n")
    _batch(vpc, list(router.routes))
    instances = {n.name: node_instance(platform, n.name, n.ip) for n in plan.nodes}
    custom = custom_network_groups(platform)
    pods = {p.key: p for p in platform.pods}
    branch: dict[str, tuple[str, ...] | None] = {}
    hosts: list[tuple[str, Sequence[str]]] = []
    for node in plan.nodes:
        hosts.append((node.ip, primary_groups(instances[node.name]) or ()))
    for site in plan.pods:
        pod = pods.get(site.key)
        if site.branch and pod is not None:
            branch[site.key] = branch_groups(platform, pod)
            hosts.append((site.ip, branch[site.key] or ()))
        else:
            groups = pod_eni_groups(instances[site.node], site.ip, custom.get(site.node, ()))
            hosts.append((site.ip, groups or ()))
    dests = {d.name: d for d in service_destinations(platform)}
    for svc in plan.services:
        dest = dests.get(svc.name)
        hosts.append((svc.ip, dest.group_ids if dest else ()))
    members = GroupMembers.build(platform, hosts)
    for svc in plan.services:
        dest = dests.get(svc.name)
        rules = render_service_groups(platform, dest.group_ids if dest else None, members)
        run_in(svc.netns, ["iptables-restore"], _EMPTY_TABLES)
        run_in(svc.netns, ["ipset", "destroy"])
        run_in(svc.netns, ["ipset", "restore"], rules.ipsets)
        run_in(svc.netns, ["iptables-restore"], rules.iptables)
    out: dict[str, AwsRules] = {}
    exempt = (*plan.vpc_cidrs, *plan.exclude_snat_cidrs)
    for node in plan.nodes:
        local = [p for p in plan.pods if p.node == node.name]
        enis = NodeEnis(
            node_ip=node.ip,
            primary_groups=primary_groups(instances[node.name]),
            pod_groups=tuple(
                (p.ip, pod_eni_groups(instances[node.name], p.ip, custom.get(node.name, ())))
                for p in local
                if not p.branch
            ),
            branches=tuple((p.branch, p.ip, branch.get(p.key) or ()) for p in local if p.branch),
            snat_exempt=exempt,
            snat=not plan.external_snat,
        )
        out[node.name] = render_node_groups(platform, enis, members)
    return out


def _start_listener(plan: LabPlan, state_dir: str) -> int:
    hosts: list[dict[str, object]] = [
        {"netns": p.netns, "ports": [list(x) for x in p.ports]} for p in plan.pods if p.ports
    ]
    hosts.extend({"netns": s.netns, "ports": [["TCP", s.port]]} for s in plan.services)
    hosts.append({"netns": plan.internet_netns, "ports": [list(x) for x in plan.internet_ports]})
    job = {
        "prefix": plan.prefix,
        "stop_file": str(state_file(state_dir, plan.prefix)),
        "pid_file": str(_pid_file(state_dir, plan.prefix)),
        "hosts": hosts,
    }
    job_path = Path(state_dir) / f"{plan.prefix}listener.json"
    job_path.write_text(json.dumps(job), encoding="utf-8")
    proc = subprocess.Popen(
        [sys.executable, "-I", AGENT_PATH, "serve", str(job_path)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if line.strip() != "ready":
        err = proc.stderr.read() if proc.stderr else ""
        proc.kill()
        proc.wait()
        raise LabError(f"the lab listener did not start: {err.strip()[-1000:]}")
    proc.stdout.close()
    if proc.stderr is not None:
        proc.stderr.close()
    return proc.pid


def bring_up(
    platform: Platform,
    plan: LabPlan,
    pod_ips: Mapping[str, str],
    *,
    state_dir: str = DEFAULT_STATE_DIR,
    platform_paths: tuple[str, ...] = (),
    progress: Progress | None = None,
    implied: bool = True,
) -> LabState:
    """Create the lab; on any failure everything created so far is removed."""
    require_lab_host()
    say = progress or (lambda _msg: None)
    existing = lab_namespaces(plan.prefix)
    if existing or state_file(state_dir, plan.prefix).exists():
        raise LabError(
            f"a lab with prefix {plan.prefix} is already up ({len(existing)} namespaces) - "
            "run 'ekstwin lab down' first"
        )
    data: dict[str, object] = {
        "prefix": plan.prefix,
        "status": "building",
        "plan": plan.to_json(),
        "platform_paths": list(platform_paths),
        "implied": implied,
        "listener_pid": None,
    }
    _write_state(state_dir, plan.prefix, data)
    try:
        _build(plan, say)
        apply_policy(platform, plan, pod_ips)
        say("policy loaded")
        pid = _start_listener(plan, state_dir)
        data["listener_pid"] = pid
        data["status"] = "up"
        _write_state(state_dir, plan.prefix, data)
        say("listeners ready")
    except BaseException:
        with contextlib.suppress(Exception):
            bring_down(plan.prefix, state_dir=state_dir)
        raise
    return LabState(plan.prefix, plan, platform_paths, pid, "up", implied)


@dataclass(frozen=True, slots=True)
class DownReport:
    namespaces: tuple[str, ...]
    listener_stopped: bool


def _is_agent(pid: int) -> bool:
    try:
        cmd = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    return AGENT_PATH.encode() in cmd


def _stop(pid: int) -> bool:
    if not _is_agent(pid):
        return False
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    for _ in range(50):
        if not _is_agent(pid):
            return True
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)
        time.sleep(0.02)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    return True


def bring_down(prefix: str, *, state_dir: str = DEFAULT_STATE_DIR) -> DownReport:
    """Remove every namespace of the lab, stop its listener, delete its state."""
    require_lab_host()
    state = None
    with contextlib.suppress(LabError, KeyError, TypeError, ValueError):
        state = read_state(state_dir, prefix)
    pids: set[int] = set()
    if state is not None and state.listener_pid:
        pids.add(state.listener_pid)
    pid_path = _pid_file(state_dir, prefix)
    with contextlib.suppress(OSError, ValueError):
        pids.add(int(pid_path.read_text(encoding="utf-8").strip()))
    stopped = False
    for pid in sorted(pids):
        stopped = _stop(pid) or stopped
    names = set(lab_namespaces(prefix))
    if state is not None:
        names |= {n for n in state.plan.namespaces() if n.startswith(prefix)}
    present = set(lab_namespaces(prefix))
    to_delete = sorted(n for n in names if n in present)
    if to_delete:
        with contextlib.suppress(LabError):
            run(["ip", "-force", "-batch", "-"], "".join(f"netns del {n}\n" for n in to_delete))
        left = lab_namespaces(prefix)
        for n in left:
            run(["ip", "netns", "del", n])
    for path in (
        state_file(state_dir, prefix),
        pid_path,
        Path(state_dir) / f"{prefix}listener.json",
        state_file(state_dir, prefix).with_suffix(".tmp"),
    ):
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
    return DownReport(tuple(to_delete), stopped)


def temp_state_dir() -> str:
    """A private state directory (tests, benchmarks)."""
    return tempfile.mkdtemp(prefix="ekstwin-lab-")

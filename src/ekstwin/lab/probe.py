"""Probe the running lab and compare the kernel's verdicts with the engine's.

The comparison is a pluggable :data:`Oracle`: the default one asks the
reachability engine (``ekstwin.engines.net.can``); tests may pass a stub.
"""

from __future__ import annotations

import ipaddress
import json
import random
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ekstwin.lab.aws import route_for
from ekstwin.lab.plan import INTERNET_ADDRESS, LabPlan
from ekstwin.lab.runtime import AGENT_PATH
from ekstwin.lab.system import LabError
from ekstwin.model.platform import Platform

__all__ = [
    "INTERNET",
    "EngineAnswer",
    "Oracle",
    "ProbeReport",
    "ProbeResult",
    "ProbeTarget",
    "engine_oracle",
    "parse_ports",
    "plan_probes",
    "run_probes",
]

#: The destination name of the lab's internet host.
INTERNET = "internet"
_INTERNET_DEFAULT_PORTS = (("TCP", 80), ("UDP", 53))


@dataclass(frozen=True, slots=True)
class EngineAnswer:
    allowed: bool | None  # None: the engine could not judge (the probe is not compared)
    explanation: str


#: ``oracle(platform)`` returns ``ask(source, destination, port, protocol)``;
#: source is ``ns/pod``, destination ``ns/pod`` or an IPv4 address.
Oracle = Callable[[Platform], Callable[[str, str, int, str], EngineAnswer]]


def engine_oracle(platform: Platform) -> Callable[[str, str, int, str], EngineAnswer]:
    """What ``net can`` answers: the cluster layers (``ekstwin.engines.net``) and,
    when the platform describes its VPC, the AWS layers, over the whole path
    (``ekstwin.engines.vpc.whole.explain_flow``). A flow no layer could judge
    for sure (allowed None) is not compared. ``destination`` is ``ns/pod``, an
    address, or an AWS service as ``net can`` names it (``rds:ID`` ...)."""
    from ekstwin.engines.net import NetModel, NetQueryError
    from ekstwin.engines.vpc import VpcModel, VpcQueryError
    from ekstwin.engines.vpc.whole import explain_flow

    model = NetModel(platform)
    vpc = VpcModel.build(platform)

    def ask(source: str, destination: str, port: int, protocol: str) -> EngineAnswer:
        try:
            answer = explain_flow(vpc, model, source, destination, port, protocol)
        except (NetQueryError, VpcQueryError) as exc:
            return EngineAnswer(None, str(exc))
        path = answer.paths[0] if answer.paths else None
        if path is None:  # pragma: no cover - a pod or address always has its path
            return EngineAnswer(answer.allowed, "no path")
        text = "; ".join(
            f"{v.layer.value}: {v.decided_by}" for v in path.layers if v.allowed is not True
        )
        return EngineAnswer(answer.allowed, text or "every layer allows it")

    return ask


@dataclass(frozen=True, slots=True)
class ProbeTarget:
    source: str  # ns/pod
    destination: str  # ns/pod or "internet"
    address: str
    port: int  # for ICMP: type * 256 + code (echo: 2048)
    protocol: str  # TCP | UDP | ICMP


@dataclass(frozen=True, slots=True)
class ProbeResult:
    target: ProbeTarget
    kernel: str  # allowed | refused | blocked | error:...
    seen_source: str | None
    expected_source: str
    engine_allowed: bool | None
    explanation: str | None

    @property
    def kernel_allowed(self) -> bool:
        return self.kernel in ("allowed", "refused")

    @property
    def agrees(self) -> bool:
        return self.engine_allowed is None or self.engine_allowed == self.kernel_allowed

    @property
    def source_ok(self) -> bool:
        return self.seen_source is None or self.seen_source == self.expected_source

    def to_json(self) -> dict[str, object]:
        t = self.target
        return {
            "from": t.source,
            "to": t.destination,
            "address": t.address,
            "protocol": t.protocol,
            "port": t.port,
            "kernel": self.kernel,
            "kernel_allowed": self.kernel_allowed,
            "seen_source": self.seen_source,
            "expected_source": self.expected_source,
            "engine_allowed": self.engine_allowed,
            "agrees": self.agrees,
            "explanation": self.explanation,
        }


@dataclass(frozen=True, slots=True)
class ProbeReport:
    results: tuple[ProbeResult, ...]
    seconds: float

    @property
    def disagreements(self) -> tuple[ProbeResult, ...]:
        return tuple(r for r in self.results if not r.agrees)

    @property
    def source_mismatches(self) -> tuple[ProbeResult, ...]:
        return tuple(r for r in self.results if not r.source_ok)

    def to_json(self) -> dict[str, object]:
        return {
            "probes": len(self.results),
            "agreements": len(self.results) - len(self.disagreements),
            "disagreements": [r.to_json() for r in self.disagreements],
            "source_mismatches": [r.to_json() for r in self.source_mismatches],
            "seconds": round(self.seconds, 3),
            "results": [r.to_json() for r in self.results],
        }


#: ``icmp`` in ``--ports``: an echo request (type 8, code 0), as the engine numbers it.
ICMP_ECHO = ("ICMP", 8 * 256)


def parse_ports(texts: Sequence[str]) -> tuple[tuple[str, int], ...]:
    """``80``, ``80/tcp``, ``53/udp``, ``icmp`` (echo), comma-separated or repeated."""
    out: list[tuple[str, int]] = []
    for text in texts:
        for part in text.split(","):
            part = part.strip()
            if not part:
                continue
            if part.lower() == "icmp":
                out.append(ICMP_ECHO)
                continue
            num, _, proto = part.partition("/")
            proto = (proto or "tcp").upper()
            if proto not in ("TCP", "UDP") or not num.isdigit() or not 0 < int(num) < 65536:
                raise LabError(f"bad port {part!r} - use PORT, PORT/tcp, PORT/udp or icmp")
            out.append((proto, int(num)))
    return tuple(dict.fromkeys(out))


def plan_probes(
    plan: LabPlan,
    *,
    ports: tuple[tuple[str, int], ...] = (),
    sample: int | None = None,
    seed: int = 0,
    internet: bool = True,
) -> list[ProbeTarget]:
    """Every ordered pod pair (a pod and itself excepted) on the destination's
    ports (or ``ports``), every pod to every AWS service on its port, and every
    pod to the internet host; ``sample`` picks that many at random (``seed``)."""
    out: list[ProbeTarget] = []
    for src in plan.pods:
        for dst in plan.pods:
            if dst.key == src.key:
                continue
            for proto, port in ports or dst.ports:
                out.append(ProbeTarget(src.key, dst.key, dst.ip, port, proto))
        for svc in plan.services:
            out.append(ProbeTarget(src.key, svc.name, svc.ip, svc.port, "TCP"))
        if internet:
            for proto, port in ports or _INTERNET_DEFAULT_PORTS:
                out.append(ProbeTarget(src.key, INTERNET, INTERNET_ADDRESS, port, proto))
    if sample is not None and sample < len(out):
        out = random.Random(seed).sample(out, sample)
    return out


def _expected_source(platform: Platform, plan: LabPlan, t: ProbeTarget) -> str:
    seen = _snat_source(plan, t)
    if plan.aws and t.destination == INTERNET:
        # the route to the internet may lead through a NAT gateway, which translates again
        target = route_for(platform, seen, t.address)
        nat = next((g for g in plan.nats if g.gateway_id == target), None)
        if nat is not None:
            return nat.ip
    return seen


def _snat_source(plan: LabPlan, t: ProbeTarget) -> str:
    pods = {p.key: p for p in plan.pods}
    src = pods[t.source]
    if t.destination != INTERNET or plan.external_snat:
        return src.ip
    if src.branch and plan.pod_sg_mode != "standard":
        # strict mode: a branch-ENI pod's traffic leaves by its branch ENI, unSNATed
        return src.ip
    dst = ipaddress.ip_address(t.address)
    for cidr in (*plan.vpc_cidrs, *plan.exclude_snat_cidrs):
        try:
            if dst in ipaddress.ip_network(cidr, strict=False):
                return src.ip
        except ValueError:
            continue
    return plan.node(src.node).ip


def _kernel(
    plan: LabPlan, targets: Sequence[ProbeTarget], timeout: float
) -> list[tuple[str, str | None]]:
    netns = {p.key: p.netns for p in plan.pods}
    job = {
        "prefix": plan.prefix,
        "timeout": timeout,
        "batch": 1000,
        "probes": [
            [i, netns[t.source], t.address, t.port, t.protocol] for i, t in enumerate(targets)
        ],
    }
    done = subprocess.run(
        [sys.executable, "-I", AGENT_PATH, "probe"],
        input=json.dumps(job),
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise LabError(f"the lab prober failed: {done.stderr.strip()[-2000:]}")
    rows = json.loads(done.stdout)
    by_id = {int(r[0]): (str(r[1]), r[2]) for r in rows}
    return [by_id[i] for i in range(len(targets))]


def run_probes(
    platform: Platform,
    plan: LabPlan,
    targets: Sequence[ProbeTarget],
    *,
    oracle: Oracle | None = engine_oracle,
    timeout: float = 0.5,
    recheck_timeout: float = 2.0,
) -> ProbeReport:
    """Probe every target in the kernel and ask the oracle; probes the kernel
    blocked but the engine allows are tried once more with ``recheck_timeout``."""
    import time

    start = time.monotonic()
    kernel = _kernel(plan, targets, timeout)
    ask = oracle(platform) if oracle is not None else None
    answers: list[EngineAnswer | None] = []
    for t in targets:
        if ask is None:
            answers.append(None)
            continue
        dest = t.address if t.destination == INTERNET else t.destination  # ns/pod or rds:ID
        answers.append(ask(t.source, dest, t.port, t.protocol))
    retry = [
        i
        for i, (k, a) in enumerate(zip(kernel, answers, strict=True))
        if a is not None and a.allowed and k[0] == "blocked"
    ]
    if retry:
        again = _kernel(plan, [targets[i] for i in retry], recheck_timeout)
        for i, got in zip(retry, again, strict=True):
            kernel[i] = got
    results = tuple(
        ProbeResult(
            t,
            k[0],
            k[1],
            _expected_source(platform, plan, t),
            None if a is None else a.allowed,
            None if a is None else a.explanation,
        )
        for t, k, a in zip(targets, kernel, answers, strict=True)
    )
    return ProbeReport(results, time.monotonic() - start)

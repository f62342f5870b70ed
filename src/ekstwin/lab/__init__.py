"""lab: the modelled network run for real in Linux network namespaces.

Public API::

    plan = build_plan(platform, "ekstw-")           # namespaces, addresses (pure)
    state = bring_up(platform, plan, pod_ips)       # namespaces, veths, routes, SNAT,
                                                    # Felix-style iptables, listeners
    report = run_probes(platform, plan, plan_probes(plan))   # kernel vs engine
    bring_down("ekstw-")                            # also after a crash

``PolicyRenderer`` renders Kubernetes and Calico policy into iptables and
ipsets as Felix does, without the reachability engine. See docs/lab.md.
"""

from __future__ import annotations

from ekstwin.lab.plan import INTERNET_ADDRESS, LabPlan, NodeSite, PodSite, build_plan
from ekstwin.lab.probe import (
    INTERNET,
    EngineAnswer,
    Oracle,
    ProbeReport,
    ProbeResult,
    ProbeTarget,
    engine_oracle,
    parse_ports,
    plan_probes,
    run_probes,
)
from ekstwin.lab.render import LocalEndpoint, NodeRules, PolicyRenderer, SnatConfig
from ekstwin.lab.runtime import (
    DEFAULT_STATE_DIR,
    DownReport,
    LabState,
    apply_policy,
    bring_down,
    bring_up,
    read_state,
)
from ekstwin.lab.system import DEFAULT_PREFIX, LabError, require_lab_host

__all__ = [
    "DEFAULT_PREFIX",
    "DEFAULT_STATE_DIR",
    "INTERNET",
    "INTERNET_ADDRESS",
    "DownReport",
    "EngineAnswer",
    "LabError",
    "LabPlan",
    "LabState",
    "LocalEndpoint",
    "NodeRules",
    "NodeSite",
    "Oracle",
    "PodSite",
    "PolicyRenderer",
    "ProbeReport",
    "ProbeResult",
    "ProbeTarget",
    "SnatConfig",
    "apply_policy",
    "bring_down",
    "bring_up",
    "build_plan",
    "engine_oracle",
    "parse_ports",
    "plan_probes",
    "read_state",
    "require_lab_host",
    "run_probes",
]

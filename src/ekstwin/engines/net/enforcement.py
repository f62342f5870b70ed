"""Who enforces network policy on the platform: Calico, the Amazon VPC CNI
network policy agent, nobody, or unknown.

Read from the node agents the input shows:

- Calico: a ``calico-node`` DaemonSet (a ``calico/node`` image from any
  registry) or a Tigera operator ``Installation``.
- The VPC CNI agent: the ``aws-node`` DaemonSet's ``aws-network-policy-agent``
  container with ``--enable-network-policy=true``, the ``amazon-vpc-cni``
  ConfigMap's ``enable-network-policy-controller: "true"``, or the EKS
  ``vpc-cni`` add-on configured with ``enableNetworkPolicy: "true"`` (or
  ``ENABLE_NETWORK_POLICY=true`` in the ``aws-node`` environment or the
  cluster's VPC CNI settings). Its mode is
  ``NETWORK_POLICY_ENFORCING_MODE`` (``standard``, the default, or ``strict``)
  from the ``aws-node`` container, the add-on's ``env`` or the cluster's VPC
  CNI settings.

"None" only when the input shows a node agent (``aws-node`` or the add-on)
and none enforces policy; when it shows no node agent at all (an application
repository), the enforcer is unknown and policies are judged as written.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from ekstwin.model.k8s import Container, WorkloadKind
from ekstwin.model.platform import Platform

AGENT_CONTAINER = "aws-network-policy-agent"
ENFORCING_MODE = "NETWORK_POLICY_ENFORCING_MODE"
_TRUE = frozenset({"true", "1", "t", "yes"})


class Enforcer(StrEnum):
    CALICO = "calico"
    VPC_CNI = "vpc-cni"
    NONE = "none"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class AdminPolicySupport:
    """Whether the enforcer implements AdminNetworkPolicy (``admin``) and
    BaselineAdminNetworkPolicy (``baseline``), and why the twin thinks so."""

    admin: bool
    baseline: bool
    assumed: bool
    note: str

    def to_json(self) -> dict[str, object]:
        return {
            "admin": self.admin,
            "baseline": self.baseline,
            "assumed": self.assumed,
            "note": self.note,
        }


@dataclass(frozen=True, slots=True)
class Enforcement:
    """The platform's policy enforcer and what in the input says so."""

    enforcer: Enforcer
    evidence: tuple[str, ...] = ()
    mode: str | None = None  # the VPC CNI agent's enforcing mode
    vpc_cni_too: bool = False  # Calico runs and the VPC CNI agent enforces as well
    admin: AdminPolicySupport | None = None  # set when the input has admin policies

    @property
    def assumed(self) -> bool:
        return self.enforcer is Enforcer.UNKNOWN

    @property
    def enforces(self) -> bool:
        return self.enforcer is not Enforcer.NONE

    @property
    def calico_applies(self) -> bool:
        """Whether Calico's own resources (policies, tiers, network sets) take effect."""
        return self.enforcer in (Enforcer.CALICO, Enforcer.UNKNOWN)

    @property
    def strict(self) -> bool:
        return self.enforcer is Enforcer.VPC_CNI and self.mode == "strict"

    def describe(self) -> str:
        text = self._describe()
        return text if self.admin is None else f"{text}; {self.admin.note}"

    def _describe(self) -> str:
        where = f" ({'; '.join(self.evidence)})" if self.evidence else ""
        if self.enforcer is Enforcer.CALICO:
            return f"Calico{where}"
        if self.enforcer is Enforcer.VPC_CNI:
            return f"the VPC CNI network policy agent, {self.mode or 'standard'} mode{where}"
        if self.enforcer is Enforcer.NONE:
            return f"none: no node agent enforces network policy{where}"
        return "unknown: the input shows no node agent, policies are judged as written"

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {
            "name": self.enforcer.value,
            "assumed": self.assumed,
            "mode": self.mode,
            "evidence": list(self.evidence),
            "vpc_cni_too": self.vpc_cni_too,
        }
        if self.admin is not None:
            out["admin_network_policies"] = self.admin.to_json()
        return out


def _is_calico_node(c: Container) -> bool:
    repo = c.image.repository
    return repo == "calico/node" or repo.endswith("/calico/node")


def _flag(args: tuple[str, ...], name: str) -> str | None:
    for i, arg in enumerate(args):
        if arg == name and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith(name + "="):
            return arg.split("=", 1)[1]
    return None


def _truthy(value: object) -> bool:
    return str(value).strip().lower() in _TRUE


def platform_enforcement(platform: Platform) -> Enforcement:
    """The enforcer of ``platform``'s network policies (see the module docstring)."""
    calico: list[str] = []
    aws_node: list[str] = []
    enabled: list[str] = []
    disabled: list[str] = []
    mode: str | None = None
    for w in platform.workloads:
        if w.kind is not WorkloadKind.DAEMON_SET:
            continue
        where = f"DaemonSet {w.meta.namespace}/{w.meta.name}"
        if any(_is_calico_node(c) for c in w.spec.containers):
            calico.append(where)
        if w.meta.name != "aws-node":
            continue
        aws_node.append(where)
        for c in w.spec.containers:
            if c.name == AGENT_CONTAINER:
                flag = _flag(c.args, "--enable-network-policy")
                if flag is not None and _truthy(flag):
                    enabled.append(f"{where}: {AGENT_CONTAINER} --enable-network-policy={flag}")
                else:
                    disabled.append(
                        f"{where}: {AGENT_CONTAINER} without --enable-network-policy=true"
                    )
            value = c.env_value(ENFORCING_MODE)
            if value:
                mode = value.strip().lower()
            flag = c.env_value("ENABLE_NETWORK_POLICY")
            if flag:
                text = f"{where}: {c.name} ENABLE_NETWORK_POLICY={flag}"
                (enabled if _truthy(flag) else disabled).append(text)
    for o in platform.opaque:
        if o.meta.kind == "Installation" and o.meta.api_version.startswith("operator.tigera.io/"):
            calico.append(f"Installation {o.meta.name} (Tigera operator)")
    for cm in platform.config_maps:
        if cm.meta.name == "amazon-vpc-cni" and "enable-network-policy-controller" in cm.data:
            value = cm.data["enable-network-policy-controller"]
            text = (
                f"ConfigMap {cm.meta.namespace}/{cm.meta.name}: "
                f"enable-network-policy-controller={value}"
            )
            (enabled if _truthy(value) else disabled).append(text)
    for cluster in platform.aws.clusters:
        for addon in cluster.addons:
            if addon.name != "vpc-cni":
                continue
            where = f"EKS add-on vpc-cni of cluster {cluster.name}"
            aws_node.append(where)
            cfg = addon.configuration
            if "enableNetworkPolicy" in cfg:
                setting = str(cfg["enableNetworkPolicy"])
                (enabled if _truthy(setting) else disabled).append(
                    f"{where}: enableNetworkPolicy={setting}"
                )
            env = cfg.get("env")
            if isinstance(env, dict) and env.get(ENFORCING_MODE):
                mode = str(env[ENFORCING_MODE]).strip().lower()
        env_vars = cluster.vpc_cni.env
        if "ENABLE_NETWORK_POLICY" in env_vars:
            value = env_vars["ENABLE_NETWORK_POLICY"]
            text = f"cluster {cluster.name} VPC CNI ENABLE_NETWORK_POLICY={value}"
            (enabled if _truthy(value) else disabled).append(text)
        if env_vars.get(ENFORCING_MODE):
            mode = env_vars[ENFORCING_MODE].strip().lower()
    if calico:
        return Enforcement(Enforcer.CALICO, tuple(calico), vpc_cni_too=bool(enabled))
    if enabled:
        return Enforcement(Enforcer.VPC_CNI, tuple(enabled), mode or "standard")
    if aws_node or disabled:
        return Enforcement(Enforcer.NONE, tuple(dict.fromkeys(aws_node + disabled)))
    return Enforcement(Enforcer.UNKNOWN)


#: The enforcer when the input says nothing about the node agents.
UNKNOWN_ENFORCEMENT = Enforcement(Enforcer.UNKNOWN)

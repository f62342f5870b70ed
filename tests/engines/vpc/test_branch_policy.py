"""NetworkPolicy on strict-mode branch-ENI pods: Calico does not manage their
vlan host interface, the VPC CNI network policy agent does (docs/net.md, the
AWS layer, security groups for pods)."""

from __future__ import annotations

from dataclasses import replace

import yaml

from ekstwin.engines.net import NetModel
from ekstwin.engines.vpc import VpcModel
from ekstwin.engines.vpc.whole import CALICO_SKIPS_BRANCH, PathVerdict, explain_flow
from ekstwin.loaders import load
from ekstwin.model.platform import Platform

from .world import world

POD_ENI = {"ENABLE_POD_ENI": "true"}

#: every pod of pay and shop denies all ingress and egress
DENY_ALL = [
    {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "deny-all", "namespace": ns},
        "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]},
    }
    for ns in ("pay", "shop")
]


def _daemonset(name: str, *containers: dict[str, object]) -> dict[str, object]:
    return {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": {"name": name, "namespace": "kube-system"},
        "spec": {
            "selector": {"matchLabels": {"k8s-app": name}},
            "template": {
                "metadata": {"labels": {"k8s-app": name}},
                "spec": {"containers": list(containers)},
            },
        },
    }


CALICO = _daemonset("calico-node", {"name": "calico-node", "image": "calico/node:v3.28.0"})
VPC_CNI_AGENT = _daemonset(
    "aws-node",
    {"name": "aws-node", "image": "amazon-k8s-cni:v1.19.0"},
    {
        "name": "aws-network-policy-agent",
        "image": "aws-network-policy-agent:v1.2.0",
        "args": ["--enable-network-policy=true"],
    },
)


def platform(env: dict[str, str], *agents: dict[str, object]) -> Platform:
    text = yaml.safe_dump_all([*DENY_ALL, *agents], sort_keys=False)
    loaded = load(["-"], stdin_text=lambda: text, implied=False).platform
    return replace(
        world(env),
        workloads=loaded.workloads,
        network_policies=loaded.network_policies,
    )


def path(p: Platform, src: str, dst: str, port: int) -> PathVerdict:
    return explain_flow(VpcModel.build(p), NetModel(p), src, dst, port).paths[0]


def policy_layers(got: PathVerdict) -> list[tuple[str, bool | None, str]]:
    return [
        (v.layer.value, v.allowed, v.decided_by)
        for v in got.layers
        if v.layer.value.startswith("networkpolicy")
    ]


def test_calico_does_not_enforce_policy_on_a_strict_mode_branch_pod() -> None:
    p = platform(POD_ENI, CALICO)
    into = path(p, "shop/api-0", "pay/payments-0", 8080)
    egress, ingress = policy_layers(into)
    assert egress[:2] == ("networkpolicy-egress", False)  # shop/api-0 is on its node's ENI
    assert ingress == ("networkpolicy-ingress", True, CALICO_SKIPS_BRANCH)
    out = path(p, "pay/payments-0", "shop/api-0", 8080)
    assert policy_layers(out)[0] == ("networkpolicy-egress", True, CALICO_SKIPS_BRANCH)
    assert CALICO_SKIPS_BRANCH.startswith(
        "not enforced: strict-mode branch ENI pod, Calico does not manage its vlan interface"
    )


def test_in_standard_mode_the_branch_pods_veth_is_calicos_and_policy_holds() -> None:
    env = {**POD_ENI, "POD_SECURITY_GROUP_ENFORCING_MODE": "standard"}
    got = path(platform(env, CALICO), "shop/api-0", "pay/payments-0", 8080)
    assert [v[:2] for v in policy_layers(got)] == [
        ("networkpolicy-egress", False),
        ("networkpolicy-ingress", False),
    ]
    assert got.allowed is False


def test_the_vpc_cni_agent_enforces_policy_on_branch_pods() -> None:
    got = path(platform(POD_ENI, VPC_CNI_AGENT), "shop/api-0", "pay/payments-0", 8080)
    assert [v[:2] for v in policy_layers(got)] == [
        ("networkpolicy-egress", False),
        ("networkpolicy-ingress", False),
    ]
    # next to Calico, the agent still enforces: the policy holds
    both = path(platform(POD_ENI, CALICO, VPC_CNI_AGENT), "shop/api-0", "pay/payments-0", 8080)
    assert policy_layers(both)[1][:2] == ("networkpolicy-ingress", False)


def test_with_no_enforcer_in_the_input_a_denial_on_a_branch_pod_is_unknown() -> None:
    got = path(platform(POD_ENI), "shop/api-0", "pay/payments-0", 8080)
    ingress = policy_layers(got)[1]
    assert ingress[:2] == ("networkpolicy-ingress", None)
    assert ingress[2].endswith(
        "; whether it is enforced is unknown: the input shows no enforcer, and Calico does not "
        "manage a strict-mode branch ENI pod's vlan interface (the VPC CNI network policy "
        "agent does)"
    )

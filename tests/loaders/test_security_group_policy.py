"""SecurityGroupPolicy documents (vpcresources.k8s.aws/v1beta1) and the aws-node
setting of their mode: the model, what the CRD refuses (an input error at its
line), and what the VPC resource controller skips (a warning; the policy gives no
pod security groups).

Sources: aws/amazon-vpc-resource-controller-k8s@081e210b39c7045cdcc2100d59c3b2b18c4920a5
config/crd/bases/vpcresources.k8s.aws_securitygrouppolicies.yaml (the CRD schema);
aws/amazon-vpc-resource-controller-k8s@bc3782b75efe1de551fd42d1ec3b24ecee956b3a
pkg/utils/helper.go filterPodSecurityGroups (what the controller skips);
aws/amazon-vpc-cni-k8s@0f4c87b0e3dd55ce47b883c5a852ec99f3ae1b0e pkg/sgpp/utils_test.go
TestLoadEnforcingModeFromEnv (the enforcing mode).
"""

from __future__ import annotations

import pytest

from ekstwin.findings import DiagnosticLevel
from ekstwin.loaders import LoadResult, load
from ekstwin.model.aws import PodSecurityGroupEnforcingMode, VpcCniSettings
from ekstwin.model.k8s import ENV_VALUES_KEPT
from ekstwin.model.selectors import LabelSelector
from ekstwin.model.source import Source
from ekstwin.model.vpc import SecurityGroupPolicy

STDIN = "<stdin>"

GOOD = (
    "apiVersion: vpcresources.k8s.aws/v1beta1\n"  # 1
    "kind: SecurityGroupPolicy\n"  # 2
    "metadata: {name: payments, namespace: shop}\n"  # 3
    "spec:\n"  # 4
    "  podSelector:\n"  # 5
    "    matchLabels: {app: payments-api}\n"  # 6
    "    matchExpressions: [{key: tier, operator: In, values: [api]}]\n"  # 7
    "  securityGroups:\n"  # 8
    "    groupIds: [sg-0a1, sg-0b2]\n"  # 9
)


def _load(text: str) -> LoadResult:
    return load(["-"], stdin_text=lambda: text)


def test_a_security_group_policy_is_read_whole() -> None:
    r = _load(GOOD)
    assert r.diagnostics == ()
    assert r.platform.security_group_policies == (
        SecurityGroupPolicy(
            name="payments",
            namespace="shop",
            group_ids=("sg-0a1", "sg-0b2"),
            pod_selector=LabelSelector.from_obj(
                {
                    "matchLabels": {"app": "payments-api"},
                    "matchExpressions": [{"key": "tier", "operator": "In", "values": ["api"]}],
                }
            ),
            source=Source(STDIN, 1),
        ),
    )


def test_a_service_account_selector_alone_and_the_default_namespace() -> None:
    text = (
        "apiVersion: vpcresources.k8s.aws/v1beta1\n"
        "kind: SecurityGroupPolicy\n"
        "metadata: {name: by-sa}\n"
        "spec:\n"
        "  serviceAccountSelector: {}\n"
        "  securityGroups: {groupIds: [sg-0c1]}\n"
    )
    r = _load(text)
    assert [d.code for d in r.diagnostics] == ["namespace-defaulted"]
    assert r.platform.security_group_policies == (
        SecurityGroupPolicy(
            name="by-sa",
            namespace="default",
            group_ids=("sg-0c1",),
            service_account_selector=LabelSelector.from_obj({}),
            source=Source(STDIN, 1),
        ),
    )


@pytest.mark.parametrize(
    ("old", "new", "line", "message"),
    [
        (
            "    groupIds: [sg-0a1, sg-0b2]\n",
            "    groupIds: []\n",
            9,
            "/spec/securityGroups/groupIds: 0 security groups; the CRD allows 1 to 16",
        ),
        (
            "    groupIds: [sg-0a1, sg-0b2]\n",
            "    groupIds: [" + ", ".join(f"sg-{i:03x}" for i in range(17)) + "]\n",
            9,
            "/spec/securityGroups/groupIds: 17 security groups; the CRD allows 1 to 16",
        ),
        (
            "    groupIds: [sg-0a1, sg-0b2]\n",
            "    groupIds: sg-0a1\n",
            9,
            "/spec/securityGroups/groupIds must be a list, not a string",
        ),
        (
            "    groupIds: [sg-0a1, sg-0b2]\n",
            "    groupIds: [sg-0a1, 7]\n",
            9,
            "/spec/securityGroups/groupIds/1 must be a string, not int",
        ),
        (
            "    matchExpressions: [{key: tier, operator: In, values: [api]}]\n",
            "    matchExpressions: [{key: tier, values: [api]}]\n",
            7,
            "/spec/podSelector/matchExpressions/0/operator is required",
        ),
        (
            "    matchLabels: {app: payments-api}\n",
            "    matchLabels: {app: [payments-api]}\n",
            6,
            "/spec/podSelector/matchLabels/app must be a string, not a list",
        ),
        (
            "  podSelector:\n    matchLabels: {app: payments-api}\n"
            "    matchExpressions: [{key: tier, operator: In, values: [api]}]\n",
            "  podSelector: app\n",
            5,
            "/spec/podSelector must be a label selector, not a string",
        ),
    ],
)
def test_what_the_crd_refuses_is_an_input_error_at_its_line(
    old: str, new: str, line: int, message: str
) -> None:
    assert old in GOOD
    r = _load(GOOD.replace(old, new))
    assert r.platform.security_group_policies == ()
    assert [(d.source, d.message, d.level) for d in r.diagnostics] == [
        (
            Source(STDIN, line),
            f"SecurityGroupPolicy shop/payments: {message}; the object was skipped",
            DiagnosticLevel.ERROR,
        )
    ]


@pytest.mark.parametrize(
    ("old", "new", "reason"),
    [
        (
            "  podSelector:\n    matchLabels: {app: payments-api}\n"
            "    matchExpressions: [{key: tier, operator: In, values: [api]}]\n",
            "",
            "/spec: neither podSelector nor serviceAccountSelector is set",
        ),
        (
            "  securityGroups:\n    groupIds: [sg-0a1, sg-0b2]\n",
            "",
            "/spec/securityGroups/groupIds: no security group ids",
        ),
        (
            "operator: In, values: [api]",
            "operator: Matches, values: [api]",
            "/spec/podSelector: ",
        ),
        (
            "operator: In, values: [api]",
            "operator: In, values: []",
            "/spec/podSelector: ",
        ),
    ],
)
def test_what_the_controller_skips_is_a_warning_and_selects_no_pod(
    old: str, new: str, reason: str
) -> None:
    """The CRD accepts these; filterPodSecurityGroups skips them (neither selector, no
    group ids, a selector LabelSelectorAsSelector cannot convert): no pod gets the
    policy's groups, so the policy is left out of the model."""
    assert old in GOOD
    r = _load(GOOD.replace(old, new))
    assert r.platform.security_group_policies == ()
    (diagnostic,) = r.diagnostics
    assert (diagnostic.source, diagnostic.level, diagnostic.code) == (
        Source(STDIN, 1),
        DiagnosticLevel.WARNING,
        "sgp-skipped",
    )
    assert diagnostic.message.startswith(f"SecurityGroupPolicy shop/payments: {reason}")
    assert diagnostic.message.endswith(
        "; the VPC resource controller skips it, so it gives no pod security groups"
    )


def test_an_unknown_spec_field_is_reported() -> None:
    r = _load(
        GOOD.replace("  securityGroups:\n", "  securityGroup:\n    x: 1\n  securityGroups:\n")
    )
    assert [d.message.split(";")[0] for d in r.diagnostics] == [
        "SecurityGroupPolicy shop/payments: /spec: unknown field securityGroup (did you mean "
        "securityGroups?)"
    ]
    assert [p.name for p in r.platform.security_group_policies] == ["payments"]


# ---------------------------------------------------------------------------
# POD_SECURITY_GROUP_ENFORCING_MODE (aws-node)


@pytest.mark.parametrize(
    ("env", "mode"),
    [
        # TestLoadEnforcingModeFromEnv/use strict mode when ... set to strict
        ({"POD_SECURITY_GROUP_ENFORCING_MODE": "strict"}, PodSecurityGroupEnforcingMode.STRICT),
        # TestLoadEnforcingModeFromEnv/use standard mode when ... set to standard
        (
            {"POD_SECURITY_GROUP_ENFORCING_MODE": "standard"},
            PodSecurityGroupEnforcingMode.STANDARD,
        ),
        # TestLoadEnforcingModeFromEnv/default to strict mode when ... not set
        ({}, PodSecurityGroupEnforcingMode.STRICT),
        # TestLoadEnforcingModeFromEnv/default to strict mode when ... incorrectly configured
        ({"POD_SECURITY_GROUP_ENFORCING_MODE": "unknown"}, PodSecurityGroupEnforcingMode.STRICT),
        # LoadEnforcingModeFromEnv compares exactly: another case is not "standard"
        ({"POD_SECURITY_GROUP_ENFORCING_MODE": "Standard"}, PodSecurityGroupEnforcingMode.STRICT),
    ],
)
def test_the_enforcing_mode_is_read_as_the_cni_reads_it(
    env: dict[str, str], mode: PodSecurityGroupEnforcingMode
) -> None:
    assert VpcCniSettings.from_env(env).pod_security_group_enforcing_mode is mode


def test_the_aws_node_settings_of_pod_placement_survive_redaction() -> None:
    text = (
        "apiVersion: apps/v1\n"
        "kind: DaemonSet\n"
        "metadata: {name: aws-node, namespace: kube-system}\n"
        "spec:\n"
        "  selector: {matchLabels: {k8s-app: aws-node}}\n"
        "  template:\n"
        "    metadata: {labels: {k8s-app: aws-node}}\n"
        "    spec:\n"
        "      containers:\n"
        "        - name: aws-node\n"
        "          image: cni:1\n"
        "          env:\n"
        "            - {name: ENABLE_POD_ENI, value: 'true'}\n"
        "            - {name: POD_SECURITY_GROUP_ENFORCING_MODE, value: standard}\n"
        "            - {name: AWS_VPC_K8S_CNI_EXTERNALSNAT, value: 'true'}\n"
        "            - {name: AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG, value: 'true'}\n"
        "            - {name: SOME_TOKEN, value: hunter2}\n"
    )
    r = _load(text)
    (daemonset,) = [w for w in r.platform.workloads if w.meta.name == "aws-node"]
    env = dict(daemonset.spec.containers[0].env)
    assert env == {
        "ENABLE_POD_ENI": "true",
        "POD_SECURITY_GROUP_ENFORCING_MODE": "standard",
        "AWS_VPC_K8S_CNI_EXTERNALSNAT": "true",
        "AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG": "true",
        "SOME_TOKEN": None,
    }
    assert "POD_SECURITY_GROUP_ENFORCING_MODE" in ENV_VALUES_KEPT
    settings = VpcCniSettings.from_env({k: v for k, v in env.items() if v is not None})
    assert (settings.enable_pod_eni, settings.pod_security_group_enforcing_mode) == (
        True,
        PodSecurityGroupEnforcingMode.STANDARD,
    )

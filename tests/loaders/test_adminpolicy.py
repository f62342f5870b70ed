"""AdminNetworkPolicy and BaselineAdminNetworkPolicy documents: the model, and what
the API server's validation refuses, as diagnostics with file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from ekstwin.cli.main import main
from ekstwin.loaders import LoadResult, load
from ekstwin.model.adminpolicy import (
    AdminAction,
    AdminNetworkPolicy,
    AdminPeer,
    AdminPort,
    AdminRule,
    AdminSubject,
)
from ekstwin.model.k8s import Protocol
from ekstwin.model.selectors import LabelSelector
from ekstwin.model.source import Source

STDIN = "<stdin>"
API = "apiVersion: policy.networking.k8s.io/v1alpha1\n"


def _load(text: str) -> LoadResult:
    return load(["-"], stdin_text=lambda: text)


GOOD = (
    API + "kind: AdminNetworkPolicy\n"  # 2
    "metadata: {name: guard}\n"  # 3
    "spec:\n"  # 4
    "  priority: 7\n"  # 5
    "  subject:\n"  # 6
    "    pods:\n"  # 7
    "      namespaceSelector: {matchLabels: {tenant: shop}}\n"  # 8
    "      podSelector: {}\n"  # 9
    "  ingress:\n"  # 10
    "    - name: ops\n"  # 11
    "      action: Pass\n"  # 12
    "      from: [{namespaces: {matchLabels: {tenant: ops}}}]\n"  # 13
    "      ports:\n"  # 14
    "        - portNumber: {port: 80}\n"  # 15
    "        - portRange: {protocol: UDP, start: 5000, end: 5010}\n"  # 16
    "        - namedPort: metrics\n"  # 17
    "  egress:\n"  # 18
    "    - action: Deny\n"  # 19
    "      to: [{networks: [203.0.113.0/24]}, {nodes: {}}]\n"  # 20
)


def test_an_admin_network_policy_is_read_whole() -> None:
    r = _load(GOOD)
    assert r.diagnostics == ()
    (ap,) = r.platform.admin_network_policies
    assert ap == AdminNetworkPolicy(
        meta=ap.meta,
        subject=AdminSubject(
            LabelSelector.from_obj({"matchLabels": {"tenant": "shop"}}), LabelSelector.from_obj({})
        ),
        ingress=(
            AdminRule(
                "ops",
                AdminAction.PASS,
                (AdminPeer(namespaces=LabelSelector.from_obj({"matchLabels": {"tenant": "ops"}})),),
                (
                    AdminPort(Protocol.TCP, 80, 80),
                    AdminPort(Protocol.UDP, 5000, 5010),
                    AdminPort(name="metrics"),
                ),
                Source(STDIN, 11),
            ),
        ),
        egress=(
            AdminRule(
                "",
                AdminAction.DENY,
                (
                    AdminPeer(networks=("203.0.113.0/24",)),
                    AdminPeer(nodes=LabelSelector.from_obj({})),
                ),
                None,
                Source(STDIN, 19),
            ),
        ),
        priority=7,
    )
    assert (ap.meta.name, ap.meta.source, ap.kind) == (
        "guard",
        Source(STDIN, 1),
        "AdminNetworkPolicy",
    )


@pytest.mark.parametrize(
    ("old", "new", "line", "message"),
    [
        (
            "  priority: 7\n",
            "  priority: 1001\n",
            5,
            "AdminNetworkPolicy guard: /spec/priority: 1001 is out of range",
        ),
        (
            "  priority: 7\n",
            "",
            5,
            "AdminNetworkPolicy guard: /spec/priority is required",
        ),
        (
            "      action: Pass\n",
            "      action: Drop\n",
            12,
            "AdminNetworkPolicy guard: /spec/ingress/0/action: unknown action 'Drop'",
        ),
        (
            "        - namedPort: metrics\n",
            "        - {namedPort: metrics, portNumber: {port: 9}}\n",
            17,
            "AdminNetworkPolicy guard: /spec/ingress/0/ports/2: a port needs exactly one of "
            "portNumber, portRange, namedPort (has 2)",
        ),
        (
            "start: 5000, end: 5010",
            "start: 5010, end: 5000",
            16,
            "AdminNetworkPolicy guard: /spec/ingress/0/ports/1/portRange: start 5010 must be "
            "below end 5000",
        ),
        (
            "      from: [{namespaces: {matchLabels: {tenant: ops}}}]\n",
            "      from: [{nodes: {}}]\n",
            13,
            "AdminNetworkPolicy guard: /spec/ingress/0/from/0: 'nodes' is not a field of an "
            "ingress peer",
        ),
        (
            "{nodes: {}}]\n",
            "{nodes: {}}]\n      ports: [{namedPort: http}]\n",
            21,
            "AdminNetworkPolicy guard: /spec/egress/0: a namedPort cannot be combined with "
            "nodes or networks peers",
        ),
    ],
)
def test_what_the_api_server_refuses_is_a_diagnostic_at_its_line(
    old: str, new: str, line: int, message: str
) -> None:
    assert old in GOOD
    r = _load(GOOD.replace(old, new))
    assert r.platform.admin_network_policies == ()
    assert [(d.source, d.message.split(";")[0], d.code) for d in r.diagnostics] == [
        (Source(STDIN, line), message, "invalid-object")
    ]


BANP = (
    API + "kind: BaselineAdminNetworkPolicy\n"  # 2
    "metadata: {name: default}\n"  # 3
    "spec:\n"  # 4
    "  subject: {namespaces: {}}\n"  # 5
    "  ingress:\n"  # 6
    "    - action: Deny\n"  # 7
    "      from: [{namespaces: {}}]\n"  # 8
)


def test_the_baseline_is_read_without_priority() -> None:
    r = _load(BANP)
    assert r.diagnostics == ()
    (bp,) = r.platform.admin_network_policies
    assert (bp.baseline, bp.priority, bp.kind, bp.ingress[0].action) == (
        True, None, "BaselineAdminNetworkPolicy", AdminAction.DENY,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("old", "new", "line", "message"),
    [
        (
            "    - action: Deny\n",
            "    - action: Pass\n",
            7,
            "BaselineAdminNetworkPolicy default: /spec/ingress/0/action: unknown action 'Pass'",
        ),
        (
            "{name: default}",
            "{name: strict}",
            3,
            "BaselineAdminNetworkPolicy strict: a BaselineAdminNetworkPolicy must be named "
            "'default', not 'strict'",
        ),
        (
            "  subject: {namespaces: {}}\n",
            "  subject: {namespaces: {}, pods: {namespaceSelector: {}, podSelector: {}}}\n",
            5,
            "BaselineAdminNetworkPolicy default: /spec/subject: a subject needs exactly one of "
            "namespaces, pods (has 2)",
        ),
    ],
)
def test_what_the_api_server_refuses_in_the_baseline(
    old: str, new: str, line: int, message: str
) -> None:
    assert old in BANP
    r = _load(BANP.replace(old, new))
    assert r.platform.admin_network_policies == ()
    assert [(d.source, d.message.split(";")[0]) for d in r.diagnostics] == [
        (Source(STDIN, line), message)
    ]


def test_a_bad_admin_policy_exits_2_and_the_rest_is_still_analysed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pods = """
apiVersion: v1
kind: Pod
metadata: {name: a, namespace: x}
spec: {containers: [{name: c, image: nginx:1}]}
status: {podIP: 198.18.0.10}
---
apiVersion: v1
kind: Pod
metadata: {name: b, namespace: x}
spec: {containers: [{name: c, image: nginx:1}]}
status: {podIP: 198.18.0.11}
---
"""
    (tmp_path / "p.yaml").write_text(pods + GOOD.replace("priority: 7", "priority: -1"))
    assert main(["analyze", str(tmp_path), "--format", "json"]) == 2
    err = capsys.readouterr().err
    assert "p.yaml:18" in err and "/spec/priority: -1 is out of range" in err
    argv = ["net", "can", str(tmp_path), "--from", "x/a", "--to", "x/b", "--port", "80"]
    main([*argv, "--no-mesh", "-q"])
    assert capsys.readouterr().out.splitlines()[0] == "x/a -> x/b TCP/80: ALLOWED"

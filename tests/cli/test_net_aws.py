"""`net can` judges the whole path: the cluster layers and the AWS layers, in
path order, with the new endpoint forms and --no-aws."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

import ekstwin.cli.net as cli_net
from ekstwin.cli.main import main
from ekstwin.loaders import LoadResult
from ekstwin.loaders.inputs import RawInputs
from ekstwin.model.aws import AwsState
from ekstwin.model.platform import Platform
from tests.engines.vpc.world import GROUPS, k8s_node, pod, rule, sg, world


def _serve(monkeypatch: pytest.MonkeyPatch, platform: Platform) -> None:
    def fake(_args: object) -> LoadResult:
        return LoadResult(platform, RawInputs(), ())

    monkeypatch.setattr(cli_net, "load_platform", fake)


def _json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, object]:
    assert main(["net", "can", "unused", *argv, "-q", "-f", "json"]) == 0
    doc: dict[str, object] = json.loads(capsys.readouterr().out)
    return doc


def _layers(doc: dict[str, object]) -> list[tuple[object, object]]:
    layers = doc["layers"]
    assert isinstance(layers, list)
    return [(x["layer"], x["allowed"]) for x in layers]


def test_net_can_json_adds_every_layer_in_path_order(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _serve(monkeypatch, world())
    doc = _json(capsys, "--from", "shop/web-0", "--to", "rds:db1", "--port", "5432")
    assert doc["allowed"] is True
    assert (doc["from"], doc["to"]) == ("shop/web-0", "rds:db1")
    assert _layers(doc) == [
        ("networkpolicy-egress", True),
        ("security-group-egress", True),
        ("nacl-outbound", True),
        ("route", True),
        ("nacl-inbound", True),
        ("security-group-ingress", True),
        ("networkpolicy-ingress", True),
        ("mesh", True),
        ("nacl-return", True),
    ]
    layers = doc["layers"]
    assert isinstance(layers, list)
    assert layers[5] == {
        "layer": "security-group-ingress",
        "allowed": True,
        "decided_by": "sg-db ingress rule 1 (tcp 5432 from sg-node) allows tcp/5432 from "
        "shop/web-0 on rds:db1 (sg-db)",
        "source": "aws.json:121",
    }
    placement = doc["placement"]
    assert isinstance(placement, dict)
    assert placement["to"] == {
        "kind": "rds",
        "name": "rds:db1",
        "address": "198.18.3.50",
        "subnet": "subnet-db",
        "security_groups": ["sg-db"],
        "placement": "interface",
        "snat": False,
        "evidence": ["RDS postgres db1 on port 5432"],
    }


def test_a_pod_security_group_the_database_does_not_admit_is_denied_in_the_table(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _serve(monkeypatch, world({"ENABLE_POD_ENI": "true"}))
    argv = ["net", "can", "x", "--from", "pay/payments-0", "--to", "rds:db1", "--port", "5432"]
    assert main([*argv, "-q", "--no-mesh"]) == 0
    out = capsys.readouterr().out
    assert (
        out.splitlines()[0]
        == "pay/payments-0 -> rds:db1 TCP/5432: DENIED at security-group-ingress"
    )
    assert (
        "    security-group-ingress  deny    no ingress rule of sg-db allows tcp/5432 from "
        "pay/payments-0 (a security group denies what no rule allows) (aws.json:120)"
    ) in out.splitlines()


def test_no_aws_keeps_the_cluster_layers_only(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _serve(monkeypatch, world({"ENABLE_POD_ENI": "true"}))
    doc = _json(capsys, "--from", "pay/payments-0", "--to", "rds:db1", "--port", "5432", "--no-aws")
    assert doc["allowed"] is True
    assert _layers(doc) == [
        ("networkpolicy-egress", True),
        ("networkpolicy-ingress", True),
        ("mesh", True),
    ]
    assert "placement" not in doc


def test_what_the_input_lacks_is_unknown_with_the_reason(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    pods = (pod("shop/web-9", "n9", "198.18.2.99"), pod("shop/api-0", "n2", "198.18.2.20"))
    nodes = (k8s_node("n9", "198.18.2.9"), k8s_node("n2", "198.18.2.10"))
    _serve(monkeypatch, world(pods=pods, nodes=nodes))
    doc = _json(capsys, "--from", "shop/web-9", "--to", "shop/api-0", "--port", "8080")
    assert doc["allowed"] is None
    assert doc["unknown"] == [
        "security-group-egress: the security groups of shop/web-9 are unknown (on node n9's "
        "ENIs: every ENI the VPC CNI attaches carries the primary ENI's security groups; node "
        "n9: no EC2 instance record in the input)",
        "security-group-ingress: sg-node ingress rule 1 (all from sg-node) may match "
        "shop/web-9: the security groups of shop/web-9 are unknown",
    ]


def test_the_control_plane_reaches_the_kubelet_through_the_cluster_group(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _serve(monkeypatch, world())
    doc = _json(capsys, "--from", "control-plane", "--to", "node/n1", "--port", "10250")
    assert doc["allowed"] is True
    assert doc["from"] == "control-plane"


def test_an_unknown_aws_endpoint_is_a_usage_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _serve(monkeypatch, world())
    argv = ["net", "can", "x", "--from", "shop/web-0", "--to", "rds:nope", "--port", "5432"]
    assert main(argv) == 2
    assert "no RDS DB instance 'nope' in the input" in capsys.readouterr().err


def test_without_vpc_data_the_verdict_and_table_are_the_cluster_layers_alone(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _serve(monkeypatch, replace(world(), aws=AwsState()))
    argv = ["net", "can", "x", "--from", "shop/web-0", "--to", "shop/api-0", "--port", "80"]
    assert main([*argv, "-q", "--no-mesh"]) == 0
    table = capsys.readouterr().out
    assert table.splitlines()[0] == "shop/web-0 -> shop/api-0 TCP/80: ALLOWED"
    assert "layers:" not in table
    doc = _json(capsys, "--from", "shop/web-0", "--to", "shop/api-0", "--port", "80")
    assert doc["allowed"] is True
    layers = doc["layers"]
    assert isinstance(layers, list)
    assert [
        x["allowed"] for x in layers if x["layer"].startswith(("security", "nacl", "route"))
    ] == [None] * 6


def test_net_path_lists_every_hop_and_the_first_that_drops(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _serve(monkeypatch, world({"ENABLE_POD_ENI": "true"}))
    argv = ["net", "path", "x", "--from", "pay/payments-0", "--to", "rds:db1", "--port", "5432"]
    assert main([*argv, "-q", "-f", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert (doc["allowed"], doc["first_drop"]) == (False, 6)
    assert [(h["hop"], h["component"], h["allowed"], h["code"]) for h in doc["hops"]] == [
        (1, "pay/payments-0: egress policy", True, "networkpolicy-egress-allowed"),
        (2, "branch ENI of pay/payments-0 [sg-pay]", True, "security-group-egress-allowed"),
        (3, "acl-default (subnet-b)", True, "nacl-outbound-allowed"),
        (4, "rtb-priv (subnet-b)", True, "route-allowed"),
        (5, "acl-db (subnet-db)", True, "nacl-inbound-allowed"),
        (6, "eni-db1 [sg-db]", False, "security-group-ingress-no-matching-rule"),
        (7, "rds:db1: ingress policy", True, "networkpolicy-ingress-allowed"),
        (8, "rds:db1: mesh (sidecar)", True, "mesh-allowed"),
        (9, "the reply through the network ACLs", True, "nacl-return-allowed"),
    ]
    assert doc["hops"][5]["source"] == "aws.json:120"
    assert main([*argv, "-q"]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0] == "pay/payments-0 -> rds:db1 TCP/5432: NOT REACHABLE"
    assert table[-1] == "  first drop: hop 6 (security-group-ingress, eni-db1 [sg-db])"


def test_net_path_through_the_nat_gateway_names_its_subnet_acl(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _serve(monkeypatch, world())
    argv = ["net", "path", "x", "--from", "shop/web-0", "--to", "internet", "--port", "443"]
    assert main([*argv, "-q", "-f", "json", "--protocol", "TCP"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["allowed"] is True and doc["first_drop"] is None
    assert doc["hops"][4]["component"] == "acl-default (subnet-pub), the subnet of nat-1"
    assert doc["hops"][1]["component"] == "eni-n1 [sg-node]"


def test_net_matrix_to_aws_counts_the_pods_each_group_has_through(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    groups = (
        *GROUPS[:2],
        sg("sg-db", 120, ingress=(rule(121, "6", 5432, cidr="198.18.1.0/24"),)),
        GROUPS[3],
    )
    _serve(monkeypatch, world({"ENABLE_POD_ENI": "true"}, security_groups=groups))
    argv = ["net", "matrix", "x", "--to-aws", "--by", "namespace", "-q"]
    assert main([*argv, "-f", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["endpoints"] == ["kube-system", "pay", "shop"]
    assert doc["destinations"] == [
        {
            "name": "rds:db1",
            "kind": "rds",
            "address": "198.18.3.50",
            "subnet": "subnet-db",
            "security_groups": ["sg-db"],
            "ports": [5432],
        }
    ]
    assert doc["flows"] == [
        {
            "from": "kube-system",
            "to": "rds:db1",
            "protocol": "TCP",
            "port": 5432,
            "allowed": True,
            "status": "allowed",
            "pods": 1,
            "pods_allowed": 1,
            "pods_unknown": 0,
            "decided_by": None,
        },
        {
            "from": "shop",
            "to": "rds:db1",
            "protocol": "TCP",
            "port": 5432,
            "allowed": None,
            "status": "partial",
            "pods": 3,
            "pods_allowed": 2,
            "pods_unknown": 0,
            "decided_by": {
                "layer": "security-group-ingress",
                "allowed": False,
                "decided_by": "no ingress rule of sg-db allows tcp/5432 from shop/api-0 (a "
                "security group denies what no rule allows)",
                "source": "aws.json:120",
            },
        },
    ]
    assert main([*argv, "-f", "csv"]) == 0
    assert capsys.readouterr().out.splitlines()[2] == (
        '"shop","rds:db1","TCP/5432","partial","2/3","security-group-ingress: no ingress rule '
        'of sg-db allows tcp/5432 from shop/api-0 (a security group denies what no rule allows)"'
    )
    assert main([*argv, "-f", "dot"]) == 2


FIXTURE = str(Path(__file__).resolve().parents[1] / "fixtures" / "vpc" / "platform")


def test_an_aws_json_platform_names_the_deciding_rules_with_their_lines(
    capsys: pytest.CaptureFixture[str],
) -> None:
    argv = ["net", "can", FIXTURE, "--from", "pay/payments-0", "--to", "rds:orders"]
    assert main([*argv, "--port", "5432", "--no-mesh", "-q"]) == 0
    src = f"{FIXTURE}/aws.json"
    assert capsys.readouterr().out.splitlines()[5:] == [
        "    networkpolicy-egress    allow   no policy selects pay/payments-0: allowed",
        "    security-group-egress   allow   sg-0fa egress rule 1 (all to 0.0.0.0/0) allows "
        f"tcp/5432 to rds:orders on pay/payments-0 (sg-0fa) ({src}:56)",
        "    nacl-outbound           allow   acl-0de outbound rule 100 allows tcp 5432 to "
        f"rds:orders ({src}:61)",
        f"    route                   allow   rtb-0a1 route 198.18.0.0/16 -> local ({src}:28)",
        "    nacl-inbound            allow   acl-0db inbound rule 100 allows tcp 5432 from "
        f"pay/payments-0 ({src}:63)",
        "    security-group-ingress  deny    no ingress rule of sg-0db allows tcp/5432 from "
        f"pay/payments-0 (a security group denies what no rule allows) ({src}:51)",
        "    networkpolicy-ingress   allow   198.18.3.50 is outside the cluster: no ingress "
        "policy is enforced there",
        "    nacl-return             deny    reply out of subnet-0d1: acl-0db outbound allows "
        "only 32768-50000 of tcp 32768-60999 to pay/payments-0; the final * rule drops "
        f"50001-60999 ({src}:62)",
    ]


def test_an_aws_json_platform_control_plane_to_a_webhook_port_drops_at_the_node_group(
    capsys: pytest.CaptureFixture[str],
) -> None:
    argv = ["net", "path", FIXTURE, "--from", "control-plane", "--to", "shop/web-0"]
    assert main([*argv, "--port", "8080", "-q", "-f", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["first_drop"] == 6
    assert doc["hops"][5]["component"] == "eni-0a1 [sg-0d1]"
    assert main([*argv, "--port", "10250", "-q", "-f", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert (doc["allowed"], doc["first_drop"]) == (True, None)

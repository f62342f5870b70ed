"""Terraform plans and states (terraform show -json) read as aws.json documents."""

from __future__ import annotations

import json
import re
from pathlib import Path

from ekstwin.analysis import analyze
from ekstwin.findings import DiagnosticLevel
from ekstwin.loaders import load
from ekstwin.loaders.aws import build_aws
from ekstwin.loaders.jsonlines import pointer_lines
from ekstwin.loaders.terraform import HANDLERS, RESOURCE_TYPES, terraform_to_aws

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "collect"
TF = FIXTURES / "terraform"


def _read(name: str) -> tuple[dict[str, object], list[dict[str, object]], dict[str, int]]:
    path = TF / f"{name}.json"
    text = path.read_text(encoding="utf-8")
    doc, diags = terraform_to_aws(json.loads(text), str(path.relative_to(TF)), pointer_lines(text))
    return doc.data, [d.to_json() for d in diags], doc.lines


def test_plan_becomes_the_reviewed_aws_json_with_placeholders_and_warnings() -> None:
    # reviewed snapshot: placeholders for ids AWS chooses, references joined
    # (subnet vpc_id, node group subnets and role, cluster key ARN), deleted and
    # unsupported resources left out, every unknown value a warning at its resource
    data, diags, lines = _read("plan")
    expected = json.loads((TF / "plan.expected.json").read_text(encoding="utf-8"))
    assert data == expected["document"]
    assert lines == expected["lines"]
    assert diags == expected["diagnostics"]


def test_plan_unknown_values_are_warnings_naming_the_resource_address() -> None:
    _, diags, _ = _read("plan")
    assert {d["level"] for d in diags} == {"warning"}
    assert {d["code"] for d in diags} == {"terraform-unknown"}
    assert [d["message"] for d in diags if "aws_eks_cluster.main" in str(d["message"])] == [
        "aws_eks_cluster.main: arn is unknown until apply; using the placeholder "
        "arn:aws:eks:eu-west-1:111122223333:cluster/pr-42",
        "aws_eks_cluster.main: encryption_config key_arn is unknown until apply; using "
        "arn:aws:kms:eu-west-1:111122223333:key/e4e83157-e456-af6a-666b-aed12a76c0a8",
        "aws_eks_cluster.main: vpc_config: cluster_security_group_id, subnet_ids, vpc_id "
        "unknown until apply; left out",
    ]


def test_plan_document_validates_and_joins_references() -> None:
    path = TF / "plan.json"
    text = path.read_text(encoding="utf-8")
    doc, _ = terraform_to_aws(json.loads(text), "plan.json", pointer_lines(text))
    state, diags = build_aws([doc])
    assert diags == []
    cluster = state.cluster("pr-42")
    assert cluster is not None
    key = state.kms_key(cluster.secrets_key_arn or "")
    assert key is not None and key.description == "pr-42 EKS secrets"
    group = cluster.node_group("general")
    assert group is not None and group.node_role_arn is not None
    assert state.role(group.node_role_arn) is not None
    subnets = [state.subnet(s) for s in group.subnet_ids]
    assert [(s.cidr, s.vpc_id == state.vpcs[0].vpc_id) for s in subnets if s] == [
        ("198.18.0.0/24", True)
    ]
    assert [r.name for r in state.ecr_repositories] == ["pr-42/api"]


def test_state_values_are_read_from_every_module() -> None:
    data, diags, _ = _read("state")
    expected = json.loads((TF / "state.expected.json").read_text(encoding="utf-8"))
    assert data == expected["document"]
    assert diags == [] == expected["diagnostics"]


def test_analyze_accepts_a_directory_mixing_manifests_collected_aws_json_and_a_plan() -> None:
    mixed = FIXTURES / "mixed"
    result = load([str(mixed)])
    assert not result.input_errors
    assert sorted(a.id for a in result.platform.aws.accounts) == ["111122223333", "444455556666"]
    report = analyze(result)
    assert [d for d in report.diagnostics if d.level is DiagnosticLevel.ERROR] == []
    got = sorted(
        (f.check_id, f.subject.name, f.source.file if f.source else None) for f in report.findings
    )
    plan = str(mixed / "plan.json")
    assert got == [
        # the mutable tag comes from the collected account, the pod from the manifest
        ("ECR001", "recommendations", str(mixed / "manifests.yaml")),
        # the cluster, its key and its nodes come from the plan, before anything exists
        ("EKS001", "arn:aws:eks:eu-west-1:111122223333:cluster/pr-42", plan),
        ("EKS003", "arn:aws:eks:eu-west-1:111122223333:cluster/pr-42", plan),
        ("EKS005", "arn:aws:eks:eu-west-1:111122223333:cluster/pr-42", plan),
        ("KMS003", "arn:aws:eks:eu-west-1:111122223333:cluster/pr-42", plan),
        (
            "KMS005",
            "arn:aws:kms:eu-west-1:111122223333:key/e4e83157-e456-af6a-666b-aed12a76c0a8",
            plan,
        ),
    ]


def test_plan_without_resources_ekstwin_reads_is_one_warning(tmp_path: Path) -> None:
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps({"format_version": "1.2", "resource_changes": []}))
    result = load([str(plan)])
    assert [(d.code, d.level, d.message) for d in result.diagnostics] == [
        (
            "terraform",
            DiagnosticLevel.WARNING,
            "this Terraform plan or state holds none of the AWS resource types ekstwin reads",
        )
    ]


def test_unknown_list_elements_are_null_in_after_and_left_out() -> None:
    """Terraform's jsonplan omits an unknown attribute from ``after`` and turns an
    unknown list element into null (internal/command/jsonplan omitUnknowns)."""
    plan = {
        "format_version": "1.2",
        "resource_changes": [
            {
                "address": "aws_eks_cluster.main",
                "mode": "managed",
                "type": "aws_eks_cluster",
                "name": "main",
                "change": {
                    "actions": ["create"],
                    "after": {
                        "name": "pr-7",
                        "version": "1.31",
                        "enabled_cluster_log_types": [None, "api"],
                    },
                    "after_unknown": {"arn": True, "enabled_cluster_log_types": [True, False]},
                },
            }
        ],
        "configuration": {
            "provider_config": {"aws": {"expressions": {"region": {"constant_value": "eu-west-1"}}}}
        },
    }
    doc, _ = terraform_to_aws(plan, "plan.json")
    accounts = doc.data["accounts"]
    assert isinstance(accounts, list)
    (cluster,) = accounts[0]["eks"]["clusters"]
    assert cluster["logging"] == {"enabled_types": ["api"]}


def test_docs_list_exactly_the_resource_types_with_a_handler() -> None:
    text = (Path(__file__).resolve().parents[2] / "docs" / "collect.md").read_text("utf-8")
    start = text.index("these types become one aws.json account:")
    listed = set(re.findall(r"`(aws_[a-z0-9_]+)`", text[start : text.index("Other types", start)]))
    assert listed == set(RESOURCE_TYPES)
    assert all(handler.type == name for name, handler in HANDLERS.items())

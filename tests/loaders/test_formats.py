"""The input formats and their order: a document two formats could claim goes to
the first of ``FORMATS`` that recognises it, in a JSON file as in a YAML one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from ekstwin.findings import DiagnosticLevel
from ekstwin.loaders.inputs import FORMATS, RawInputs, format_of, read_inputs
from ekstwin.model.source import Source

CONFIG_MAP = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a", "namespace": "n"}}
AWS = {"format": "ekstwin-aws", "version": 1, "accounts": []}
REALM = {"realm": "platform", "users": []}
PLAN = {"format_version": "1.2", "resource_changes": []}
SNAPSHOT = {
    "format": "ekstwin-snapshot",
    "version": 1,
    "kubernetes": [{"source": {"file": "cm.yaml", "line": 3}, "lines": {}, "object": CONFIG_MAP}],
}


def _read(tmp_path: Path, data: dict[str, object], suffix: str) -> RawInputs:
    path = tmp_path / f"input{suffix}"
    text = json.dumps(data) if suffix == ".json" else yaml.safe_dump(data)
    path.write_text(text, encoding="utf-8")
    return read_inputs([str(path)])


def test_formats_are_asked_in_this_order() -> None:
    assert [f.name for f in FORMATS] == [
        "snapshot",
        "aws.json",
        "keycloak",
        "terraform",
        "kubernetes",
    ]


@pytest.mark.parametrize(
    ("data", "claimed_by", "first"),
    [
        ({**SNAPSHOT, **PLAN}, {"snapshot", "terraform", "kubernetes"}, "snapshot"),
        ({**AWS, **REALM}, {"aws.json", "keycloak", "kubernetes"}, "aws.json"),
        ({**AWS, **PLAN}, {"aws.json", "terraform", "kubernetes"}, "aws.json"),
        ({**REALM, **PLAN}, {"keycloak", "terraform", "kubernetes"}, "keycloak"),
        ({**REALM, **CONFIG_MAP}, {"keycloak", "kubernetes"}, "keycloak"),
        ({**PLAN, **CONFIG_MAP}, {"terraform", "kubernetes"}, "terraform"),
        (CONFIG_MAP, {"kubernetes"}, "kubernetes"),
        ({"anything": "else"}, {"kubernetes"}, "kubernetes"),
    ],
)
def test_a_document_two_formats_recognise_goes_to_the_first(
    data: dict[str, object], claimed_by: set[str], first: str
) -> None:
    assert {f.name for f in FORMATS if f.recognise(data)} == claimed_by
    assert format_of(data).name == first


@pytest.mark.parametrize("suffix", [".json", ".yaml"])
def test_aws_json_that_also_looks_like_a_realm_is_read_as_aws_json(
    tmp_path: Path, suffix: str
) -> None:
    raw = _read(tmp_path, {**AWS, **REALM}, suffix)
    assert ([d.data for d in raw.aws], raw.realms, raw.kube, raw.diagnostics) == (
        [{**AWS, **REALM}],
        (),
        (),
        (),
    )


@pytest.mark.parametrize("suffix", [".json", ".yaml"])
def test_realm_that_also_looks_like_a_terraform_state_is_read_as_a_realm(
    tmp_path: Path, suffix: str
) -> None:
    raw = _read(tmp_path, {**REALM, **PLAN}, suffix)
    assert ([d.data for d in raw.realms], raw.aws, raw.kube, raw.diagnostics) == (
        [{**REALM, **PLAN}],
        (),
        (),
        (),
    )


@pytest.mark.parametrize("suffix", [".json", ".yaml"])
def test_terraform_plan_with_a_kind_is_read_as_terraform_not_kubernetes(
    tmp_path: Path, suffix: str
) -> None:
    raw = _read(tmp_path, {**PLAN, **CONFIG_MAP}, suffix)
    assert raw.kube == () and raw.realms == ()
    assert [d.data["generated_by"] for d in raw.aws] == ["ekstwin (terraform show -json)"]
    assert [(d.code, d.level) for d in raw.diagnostics] == [("terraform", DiagnosticLevel.WARNING)]


@pytest.mark.parametrize("suffix", [".json", ".yaml"])
def test_snapshot_that_also_looks_like_a_terraform_plan_is_read_as_a_snapshot(
    tmp_path: Path, suffix: str
) -> None:
    raw = _read(tmp_path, {**SNAPSHOT, **PLAN}, suffix)
    assert [(d.data, d.source) for d in raw.kube] == [(CONFIG_MAP, Source("cm.yaml", 3))]
    assert (raw.aws, raw.realms, raw.diagnostics) == ((), (), ())

"""Fuzzing every loader and the snapshot reader through the command line.

Each example writes a platform (Kubernetes YAML/JSON, aws.json, a Keycloak realm, a
Terraform plan, a snapshot), runs ``analyze`` (table and JSON; at length also SARIF,
JUnit and the HTML report), ``net matrix``, ``ingress alb`` and ``dns plan`` for
manifests, and ``snapshot``, then ``analyze`` on the snapshot, asserting for each run:

- the exit code is 0, 1 or 2 (3 is an internal error), and no traceback;
- the process's peak memory stays under ``MEMORY_CAP``;
- ``MARK``, put only where secrets live, is in no output and no snapshot;
- the text outputs (table, stderr) hold no control character but newlines.

``./run test`` runs a few examples of each (derandomized, so a failure is
reproducible); ``scripts/fuzz.py`` runs thousands, randomly. Set
``EKSTWIN_FUZZ_EXAMPLES`` to choose the count.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import resource
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ekstwin.cli.main import main
from tests.fuzz.strategies import (
    ANY_TEXT,
    HOSTILE_NAME,
    MARK,
    dumps_any,
    kube_object,
    mutated,
    realm_with_secrets,
    terraform_plan,
)

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "examples" / "demo-platform"
EXAMPLES = int(os.environ.get("EKSTWIN_FUZZ_EXAMPLES", "8"))
LONG = "EKSTWIN_FUZZ_EXAMPLES" in os.environ
#: The process's peak resident memory (pytest and its workers included) must stay
#: under this; scripts/fuzz.py also caps the address space, so a bomb fails fast.
MEMORY_CAP = 2 * 1024 * 1024 * 1024

FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=not LONG,
    database=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
        HealthCheck.filter_too_much,
    ],
)

#: Control characters a terminal acts on (C0 but the newline, DEL, C1).
CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f]")
#: File names: any text a file system takes, control characters included.
FILE_STEM = st.one_of(
    st.from_regex(r"[a-z]{1,8}", fullmatch=True),
    ST_HOSTILE := HOSTILE_NAME.map(lambda s: s.replace("/", "_").replace("\x00", "_")[:40]),
).filter(lambda s: s not in ("", ".", "..") and not s.startswith("."))


def _cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(argv))
        except SystemExit as exc:  # argparse
            code = int(exc.code or 0)
    return code, out.getvalue(), err.getvalue()


def _judge(label: str, code: int, out: str, err: str, *, text: bool) -> None:
    assert code in (0, 1, 2), f"{label}: exit {code}\n{err[-2000:]}"
    assert "Traceback" not in err and "internal error" not in err, f"{label}:\n{err[-2000:]}"
    assert MARK not in out and MARK not in err, f"{label}: the secret marker was written"
    assert CONTROL.findall(err) == [], f"{label}: control character on stderr"
    if text:
        assert CONTROL.findall(out) == [], f"{label}: control character in the text output"


def check_platform(paths: list[str], workdir: Path, *, commands: bool = False) -> None:
    """Every output of ``paths``, and its snapshot's, judged as the module says;
    ``commands`` adds the text outputs of net matrix (CSV), ingress alb and dns plan."""
    formats = ("table", "json", "sarif", "junit") if LONG else ("table", "json")
    for fmt in formats:
        code, out, err = _cli("analyze", "--format", fmt, *paths)
        _judge(f"analyze --format {fmt}", code, out, err, text=fmt == "table")
        if fmt in ("json", "sarif"):
            json.loads(out)
    if commands:
        for argv in (("net", "matrix", "--format", "csv"), ("ingress", "alb"), ("dns", "plan")):
            code, out, err = _cli(*argv, *paths)
            _judge(" ".join(argv), code, out, err, text=True)
    if LONG:
        html = workdir / "report.html"
        code, out, err = _cli("report", *paths, "-o", str(html), "--quiet")
        _judge("report", code, out, err, text=True)
        if html.exists():
            assert MARK not in html.read_text(encoding="utf-8"), "the HTML report holds it"
    snap = workdir / "twin.json"
    code, out, err = _cli("snapshot", *paths, "-o", str(snap))
    _judge("snapshot", code, out, err, text=True)
    if snap.exists():
        assert MARK not in snap.read_text(encoding="utf-8"), "the snapshot holds the marker"
        code, out, err = _cli("analyze", "--format", "json", str(snap))
        _judge("analyze of the snapshot", code, out, err, text=False)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    assert peak < MEMORY_CAP, f"the process peaked at {peak / 2**20:.0f} MiB"


def _fresh(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


@FUZZ
@given(data=st.data())
def test_kubernetes_manifests(
    tmp_path_factory: pytest.TempPathFactory, data: st.DataObject
) -> None:
    work = _fresh(tmp_path_factory)
    platform = work / "platform"
    platform.mkdir()
    for _ in range(data.draw(st.integers(1, 3))):
        docs = data.draw(st.lists(kube_object(), min_size=1, max_size=6))
        stem = data.draw(FILE_STEM)
        form = data.draw(st.sampled_from(["yaml", "json-list", "json"]))
        if form == "yaml":
            text = yaml.safe_dump_all(docs, allow_unicode=data.draw(st.booleans()))
            (platform / f"{stem}.yaml").write_text(text, encoding="utf-8")
        elif form == "json-list":
            listed = {"apiVersion": "v1", "kind": "List", "items": docs}
            (platform / f"{stem}.json").write_text(dumps_any(data.draw, listed), encoding="utf-8")
        else:
            (platform / f"{stem}.json").write_text(dumps_any(data.draw, docs[0]), encoding="utf-8")
    check_platform([str(platform)], work, commands=True)


@FUZZ
@given(text=st.text(st.characters(exclude_categories=["Cs"]), max_size=400))
def test_raw_yaml_text(tmp_path_factory: pytest.TempPathFactory, text: str) -> None:
    """Text that is mostly not YAML at all: the parser's errors are diagnostics."""
    work = _fresh(tmp_path_factory)
    (work / "x.yaml").write_text(text, encoding="utf-8")
    (work / "s.yaml").write_text(f"apiVersion: v1\nkind: Secret\ndata: {{k: {MARK}}}\n" + text)
    check_platform([str(work / "x.yaml"), str(work / "s.yaml")], work)


def _aws_seed() -> dict[str, Any]:
    """The aws.json fixture with secrets where a hand-written file might hold them."""
    seed: dict[str, Any] = json.loads(
        (ROOT / "tests" / "fixtures" / "aws" / "full.json").read_text("utf-8")
    )
    account = seed["accounts"][0]
    account["iam"]["roles"][0]["tags"]["db_password"] = MARK
    account["eks"]["clusters"][0]["addons"] = [
        {"name": "x", "version": "1", "configuration": {"env": {"API_KEY": MARK}}}
    ]
    return seed


_AWS_SEED = _aws_seed()
_REALM_SEED = realm_with_secrets(
    json.loads((DEMO / "keycloak" / "realm-export.json").read_text(encoding="utf-8"))
)
_PLAN_SEED = json.loads(
    (ROOT / "tests" / "fixtures" / "collect" / "terraform" / "plan.json").read_text("utf-8")
)


@FUZZ
@given(data=st.data())
def test_aws_json(tmp_path_factory: pytest.TempPathFactory, data: st.DataObject) -> None:
    work = _fresh(tmp_path_factory)
    doc = data.draw(mutated(_AWS_SEED))
    (work / "aws.json").write_text(dumps_any(data.draw, doc), encoding="utf-8")
    check_platform([str(work / "aws.json")], work)


@FUZZ
@given(data=st.data())
def test_keycloak_realm(tmp_path_factory: pytest.TempPathFactory, data: st.DataObject) -> None:
    work = _fresh(tmp_path_factory)
    doc = data.draw(mutated(_REALM_SEED))
    (work / "realm.json").write_text(dumps_any(data.draw, doc), encoding="utf-8")
    check_platform([str(work / "realm.json")], work)


@FUZZ
@given(data=st.data())
def test_terraform_plan(tmp_path_factory: pytest.TempPathFactory, data: st.DataObject) -> None:
    work = _fresh(tmp_path_factory)
    doc = data.draw(terraform_plan(list(_PLAN_SEED["resource_changes"])))
    (work / "plan.json").write_text(dumps_any(data.draw, doc), encoding="utf-8")
    check_platform([str(work / "plan.json")], work)


def _snapshot_seed() -> dict[str, Any]:
    """A snapshot of a small platform of every source (the fuzzed aws.json and realm
    seeds, a few Kubernetes objects), with a Secret the way a snapshot holds one
    that was handed in unsanitized."""
    import tempfile

    from ekstwin.loaders import load
    from ekstwin.loaders.inputs import snapshot_to_json

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "aws.json").write_text(json.dumps(_AWS_SEED), encoding="utf-8")
        (root / "realm.json").write_text(json.dumps(_REALM_SEED), encoding="utf-8")
        for name in ("orders", "payments"):
            for f in sorted((DEMO / "k8s" / name).glob("*.yaml"))[:3]:
                (root / f"{name}-{f.name}").write_text(f.read_text("utf-8"), encoding="utf-8")
        seed: dict[str, Any] = snapshot_to_json(load([str(root)]).raw, "fuzz")
    seed["kubernetes"].append(
        {
            "source": {"file": "s.yaml", "line": 1},
            "object": {"apiVersion": "V1", "kind": "Secret", "data": {"k": MARK}},
        }
    )
    return seed


_SNAPSHOT_SEED = _snapshot_seed()


@FUZZ
@given(data=st.data())
def test_snapshot_reader(tmp_path_factory: pytest.TempPathFactory, data: st.DataObject) -> None:
    work = _fresh(tmp_path_factory)
    doc = data.draw(mutated(_SNAPSHOT_SEED, max_mutations=6))
    (work / "twin.json").write_text(dumps_any(data.draw, doc), encoding="utf-8")
    check_platform([str(work / "twin.json")], work)


@FUZZ
@given(names=st.lists(ANY_TEXT, min_size=1, max_size=4))
def test_diagnostics_never_carry_control_characters(
    tmp_path_factory: pytest.TempPathFactory, names: list[str]
) -> None:
    """Names of every kind of character, in objects the model rejects (so the name is
    in the diagnostic) and accepts (so it is in the tables)."""
    work = _fresh(tmp_path_factory)
    docs = [
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": n}, "spec": {"ports": n}}
        for n in names
    ] + [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": n}} for n in names]
    (work / "k.json").write_text(json.dumps({"kind": "List", "apiVersion": "v1", "items": docs}))
    check_platform([str(work / "k.json")], work)

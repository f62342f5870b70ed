"""Every command's JSON, as the command writes it, against its schema in ekstwin/schemas.

The schemas are the documented shapes (``docs/json.md``): each key, its type and,
where the engine has a fixed set, its values. A command whose JSON gains, loses or
retypes a key fails here until its schema (and the documentation) says so.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from ekstwin.cli.main import main
from tests.json_schemas import errors, schemas

ROOT = Path(__file__).resolve().parents[2]
DEMO = str(ROOT / "examples" / "demo-platform")
IAM_CASE = str(ROOT / "tests" / "fixtures" / "iam" / "cases" / "003-explicit-deny-wins.json")
#: Small platforms whose mesh refuses plaintext callers (fail) or whose network keeps
#: them out (pass): the pod matrix with the mesh, and a network diff, stay small.
MSH = ROOT / "tests" / "fixtures" / "checks" / "MSH001"
MSH_FAIL = str(MSH / "fail_plaintext_caller_to_strict" / "platform.yaml")
MSH_PASS = str(MSH / "pass_network_keeps_plaintext_callers_out" / "platform.yaml")

#: (schema, command line); ``{demo}`` is the demo platform, ``{changed}`` the same with
#: one change (see ``changed``), ``{out}`` a file the command writes instead of stdout;
#: the others name endpoints of the demo platform (``PLACES``).
CASES: list[tuple[str, str]] = [
    ("report", "analyze {demo} -q"),
    ("report", "net lint {demo} -q"),
    ("report", "mesh lint {demo} -q"),
    ("checks", "checks"),
    ("diff", "diff {demo} {changed} -q"),
    ("net-can", "net can {demo} --from {pay} --to orders/orders-api --port 8080 -q"),
    ("net-can", "net can {demo} --from {store} --to {pay_svc} --port 80 -q"),
    ("net-can", "net can {demo} --no-mesh --from {store} --to {pay_svc} --port 80 -q"),
    ("net-can", "net can {demo} --no-mesh --from dev/toolbox --to 203.0.113.5 --port 443 -q"),
    ("net-can", "net can {demo} --from {pay} --to rds:payments-ledger --port 5432 -q"),
    ("net-can", "net can {demo} --from control-plane --to {pay_svc} --port 80 -q"),
    ("net-path", "net path {demo} --from {pay} --to rds:payments-ledger --port 5432 -q"),
    ("net-path", "net path {demo} --from {store} --to {pay_svc} --port 80 -q"),
    ("net-matrix", "net matrix {demo} --by workload -q"),
    ("net-matrix-to-aws", "net matrix {demo} --to-aws -q"),
    ("net-matrix", "net matrix {msh_fail} --by pod --mesh -q"),
    ("net-diff", "net diff {msh_fail} {msh_pass} -q"),
    ("mesh-can", "mesh can {demo} --from {dev} --to {pay} --port 8080 --method GET --path /a -q"),
    ("mesh-can", "mesh can {demo} --from {store} --to {pay_svc} --port 80 -q"),
    ("mesh-injection", "mesh injection {demo} -q"),
    ("mesh-coverage", "mesh coverage {demo} -q"),
    ("mesh-routes", "mesh routes {demo} storefront.shop-frontend -q"),
    ("ipam-max-pods", "ipam max-pods m5.large --prefix-delegation"),
    ("ipam-plan", "ipam plan {demo} --lose-az eu-west-1a --scale general=10 -q"),
    ("iam-evaluate", "iam evaluate {iam_case}"),
    ("iam-pod", "iam pod {demo} shop-api/catalog-api -q"),
    ("iam-who-can", "iam who-can {demo} s3:GetObject * -q"),
    ("access-who-can", "access who-can {demo} create pods/exec -n payments -q"),
    ("access-user", "access user {demo} alice-okafor -q"),
    ("access-sa", "access sa {demo} {pay} -q"),
    ("ingress-alb", "ingress alb {demo} -q"),
    ("ingress-route", "ingress route {demo} https://shop.example.com/api/x -q"),
    ("dns-plan", "dns plan {demo} -q"),
    ("dns-plan", "dns plan {demo} --owner-id other -q"),
    ("cluster-endpoint", "cluster endpoint {demo} -q"),
    ("storage-plan", "storage plan {demo} --lose-az eu-west-1a -q"),
    ("baseline", "baseline write {demo} -o {out} -q"),
    ("snapshot", "snapshot {demo} -o {out} -q"),
]  # fmt: skip

PLACES = {
    "demo": DEMO,
    "iam_case": IAM_CASE,
    "msh_fail": MSH_FAIL,
    "msh_pass": MSH_PASS,
    "dev": "dev/toolbox",
    "store": "shop-frontend/storefront",
    "pay": "payments/payments-api",
    "pay_svc": "payments/svc/payments-api",
}

#: Schemas whose documents other tests check: aws.json as the loader reads it
#: (tests/loaders/test_aws.py), ``lab probe`` in a lab it builds (tests/lab, as root),
#: ``history`` below.
# web-views: the document of report and serve (tests/web/test_views_schema.py)
ELSEWHERE = {"aws", "lab-probe", "history", "web-views"}


@pytest.fixture(scope="module")
def changed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The demo platform without the payments namespace's NetworkPolicies."""
    root = tmp_path_factory.mktemp("changed") / "demo"
    shutil.copytree(DEMO, root)
    (root / "k8s" / "payments" / "network-policies.yaml").unlink()
    yield str(root)


def _run(argv: list[str], capsys: pytest.CaptureFixture[str], out: Path) -> object:
    code = main(argv)
    assert code in (0, 1), capsys.readouterr().err
    text = out.read_text(encoding="utf-8") if str(out) in argv else capsys.readouterr().out
    return json.loads(text)


def _case_id(schema: str, line: str) -> str:
    words = [w for w in line.split() if not w.startswith("{")]
    return f"{schema}:{' '.join(words[:4])}"


@pytest.mark.parametrize(("schema", "line"), CASES, ids=[_case_id(s, a) for s, a in CASES])
def test_command_json_matches_its_schema(
    schema: str,
    line: str,
    changed: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "out.json"
    places = {**PLACES, "changed": changed, "out": str(out)}
    args = [word.format(**places) for word in line.split()]
    if "-o" not in args:
        args += ["--format", "json"]
    doc = _run(args, capsys, out)
    assert errors(schema, doc) == []
    # The schema holds the shape, not just any JSON: an unknown key is refused.
    assert isinstance(doc, dict | list)
    probe = {**doc, "unexpected": 1} if isinstance(doc, dict) else [*doc, {"unexpected": 1}]
    assert errors(schema, probe) != []


def test_history_json_matches_its_schema(
    changed: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "states.db")
    assert main(["record", DEMO, "--db", db, "-q"]) == 0
    assert main(["record", changed, "--db", db, "-q", "--label", "no payments policies"]) == 0
    capsys.readouterr()
    assert main(["history", "--db", db, "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [c["diff"] is None for c in doc["changes"]] == [False]
    assert errors("history", doc) == []


def test_every_schema_is_checked_against_real_output() -> None:
    checked = {schema for schema, _ in CASES} | ELSEWHERE
    assert set(schemas()) == checked

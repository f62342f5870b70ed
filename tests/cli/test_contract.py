"""One contract over every command (ekstwin.cli.common): input that cannot be read
exits 2 with the rest answered, an internal error exits 3 in one line, ``--fail-on``
decides exit 1, and the format names are one set."""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

import pytest

from ekstwin.cli import main as cli_main
from ekstwin.cli.main import build_parser, main

ROOT = Path(__file__).resolve().parents[2]
DEMO = str(ROOT / "examples" / "demo-platform")
IAM_CASES = ROOT / "tests" / "fixtures" / "iam" / "cases"

#: A YAML file that does not parse: next to the demo platform, the input has an error.
BROKEN = "kind: Pod\nmetadata: {name: web, namespace: shop\n"


def _leaf_commands(parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()) -> set[str]:
    out: set[str] = set()
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                out |= _leaf_commands(child, (*prefix, name))
    return out or {" ".join(prefix)}


#: Each command with input it cannot (wholly) read: ``{bad}`` is the demo platform with
#: a file that does not parse, ``{file}`` a file that is not what the command reads,
#: ``{dir}`` an empty directory.
UNREADABLE: dict[str, str] = {
    "analyze": "analyze {bad}",
    "snapshot": "snapshot {bad} -o {dir}/twin.json",
    "baseline write": "baseline write {bad} -o {dir}/baseline.json",
    "diff": "diff {bad} {demo}",
    "net can": "net can {bad} --from dev/toolbox --to payments/payments-api --port 8080",
    "net path": "net path {bad} --from dev/toolbox --to payments/payments-api --port 8080",
    "net matrix": "net matrix {bad} --by namespace",
    "net diff": "net diff {demo} {bad}",
    "net lint": "net lint {bad}",
    "mesh can": "mesh can {bad} --from dev/toolbox --to payments/payments-api --port 8080",
    "mesh injection": "mesh injection {bad}",
    "mesh coverage": "mesh coverage {bad}",
    "mesh routes": "mesh routes {bad} storefront.shop-frontend",
    "mesh lint": "mesh lint {bad}",
    "lab up": "lab up {bad} --state-dir {dir} --prefix ektc",
    "lab probe": "lab probe --state-dir {dir} --prefix ektc",
    "ipam max-pods": "ipam max-pods m5.large --instance-types {file}",
    "ipam plan": "ipam plan {bad}",
    "iam evaluate": "iam evaluate {file}",
    "iam pod": "iam pod {bad} payments/payments-api",
    "iam who-can": "iam who-can {bad} s3:GetObject *",
    "access who-can": "access who-can {bad} get secrets",
    "access user": "access user {bad} alice-okafor",
    "access sa": "access sa {bad} payments/payments-api",
    "ingress alb": "ingress alb {bad}",
    "ingress route": "ingress route {bad} https://shop.example.com/",
    "dns plan": "dns plan {bad}",
    "cluster endpoint": "cluster endpoint {bad}",
    "storage plan": "storage plan {bad}",
    "collect k8s": "collect k8s --kubeconfig {file} -o {dir}/k8s",
    "report": "report {bad} -o {dir}/report.html",
    "serve": "serve {dir}/missing",
    "record": "record {bad} --db {dir}/states.db",
    "history": "history --db {file}",
}  # fmt: skip

#: Commands that read no input of the user's: nothing to be unreadable.
NO_INPUT = {
    "checks": "lists the checks of this ekstwin",
    "version": "prints the version",
    "lab down": "removes the lab's own namespaces",
    "collect aws": "reads a live AWS account (tests/collect covers its failures)",
    "ipam refresh-instance-types": "reads EC2 DescribeInstanceTypes",
}


@pytest.fixture(scope="module")
def places(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    root = tmp_path_factory.mktemp("contract")
    bad = root / "demo"
    shutil.copytree(DEMO, bad)
    (bad / "k8s" / "broken.yaml").write_text(BROKEN, encoding="utf-8")
    not_json = root / "not-what-it-reads.json"
    not_json.write_text("{not json\n", encoding="utf-8")
    return {"demo": DEMO, "bad": str(bad), "file": str(not_json)}


def test_every_command_is_covered() -> None:
    assert _leaf_commands(build_parser()) == set(UNREADABLE) | set(NO_INPUT)


@pytest.mark.parametrize("command", sorted(UNREADABLE))
def test_unreadable_input_exits_2_without_traceback(
    command: str,
    places: dict[str, str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    where = {**places, "dir": str(tmp_path)}
    argv = [word.format(**where) for word in UNREADABLE[command].split()]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert "error" in err


def test_the_rest_of_the_input_is_still_answered(
    places: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["net", "can", places["bad"], "--from", "shop-frontend/storefront"]
    argv += ["--to", "payments/svc/payments-api", "--port", "80", "-f", "json"]
    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert json.loads(out)["to"] == "payments/svc/payments-api"
    assert "broken.yaml:2" in err


@pytest.mark.parametrize("command", sorted(UNREADABLE | NO_INPUT))
def test_an_internal_error_exits_3_in_one_line(
    command: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    real = cli_main.build_parser

    def broken_handlers(argv: list[str] | None = None) -> argparse.ArgumentParser:
        parser = real(argv)

        def crash(args: argparse.Namespace) -> int:
            raise KeyError("boom")

        def patch(p: argparse.ArgumentParser) -> None:
            p.set_defaults(handler=crash)
            for action in p._actions:
                if isinstance(action, argparse._SubParsersAction):
                    for child in action.choices.values():
                        patch(child)

        patch(parser)
        return parser

    monkeypatch.setattr(cli_main, "build_parser", broken_handlers)
    argv = [*command.split(), *_minimal_arguments(command)]
    assert main(argv) == 3
    err = capsys.readouterr().err
    assert err == (
        "error: internal error: KeyError: 'boom' - this is a bug in ekstwin; run again with "
        "--debug and report the traceback\n"
    )


def _minimal_arguments(command: str) -> list[str]:
    """What the parser requires of ``command`` (the handler never reads it)."""
    needs = {
        "net can": ["P", "--from", "a", "--to", "b", "--port", "1"],
        "mesh can": ["P", "--from", "a", "--to", "b", "--port", "1"],
        "net path": ["P", "--from", "a", "--to", "b", "--port", "1"],
        "mesh routes": ["P", "H"],
        "ingress route": ["P", "U"],
        "ipam max-pods": ["m5.large"],
        "iam evaluate": ["F"],
        "iam pod": ["P", "ns/pod"],
        "iam who-can": ["P", "a", "r"],
        "access who-can": ["P", "get", "pods"],
        "access user": ["P", "login"],
        "access sa": ["P", "ns/sa"],
        "net diff": ["A", "B"],
        "snapshot": ["P", "-o", "F"],
        "baseline write": ["P", "-o", "F"],
        "report": ["P", "-o", "F"],
        "record": ["P", "--db", "F"],
        "history": ["--db", "F"],
        "collect k8s": ["-o", "D"],
    }
    if command in needs:
        return needs[command]
    no_platform = {"checks", "version", "lab down", "lab probe", "collect aws", "serve", "diff"}
    no_platform |= {"ipam refresh-instance-types"}
    return [] if command in no_platform else ["P"]


FAIL_ON: list[tuple[str, int]] = [
    ("net can {demo} --from shop-frontend/storefront --to payments/payments-api --port 8080", 0),
    ("net can {demo} --from {pay} --to orders/orders-api --port 8080 --fail-on deny", 1),
    ("net can {demo} --from {pay} --to orders/orders-api --port 8080 --fail-on allow", 0),
    ("mesh can {demo} --from dev/toolbox --to payments/payments-api --port 8080 --fail-on deny", 1),
    ("net path {demo} --from dev/toolbox --to payments/payments-api --port 8080 --fail-on deny", 1),
    ("net matrix {demo} --to-aws --fail-on allow", 1),
    ("net lint {demo}", 1),
    ("net lint {demo} --fail-on never", 0),
    ("net lint {demo} --fail-on critical", 0),
    ("analyze {demo} --fail-on high", 1),
    ("iam evaluate {deny_case} --fail-on deny", 1),
    ("iam evaluate {deny_case} --fail-on allow", 0),
    ("iam evaluate {allow_case} --fail-on allow", 1),
    ("access who-can {demo} get secrets -n payments --fail-on allow", 1),
    ("access who-can {demo} get secrets -n payments --fail-on deny", 0),
    ("storage plan {demo} --lose-az eu-west-1a --fail-on never", 0),
    ("dns plan {demo} --fail-on problem", 1),
    ("ingress route {demo} https://shop.example.com/ --fail-on deny", 0),
    ("ingress route {demo} https://nowhere.example.org/ --fail-on deny", 1),
    ("ipam plan {demo} --scale general=40 --fail-on problem", 1),
    ("ipam plan {demo} --fail-on problem", 0),
]  # fmt: skip


@pytest.mark.parametrize(("line", "code"), FAIL_ON)
def test_fail_on_decides_exit_1(line: str, code: int, capsys: pytest.CaptureFixture[str]) -> None:
    where = {
        "demo": DEMO,
        "pay": "payments/payments-api",
        "deny_case": str(IAM_CASES / "003-explicit-deny-wins.json"),
        "allow_case": str(IAM_CASES / "001-basic-allow.json"),
    }
    argv = [w.format(**where) for w in line.split()]
    if argv[0] != "iam" or argv[1] != "evaluate":
        argv.append("-q")
    assert main(argv) == code, capsys.readouterr().err


def test_text_is_read_as_table(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["access", "sa", DEMO, "payments/payments-api", "-q"]
    assert main([*argv, "--format", "text"]) == 0
    as_text = capsys.readouterr().out
    assert main([*argv, "--format", "table"]) == 0
    assert capsys.readouterr().out == as_text
    assert as_text.startswith("ServiceAccount payments/payments-api\n")

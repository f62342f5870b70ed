"""Exit codes for failures outside any command."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path
from types import ModuleType

import pytest

from ekstwin.cli import main as cli_main


def test_a_command_module_that_fails_to_import_exits_3_without_traceback(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    real = importlib.import_module

    def broken(name: str, package: str | None = None) -> ModuleType:
        if name == "ekstwin.cli.analyze":
            raise ImportError("cannot import name 'X' from 'ekstwin.engines.y'")
        return real(name, package)

    monkeypatch.setattr(importlib, "import_module", broken)
    assert cli_main.main(["checks"]) == 3
    out, err = capsys.readouterr()
    assert out == ""
    assert err == (
        "error: internal error: ImportError: cannot import name 'X' from 'ekstwin.engines.y' "
        "- this is a bug in ekstwin; please report it\n"
    )


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        cli_main.main(["analyze", "--format", "pdf", "x"])
    assert info.value.code == 2
    assert "invalid choice: 'pdf'" in capsys.readouterr().err


def test_stderr_counts_repeated_diagnostics_past_the_first_few(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from ekstwin.cli.common import print_diagnostics
    from ekstwin.findings import Diagnostic
    from ekstwin.model.source import Source

    print_diagnostics(
        [Diagnostic(Source("big.yaml", i), "bad", code="yaml-syntax") for i in range(1, 10_001)],
        quiet=False,
    )
    assert capsys.readouterr().err == (
        "".join(f"error: bad (big.yaml:{i})\n" for i in range(1, 6))
        + "error: 9995 more yaml-syntax problems (big.yaml) - "
        "--format json lists the first 100 and counts the rest\n"
    )


def _modules_imported_by(argv: list[str], prefixes: tuple[str, ...]) -> list[str]:
    """The modules starting with one of ``prefixes`` that ``ekstwin ARGV`` imported,
    run in a fresh interpreter (its stdout thrown away)."""
    import subprocess
    import sys

    code = (
        "import contextlib, io, sys\n"
        "from ekstwin.cli.main import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    main({argv!r})\n"
        f"print(sorted(m for m in sys.modules if m.startswith({prefixes!r})))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    return list(ast.literal_eval(out.splitlines()[-1]))


#: What no command imports unless it is asked for what needs it: the terminal UI, the
#: JSON Schema validator, the AWS SDK.
_NEVER_AT_START = ("rich", "jsonschema", "boto3", "botocore")


def test_version_imports_no_loader_model_finding_engine_or_dataclass() -> None:
    assert (
        _modules_imported_by(
            ["version"],
            (
                "ekstwin.loaders",
                "ekstwin.model",
                "ekstwin.findings",
                "ekstwin.engines",
                "ekstwin.analysis",
                "ekstwin.reporters.interface",
                "dataclasses",
                "yaml",
                *_NEVER_AT_START,
            ),
        )
        == []
    )


def test_a_kubernetes_only_matrix_imports_neither_the_istio_model_nor_an_sdk(
    tmp_path: Path,
) -> None:
    manifest = tmp_path / "pods.yaml"
    manifest.write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: a, namespace: shop, labels: {app: a}}\n"
        "spec: {containers: [{name: c, image: nginx}]}\n---\n"
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
        "metadata: {name: deny, namespace: shop}\nspec: {podSelector: {}}\n",
        encoding="utf-8",
    )
    argv = ["net", "matrix", str(manifest), "--format", "json"]
    assert _modules_imported_by(argv, ("ekstwin.model.istio", *_NEVER_AT_START)) == []


def test_the_severities_written_out_are_the_findings_severities_by_rank() -> None:
    from ekstwin.cli.common import SEVERITIES
    from ekstwin.findings import Severity

    assert tuple(s.value for s in sorted(Severity, key=lambda s: s.rank)) == SEVERITIES


def test_the_program_exits_with_the_code_main_returns(tmp_path: Path) -> None:
    import subprocess
    import sys

    version = subprocess.run(
        [sys.executable, "-m", "ekstwin", "version"], check=False, capture_output=True, text=True
    )
    assert (version.returncode, version.stdout.startswith("ekstwin ")) == (0, True)
    missing = subprocess.run(
        [sys.executable, "-m", "ekstwin", "net", "matrix", str(tmp_path / "absent.yaml")],
        check=False,
        capture_output=True,
        text=True,
    )
    assert missing.returncode == 2, missing.stderr

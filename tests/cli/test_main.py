"""Exit codes for failures outside any command."""

from __future__ import annotations

import importlib
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


def test_version_imports_no_loader_platform_model_or_engine() -> None:
    import subprocess
    import sys

    code = (
        "import sys; from ekstwin.cli.main import main; main(['version']); "
        "print(sorted(m for m in sys.modules if m.startswith(('ekstwin.loaders', "
        "'ekstwin.model.platform', 'ekstwin.model.k8s', 'ekstwin.engines', "
        "'ekstwin.analysis'))))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.splitlines()[-1] == "[]"

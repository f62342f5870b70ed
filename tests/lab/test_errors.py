"""Clear errors when the lab cannot run here (no root needed)."""

from __future__ import annotations

import pytest

from ekstwin.cli.main import main
from ekstwin.lab import LabError, parse_ports, require_lab_host


def test_not_root_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("ekstwin.lab.system.os.geteuid", lambda: 1000)
    with pytest.raises(LabError, match=r"needs root to create network namespaces"):
        require_lab_host()


def test_missing_tools_name_the_package(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("ekstwin.lab.system.os.geteuid", lambda: 0)
    monkeypatch.setattr(
        "ekstwin.lab.system.shutil.which", lambda name: None if name in ("ipset", "ip") else "/x"
    )
    with pytest.raises(LabError) as info:
        require_lab_host()
    assert str(info.value) == "missing ip, ipset - install them: apt-get install iproute2 ipset"


def test_cli_not_root_exits_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("ekstwin.lab.system.os.geteuid", lambda: 1000)
    assert main(["lab", "down", "--prefix", "ektt-x-"]) == 2
    assert capsys.readouterr().err == (
        "error: the lab needs root to create network namespaces (run as root, e.g. with sudo)\n"
    )


def test_bad_prefix_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lab", "down", "--prefix", "../etc"]) == 2
    assert "bad lab prefix '../etc'" in capsys.readouterr().err


def test_parse_ports() -> None:
    assert parse_ports(["80,53/udp", "81/TCP", "80"]) == (("TCP", 80), ("UDP", 53), ("TCP", 81))
    with pytest.raises(LabError, match="bad port '70000'"):
        parse_ports(["70000"])

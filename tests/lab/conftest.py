"""Lab test fixtures: the ``root`` marker, unique namespace prefixes, root-namespace guards.

Tests marked ``@pytest.mark.root`` skip (with the reason) when the machine cannot
run the lab: not root, or iproute2/iptables/ipset missing. With
``EKSTWIN_REQUIRE_ROOT_TESTS=1`` such a skip is a failure instead (CI sets it).
Every lab test runs in the xdist group ``lab`` (run pytest with
``--dist loadgroup``) and uses its own namespace prefix; the ``root_guard``
fixture asserts that the root namespace's ``ip netns list`` (other lab tests'
namespaces aside), iptables ruleset and nftables ruleset are the same after
the test as before it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

#: Every lab test prefix starts with this, so parallel lab tests can be told apart.
TEST_PREFIX_FAMILY = "ektt"


def lab_unavailable() -> str | None:
    if os.geteuid() != 0:
        return "the lab needs root (network namespaces)"
    missing = [
        t for t in ("ip", "iptables-restore", "iptables-save", "ipset") if not shutil.which(t)
    ]
    if missing:
        return f"missing {', '.join(missing)} (apt-get install iproute2 iptables ipset)"
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    reason = lab_unavailable()
    require = os.environ.get("EKSTWIN_REQUIRE_ROOT_TESTS") == "1"
    for item in items:
        if "tests/lab/" not in item.nodeid.replace("\\", "/"):
            continue
        item.add_marker(pytest.mark.xdist_group("lab"))
        if item.get_closest_marker("root") is None or reason is None:
            continue
        if require:
            item.add_marker(pytest.mark.usefixtures("_fail_without_lab"))
        else:
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture
def _fail_without_lab() -> None:
    reason = lab_unavailable()
    if reason is not None:
        pytest.fail(f"EKSTWIN_REQUIRE_ROOT_TESTS=1 but {reason}")


def new_prefix() -> str:
    return f"{TEST_PREFIX_FAMILY}{uuid.uuid4().hex[:6]}-"


@pytest.fixture
def prefix() -> str:
    return new_prefix()


@dataclass(frozen=True)
class RootState:
    netns: frozenset[str]
    iptables: str
    nft: str


def _lines(args: list[str]) -> str:
    if shutil.which(args[0]) is None:
        return ""
    out = subprocess.run(args, capture_output=True, text=True, check=False).stdout
    return "\n".join(line for line in out.splitlines() if not line.startswith("#"))


def root_state() -> RootState:
    names = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=True)
    netns = frozenset(
        line.split()[0]
        for line in names.stdout.splitlines()
        if line.strip() and not line.startswith(TEST_PREFIX_FAMILY)
    )
    return RootState(netns, _lines(["iptables-save"]), _lines(["nft", "list", "ruleset"]))


@pytest.fixture
def root_guard(prefix: str) -> Iterator[RootState]:
    """Asserts the root namespace is unchanged and no namespace of ``prefix`` is left."""
    before = root_state()
    yield before
    after = root_state()
    assert after == before
    left = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=True)
    assert [n for n in left.stdout.split() if n.startswith(prefix)] == []


@pytest.fixture
def state_dir(tmp_path: object) -> str:
    return str(tmp_path)

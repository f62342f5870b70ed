"""CLI tests run a fixed set of checks, so checks other engineers add do not change them.

``test_checks_lists_every_check`` asks the real registry (it is not patched
there: the patch replaces the name the CLI and ``analyze`` look up).
"""

from __future__ import annotations

import pytest

from ekstwin.engines.checks import Check
from ekstwin.engines.ecr.checks.latest_tag_outside_dev import LatestTagOutsideDev
from ekstwin.engines.ecr.checks.mutable_tag_if_not_present import MutableTagIfNotPresent
from ekstwin.engines.kms.checks.no_customer_key_for_secrets import NoCustomerKeyForSecrets
from ekstwin.engines.secrets.checks.plaintext_secret import PlaintextSecret

STABLE_CHECKS: tuple[type[Check], ...] = (
    MutableTagIfNotPresent,
    LatestTagOutsideDev,
    NoCustomerKeyForSecrets,
    PlaintextSecret,
)


@pytest.fixture(autouse=True)
def stable_checks(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    if request.node.get_closest_marker("real_registry"):
        return
    monkeypatch.setattr("ekstwin.cli.analyze.discover_checks", lambda **_: STABLE_CHECKS)
    monkeypatch.setattr("ekstwin.analysis.discover_checks", lambda **_: STABLE_CHECKS)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "real_registry: use every registered check")

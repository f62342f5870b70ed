"""The ingress engine against the Load Balancer Controller's own test tables
(tests/conformance/ingress)."""

from __future__ import annotations

import pytest

from ekstwin.engines.ingress.builder import (
    BuildError,
    is_infinite_redirect,
    is_superset,
    optimize_rules,
    path_patterns,
)
from ekstwin.engines.ingress.model import Action, ActionType, Condition, Rule
from tests.conformance.suites import Case, params


@pytest.mark.parametrize("case", params("ingress", "path-patterns"))
def test_path_patterns(case: Case) -> None:
    d = case.data
    use_regex = d.get("use_regex") == "true"
    if "error" in d:
        with pytest.raises(BuildError) as exc:
            path_patterns(d["path"], d["path_type"], use_regex=use_regex)
        assert str(exc.value) == d["error"]
        return
    assert path_patterns(d["path"], d["path_type"], use_regex=use_regex) == (
        d["values"],
        d["regex_values"],
    )


def _condition(d: dict[str, object]) -> Condition:
    values = d["values"]
    assert isinstance(values, list)
    name = d.get("name")
    return Condition(
        str(d["field"]),
        tuple(str(v) for v in values),
        bool(d.get("regex")),
        None if name is None else str(name),
    )


def _rule(d: dict[str, object]) -> Rule:
    action = d["action"]
    assert isinstance(action, dict)
    config = action["config"]
    return Rule(
        0,
        "",
        tuple(_condition(c) for c in d["conditions"]),  # type: ignore[attr-defined]
        Action(ActionType(action["type"]), config=tuple((k, str(v)) for k, v in config.items())),
    )


@pytest.mark.parametrize("case", params("ingress", "rule-optimizer"))
def test_rule_optimizer(case: Case) -> None:
    d = case.data
    if "rules" in d:
        rules = [_rule(r) for r in d["rules"]]
        kept = optimize_rules(d["port"], d["protocol"], rules)
        assert [rules.index(r) for r in kept] == d["kept"]
    elif "infinite_redirect" in d:
        r = _rule(d["rule"])
        got = is_infinite_redirect(d["port"], d["protocol"], r.conditions, r.action)
        assert got is d["infinite_redirect"]
    else:
        lhs = tuple(_condition(c) for c in d["lhs"])
        rhs = tuple(_condition(c) for c in d["rhs"])
        assert is_superset(lhs, rhs) is d["superset"]

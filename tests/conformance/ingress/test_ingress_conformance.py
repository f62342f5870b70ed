"""The ingress engine against the Load Balancer Controller's own test tables
(tests/conformance/ingress)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ekstwin.engines.ingress.albannotations import AnnotationError
from ekstwin.engines.ingress.builder import (
    BuildError,
    _attributes,
    _check_coip,
    _conditions,
    _ip_address_type,
    _jwt_validation,
    _lb_name,
    _PortCfg,
    _sorted_paths,
    _ssl_redirect,
    _tags,
    is_infinite_redirect,
    is_superset,
    optimize_rules,
    path_patterns,
)
from ekstwin.engines.ingress.config import AlbOptions
from ekstwin.engines.ingress.groups import (
    ClassifiedIngress,
    InvalidIngressClass,
    LoadFailure,
    NotManaged,
    classify,
    group_of,
    matches_class_annotation,
    sort_members,
    validate_group_name,
)
from ekstwin.engines.ingress.model import Action, ActionType, Condition, Rule
from ekstwin.model.k8s import (
    Ingress,
    IngressBackend,
    IngressClass,
    IngressPath,
    Meta,
    Namespace,
    OpaqueObject,
)
from ekstwin.model.platform import Platform
from ekstwin.model.source import Source
from tests.conformance.suites import Case, expected_or, params


def _paths(d: list[dict[str, str]]) -> tuple[IngressPath, ...]:
    return tuple(
        IngressPath(p["path"], p["path_type"], IngressBackend("svc", 80), f"/{i}")
        for i, p in enumerate(d)
    )


def _check_conditions(case: Case) -> None:
    d = case.data
    annotations = {
        "alb.ingress.kubernetes.io/conditions.svc": json.dumps(d["annotation_conditions"])
    }
    if d["use_regex"]:
        annotations["alb.ingress.kubernetes.io/use-regex-path-match"] = "true"
    ing = _ingress({"namespace": "ns", "name": "ing", "annotations": annotations})
    path = IngressPath(
        d["path"], d["path_type"] or "ImplementationSpecific", IngressBackend("svc", 80)
    )
    try:
        got = _conditions(ClassifiedIngress(ing), d["host"], path, "svc")
    except BuildError as exc:
        assert "error" in d
        if d["error"] is not True:
            assert str(exc) == d["error"]
        return
    assert "error" not in d
    assert [c.to_json() for c in got] == d["conditions"]


@pytest.mark.parametrize("case", params("ingress", "path-patterns"))
def test_path_patterns(case: Case) -> None:
    d = case.data
    if d.get("kind") == "conditions":
        _check_conditions(case)
        return
    if d.get("kind") in ("sort", "classify"):
        paths = _paths(d["paths"])
        if "error" in d:
            with pytest.raises(BuildError) as exc:
                _sorted_paths(paths)
            assert str(exc.value) == d["error"]
            return
        ordered = [i for i, _ in _sorted_paths(paths)]
        if d["kind"] == "sort":
            assert ordered == d["order"]
        else:
            # our sort groups by type (Exact, Prefix, ImplementationSpecific) keeping the
            # input order inside Exact and ImplementationSpecific; Prefix is re-sorted
            for kind, want in d["classes"].items():
                got = [(paths[i].path, paths[i].path_type) for i in ordered]
                got = [g for g in got if g[1] == kind]
                wanted = [(w["path"], w["path_type"]) for w in want]
                if kind == "Prefix":
                    got, wanted = sorted(got), sorted(wanted)
                assert got == wanted, kind
            kinds = [paths[i].path_type for i in ordered]
            rank = {"Exact": 0, "Prefix": 1, "ImplementationSpecific": 2}
            assert kinds == sorted(kinds, key=rank.__getitem__)
            assert len(ordered) == len(paths)
        return
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


def _ingress(d: dict[str, object]) -> Ingress:
    annotations = d.get("annotations") or {}
    assert isinstance(annotations, dict)
    meta = Meta(
        "networking.k8s.io/v1",
        "Ingress",
        str(d["name"]),
        str(d["namespace"]) or None,
        Source("conformance", 1),
        annotations={str(k): str(v) for k, v in annotations.items()},
    )
    cls = d.get("class_name")
    return Ingress(meta, None if cls is None else str(cls), ())


def _class(d: dict[str, object]) -> IngressClass:
    meta = Meta("networking.k8s.io/v1", "IngressClass", str(d["name"]), None, Source("c", 1))
    params = d.get("parameters")
    return IngressClass(
        meta,
        str(d["controller"]),
        {str(k): str(v) for k, v in params.items()} if isinstance(params, dict) else None,
        bool(d.get("default")),
    )


@pytest.mark.parametrize("case", params("ingress", "group-loader"))
def test_group_loader(case: Case) -> None:
    d = case.data
    name = d["name"]
    if d.get("kind") == "class_loader":
        _check_class_loader(case)
        return
    if name.startswith("Test_validateGroupName"):
        assert validate_group_name(d["group_name"]) == d["error"]
    elif name.startswith("Test_defaultGroupLoader_loadGroupID"):
        ci = ClassifiedIngress(_ingress(d["ingress"]), None, d["params"])
        if "error" in d:
            with pytest.raises(NotManaged) as exc:
                group_of(ci)
            assert str(exc.value) == d["error"]
        else:
            gid, explicit = group_of(ci)
            want = d["group"]
            assert (gid, explicit) == (
                (want["name"], True)
                if not want["namespace"]
                else (f"{want['namespace']}/{want['name']}", False)
            )
    elif name.startswith("Test_defaultGroupLoader_sortGroupMembers"):
        members = tuple(ClassifiedIngress(_ingress(m)) for m in d["members"])
        ordered, errors = sort_members(members)
        if "error" in d:
            assert errors[:1] == [d["error"]]
        else:
            assert errors == []
            assert [m.key for _, m in ordered] == d["order"]
    else:
        plat = Platform(
            ingress_classes=tuple(_class(c) for c in d["classes"]),
        )
        options = AlbOptions(ingress_class=d["ingress_class"])
        want = None if "error" in d else expected_or(case, "matches")
        try:
            classify(plat, _ingress(d["ingress"]), options)
            got: object = True
        except NotManaged as exc:
            got = str(exc) if "error" in d else False
        assert got == d.get("error", want)


def _member(d: dict[str, Any]) -> ClassifiedIngress:
    return ClassifiedIngress(_ingress(d), None, d.get("params"))


@pytest.mark.parametrize("case", params("ingress", "load-balancer"))
def test_load_balancer(case: Case) -> None:
    d = case.data
    if d["kind"] == "class_annotation":
        assert matches_class_annotation(d["annotation"], d["ingress_class"]) is d["want"]
        return
    members = [_member(m) for m in d["members"]]
    group = d["group"]
    explicit = not group["namespace"]
    gid = group["name"] if explicit else f"{group['namespace']}/{group['name']}"
    try:
        if d["kind"] == "name":
            got: object = _lb_name(members, explicit, gid, d.get("scheme", ""), "")
        elif d["kind"] == "ip_address_type":
            got = _ip_address_type(members)
        else:
            got = _check_coip(members)
    except BuildError as exc:
        assert str(exc) == d["error"]
        return
    assert "error" not in d
    assert got == expected_or(case, "want")


@pytest.mark.parametrize("case", params("ingress", "model-builder"))
def test_model_builder(case: Case) -> None:
    d = case.data
    if d["kind"] == "jwt_validation":
        annotations = {"alb.ingress.kubernetes.io/jwt-validation": d["annotation"]}
        ing = _ingress({"namespace": "ns", "name": "ing", "annotations": annotations})
        try:
            jwt = _jwt_validation(ClassifiedIngress(ing))
        except BuildError as exc:
            assert str(exc) == d["error"]
            return
        assert "error" not in d
        assert jwt is not None and jwt.to_json() == d["jwt"]
        return
    members = [_member(m) for m in d["members"]]
    ports = {int(p): _PortCfg(protocol) for p, protocol in d["ports"].items()}
    try:
        got = _ssl_redirect(members, ports)
    except BuildError as exc:
        assert str(exc) == d["error"]
        return
    assert "error" not in d
    assert got == d["redirect_port"]


def _tagged_member(d: dict[str, Any]) -> ClassifiedIngress:
    ic = None
    if d.get("params_name") is not None:
        ic = IngressClass(
            Meta("networking.k8s.io/v1", "IngressClass", "alb", None, Source("c", 1)),
            "ingress.k8s.aws/alb",
            {"name": str(d["params_name"])},
        )
    return ClassifiedIngress(_ingress(d), ic, d.get("params"))


@pytest.mark.parametrize("case", params("ingress", "tags-and-attributes"))
def test_tags_and_attributes(case: Case) -> None:
    d = case.data
    members = [_tagged_member(m) for m in d["members"]]
    try:
        if d["kind"] == "tags":
            got = _tags(members, frozenset(d["external_managed_tags"]))
        else:
            got = _attributes(members)
    except (BuildError, AnnotationError) as exc:
        assert str(exc) == d["error"]
        return
    assert "error" not in d
    assert got == d["want"]


def _class_loader_platform(d: dict[str, Any]) -> Platform:
    namespaces = tuple(
        Namespace(Meta("v1", "Namespace", n["name"], None, Source("c", 1), labels=n["labels"]))
        for n in d["namespaces"]
    )
    opaque = tuple(
        OpaqueObject(
            Meta("elbv2.k8s.aws/v1beta1", "IngressClassParams", p["name"], None, Source("c", 1)),
            {"spec": p["spec"]},
        )
        for p in d["class_params"]
    )
    classes = tuple(_class(c) for c in d["classes"])
    return Platform(namespaces=namespaces, ingress_classes=classes, opaque=opaque)


def _check_class_loader(case: Case) -> None:
    d = case.data
    plat = _class_loader_platform(d)
    try:
        got = classify(plat, _ingress(d["ingress"]), AlbOptions())
    except (InvalidIngressClass, LoadFailure) as exc:
        # a LoadFailure adds what it does to the controller after upstream's words
        assert str(exc).split(": the controller")[0] == d["error"]
        return
    except NotManaged:
        # loaded without error, but not the controller's: another controller's class,
        # or no class at all
        assert "error" not in d
        owner = next((c["controller"] for c in d["classes"] if c["name"] == d["class"]), None)
        assert owner != "ingress.k8s.aws/alb"
        return
    assert "error" not in d
    assert got.ingress_class is not None and got.ingress_class.meta.name == d["class"]
    assert (got.params is not None) is d["with_params"]

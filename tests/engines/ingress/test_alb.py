"""The ALB model: group membership, order, listen ports, rules, conflicts, quotas."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ekstwin.engines.ingress import Alb, AlbPlan, build_albs, path_patterns
from ekstwin.engines.ingress.builder import BuildError
from tests.engines.ingress.builders import ALB_CLASS, P, ingress, platform, service


def rules_of(alb: Alb, port: int) -> list[tuple[int, str, list[tuple[str, list[str]]]]]:
    ls = next(ls for ls in alb.listeners if ls.port == port)
    return [
        (r.priority, r.ingress, [(c.field, list(c.values)) for c in r.conditions]) for r in ls.rules
    ]


def only(plan: AlbPlan) -> Alb:
    assert len(plan.albs) == 1
    return plan.albs[0]


def grouped(order: str | None = None, **extra: str) -> dict[str, str]:
    out = {P + "group.name": "shop", P + "target-type": "ip", **extra}
    if order is not None:
        out[P + "group.order"] = order
    return out


def test_members_with_the_same_group_order_sort_by_namespace_then_name(tmp_path: Path) -> None:
    docs = [ALB_CLASS, service("alpha", "web"), service("zeta", "web")]
    for ns, name in (("zeta", "a"), ("alpha", "z"), ("alpha", "b")):
        rules: list[tuple[str | None, list[tuple[str | None, str, str]]]] = [
            (f"{ns}-{name}.example.com", [("/", "Prefix", "web")])
        ]
        docs.append(ingress(ns, name, rules, grouped("5")))
    alb = only(build_albs(platform(tmp_path, *docs)))
    assert [(m.key, m.order) for m in alb.members] == [
        ("alpha/b", 5),
        ("alpha/z", 5),
        ("zeta/a", 5),
    ]
    assert [(p, i) for p, i, _ in rules_of(alb, 80)] == [
        (1, "alpha/b"),
        (2, "alpha/z"),
        (3, "zeta/a"),
    ]


def test_group_order_wins_over_name_and_defaults_to_zero(tmp_path: Path) -> None:
    docs = [ALB_CLASS, service("a", "web"), service("b", "web"), service("c", "web")]
    docs.append(ingress("a", "first", [("a.example.com", [("/", "Prefix", "web")])], grouped("10")))
    docs.append(ingress("b", "second", [("b.example.com", [("/", "Prefix", "web")])], grouped()))
    docs.append(ingress("c", "third", [("c.example.com", [("/", "Prefix", "web")])], grouped("-3")))
    alb = only(build_albs(platform(tmp_path, *docs)))
    assert [(m.key, m.order) for m in alb.members] == [
        ("c/third", -3),
        ("b/second", 0),
        ("a/first", 10),
    ]


def test_exact_then_prefix_longest_first_then_implementation_specific(tmp_path: Path) -> None:
    paths = [
        ("/static/*", "ImplementationSpecific", "web"),
        ("/a", "Prefix", "web"),
        ("/health", "Exact", "web"),
        ("/abc/", "Prefix", "web"),
        ("/bcd", "Prefix", "web"),
        ("/ready", "Exact", "web"),
    ]
    docs = [
        ALB_CLASS,
        service("shop", "web"),
        ingress("shop", "web", [("x.example.com", paths)], grouped()),
    ]
    alb = only(build_albs(platform(tmp_path, *docs)))
    assert rules_of(alb, 80) == [
        (1, "shop/web", [("host-header", ["x.example.com"]), ("path-pattern", ["/health"])]),
        (2, "shop/web", [("host-header", ["x.example.com"]), ("path-pattern", ["/ready"])]),
        (3, "shop/web", [("host-header", ["x.example.com"]), ("path-pattern", ["/abc", "/abc/*"])]),
        (4, "shop/web", [("host-header", ["x.example.com"]), ("path-pattern", ["/bcd", "/bcd/*"])]),
        (5, "shop/web", [("host-header", ["x.example.com"]), ("path-pattern", ["/a", "/a/*"])]),
        (6, "shop/web", [("host-header", ["x.example.com"]), ("path-pattern", ["/static/*"])]),
    ]


def test_paths_are_sorted_within_one_rule_entry_only_overlapping_hosts_keep_entry_order(
    tmp_path: Path,
) -> None:
    rules: list[tuple[str | None, list[tuple[str | None, str, str]]]] = [
        ("shop.example.com", [("/", "Prefix", "web")]),
        ("shop.example.com", [("/api", "Exact", "web")]),
        (None, [("/api", "Prefix", "web")]),
    ]
    docs = [ALB_CLASS, service("shop", "web"), ingress("shop", "web", rules, grouped())]
    alb = only(build_albs(platform(tmp_path, *docs)))
    assert rules_of(alb, 80) == [
        (1, "shop/web", [("host-header", ["shop.example.com"]), ("path-pattern", ["/*"])]),
        (2, "shop/web", [("host-header", ["shop.example.com"]), ("path-pattern", ["/api"])]),
        (3, "shop/web", [("path-pattern", ["/api", "/api/*"])]),
    ]


def test_path_type_mapping() -> None:
    assert path_patterns("/", "Prefix") == (["/*"], [])
    assert path_patterns("/foo", "Prefix") == (["/foo", "/foo/*"], [])
    assert path_patterns("/foo/", "Prefix") == (["/foo", "/foo/*"], [])
    assert path_patterns("/foo", "Exact") == (["/foo"], [])
    assert path_patterns("/api/*", "ImplementationSpecific") == (["/api/*"], [])
    assert path_patterns("/api/v[0-9]+", "ImplementationSpecific", use_regex=True) == (
        [],
        ["api/v[0-9]+"],
    )
    with pytest.raises(BuildError, match="exact path shouldn't contain wildcards: /a\\*"):
        path_patterns("/a*", "Exact")
    with pytest.raises(BuildError, match="prefix path shouldn't contain wildcards: /a/\\*"):
        path_patterns("/a/*", "Prefix")


def test_wildcard_in_prefix_path_fails_the_whole_group(tmp_path: Path) -> None:
    docs = [ALB_CLASS, service("a", "web"), service("b", "web")]
    docs.append(ingress("a", "good", [("a.example.com", [("/", "Prefix", "web")])], grouped()))
    docs.append(ingress("b", "bad", [("b.example.com", [("/api/*", "Prefix", "web")])], grouped()))
    alb = only(build_albs(platform(tmp_path, *docs)))
    assert alb.errors == ("ingress: b/bad: prefix path shouldn't contain wildcards: /api/*",)
    assert alb.listeners == ()
    assert [m.key for m in alb.members] == ["a/good", "b/bad"]


def test_conflicting_exclusive_settings_fail_the_group_with_every_error(tmp_path: Path) -> None:
    docs = [ALB_CLASS, service("a", "web"), service("b", "web")]
    docs.append(
        ingress(
            "a",
            "one",
            [("a.example.com", [("/", "Prefix", "web")])],
            grouped(
                **{
                    P + "scheme": "internal",
                    P + "ssl-redirect": "443",
                    P + "tags": "team=a",
                    P + "listen-ports": '[{"HTTPS": 443}]',
                }
            ),
        )
    )
    docs.append(
        ingress(
            "b",
            "two",
            [("b.example.com", [("/", "Prefix", "web")])],
            grouped(
                **{
                    P + "scheme": "internet-facing",
                    P + "ssl-redirect": "8443",
                    P + "tags": "team=b",
                    P + "listen-ports": '[{"HTTP": 443}]',
                }
            ),
        )
    )
    alb = only(build_albs(platform(tmp_path, *docs)))
    assert alb.errors == (
        "failed to merge listenPort config for port: 443: conflicting protocol, a/one: HTTPS | b/two: HTTP",  # noqa: E501
        "conflicting scheme: map[internal:{} internet-facing:{}]",
        "conflicting tag team: a | b",
        "conflicting sslRedirect port: [443 8443]",
    )
    assert alb.listeners == ()


def test_attribute_conflict_is_per_key_and_equal_values_merge(tmp_path: Path) -> None:
    docs = [ALB_CLASS, service("a", "web"), service("b", "web")]
    docs.append(
        ingress(
            "a",
            "one",
            [("a.example.com", [("/", "Prefix", "web")])],
            grouped(
                **{
                    P
                    + "load-balancer-attributes": "idle_timeout.timeout_seconds=60,deletion_protection.enabled=true"  # noqa: E501
                }
            ),
        )
    )
    docs.append(
        ingress(
            "b",
            "two",
            [("b.example.com", [("/", "Prefix", "web")])],
            grouped(**{P + "load-balancer-attributes": "deletion_protection.enabled=true"}),
        )
    )
    alb = only(build_albs(platform(tmp_path, *docs)))
    assert alb.errors == ()
    assert dict(alb.attributes) == {
        "deletion_protection.enabled": "true",
        "idle_timeout.timeout_seconds": "60",
    }


def test_listen_ports_union_and_rules_only_on_each_members_ports(tmp_path: Path) -> None:
    cert = "arn:aws:acm:eu-west-1:111122223333:certificate/aaaaaaaa-1111-2222-3333-444444444444"
    docs = [ALB_CLASS, service("a", "web"), service("b", "web"), service("c", "web")]
    docs.append(ingress("a", "http", [("a.example.com", [("/", "Prefix", "web")])], grouped("1")))
    docs.append(
        ingress(
            "b",
            "cert",
            [("b.example.com", [("/", "Prefix", "web")])],
            grouped("2", **{P + "certificate-arn": cert}),
        )
    )
    docs.append(
        ingress(
            "c",
            "both",
            [("c.example.com", [("/", "Prefix", "web")])],
            grouped("3", **{P + "listen-ports": '[{"HTTP": 80}, {"HTTPS": 8443}]'}),
        )
    )
    alb = only(build_albs(platform(tmp_path, *docs)))
    assert [(m.key, m.ports) for m in alb.members] == [
        ("a/http", ((80, "HTTP"),)),
        ("b/cert", ((443, "HTTPS"),)),
        ("c/both", ((80, "HTTP"), (8443, "HTTPS"))),
    ]
    assert [(ls.protocol, ls.port, ls.certificates, ls.ssl_policy) for ls in alb.listeners] == [
        ("HTTP", 80, (), None),
        ("HTTPS", 443, (cert,), "ELBSecurityPolicy-2016-08"),
        ("HTTPS", 8443, ("acm:discovered-for:c.example.com",), "ELBSecurityPolicy-2016-08"),
    ]
    assert [(p, i) for p, i, _ in rules_of(alb, 80)] == [(1, "a/http"), (2, "c/both")]
    assert [(p, i) for p, i, _ in rules_of(alb, 443)] == [(1, "b/cert")]
    assert [(p, i) for p, i, _ in rules_of(alb, 8443)] == [(1, "c/both")]


def test_ssl_redirect_empties_every_http_listener(tmp_path: Path) -> None:
    cert = "arn:aws:acm:eu-west-1:111122223333:certificate/aaaaaaaa-1111-2222-3333-444444444444"
    docs = [ALB_CLASS, service("a", "web"), service("b", "web")]
    docs.append(
        ingress(
            "a",
            "front",
            [("a.example.com", [("/", "Prefix", "web")])],
            grouped(
                "1",
                **{
                    P + "listen-ports": '[{"HTTP": 80}, {"HTTPS": 443}]',
                    P + "certificate-arn": cert,
                    P + "ssl-redirect": "443",
                },
            ),
        )
    )
    docs.append(ingress("b", "plain", [("b.example.com", [("/x", "Prefix", "web")])], grouped("2")))
    alb = only(build_albs(platform(tmp_path, *docs)))
    http = alb.listeners[0]
    assert (http.port, http.rules, http.default_action.to_json()) == (
        80,
        (),
        {
            "type": "redirect",
            "config": {"port": "443", "protocol": "HTTPS", "statusCode": "HTTP_301"},
        },
    )
    assert [(m.key, m.rule_count) for m in alb.members] == [("a/front", 1), ("b/plain", 0)]


def test_ssl_redirect_to_a_port_without_https_listener_fails(tmp_path: Path) -> None:
    docs = [
        ALB_CLASS,
        service("a", "web"),
        ingress(
            "a",
            "front",
            [("a.example.com", [("/", "Prefix", "web")])],
            grouped(**{P + "ssl-redirect": "443"}),
        ),
    ]
    alb = only(build_albs(platform(tmp_path, *docs)))
    assert alb.errors == ("listener does not exist for SSLRedirect port: 443",)


def test_default_backend_and_two_default_backends(tmp_path: Path) -> None:
    default = "  defaultBackend:\n    service:\n      name: web\n      port:\n        number: 80\n"
    docs = [ALB_CLASS, service("a", "web"), service("b", "web")]
    docs.append(
        ingress(
            "a",
            "one",
            [("a.example.com", [("/", "Prefix", "web")])],
            grouped("1"),
            extra_spec=default,
        )
    )
    plan = build_albs(platform(tmp_path, *docs))
    ls = only(plan).listeners[0]
    assert (ls.default_from, ls.default_action.targets[0].service) == ("a/one", "a/web")
    docs.append(
        ingress(
            "b",
            "two",
            [("b.example.com", [("/", "Prefix", "web")])],
            grouped("2"),
            extra_spec=default,
        )
    )
    (tmp_path / "m.yaml").unlink()
    alb = only(build_albs(platform(tmp_path, *docs)))
    assert alb.errors == ("multiple ingress defined default backend: [a/one b/two]",)


def test_no_rules_and_no_default_backend_answer_404(tmp_path: Path) -> None:
    docs = [
        ALB_CLASS,
        service("a", "web"),
        ingress("a", "one", [("a.example.com", [("/", "Prefix", "web")])], grouped()),
    ]
    ls = only(build_albs(platform(tmp_path, *docs))).listeners[0]
    assert ls.default_action.to_json() == {
        "type": "fixed-response",
        "config": {"contentType": "text/plain", "statusCode": "404"},
    }


def test_actions_and_conditions_annotations(tmp_path: Path) -> None:
    action = {
        "type": "fixed-response",
        "fixedResponseConfig": {"contentType": "text/plain", "statusCode": "418"},
    }
    cond = [
        {
            "field": "http-header",
            "httpHeaderConfig": {"httpHeaderName": "X-Canary", "values": ["on"]},
        },
        {"field": "host-header", "hostHeaderConfig": {"values": ["b.example.com"]}},
    ]
    ing = ingress(
        "a",
        "one",
        [("a.example.com", [("/tea", "Exact", "teapot"), ("/", "Prefix", "web")])],
        grouped(
            **{P + "actions.teapot": json.dumps(action), P + "conditions.web": json.dumps(cond)}
        ),
    )
    ing = ing.replace(
        "name: teapot\n                port:\n                  number: 80",
        "name: teapot\n                port:\n                  name: use-annotation",
    )
    alb = only(build_albs(platform(tmp_path, ALB_CLASS, service("a", "web"), ing)))
    rules = alb.listeners[0].rules
    assert [r.action.to_json()["type"] for r in rules] == ["fixed-response", "forward"]
    assert rules[0].action.to_json()["config"] == {"contentType": "text/plain", "statusCode": "418"}
    assert [(c.field, c.name, list(c.values)) for c in rules[1].conditions] == [
        ("http-header", "X-Canary", ["on"]),
        ("host-header", None, ["a.example.com", "b.example.com"]),
        ("path-pattern", None, ["/*"]),
    ]


def test_missing_backend_service_is_a_503_not_an_error(tmp_path: Path) -> None:
    docs = [
        ALB_CLASS,
        ingress("a", "one", [("a.example.com", [("/", "Prefix", "gone")])], grouped()),
    ]
    alb = only(build_albs(platform(tmp_path, *docs)))
    assert alb.errors == ()
    assert alb.listeners[0].rules[0].action.to_json() == {
        "type": "fixed-response",
        "config": {
            "contentType": "text/plain",
            "statusCode": "503",
            "messageBody": "Backend service does not exist",
        },
    }


def test_instance_target_on_a_cluster_ip_service_fails(tmp_path: Path) -> None:
    docs = [
        ALB_CLASS,
        service("a", "web"),
        ingress("a", "one", [("a.example.com", [("/", "Prefix", "web")])], {P + "group.name": "g"}),
    ]
    alb = only(build_albs(platform(tmp_path, *docs)))
    assert alb.errors == (
        "ingress: a/one: TargetGroup port is empty. When using Instance targets, your service be "
        "must of type 'NodePort' or 'LoadBalancer'",
    )


def test_group_order_out_of_range_fails_the_group(tmp_path: Path) -> None:
    docs = [
        ALB_CLASS,
        service("a", "web"),
        ingress("a", "one", [("a.example.com", [("/", "Prefix", "web")])], grouped("1001")),
    ]
    alb = only(build_albs(platform(tmp_path, *docs)))
    assert alb.errors == (
        "explicit Ingress group order must be within [-1000:1000], Ingress: a/one, order: 1001",
    )


def test_membership_implicit_groups_classes_and_bad_group_names(tmp_path: Path) -> None:
    other = "apiVersion: networking.k8s.io/v1\nkind: IngressClass\nmetadata:\n  name: nginx\nspec:\n  controller: k8s.io/ingress-nginx\n"  # noqa: E501
    r = [("x.example.com", [("/", "Prefix", "web")])]
    docs = [ALB_CLASS, other, service("a", "web")]
    docs.append(ingress("a", "alone", r, {P + "target-type": "ip"}))
    docs.append(ingress("a", "nginx", r, {}, class_name="nginx"))
    docs.append(
        ingress(
            "a",
            "legacy",
            r,
            {"kubernetes.io/ingress.class": "alb", P + "target-type": "ip"},
            class_name="nginx",
        )
    )
    docs.append(ingress("a", "legacy-other", r, {"kubernetes.io/ingress.class": "nginx"}))
    docs.append(ingress("a", "badname", r, {P + "group.name": "Bad_Name"}))
    docs.append(ingress("a", "noclass", r, {}, class_name=None))
    plan = build_albs(platform(tmp_path, *docs))
    assert [(a.group, a.explicit, [m.key for m in a.members]) for a in plan.albs] == [
        ("a/alone", False, ["a/alone"]),
        ("a/legacy", False, ["a/legacy"]),
    ]
    assert [i.to_json() for i in plan.ignored] == [
        {
            "ingress": "a/badname",
            # the controller's wording; the Ingress leaves every group without an error
            "reason": "invalid ingress group: groupName must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character",  # noqa: E501
        },
        {
            "ingress": "a/legacy-other",
            "reason": "annotation kubernetes.io/ingress.class='nginx' is not the controller's class 'alb' (the annotation wins over spec.ingressClassName)",  # noqa: E501
        },
        {
            "ingress": "a/nginx",
            "reason": "IngressClass 'nginx' belongs to controller 'k8s.io/ingress-nginx'",
        },
        {
            "ingress": "a/noclass",
            "reason": "no ingressClassName and no default IngressClass (the controller manages class-less Ingresses only with --ingress-class='')",  # noqa: E501
        },
    ]


def test_ingress_class_params_group_wins_over_the_annotation(tmp_path: Path) -> None:
    cls = ALB_CLASS.replace(
        "  controller: ingress.k8s.aws/alb\n",
        "  controller: ingress.k8s.aws/alb\n  parameters:\n    apiGroup: elbv2.k8s.aws\n    kind: IngressClassParams\n    name: shared\n",  # noqa: E501
    )
    params = "apiVersion: elbv2.k8s.aws/v1beta1\nkind: IngressClassParams\nmetadata:\n  name: shared\nspec:\n  group:\n    name: from-params\n  scheme: internet-facing\n"  # noqa: E501
    docs = [
        cls,
        params,
        service("a", "web"),
        ingress(
            "a",
            "one",
            [("a.example.com", [("/", "Prefix", "web")])],
            {
                P + "group.name": "from-annotation",
                P + "scheme": "internal",
                P + "target-type": "ip",
            },
        ),
    ]
    alb = only(build_albs(platform(tmp_path, *docs)))
    assert (alb.group, alb.scheme, alb.errors) == ("from-params", "internet-facing", ())


def test_rules_per_alb_quota(tmp_path: Path) -> None:
    paths: list[tuple[str | None, str, str]] = [(f"/p{i}", "Prefix", "web") for i in range(101)]
    docs = [
        ALB_CLASS,
        service("a", "web"),
        ingress("a", "one", [("a.example.com", paths)], grouped()),
    ]
    alb = only(build_albs(platform(tmp_path, *docs)))
    assert alb.rule_count == 101
    assert alb.quota == (
        "TooManyRules: 101 rules on one load balancer, over the quota of 100 (summed over "
        "listeners, default rules not counted); the controller never splits a group",
    )


def test_demo_platform_shared_alb_and_failing_group() -> None:
    from ekstwin.loaders import load

    plan = build_albs(
        load([str(Path(__file__).parents[3] / "examples" / "demo-platform")]).platform
    )
    shop = next(a for a in plan.albs if a.group == "shop")
    assert [(m.key, m.order, m.rule_count) for m in shop.members] == [
        ("payments/payments-webhooks", 5, 1),
        ("shop-api/shop-api", 10, 4),
        ("orders/orders-api", 20, 0),
        ("shop-frontend/storefront", 100, 2),
    ]
    assert [
        (r.priority, r.ingress, r.action.targets[0].service) for r in shop.listeners[1].rules
    ] == [
        (1, "payments/payments-webhooks", "payments/payments-webhooks"),
        (2, "shop-api/shop-api", "shop-api/recommendations"),
        (3, "shop-api/shop-api", "shop-api/catalog-api"),
        (4, "shop-api/shop-api", "shop-api/search-api"),
        (5, "shop-api/shop-api", "shop-api/cart-api"),
        (6, "shop-frontend/storefront", "shop-frontend/storefront"),
        (7, "shop-frontend/storefront", "shop-frontend/storefront"),
    ]
    internal = next(a for a in plan.albs if a.group == "platform-internal")
    assert internal.errors == (
        "conflicting load balancer attributes idle_timeout.timeout_seconds: 60 | 300",
    )

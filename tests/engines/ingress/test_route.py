"""``ingress route``: exact JSON for a URL through the ALB model."""

from __future__ import annotations

import json
from pathlib import Path

from ekstwin.cli.main import main
from ekstwin.engines.ingress import route
from ekstwin.loaders import load

DEMO = Path(__file__).parents[3] / "examples" / "demo-platform"
FIXTURES = Path(__file__).parents[2] / "fixtures" / "checks"


def test_route_json_for_a_prefix_rule_on_the_demo() -> None:
    res = route(load([str(DEMO)]).platform, "https://api.shop.example.com/catalog/items?id=1")
    assert res.to_json() == {
        "url": "https://api.shop.example.com/catalog/items?id=1",
        "load_balancer": "shop",
        "listener": {"protocol": "HTTPS", "port": 443},
        "rule": {"priority": 3, "ingress": "shop-api/shop-api"},
        "action": "forward",
        "service": "shop-api/catalog-api",
        "service_port": "http",
        "pods": [
            "shop-api/catalog-api-fhkwkttqbj-jk9cm",
            "shop-api/catalog-api-fhkwkttqbj-qs8ms",
            "shop-api/catalog-api-fhkwkttqbj-sttbb",
        ],
        "reachable": True,
        "error": None,
    }


def test_prefix_matches_path_segments_not_string_prefixes() -> None:
    platform = load([str(DEMO)]).platform
    res = route(platform, "https://api.shop.example.com/catalogue")
    assert (res.rule, res.action) == (None, "fixed-response")


def test_http_on_an_ssl_redirect_group_is_a_redirect_and_orders_never_arrives() -> None:
    platform = load([str(DEMO)]).platform
    assert route(platform, "http://api.shop.example.com/orders").to_json() == {
        "url": "http://api.shop.example.com/orders",
        "load_balancer": "shop",
        "listener": {"protocol": "HTTP", "port": 80},
        "rule": None,
        "action": "redirect",
        "service": None,
        "service_port": None,
        "pods": [],
        "reachable": None,
        "error": None,
    }
    assert route(platform, "https://api.shop.example.com/orders").action == "fixed-response"


def test_a_failing_group_answers_error_with_why() -> None:
    res = route(load([str(DEMO)]).platform, "https://grafana.platform.example.com/")
    assert res.to_json() == {
        "url": "https://grafana.platform.example.com/",
        "load_balancer": "platform-internal",
        "listener": None,
        "rule": None,
        "action": "error",
        "service": None,
        "service_port": None,
        "pods": [],
        "reachable": None,
        "error": "conflicting load balancer attributes idle_timeout.timeout_seconds: 60 | 300",
    }


def test_reachable_false_when_policy_denies_the_alb_subnets() -> None:
    platform = load([str(FIXTURES / "ING004" / "fail_default_deny")]).platform
    res = route(platform, "http://shop.example.com/")
    assert (res.action, res.service, res.reachable) == ("forward", "shop/web", False)
    ok = load([str(FIXTURES / "ING004" / "pass_alb_subnets_allowed")]).platform
    assert route(ok, "http://shop.example.com/").reachable is True


def test_cli_route_json(capsys: object) -> None:
    rc = main(["ingress", "route", str(DEMO), "https://shop.example.com/", "-f", "json", "-q"])
    out = json.loads(capsys.readouterr().out)  # type: ignore[attr-defined]
    assert rc == 0
    assert (out["rule"], out["service"]) == (
        {"priority": 6, "ingress": "shop-frontend/storefront"},
        "shop-frontend/storefront",
    )


def test_cli_alb_json_lists_the_shared_alb(capsys: object) -> None:
    rc = main(["ingress", "alb", str(DEMO), "-f", "json", "-q"])
    out = json.loads(capsys.readouterr().out)  # type: ignore[attr-defined]
    assert rc == 0
    assert [(a["group"], a["error"], a["rule_count"]) for a in out["load_balancers"]] == [
        (
            "platform-internal",
            "conflicting load balancer attributes idle_timeout.timeout_seconds: 60 | 300",
            0,
        ),
        ("shop", None, 7),
    ]


def test_cli_route_takes_several_platform_arguments(capsys: object) -> None:
    """Like every other command: the platform may be several paths (the URL is last)."""
    rc = main(["ingress", "route", str(DEMO), "https://shop.example.com/", "-f", "json", "-q"])
    whole = json.loads(capsys.readouterr().out)  # type: ignore[attr-defined]
    parts = [str(DEMO / "k8s"), str(DEMO / "aws.json")]
    assert main(["ingress", "route", *parts, "https://shop.example.com/", "-f", "json", "-q"]) == rc
    assert json.loads(capsys.readouterr().out) == whole  # type: ignore[attr-defined]
    assert main(["ingress", "route", str(DEMO), "-q"]) == 2
    assert capsys.readouterr().err == (  # type: ignore[attr-defined]
        "error: ingress route needs a PLATFORM and a URL - e.g. ingress route DIR "
        "https://shop.example.com/\n"
    )

"""ExternalDNS's flags read from its Deployment: the defaults of the plan and the checks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ekstwin.cli.main import main
from ekstwin.engines.dns import plan_dns
from ekstwin.engines.dns.config import external_dns_configs, parse_flags
from ekstwin.engines.dns.plan import Policy
from tests.engines.dns.test_plan import ELB, alias, aws, svc, txt
from tests.engines.ingress.builders import platform


def deployment(*args: str, name: str = "external-dns", image_tag: str = "v0.22.0") -> str:
    lines = "".join(f"            - {a}\n" for a in args)
    return (
        f"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\n"
        "  namespace: kube-system\nspec:\n  replicas: 1\n"
        f"  selector: {{matchLabels: {{app: {name}}}}}\n  template:\n"
        f"    metadata: {{labels: {{app: {name}}}}}\n    spec:\n      containers:\n"
        f"        - name: external-dns\n"
        f"          image: registry.k8s.io/external-dns/external-dns:{image_tag}\n"
        f"          args:\n{lines}"
    )


def test_flags_in_every_form() -> None:
    flags = parse_flags(
        (
            "--source=ingress", "--source", "service", "--domain-filter=a.com,b.com",
            "--aws-prefer-cname", "--no-aws-evaluate-target-health", "--txt-owner-id", "prod",
            "not-a-flag", "--interval=1m",
        )
    )  # fmt: skip
    assert flags == {
        "source": ["ingress", "service"],
        "domain-filter": ["a.com,b.com"],
        "aws-prefer-cname": ["true"],
        "aws-evaluate-target-health": ["false"],
        "txt-owner-id": ["prod"],
        "interval": ["1m"],
    }


def test_deployment_flags_become_the_options_and_external_dns_defaults_fill_the_rest(
    tmp_path: Path,
) -> None:
    p = platform(
        tmp_path,
        deployment(
            "--source=service", "--provider=aws", "--domain-filter=example.com",
            "--policy=create-only", "--txt-prefix=reg-", "--aws-zone-type=private",
            "--namespace=shop", "--registry=txt",
        ),
    )  # fmt: skip
    (config,) = external_dns_configs(p)
    options = config.options()
    assert (options.owner_id, options.policy, options.domain_filters, options.sources) == (
        "default",  # ExternalDNS's own default when --txt-owner-id is absent
        Policy.CREATE_ONLY,
        ("example.com",),
        ("service",),
    )
    assert (options.txt_prefix, options.zone_type) == ("reg-", "private")
    assert config.notes() == ["--namespace is not modelled (the plan ignores it)"]
    # command-line values win; None keeps the Deployment's
    assert config.options(owner_id="prod", policy=None).owner_id == "prod"
    assert config.options(owner_id="prod", policy=None).policy is Policy.CREATE_ONLY


def test_zone_type_public_leaves_private_zones_alone(tmp_path: Path) -> None:
    zones = aws([txt("a-api.example.com", "prod", "service/shop/api"), alias("api.example.com")])
    zones["accounts"][0]["route53"]["hosted_zones"][0]["private"] = True  # type: ignore[index]
    p = platform(
        tmp_path,
        deployment("--source=service", "--txt-owner-id=prod", "--aws-zone-type=public"),
        svc("shop", "api", "api.example.com", ELB),
        aws=zones,
    )
    (config,) = external_dns_configs(p)
    plan = plan_dns(p, config.options())
    assert plan.changes == ()
    assert {(s.name, s.reason.split(": ", 1)[1]) for s in plan.skipped} == {
        ("api.example.com", "no hosted zone holds this name")
    }
    # every zone type: the private zone holds the name, already as wanted
    assert plan_dns(p, config.options(zone_type="")).skipped == ()


def test_cli_reads_the_deployment_and_flags_override_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    platform(
        tmp_path,
        deployment("--source=service", "--txt-owner-id=prod", "--policy=upsert-only"),
        svc("shop", "api", "api.example.com", ELB),
        aws=aws([txt("a-old.example.com", "prod", "service/shop/old"), alias("old.example.com")]),
    )
    assert main(["dns", "plan", str(tmp_path), "-f", "json", "-q"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["external_dns"]["owner_id"] == "prod"
    assert not any(c["action"] == "DELETE" for c in out["changes"])  # upsert-only
    assert main(["dns", "plan", str(tmp_path), "--policy", "sync", "-f", "json", "-q"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert any(c["action"] == "DELETE" and c["name"] == "old.example.com" for c in out["changes"])
    assert main(["dns", "plan", str(tmp_path), "--ignore-deployment", "-q"]) == 2
    assert "give --owner-id" in capsys.readouterr().err


def test_several_external_dns_need_a_choice(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    platform(
        tmp_path,
        deployment("--source=service", "--txt-owner-id=public"),
        deployment("--source=service", "--txt-owner-id=internal", name="external-dns-internal"),
    )
    assert main(["dns", "plan", str(tmp_path), "-q"]) == 2
    assert "choose one with --external-dns NS/NAME" in capsys.readouterr().err
    args = ["dns", "plan", str(tmp_path), "--external-dns", "kube-system/external-dns-internal"]
    assert main([*args, "-f", "json", "-q"]) == 0
    assert json.loads(capsys.readouterr().out)["external_dns"]["owner_id"] == "internal"
    # --owner-id: the command line's flags alone, as the interface has it
    assert main(["dns", "plan", str(tmp_path), "--owner-id", "public", "-f", "json", "-q"]) == 0
    assert json.loads(capsys.readouterr().out)["external_dns"] is None
    assert main(["dns", "plan", str(tmp_path), "--owner-id", "public", "-q"]) == 0
    assert "planned with the command line's flags alone" in capsys.readouterr().out
    # both: start from the Deployment, the owner id overridden
    both = [*args, "--owner-id", "x", "-f", "json", "-q"]
    assert main(both) == 0
    doc = json.loads(capsys.readouterr().out)["external_dns"]
    assert doc["workload"] == "Deployment/kube-system/external-dns-internal"

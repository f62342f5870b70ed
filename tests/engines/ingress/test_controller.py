"""The Load Balancer Controller's corners: its flags, IPv6 targets, default classes,
certificates, the rule optimizer, JWT validation and its own error wording."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from ekstwin.cli.main import main
from ekstwin.engines.ingress import (
    Alb,
    AlbOptions,
    AlbPlan,
    JwtClaim,
    JwtValidation,
    TargetType,
    alb_controller_configs,
    build_albs,
    platform_alb_options,
)
from tests.engines.ingress.builders import ALB_CLASS, P, ingress, platform, service

CERT_A = "arn:aws:acm:eu-west-1:111122223333:certificate/a"
CERT_B = "arn:aws:acm:eu-west-1:111122223333:certificate/b"


def only(plan: AlbPlan) -> Alb:
    assert len(plan.albs) == 1
    return plan.albs[0]


def controller(
    *args: str, image: str = "public.ecr.aws/eks/aws-load-balancer-controller:v2.13.0"
) -> str:
    words = "".join(f"\n            - {json.dumps(a)}" for a in args)
    return f"""apiVersion: apps/v1
kind: Deployment
metadata:
  name: aws-load-balancer-controller
  namespace: kube-system
spec:
  selector: {{matchLabels: {{app: lbc}}}}
  template:
    metadata: {{labels: {{app: lbc}}}}
    spec:
      containers:
        - name: controller
          image: {image}
          args:{words or " []"}
"""


def web_ingress(annotations: dict[str, str] | None = None, **kw: object) -> str:
    return ingress(
        "a",
        "one",
        [("a.example.com", [("/", "Prefix", "web")])],
        {P + "group.name": "g", **(annotations or {})},
        **kw,  # type: ignore[arg-type]
    )


def use_annotation(text: str, service_name: str) -> str:
    """The backend of ``service_name`` as an action annotation (port use-annotation)."""
    number = "port:\n                  number: 80"
    return text.replace(
        f"name: {service_name}\n                {number}",
        f"name: {service_name}\n                port:\n                  name: use-annotation",
    )


def with_claims(*claims: dict[str, object]) -> str:
    return json.dumps({"jwksEndpoint": "k", "issuer": "i", "additionalClaims": list(claims)})


# -- the controller's flags, read from its Deployment


def test_flags_come_from_the_controller_deployment(tmp_path: Path) -> None:
    docs = [
        ALB_CLASS,
        service("a", "web"),  # ClusterIP: valid with ip targets only
        web_ingress(),
        controller(
            "--cluster-name=prod",
            "--default-target-type",
            "ip",
            "--default-load-balancer-scheme=internet-facing",
            "--tolerate-non-existent-backend-service=false",
            "--feature-gates=ServiceTypeLoadBalancerOnly=true,EnableIPTargetType=true",
        ),
    ]
    plat = platform(tmp_path, *docs)
    options, notes = platform_alb_options(plat)
    assert (options, notes) == (
        AlbOptions(
            default_target_type=TargetType.IP,
            default_scheme="internet-facing",
            cluster_name="prod",
            tolerate_non_existent_backend_service=False,
        ),
        (),
    )
    alb = only(build_albs(plat))
    assert (alb.errors, alb.scheme) == ((), "internet-facing")
    assert alb.listeners[0].rules[0].action.targets[0].target_type is TargetType.IP
    # without the Deployment, instance targets: the ClusterIP Service fails the group
    instance = only(build_albs(plat, AlbOptions()))
    assert instance.errors == (
        "ingress: a/one: TargetGroup port is empty. When using Instance targets, your service be "
        "must of type 'NodePort' or 'LoadBalancer'",
    )


def test_command_line_options_override_the_deployment(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    docs = [ALB_CLASS, service("a", "web"), web_ingress(), controller("--default-target-type=ip")]
    platform(tmp_path, *docs)
    assert main(["ingress", "alb", str(tmp_path), "-f", "json"]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert plan["load_balancers"][0]["errors"] == []
    assert (
        main(["ingress", "alb", str(tmp_path), "-f", "json", "--default-target-type", "instance"])
        == 0
    )
    plan = json.loads(capsys.readouterr().out)
    assert plan["load_balancers"][0]["errors"] == [
        "ingress: a/one: TargetGroup port is empty. When using Instance targets, your service be "
        "must of type 'NodePort' or 'LoadBalancer'"
    ]
    assert (
        main(["ingress", "alb", str(tmp_path), "-f", "json", "--enable-ip-target-type", "false"])
        == 0
    )
    plan = json.loads(capsys.readouterr().out)
    assert plan["load_balancers"][0]["errors"] == [
        "ingress: a/one: unsupported targetType: ip when EnableIPTargetType is false"
    ]


def test_refused_flag_values_are_notes(tmp_path: Path) -> None:
    docs = [
        ALB_CLASS,
        controller("--default-target-type=pod", "--feature-gates=EnableIPTargetType=maybe"),
    ]
    (config,) = alb_controller_configs(platform(tmp_path, *docs))
    assert config.options == AlbOptions()
    assert config.notes == (
        "--default-target-type=pod: invalid value pod for default target type (the controller "
        "refuses to start); read as instance",
        "--feature-gates 'EnableIPTargetType=maybe': not NAME=true|false, ignored",
    )
    assert str(config.workload) == "Deployment/kube-system/aws-load-balancer-controller"


def test_ingress_class_flag_decides_the_legacy_annotation_and_classless_ingresses(
    tmp_path: Path,
) -> None:
    docs = [
        service("a", "web", "NodePort"),
        ingress("a", "legacy", [(None, [("/", "Prefix", "web")])],
                {"kubernetes.io/ingress.class": "alb"}, class_name=None),
        ingress("a", "internal", [(None, [("/", "Prefix", "web")])],
                {"kubernetes.io/ingress.class": "alb-internal"}, class_name=None),
        ingress("a", "bare", [(None, [("/", "Prefix", "web")])], class_name=None),
    ]  # fmt: skip
    plat = platform(tmp_path, *docs)
    default = build_albs(plat)
    assert [a.group for a in default.albs] == ["a/legacy"]
    custom = build_albs(plat, AlbOptions(ingress_class="alb-internal"))
    assert [a.group for a in custom.albs] == ["a/internal"]
    # --ingress-class='': the annotation alb matches, and class-less Ingresses are managed
    empty = build_albs(plat, AlbOptions(ingress_class=""))
    assert [a.group for a in empty.albs] == ["a/bare", "a/legacy"]


def test_tolerate_non_existent_backend_flags(tmp_path: Path) -> None:
    docs = [
        ALB_CLASS,
        ingress(
            "a",
            "one",
            [("a.example.com", [("/", "Prefix", "gone"), ("/x", "Prefix", "missing-action")])],
            {P + "group.name": "g"},
        ),
    ]  # fmt: skip
    docs[1] = use_annotation(docs[1], "missing-action")
    plat = platform(tmp_path, *docs)
    assert only(build_albs(plat)).errors == ()
    strict = AlbOptions(tolerate_non_existent_backend_action=False)
    assert only(build_albs(plat, strict)).errors == (
        "ingress: a/one: missing actions.missing-action configuration",
    )
    strict = AlbOptions(tolerate_non_existent_backend_service=False)
    assert only(build_albs(plat, strict)).errors == ('ingress: a/one: services "gone" not found',)


# -- IPv6 Services need a dual-stack ALB


def _ipv6_service() -> str:
    return service("a", "web", "NodePort").replace(
        "spec:\n", "spec:\n  ipFamilies: [IPv6]\n  ipFamilyPolicy: SingleStack\n"
    )


def test_ipv6_service_behind_an_ipv4_alb_fails_the_group(tmp_path: Path) -> None:
    docs = [ALB_CLASS, _ipv6_service(), web_ingress()]
    alb = only(build_albs(platform(tmp_path, *docs)))
    assert alb.errors == ("ingress: a/one: unsupported IPv6 configuration, lb not dual-stack",)
    assert alb.listeners == ()


@pytest.mark.parametrize("ip_type", ["dualstack", "dualstack-without-public-ipv4"])
def test_ipv6_service_behind_a_dual_stack_alb(tmp_path: Path, ip_type: str) -> None:
    docs = [ALB_CLASS, _ipv6_service(), web_ingress({P + "ip-address-type": ip_type})]
    alb = only(build_albs(platform(tmp_path, *docs)))
    assert (alb.errors, alb.ip_address_type) == ((), ip_type)


# -- two default IngressClasses


def test_two_default_classes_fail_every_group_when_an_ingress_names_no_class(
    tmp_path: Path,
) -> None:
    default = '  annotations:\n    ingressclass.kubernetes.io/is-default-class: "true"\n'
    classes = [
        ALB_CLASS.replace("  name: alb\n", f"  name: alb\n{default}"),
        ALB_CLASS.replace("  name: alb\n", f"  name: alb2\n{default}"),
    ]
    named = [
        service("a", "web", "NodePort"),
        web_ingress(),
        ingress("b", "two", [(None, [("/", "Prefix", "web")])]),
    ]
    plat = platform(tmp_path, *classes, *named)
    # every Ingress names its class: the two defaults harm nobody
    assert [a.errors for a in build_albs(plat).albs] == [(), ()]
    bare = ingress("c", "bare", [(None, [("/", "Prefix", "web")])], class_name=None)
    plat = platform(tmp_path, *classes, *named, bare)
    plan = build_albs(plat)
    error = ("Ingress: c/bare: multiple default IngressClasses found",)
    assert [(a.group, a.errors, a.listeners) for a in plan.albs] == [
        ("b/two", error, ()),
        ("g", error, ()),
    ]
    assert [i.to_json() for i in plan.ignored] == [
        {
            "ingress": "c/bare",
            "reason": "multiple default IngressClasses found: the controller fails to load "
            "every IngressGroup while this Ingress names no class",
        }
    ]


# -- certificates


def test_a_repeated_default_certificate_stays_an_sni_certificate(tmp_path: Path) -> None:
    certs = f"{CERT_A},{CERT_B},{CERT_A},{CERT_B}"
    docs = [
        ALB_CLASS,
        service("a", "web", "NodePort"),
        web_ingress({P + "certificate-arn": certs}),
    ]
    alb = only(build_albs(platform(tmp_path, *docs)))
    # mergeListenPortConfigs: the default is not in the seen-set; later repeats are
    assert alb.listeners[0].certificates == (CERT_A, CERT_B, CERT_A)


# -- the rule optimizer


def test_redirect_with_a_regex_only_host_overshadows_later_rules(tmp_path: Path) -> None:
    redirect = json.dumps(
        {
            "type": "redirect",
            "redirectConfig": {"host": "new.example.com", "statusCode": "HTTP_301"},
        }
    )
    regex_host = json.dumps(
        [{"field": "host-header", "hostHeaderConfig": {"regexValues": ["^old\\..*$"]}}]
    )
    body = ingress(
        "a", "one",
        [(None, [("/", "Prefix", "moved")]), ("a.example.com", [("/api", "Prefix", "web")])],
        {P + "group.name": "g", P + "actions.moved": redirect, P + "conditions.moved": regex_host},
    )  # fmt: skip
    body = use_annotation(body, "moved")
    alb = only(build_albs(platform(tmp_path, ALB_CLASS, service("a", "web", "NodePort"), body)))
    # isSupersetConditions reads host Values only: the regex host restricts nothing, so
    # the redirect (path /*) overshadows the a.example.com rule, which is dropped
    assert [(r.priority, r.action.type.value) for r in alb.listeners[0].rules] == [(1, "redirect")]


# -- JWT validation


def _https(annotations: dict[str, str]) -> str:
    return web_ingress(
        {P + "listen-ports": '[{"HTTP": 80}, {"HTTPS": 443}]', P + "certificate-arn": CERT_A,
         **annotations}
    )  # fmt: skip


def test_jwt_validation_runs_before_the_action_on_https_listeners(tmp_path: Path) -> None:
    jwt = {
        "jwksEndpoint": "https://issuer.example.com/.well-known/jwks.json",
        "Issuer": "https://issuer.example.com",
        "additionalClaims": [
            {"format": "string-array", "name": "groups", "values": ["admins", "devs"]}
        ],
        "unknownField": 1,
    }
    docs = [
        ALB_CLASS,
        service("a", "web", "NodePort"),
        _https({P + "jwt-validation": json.dumps(jwt)}),
    ]
    alb = only(build_albs(platform(tmp_path, *docs)))
    assert alb.errors == ()
    by_port = {ls.port: ls.rules[0] for ls in alb.listeners}
    assert by_port[80].jwt_validation is None
    assert by_port[443].jwt_validation == JwtValidation(
        "https://issuer.example.com/.well-known/jwks.json",
        "https://issuer.example.com",
        (JwtClaim("string-array", "groups", ("admins", "devs")),),
    )
    assert by_port[443].to_json()["jwt_validation"] == {
        "jwks_endpoint": "https://issuer.example.com/.well-known/jwks.json",
        "issuer": "https://issuer.example.com",
        "additional_claims": [
            {"format": "string-array", "name": "groups", "values": ["admins", "devs"]}
        ],
    }


@pytest.mark.parametrize(
    ("value", "error"),
    [
        ('{"jwksEndpoint": "https://k"', "failed to parse json annotation"),
        ('{"issuer": "i"}', "jwksEndpoint is a required field for jwt validation"),
        ('{"jwksEndpoint": "https://k"}', "issuer is a required field for jwt validation"),
        ("null", "jwksEndpoint is a required field for jwt validation"),
        (
            '{"jwksEndpoint": "https://k", "issuer": 7}',
            "failed to parse json annotation, alb.ingress.kubernetes.io/jwt-validation: "
            '{"jwksEndpoint": "https://k", "issuer": 7}: json: cannot unmarshal number into Go '
            "struct field JwtValidationConfig.issuer of type string",
        ),
        (
            with_claims({"name": "n", "values": ["v"]}),
            "format is a required field for additional claims for jwt validation",
        ),
        (
            with_claims({"format": "f", "values": ["v"]}),
            "name is a required field for additional claims for jwt validation",
        ),
        (
            with_claims({"format": "f", "name": "n"}),
            "values must not be empty for additional claims for jwt validation",
        ),
    ],
)
def test_a_malformed_jwt_validation_fails_the_group(tmp_path: Path, value: str, error: str) -> None:
    # HTTP only: the controller reads the annotation for every backend all the same
    docs = [ALB_CLASS, service("a", "web", "NodePort"), web_ingress({P + "jwt-validation": value})]
    alb = only(build_albs(platform(tmp_path, *docs)))
    assert len(alb.errors) == 1 and alb.errors[0].startswith("ingress: a/one: " + error)


def test_jwt_validation_and_authentication_cannot_both_be_configured(tmp_path: Path) -> None:
    jwt = json.dumps({"jwksEndpoint": "https://k", "issuer": "i"})
    docs = [
        ALB_CLASS,
        service("a", "web", "NodePort"),
        _https({P + "jwt-validation": jwt, P + "auth-type": "oidc"}),
    ]
    alb = only(build_albs(platform(tmp_path, *docs)))
    assert alb.errors == (
        "ingress: a/one: authentication and jwt validation can't both be configured",
    )


# -- the controller's own wording


def test_errors_print_lists_as_go_does(tmp_path: Path) -> None:
    both = json.dumps(
        [{"field": "host-header", "hostHeaderConfig": {"regexValues": ["^b$", "^c$"]}}]
    )
    docs = [ALB_CLASS, service("a", "web", "NodePort"), web_ingress({P + "conditions.web": both})]
    alb = only(build_albs(platform(tmp_path, *docs)))
    assert alb.errors == (
        "ingress: a/one: host condition must specify exactly one of Values and RegexValues, "
        "got both Values [a.example.com] and RegexValues [^b$ ^c$]",
    )


def test_build_albs_without_options_equals_the_platform_options(tmp_path: Path) -> None:
    docs = [ALB_CLASS, service("a", "web"), web_ingress(), controller("--default-target-type=ip")]
    plat = platform(tmp_path, *docs)
    options, _ = platform_alb_options(plat)
    assert build_albs(plat) == build_albs(plat, options)
    assert build_albs(plat) != build_albs(
        plat, replace(options, default_target_type=TargetType.INSTANCE)
    )


@pytest.mark.parametrize(
    ("cidrs", "error"),
    [
        ("10.0.0.0/8, 2001:db8::/32", ()),
        ("10.1.2.3/8", ()),  # host bits set: net.ParseCIDR accepts them
        (
            "10.0.0.1",  # no prefix length
            ("ingress: a/one: invalid inbound-cidrs settings on Ingress: a/one: invalid CIDR "
             "address: 10.0.0.1",),
        ),
        (
            "10.0.0.0/33",
            ("ingress: a/one: invalid inbound-cidrs settings on Ingress: a/one: invalid CIDR "
             "address: 10.0.0.0/33",),
        ),
    ],
)  # fmt: skip
def test_inbound_cidrs_parse_as_go_does(tmp_path: Path, cidrs: str, error: tuple[str, ...]) -> None:
    docs = [ALB_CLASS, service("a", "web", "NodePort"), web_ingress({P + "inbound-cidrs": cidrs})]
    assert only(build_albs(platform(tmp_path, *docs))).errors == error


# -- who opens the targets' security groups to the ALB
# kubernetes-sigs/aws-load-balancer-controller@043f39b947683a7baffce0d744583b8823cdd2c2
# pkg/ingress/model_build_load_balancer.go buildLoadBalancerSecurityGroups,
# buildManageSecurityGroupRulesFlag


@pytest.mark.parametrize(
    ("annotations", "flags", "expected"),
    [
        # no frontend groups written: the controller creates one and opens the targets
        ({}, (), ((), True, ())),
        ({}, ("--enable-backend-security-group=false",), ((), True, ())),
        # written groups: nobody opens the targets unless told to
        ({P + "security-groups": "sg-0a1, web-sg"}, (), (("sg-0a1", "web-sg"), False, ())),
        (
            {P + "security-groups": "sg-0a1", P + "manage-backend-security-group-rules": "true"},
            (),
            (("sg-0a1",), True, ()),
        ),
        # the flag is the annotation's default; the annotation wins
        (
            {P + "security-groups": "sg-0a1"},
            ("--enable-manage-backend-security-group-rules=true",),
            (("sg-0a1",), True, ()),
        ),
        (
            {P + "security-groups": "sg-0a1", P + "manage-backend-security-group-rules": "false"},
            ("--enable-manage-backend-security-group-rules=true",),
            (("sg-0a1",), False, ()),
        ),
        # managing the rules needs the shared backend group
        (
            {P + "security-groups": "sg-0a1", P + "manage-backend-security-group-rules": "true"},
            ("--enable-backend-security-group=false",),
            (
                ("sg-0a1",),
                False,
                (
                    "backendSG feature is required to manage worker node SG rules when "
                    "frontendSG manually specified",
                ),
            ),
        ),
    ],
)
def test_who_opens_the_targets_to_the_alb(
    tmp_path: Path,
    annotations: dict[str, str],
    flags: tuple[str, ...],
    expected: tuple[tuple[str, ...], bool, tuple[str, ...]],
) -> None:
    plat = platform(tmp_path, ALB_CLASS, service("a", "web"), web_ingress(annotations))
    options = replace(platform_alb_options(plat)[0], default_target_type=TargetType.IP)
    if flags:
        plat = platform(
            tmp_path, ALB_CLASS, service("a", "web"), web_ingress(annotations), controller(*flags)
        )
        options = replace(platform_alb_options(plat)[0], default_target_type=TargetType.IP)
    alb = only(build_albs(plat, options))
    assert (alb.security_groups, alb.manages_backend_rules, alb.errors) == expected


def test_members_disagreeing_on_managing_the_backend_rules_fail_the_group(tmp_path: Path) -> None:
    groups = {P + "security-groups": "sg-0a1"}
    plat = platform(
        tmp_path,
        ALB_CLASS,
        service("a", "web"),
        web_ingress({**groups, P + "manage-backend-security-group-rules": "true"}),
        ingress(
            "a",
            "two",
            [("b.example.com", [("/", "Prefix", "web")])],
            {P + "group.name": "g", **groups, P + "manage-backend-security-group-rules": "false"},
        ),
    )
    alb = only(build_albs(plat, AlbOptions(default_target_type=TargetType.IP)))
    assert alb.errors == ("conflicting manage backend security group rules settings",)


def test_the_controllers_security_group_flags_are_read(tmp_path: Path) -> None:
    plat = platform(
        tmp_path,
        controller(
            "--enable-backend-security-group=false",
            "--backend-security-group=sg-0b1",
            "--enable-manage-backend-security-group-rules",
            "--service-target-eni-security-group-tags=team=web,tier=front",
        ),
    )
    options, notes = platform_alb_options(plat)
    assert notes == ()
    assert (
        options.enable_backend_security_group,
        options.backend_security_group,
        options.enable_manage_backend_security_group_rules,
        options.service_target_eni_security_group_tags,
    ) == (False, "sg-0b1", True, (("team", "web"), ("tier", "front")))

"""Kubernetes, Calico and Istio documents to model objects: defaults, lines, bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

from ekstwin.findings import Diagnostic, DiagnosticLevel
from ekstwin.loaders import LoadResult, load
from ekstwin.model.calico import Action, CalicoPort
from ekstwin.model.images import PullPolicy
from ekstwin.model.k8s import (
    AwsAuth,
    AwsAuthEntry,
    ContainerPort,
    IpBlock,
    Protocol,
    ServicePort,
)
from ekstwin.model.source import Source

STDIN = "<stdin>"


def _head(api: str, kind: str, meta: str) -> str:
    return f"apiVersion: {api}\nkind: {kind}\nmetadata: {{{meta}}}\n"


def _load(text: str) -> LoadResult:
    """The input as written: nothing implied (tests/loaders/test_implied.py)."""
    return load(["-"], stdin_text=lambda: text, implied=False)


def _at(line: int) -> Source:
    return Source(STDIN, line)


def _pod(containers: str, name: str = "p") -> str:
    return (
        _head("v1", "Pod", f"name: {name}, namespace: ns") + f"spec:\n  containers:\n{containers}"
    )


# -- namespaces ----------------------------------------------------------------


def test_namespace_gets_the_metadata_name_label() -> None:
    r = _load("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n  labels: {team: a}\n")
    assert [(ns.name, ns.labels, ns.implicit) for ns in r.platform.namespaces] == [
        ("shop", {"team": "a", "kubernetes.io/metadata.name": "shop"}, False)
    ]


def test_namespaces_used_but_not_declared_are_implicit() -> None:
    r = _load(
        _head("v1", "ConfigMap", "name: a, namespace: shop")
        + "---\n"
        + _head("v1", "ConfigMap", "name: b")
        + "---\n"
        + _head("v1", "Namespace", "name: declared")
    )
    assert [(ns.name, ns.labels, ns.implicit, ns.meta.source) for ns in r.platform.namespaces] == [
        ("declared", {"kubernetes.io/metadata.name": "declared"}, False, _at(9)),
        ("default", {"kubernetes.io/metadata.name": "default"}, True, _at(5)),
        ("shop", {"kubernetes.io/metadata.name": "shop"}, True, _at(1)),
    ]
    assert [c.meta.namespace for c in r.platform.config_maps] == ["shop", "default"]


# -- containers ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("image", "policy"),
    [
        ("nginx:latest", PullPolicy.ALWAYS),
        ("nginx", PullPolicy.ALWAYS),
        ("nginx@sha256:" + "a" * 64, PullPolicy.IF_NOT_PRESENT),
        ("nginx:latest@sha256:" + "a" * 64, PullPolicy.ALWAYS),
        ("nginx:1.0", PullPolicy.IF_NOT_PRESENT),
        ("localhost:5000/a/b", PullPolicy.ALWAYS),
        ("localhost:5000/a/b:2", PullPolicy.IF_NOT_PRESENT),
    ],
)
def test_pull_policy_defaults_as_kubernetes_does(image: str, policy: PullPolicy) -> None:
    r = _load(_pod(f"    - {{name: c, image: '{image}'}}\n"))
    (c,) = r.platform.pods[0].spec.containers
    assert (c.image.text, c.pull_policy, c.pull_policy_defaulted) == (image, policy, True)


def test_written_pull_policy_is_kept() -> None:
    r = _load(_pod("    - {name: c, image: nginx:latest, imagePullPolicy: IfNotPresent}\n"))
    (c,) = r.platform.pods[0].spec.containers
    assert (c.pull_policy, c.pull_policy_defaulted) == (PullPolicy.IF_NOT_PRESENT, False)


def test_container_ports_keep_names_and_default_to_tcp() -> None:
    r = _load(
        _pod(
            "    - name: c\n      image: x:1\n      ports:\n"
            "        - {name: http, containerPort: 8080}\n"
            "        - {containerPort: 53, protocol: UDP, hostPort: 53}\n"
        )
    )
    assert r.platform.pods[0].spec.containers[0].ports == (
        ContainerPort(8080, Protocol.TCP, "http"),
        ContainerPort(53, Protocol.UDP, None, host_port=53),
    )


def test_service_target_port_defaults_to_port_and_may_be_named() -> None:
    r = _load(
        _head("v1", "Service", "name: web, namespace: ns") + "spec:\n"
        "  selector: {app: web}\n  ports:\n"
        "    - {port: 80, targetPort: http, name: web}\n"
        "    - {port: 9090}\n"
        "    - {port: 53, targetPort: 5353, protocol: UDP}\n"
    )
    (svc,) = r.platform.services
    assert (svc.type, svc.selector, svc.ports) == (
        "ClusterIP",
        {"app": "web"},
        (
            ServicePort(80, "http", Protocol.TCP, "web"),
            ServicePort(9090, 9090),
            ServicePort(53, 5353, Protocol.UDP),
        ),
    )


# -- NetworkPolicy ---------------------------------------------------------------

NETPOL = (
    _head("networking.k8s.io/v1", "NetworkPolicy", "name: np, namespace: ns")
    + "spec:\n  podSelector: {}\n"
)


@pytest.mark.parametrize(
    ("spec", "types", "declared"),
    [
        ("  ingress: [{}]\n", ("Ingress",), None),
        ("", ("Ingress",), None),
        ("  egress: [{}]\n", ("Ingress", "Egress"), None),
        (
            "  ingress: [{}]\n  egress: [{to: [{ipBlock: {cidr: 203.0.113.0/24}}]}]\n",
            ("Ingress", "Egress"),
            None,
        ),
        ("  egress: []\n", ("Ingress",), None),  # no egress rules: len(egress) == 0
        ("  policyTypes: []\n  egress: [{}]\n", ("Ingress", "Egress"), None),
        ("  policyTypes: [Egress]\n", ("Egress",), ("Egress",)),
        ("  policyTypes: [Egress, Ingress]\n", ("Ingress", "Egress"), ("Egress", "Ingress")),
    ],
)
def test_network_policy_types_default_as_the_api_server_does(
    spec: str, types: tuple[str, ...], declared: tuple[str, ...] | None
) -> None:
    r = _load(NETPOL + spec)
    assert r.diagnostics == ()
    (np,) = r.platform.network_policies
    assert (np.policy_types, np.declared_policy_types) == (types, declared)


def test_network_policy_rules_carry_their_lines() -> None:
    r = _load(
        NETPOL + "  ingress:\n"  # 6
        "    - from:\n"  # 7
        "        - podSelector: {matchLabels: {app: a}}\n"
        "    - ports:\n"  # 9
        "        - {port: 80}\n"
    )
    (np,) = r.platform.network_policies
    assert [rule.source for rule in np.ingress] == [_at(7), _at(9)]
    assert np.meta.line_of("/spec/ingress/1/ports/0") == _at(10)
    assert np.meta.line_of("/spec/ingress/9") == _at(7)  # nearest known ancestor


# -- Calico ------------------------------------------------------------------------

GNP = _head("projectcalico.org/v3", "GlobalNetworkPolicy", "name: p") + "spec:\n  selector: all()\n"


@pytest.mark.parametrize(
    ("spec", "types"),
    [
        ("", ("Ingress",)),
        ("  ingress: [{action: Allow}]\n", ("Ingress",)),
        ("  egress: [{action: Allow}]\n", ("Egress",)),
        ("  ingress: [{action: Allow}]\n  egress: [{action: Allow}]\n", ("Ingress", "Egress")),
        ("  types: [Egress]\n  ingress: [{action: Allow}]\n", ("Egress",)),
    ],
)
def test_calico_types_default_from_the_rules(spec: str, types: tuple[str, ...]) -> None:
    r = _load(GNP + spec)
    assert r.diagnostics == ()
    assert r.platform.calico_policies[0].types == types


def test_calico_ports_ranges_and_names_and_next_tier() -> None:
    r = _load(
        GNP + "  ingress:\n"  # 6
        "    - action: next-tier\n"  # 7
        "    - action: allow\n"  # 8
        "      protocol: tcp\n"
        "      destination:\n"
        "        ports: [80, '8000:8010', http, '443']\n"
        "        notPorts: ['90:90']\n"
    )
    assert r.diagnostics == ()
    p = r.platform.calico_policies[0]
    assert (p.tier, p.order, p.scope.value) == ("default", None, "GlobalNetworkPolicy")
    assert [(rule.action, rule.protocol, rule.location) for rule in p.ingress] == [
        (Action.PASS, None, _at(7)),
        (Action.ALLOW, "TCP", _at(8)),
    ]
    assert p.ingress[1].destination.ports == (
        CalicoPort(80, 80),
        CalicoPort(8000, 8010),
        CalicoPort(name="http"),
        CalicoPort(443, 443),
    )
    assert p.ingress[1].destination.not_ports == (CalicoPort(90, 90),)
    assert [str(x) for x in p.ingress[1].destination.ports] == ["80", "8000:8010", "http", "443"]


def test_tier_default_action_is_deny_unless_pass() -> None:
    r = _load(
        _head("projectcalico.org/v3", "Tier", "name: a")
        + "spec: {order: 100}\n---\n"
        + _head("projectcalico.org/v3", "Tier", "name: b")
        + "spec: {defaultAction: Pass}\n"
    )
    assert [(t.name, t.order, t.default_action) for t in r.platform.tiers] == [
        ("a", 100.0, Action.DENY),
        ("b", None, Action.PASS),
    ]


def test_invalid_calico_selector_names_the_column() -> None:
    r = _load(
        _head("projectcalico.org/v3", "NetworkPolicy", "name: p, namespace: ns")
        + "spec:\n  selector: app == 'web' &&\n"
    )
    assert r.platform.calico_policies == ()
    (d,) = r.diagnostics
    assert (d.source, d.level, d.code) == (_at(5), DiagnosticLevel.ERROR, "invalid-object")
    assert d.message == (
        "NetworkPolicy ns/p: /spec/selector: selector does not parse: expected a label, "
        "has(), all(), global(), '!' or '(', found end of selector at column 16 in "
        "\"app == 'web' &&\"; the object was skipped"
    )


def test_calico_policy_lines_point_at_the_bad_rule() -> None:
    r = _load(
        GNP + "  ingress:\n"
        "    - action: Allow\n"  # 7
        "    - action: Maybe\n"  # 8
    )
    assert [(d.source, d.message) for d in r.diagnostics] == [
        (
            _at(8),
            "GlobalNetworkPolicy p: /spec/ingress/1/action: unknown action 'Maybe'; "
            "the object was skipped",
        )
    ]


# -- bad input ---------------------------------------------------------------------


def test_non_mapping_documents_are_diagnostics() -> None:
    r = _load(
        "- a\n- b\n---\njust text\n---\n"
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ok, namespace: ns}\n"
    )
    assert [c.meta.name for c in r.platform.config_maps] == ["ok"]
    assert [(d.source, d.message, d.code) for d in r.diagnostics] == [
        (_at(1), "document is a list, not a Kubernetes object", "not-an-object"),
        (_at(4), "document is a string, not a Kubernetes object", "not-an-object"),
    ]


def test_missing_kind_or_api_version_is_a_diagnostic() -> None:
    r = _load(
        "metadata: {name: a}\n---\nkind: ConfigMap\nmetadata: {name: b}\n---\n"
        "apiVersion: v1\nmetadata: {name: c}\n"
    )
    assert [(d.source, d.message) for d in r.diagnostics] == [
        (_at(1), "document has no apiVersion and kind"),
        (_at(3), "document has no apiVersion"),
        (_at(6), "document has no kind"),
    ]
    assert all(d.level is DiagnosticLevel.ERROR for d in r.diagnostics)


def test_container_port_as_a_string_is_refused_at_its_line() -> None:
    r = _load(
        _head("apps/v1", "Deployment", "name: web, namespace: ns") + "spec:\n"
        "  template:\n    spec:\n      containers:\n"
        "        - name: web\n"
        "          image: x:1\n"
        "          ports:\n"
        "            - containerPort: '8080'\n"  # 11
    )
    assert r.platform.workloads == () and r.platform.pods == ()
    assert r.diagnostics == (
        Diagnostic(
            _at(11),
            "Deployment ns/web: /spec/template/spec/containers/0/ports/0/containerPort must be "
            "an integer, not a string; the object was skipped",
            "write the port number without quotes; names go in ports[].name",
            code="invalid-object",
        ),
    )


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("  policyTypes: Ingress\n", "/spec/policyTypes must be a list, not a string"),
        ("  policyTypes: [Inbound]\n", "/spec/policyTypes: unknown type 'Inbound'"),
    ],
)
def test_wrong_policy_types_are_refused(spec: str, message: str) -> None:
    r = _load(NETPOL + spec)
    assert r.platform.network_policies == ()
    assert [(d.source, d.message) for d in r.diagnostics] == [
        (_at(6), f"NetworkPolicy ns/np: {message}; the object was skipped")
    ]


def test_invalid_label_selector_operator_is_refused() -> None:
    r = _load(
        _head("networking.k8s.io/v1", "NetworkPolicy", "name: np, namespace: ns")
        + "spec:\n  podSelector:\n    matchExpressions:\n"
        + "      - {key: app, operator: Equals, values: [a]}\n"
    )
    assert r.platform.network_policies == ()
    (d,) = r.diagnostics
    assert d.source == _at(6)  # the selector's first line
    assert d.message.startswith("NetworkPolicy ns/np: /spec/podSelector: ")
    assert "Equals" in d.message
    assert d.hint == "fix the label selector"


def test_duplicate_objects_warn_and_the_later_wins_as_kubectl_apply() -> None:
    r = _load(
        _head("v1", "ConfigMap", "name: a, namespace: ns")
        + "data: {v: first}\n---\n"
        + _head("v1", "ConfigMap", "name: a, namespace: ns")
        + "data: {v: second}\n"
    )
    assert [c.data for c in r.platform.config_maps] == [{"v": "second"}]
    assert r.diagnostics == (
        Diagnostic(
            _at(1),
            "duplicate ConfigMap ns/a: defined at <stdin>:1 and again at <stdin>:6; "
            "the later definition is used, as kubectl apply would leave it",
            "remove one of the definitions, or keep the overlay on purpose",
            level=DiagnosticLevel.WARNING,
            code="duplicate",
        ),
    )
    assert not r.input_errors


def test_an_overlay_in_a_later_file_wins(tmp_path: Path) -> None:
    # The IRSA annotation applied as an overlay in a later file is what the cluster holds.
    base = _head("v1", "ServiceAccount", "name: app, namespace: shop")
    (tmp_path / "10-base.yaml").write_text(base)
    (tmp_path / "20-irsa.yaml").write_text(
        "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: app\n  namespace: shop\n"
        "  annotations: {eks.amazonaws.com/role-arn: 'arn:aws:iam::111122223333:role/app'}\n"
    )
    r = load([str(tmp_path)], implied=False)
    assert [
        (sa.meta.name, sa.meta.annotations, sa.meta.source) for sa in r.platform.service_accounts
    ] == [
        (
            "app",
            {"eks.amazonaws.com/role-arn": "arn:aws:iam::111122223333:role/app"},
            Source(str(tmp_path / "20-irsa.yaml"), 1),
        )
    ]
    assert [(d.source, d.code, d.level) for d in r.diagnostics] == [
        (Source(str(tmp_path / "10-base.yaml"), 1), "duplicate", DiagnosticLevel.WARNING)
    ]


def test_an_invalid_definition_never_hides_a_valid_one() -> None:
    binding = _head("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", "name: admins")
    good = binding + (
        "roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}\n"
        "subjects: [{kind: Group, name: ops, apiGroup: rbac.authorization.k8s.io}]\n"
    )
    bad = binding + "subjects: [{kind: Group, name: ops}]\n"  # no roleRef
    for text, valid_at, invalid_at, message in (
        (
            bad + "---\n" + good,
            6,
            1,
            "duplicate ClusterRoleBinding admins: defined at <stdin>:1 and again at "
            "<stdin>:6; the later definition is used, as kubectl apply would leave it",
        ),
        (
            good + "---\n" + bad,
            1,
            7,
            "duplicate ClusterRoleBinding admins: the later definition at <stdin>:7 is "
            "invalid, so the one at <stdin>:1 is used",
        ),
    ):
        r = _load(text)
        assert [(b.meta.name, b.meta.source) for b in r.platform.role_bindings] == [
            ("admins", _at(valid_at))
        ]
        assert sorted(
            (d.source.line if d.source else 0, d.code, d.message) for d in r.diagnostics
        ) == sorted(
            [
                (
                    invalid_at,
                    "invalid-object",
                    "ClusterRoleBinding admins: roleRef is required; the object was skipped",
                ),
                (invalid_at, "duplicate", message),
            ]
        )
        assert r.input_errors


def test_aws_auth_with_bad_map_roles_yaml_is_a_diagnostic() -> None:
    r = _load(
        _head("v1", "ConfigMap", "name: aws-auth, namespace: kube-system") + "data:\n"
        "  mapRoles: |\n"  # 5
        "    - rolearn: [unclosed\n"
        "  mapUsers: |\n"  # 7
        "    - userarn: arn:aws:iam::111122223333:user/ann\n"
        "      username: ann\n"
        "      groups: [ops]\n"
        "    - username: nobody\n"
    )
    assert r.platform.aws_auth == AwsAuth(
        map_roles=(),
        map_users=(AwsAuthEntry("arn:aws:iam::111122223333:user/ann", "ann", ("ops",), _at(7)),),
        map_accounts=(),
        source=_at(1),
    )
    assert [(d.source, d.code) for d in r.diagnostics] == [
        (_at(5), "aws-auth"),
        (_at(7), "aws-auth"),
    ]
    assert r.diagnostics[0].message.startswith("aws-auth mapRoles is not valid YAML: ")
    assert r.diagnostics[1].message == "aws-auth mapUsers entry 1 has no userarn"


def test_unknown_kinds_are_kept_as_opaque_and_counted() -> None:
    r = _load(
        _head("cert-manager.io/v1", "Certificate", "name: a, namespace: ns")
        + "---\n"
        + _head("cert-manager.io/v1", "Certificate", "name: b, namespace: ns")
        + "---\n"
        + _head("projectcalico.org/v3", "IPPool", "name: pool")
        + "spec: {cidr: 198.18.0.0/16}\n"
    )
    assert r.diagnostics == ()
    assert [o.meta.ref for o in r.platform.opaque] == [o.meta.ref for o in r.platform.opaque]
    assert [(str(o.meta.ref), o.body.get("spec")) for o in r.platform.opaque] == [
        ("Certificate/ns/a", None),
        ("Certificate/ns/b", None),
        ("IPPool/pool", {"cidr": "198.18.0.0/16"}),
    ]
    assert r.platform.opaque_counts() == {
        "cert-manager.io/v1/Certificate": 2,
        "projectcalico.org/v3/IPPool": 1,
    }
    assert "Certificate" not in r.platform.kind_counts()


def test_one_bad_object_does_not_stop_the_rest_of_its_file() -> None:
    r = _load(
        _head("v1", "Service", "name: a, namespace: ns")
        + "spec: {ports: [{name: x}]}\n---\n"
        + _head("v1", "Service", "name: b, namespace: ns")
        + "spec: {ports: [{port: 80}]}\n"
    )
    assert [s.meta.name for s in r.platform.services] == ["b"]
    assert [(d.source, d.message) for d in r.diagnostics] == [
        (_at(1), "Service ns/a: /spec/ports/0/port is required; the object was skipped")
    ]


def test_unknown_kind_without_namespace_keeps_none_and_known_kind_defaults() -> None:
    from ekstwin.loaders import load

    text = (
        "apiVersion: cert-manager.io/v1\nkind: ClusterIssuer\nmetadata: {name: letsencrypt}\n"
        "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n"
    )
    p = load(["-"], stdin_text=lambda: text, implied=False).platform
    assert [(o.meta.kind, o.meta.namespace) for o in p.opaque] == [("ClusterIssuer", None)]
    assert [(c.meta.name, c.meta.namespace) for c in p.config_maps] == [("c", "default")]
    assert [ns.name for ns in p.namespaces] == ["default"]


def test_yaml_flow_style_on_stdin_is_read_as_yaml() -> None:
    from ekstwin.loaders import load

    text = "{apiVersion: v1, kind: ConfigMap, metadata: {name: flow, namespace: a}}\n"
    result = load(["-"], stdin_text=lambda: text)
    assert result.diagnostics == ()
    assert [c.meta.name for c in result.platform.config_maps] == ["flow"]


def _netpol(peer: str, name: str = "np", ports: str = "") -> str:
    return (
        _head("networking.k8s.io/v1", "NetworkPolicy", f"name: {name}, namespace: ns")
        + "spec:\n  podSelector: {}\n  ingress:\n  - from:\n"
        + f"    - {peer}\n"
        + ports
    )


def _errors(r: LoadResult) -> list[tuple[int, str]]:
    return [(d.source.line if d.source else 0, d.message) for d in r.diagnostics]


def test_ip_block_cidrs_the_api_server_refuses_are_input_errors() -> None:
    text = "---\n".join(
        [
            _netpol("ipBlock: {cidr: 10.0.0.0/33}", "a"),
            _netpol("ipBlock: {cidr: $INBOUND_CIDRS}", "b"),
            _netpol("ipBlock: {cidr: 10.0.0.0/8, except: [192.168.0.0/24]}", "c"),
            _netpol("ipBlock: {cidr: 10.0.0.0/24, except: [10.0.0.0/24]}", "d"),
            _netpol("ipBlock: {cidr: 10.0.0.1/8, except: [10.1.0.0/16, 010.2.0.0/16]}", "ok"),
        ]
    )
    r = _load(text)
    assert [(n.meta.name, n.ingress[0].peers[0].ip_block) for n in r.platform.network_policies] == [
        ("ok", IpBlock("10.0.0.1/8", ("10.1.0.0/16", "010.2.0.0/16")))
    ]
    assert _errors(r) == [
        (8, "NetworkPolicy ns/a: /spec/ingress/0/from/0/ipBlock/cidr: '10.0.0.0/33' is not a "
            "valid CIDR; the object was skipped"),
        (17, "NetworkPolicy ns/b: /spec/ingress/0/from/0/ipBlock/cidr: '$INBOUND_CIDRS' is not "
             "a valid CIDR; the object was skipped"),
        (26, "NetworkPolicy ns/c: /spec/ingress/0/from/0/ipBlock/except/0: '192.168.0.0/24' "
             "must be a strict subset of cidr '10.0.0.0/8'; the object was skipped"),
        (35, "NetworkPolicy ns/d: /spec/ingress/0/from/0/ipBlock/except/0: '10.0.0.0/24' "
             "must be a strict subset of cidr '10.0.0.0/24'; the object was skipped"),
    ]  # fmt: skip
    assert "template variable" in r.diagnostics[1].hint
    assert r.input_errors


def test_ports_out_of_range_and_unknown_enum_values_are_input_errors() -> None:
    def svc(n: int, spec: str) -> str:
        return _head("v1", "Service", f"name: s{n}, namespace: ns") + "spec:\n" + spec

    text = "---\n".join(
        [
            svc(n=1, spec="  ports: [{port: 70000}]\n"),
            svc(n=2, spec="  ports: [{port: 80, targetPort: 0x10000}]\n"),
            svc(n=3, spec="  ports: [{port: 80, targetPort: Http_Web}]\n"),
            svc(n=4, spec="  type: Loadbalancer\n  ports: [{port: 80}]\n"),
            svc(n=5, spec="  ports: [{port: 80, targetPort: 0}]\n"),
            _netpol("podSelector: {}", "p", "    ports: [{port: 80, endPort: 70000}]\n"),
            _head("networking.k8s.io/v1", "Ingress", "name: i, namespace: ns")
            + "spec:\n  rules:\n  - http:\n      paths:\n      - path: /\n"
            "        pathType: prefix\n"
            "        backend: {service: {name: s5, port: {number: 80}}}\n",
            _pod("  - {name: c, image: 'x:1', ports: [{containerPort: 80, hostPort: 65536}]}\n"),
        ]
    )
    r = _load(text)
    assert [(s.meta.name, s.ports[0].target_port) for s in r.platform.services] == [("s5", 80)]
    assert [m.message for m in r.diagnostics] == [
        "Service ns/s1: /spec/ports/0/port 70000 is not a port: it must be 1-65535; "
        "the object was skipped",
        "Service ns/s2: /spec/ports/0/targetPort 65536 is not a port: it must be 1-65535; "
        "the object was skipped",
        "Service ns/s3: /spec/ports/0/targetPort 'Http_Web' is neither a port number nor a "
        "port name; the object was skipped",
        "Service ns/s4: /spec/type: unsupported value 'Loadbalancer'; the object was skipped",
        "NetworkPolicy ns/p: /spec/ingress/0/ports/0/endPort 70000 is not a port: it must be "
        "1-65535; the object was skipped",
        "Ingress ns/i: /spec/rules/0/http/paths/0/pathType: unsupported value 'prefix'; "
        "the object was skipped",
        "Pod ns/p: /spec/containers/0/ports/0/hostPort 65536 is not a port: it must be "
        "0-65535; the object was skipped",
    ]
    assert r.diagnostics[3].hint == (
        "use one of ClusterIP, NodePort, LoadBalancer, ExternalName "
        "(the API server accepts no other)"
    )


def test_invalid_label_keys_and_values_are_input_errors() -> None:
    text = "---\n".join(
        [
            _head("v1", "ConfigMap", "name: a, namespace: ns, labels: {app: 'my app'}"),
            _head("v1", "ConfigMap", "name: b, namespace: ns, labels: {'-bad': x}"),
            _head("v1", "ConfigMap", "name: c, namespace: ns, labels: {app: '" + "x" * 64 + "'}"),
            _head("v1", "ConfigMap", "name: ok, namespace: ns, labels: {a.b/c: '', d: e-1}"),
        ]
    )
    r = _load(text)
    assert [c.meta.name for c in r.platform.config_maps] == ["ok"]
    assert [d.message.split(": ", 2)[-1] for d in r.diagnostics] == [
        "label value 'my app' must be 63 characters or less, start and end with an "
        "alphanumeric character and hold only alphanumerics, '-', '_' or '.'; "
        "the object was skipped",
        "label key name '-bad' must be 63 characters or less, start and end with an "
        "alphanumeric character and hold only alphanumerics, '-', '_' or '.'; "
        "the object was skipped",
        f"label value '{'x' * 64}' must be 63 characters or less, start and end with an "
        "alphanumeric character and hold only alphanumerics, '-', '_' or '.'; "
        "the object was skipped",
    ]


def test_a_misspelt_field_is_named_with_a_suggestion_and_affects_only_its_entry() -> None:
    deployment = (
        "apiVersion: apps/v1\n"
        "kind: Deployment\n"
        "metadata: {name: web, namespace: ns}\n"
        "spec:\n"
        "  template:\n"
        "    metadata: {labels: {app: web}}\n"
        "    spec:\n"
        "      containers:\n"
        "      - name: c\n"
        "        image: 'x:1'\n"
        "        imagePullpolicy: Always\n"  # 11: ignored, reported
        "        ports:\n"
        "        - containerport: 8080\n"  # 13: this entry is left out
        "        - containerPort: 9090\n"
    )
    netpol = _netpol(
        "podselector: {matchLabels: {app: web}}", "np", "  - from: [{podSelector: {}}]\n"
    )
    r = _load(deployment + "---\n" + netpol)
    [w] = r.platform.workloads
    assert [p.container_port for p in w.spec.containers[0].ports] == [9090]
    assert w.spec.containers[0].pull_policy is PullPolicy.IF_NOT_PRESENT
    # The misspelt peer's rule is left out whole (an emptied from: would admit everyone).
    [np] = r.platform.network_policies
    assert [len(rule.peers) for rule in np.ingress] == [1]
    c = "/spec/template/spec/containers/0"
    assert [(d.source, d.code, d.message, d.hint) for d in r.diagnostics] == [
        (
            _at(11),
            "unknown-field",
            f"Deployment ns/web: {c}: unknown field imagePullpolicy (did you mean "
            "imagePullPolicy?); the field was ignored",
            "rename it to imagePullPolicy",
        ),
        (
            _at(13),
            "unknown-field",
            f"Deployment ns/web: {c}/ports/0: unknown field containerport (did you mean "
            "containerPort?); that port was left out",
            "rename it to containerPort",
        ),
        (
            _at(23),
            "unknown-field",
            "NetworkPolicy ns/np: /spec/ingress/0/from/0: unknown field podselector (did you "
            "mean podSelector?); the whole rule was left out",
            "rename it to podSelector",
        ),
    ]
    assert r.input_errors


def test_a_name_the_api_server_refuses_as_a_path_segment_is_an_input_error() -> None:
    """A pod named 'a/b' (the fuzz harness found NET004 crashing on it) is refused
    with its line, as the API server refuses it; the rest is read."""
    from ekstwin.loaders import load

    text = (
        "apiVersion: v1\nkind: Pod\nmetadata: {name: 'a/b', namespace: shop}\n"
        "spec: {containers: [{name: c, image: x}]}\n---\n"
        "apiVersion: v1\nkind: Pod\nmetadata: {name: ok, namespace: shop}\n"
        "spec: {containers: [{name: c, image: x}]}\n"
    )
    result = load(["-"], stdin_text=lambda: text, implied=False)
    errors = [d for d in result.diagnostics if "may not contain '/'" in d.message]
    assert len(errors) == 1 and errors[0].source is not None and errors[0].source.line in (1, 3)
    assert [p.key for p in result.platform.pods] == ["shop/ok"]

"""Hypothesis strategies for hostile platform inputs.

Structure-aware where it helps: Kubernetes objects of the kinds the model reads,
each field either plausible or junk; Keycloak realms, aws.json documents,
Terraform plans and snapshots made by mutating a real seed. Secret values are
``MARK`` and are put only where a secret lives (Secret data, env values, flag
values, kubeconfig credentials, Keycloak credentials, documents that are not
Kubernetes objects): ``MARK`` in any output is a leak.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st

MARK = "S3CR3T-FUZZ-MARK-7f1c"

#: Everything but surrogates (a file cannot hold them): control characters, bidi
#: overrides, markup-looking text and formula starts all come up.
ANY_TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=16)
DNS_NAME = st.from_regex(r"[a-z][a-z0-9-]{0,10}", fullmatch=True)
HOSTILE_NAME = st.one_of(
    DNS_NAME,
    DNS_NAME.map(lambda n: n + "\x1b]0;t\x07\x1b[2J\x9b"),
    st.sampled_from(["=1+1", "+x", "-x", "@x", "[bold]x[/]", 'a" -> "b', "a\u202eb"]),
    ANY_TEXT.filter(bool),
)

#: Integers within 64 bits: longer ones are the loader's own item (int-string limit).
JSON_SCALAR = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**63), 2**63 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    ANY_TEXT,
)
JUNK = st.recursive(
    JSON_SCALAR,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(ANY_TEXT, inner, max_size=3)
    ),
    max_leaves=6,
)


def maybe(valid: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Mostly ``valid``, sometimes junk."""
    return st.one_of(valid, valid, valid, JUNK)


LABELS = st.dictionaries(
    st.sampled_from(["app", "team", "tier", "istio-injection"]), maybe(HOSTILE_NAME), max_size=2
)
SECRET_ENV_NAMES = st.sampled_from(
    ["DB_PASS", "STRIPE_KEY", "DATABASE_URL", "SENTRY_DSN", "TOKEN", "X", "aws_region"]
)
SECRET_FLAGS = st.sampled_from(["--password", "--db-pass", "-p", "--token", "--x"])


@st.composite
def container(draw: st.DrawFn) -> dict[str, Any]:
    flag = draw(SECRET_FLAGS)
    words = draw(
        st.lists(
            st.sampled_from([[flag, MARK], [f"{flag}={MARK}"], [MARK], ["--policy=sync"]]),
            max_size=3,
        )
    )
    out: dict[str, Any] = {
        "name": draw(maybe(DNS_NAME)),
        "image": draw(maybe(st.sampled_from(["nginx:1.27", "registry.example/app:latest"]))),
        "env": draw(
            maybe(
                st.lists(
                    st.one_of(
                        st.fixed_dictionaries({"name": SECRET_ENV_NAMES, "value": st.just(MARK)}),
                        st.just({"name": "AWS_REGION", "value": "eu-west-1"}),
                        st.just({"name": "P", "valueFrom": {"secretKeyRef": {"name": "s"}}}),
                    ),
                    max_size=3,
                )
            )
        ),
        "args": [w for group in words for w in group],
        "ports": draw(
            maybe(st.lists(st.fixed_dictionaries({"containerPort": maybe(st.integers(0, 70000))})))
        ),
    }
    if draw(st.booleans()):
        out["lifecycle"] = {"postStart": {"exec": {"command": ["sh", "-c", MARK]}}}
    return out


def _meta(draw: st.DrawFn, namespaced: bool = True) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": draw(maybe(HOSTILE_NAME)), "labels": draw(maybe(LABELS))}
    if namespaced:
        meta["namespace"] = draw(maybe(st.sampled_from(["shop", "payments", "kube-system"])))
    return meta


@st.composite
def kube_object(draw: st.DrawFn) -> Any:
    kind = draw(
        st.sampled_from(
            [
                "Namespace", "Pod", "Deployment", "Secret", "NetworkPolicy", "Service",
                "ServiceAccount", "ClusterRoleBinding", "Ingress", "Config", "PodTemplate",
                "junk", "unrecognised",
            ]
        )
    )  # fmt: skip
    if kind == "junk":
        return draw(JUNK)
    if kind == "unrecognised":  # a Keycloak users export, a raw list item: no kind
        return {"realm": "x", "users": [{"username": "u", "credentials": [{"value": MARK}]}]}
    if kind == "Namespace":
        return {"apiVersion": "v1", "kind": kind, "metadata": _meta(draw, False)}
    if kind == "Secret":
        return {
            "apiVersion": draw(st.sampled_from(["v1", "V1", None, 1, " v1", "apps/v1", ""])),
            "kind": draw(st.sampled_from(["Secret", "secret", " Secret"])),
            "metadata": _meta(draw),
            "data": {"k": MARK},
            "stringData": draw(maybe(st.just({"p": MARK}))),
        }
    if kind == "Config":
        return {
            "apiVersion": "v1",
            "kind": "Config",
            "users": [{"name": "u", "user": {"token": MARK, "password": MARK}}],
        }
    pod_spec = {
        "containers": draw(maybe(st.lists(container(), min_size=1, max_size=2))),
        "serviceAccountName": draw(maybe(DNS_NAME)),
    }
    if kind == "Pod":
        return {
            "apiVersion": "v1",
            "kind": kind,
            "metadata": _meta(draw),
            "spec": pod_spec,
            "status": {"podIP": draw(maybe(st.sampled_from(["198.18.0.10", "x", "::1"])))},
        }
    if kind in ("Deployment", "PodTemplate"):
        template = {"metadata": {"labels": draw(maybe(LABELS))}, "spec": pod_spec}
        body: dict[str, Any] = (
            {"spec": {"selector": {"matchLabels": draw(maybe(LABELS))}, "template": template}}
            if kind == "Deployment"
            else {"template": template}
        )
        version = "apps/v1" if kind == "Deployment" else "v1"
        return {"apiVersion": version, "kind": kind, "metadata": _meta(draw), **body}
    if kind == "NetworkPolicy":
        peer = st.fixed_dictionaries(
            {"podSelector": maybe(st.fixed_dictionaries({"matchLabels": LABELS}))}
        )
        return {
            "apiVersion": "networking.k8s.io/v1",
            "kind": kind,
            "metadata": _meta(draw),
            "spec": {
                "podSelector": draw(maybe(st.just({}))),
                "policyTypes": draw(maybe(st.just(["Ingress", "Egress"]))),
                "ingress": draw(maybe(st.lists(st.fixed_dictionaries({"from": st.lists(peer)})))),
            },
        }
    if kind == "Service":
        return {
            "apiVersion": "v1",
            "kind": kind,
            "metadata": _meta(draw),
            "spec": {
                "selector": draw(maybe(LABELS)),
                "ports": draw(
                    maybe(st.lists(st.fixed_dictionaries({"port": maybe(st.integers())})))
                ),
            },
        }
    if kind == "ServiceAccount":
        return {"apiVersion": "v1", "kind": kind, "metadata": _meta(draw)}
    if kind == "ClusterRoleBinding":
        return {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": kind,
            "metadata": _meta(draw, False),
            "roleRef": draw(maybe(st.just({"kind": "ClusterRole", "name": "cluster-admin"}))),
            "subjects": draw(
                maybe(
                    st.lists(
                        st.fixed_dictionaries({"kind": st.just("Group"), "name": HOSTILE_NAME})
                    )
                )
            ),
        }
    return {  # Ingress
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {
            **_meta(draw),
            "annotations": {"alb.ingress.kubernetes.io/group.name": draw(maybe(HOSTILE_NAME))},
        },
        "spec": {
            "ingressClassName": "alb",
            "rules": draw(
                maybe(
                    st.lists(
                        st.fixed_dictionaries(
                            {
                                "host": maybe(HOSTILE_NAME),
                                "http": st.just(
                                    {
                                        "paths": [
                                            {
                                                "path": "/",
                                                "pathType": "Prefix",
                                                "backend": {
                                                    "service": {
                                                        "name": "web",
                                                        "port": {"number": 80},
                                                    }
                                                },
                                            }
                                        ]
                                    }
                                ),
                            }
                        ),
                        max_size=2,
                    )
                )
            ),
        },
    }


# -- mutation of JSON seeds ------------------------------------------------------


def _slots(doc: Any) -> list[tuple[Any, Any]]:
    """Every (container, key or index) of ``doc``, outermost first."""
    out: list[tuple[Any, Any]] = []
    todo = [doc]
    while todo:
        node = todo.pop()
        pairs = node.items() if isinstance(node, dict) else enumerate(node)
        for key, value in pairs:
            out.append((node, key))
            if isinstance(value, dict | list):
                todo.append(value)
    return out


@st.composite
def mutated(draw: st.DrawFn, seed: Any, max_mutations: int = 4) -> Any:
    """``seed`` with a few of its nodes, chosen evenly among all of them, replaced by
    junk, deleted, or given another type (the same value in a list, a list in a map)."""
    doc = copy.deepcopy(seed)
    for _ in range(draw(st.integers(1, max_mutations))):
        slots = _slots(doc)
        if not slots:
            break
        parent, key = draw(st.sampled_from(slots))
        action = draw(st.sampled_from(["junk", "delete", "type"]))
        if action == "junk":
            parent[key] = draw(JUNK)
        elif action == "delete":
            del parent[key]
        else:
            parent[key] = [parent[key]] if not isinstance(parent[key], list) else {"x": parent[key]}
    return doc


def realm_with_secrets(realm: dict[str, Any]) -> dict[str, Any]:
    """A realm export whose every secret place holds ``MARK``."""
    out = copy.deepcopy(realm)
    for client in out.get("clients", []):
        client["secret"] = MARK
    for user in out.get("users", []):
        user["credentials"] = [{"type": "password", "value": MARK, "secretData": MARK}]
    for idp in out.get("identityProviders", []):
        idp.setdefault("config", {})["clientSecret"] = MARK
    return out


def terraform_plan(resources: list[dict[str, Any]]) -> st.SearchStrategy[Any]:
    """A ``terraform show -json`` plan of ``resources`` (plus a sensitive one), mutated."""
    plan = {
        "format_version": "1.2",
        "terraform_version": "1.9.8",
        "planned_values": {"root_module": {"resources": []}},
        "resource_changes": [
            *resources,
            {
                "address": "aws_db_instance.main",
                "mode": "managed",
                "type": "aws_db_instance",
                "name": "main",
                "change": {"actions": ["create"], "before": None, "after": {"password": MARK}},
            },
        ],
    }
    return mutated(plan)


def dumps_any(draw: Callable[[st.SearchStrategy[Any]], Any], data: Any) -> str:
    """JSON text of ``data``, indented or not."""
    return json.dumps(
        data, indent=draw(st.sampled_from([None, 1])), ensure_ascii=draw(st.booleans())
    )

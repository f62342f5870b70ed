"""IAM: ``aws_iam_role`` (with ``aws_iam_role_policy`` and
``aws_iam_role_policy_attachment``), ``aws_iam_policy``,
``aws_iam_openid_connect_provider``."""

from __future__ import annotations

from ekstwin.loaders.terraform.builder import (
    Builder,
    Handler,
    Json,
    doc,
    name_placeholder,
    strs,
    tags,
)
from ekstwin.loaders.terraform.plan import Resource

__all__ = ["HANDLERS"]

_EMPTY_POLICY: Json = {"Version": "2012-10-17", "Statement": []}


def _role(b: Builder, r: Resource) -> None:
    name = b.get(r, "name") or r.name
    trust = doc(b.get(r, "assume_role_policy"))
    if trust is None:
        b.warn(r, "assume_role_policy is not known; the role trusts nobody in the model")
    role: Json = {
        "name": name,
        "arn": b.get(r, "arn", f"arn:aws:iam::{b.account}:role{r.values.get('path') or '/'}{name}"),
        "path": r.values.get("path") or "/",
        "trust_policy": trust or _EMPTY_POLICY,
        "inline_policies": {
            str(p["name"]): d
            for p in r.values.get("inline_policy") or []
            if isinstance(p, dict) and p.get("name") and (d := doc(p.get("policy")))
        },
        "attached_policy_arns": strs(r.values.get("managed_policy_arns")),
        "permissions_boundary_arn": r.values.get("permissions_boundary") or None,
        "max_session_duration": int(r.values.get("max_session_duration") or 3600),
        "tags": tags(r.values.get("tags")),
    }
    b.put("iam", "roles", str(name), role, r)
    b.placeholders[r.address + ".name"] = str(name)


def _role_policy(b: Builder, r: Resource) -> None:
    roles = b.keyed("iam", "roles")
    role_name = b.get(r, "role")
    document = doc(b.get(r, "policy"))
    if role_name in roles and document is not None:
        inline = roles[str(role_name)]["inline_policies"]
        assert isinstance(inline, dict)
        inline[str(b.get(r, "name") or r.name)] = document


def _policy(b: Builder, r: Resource) -> None:
    document = doc(b.get(r, "policy"))
    name = b.get(r, "name") or r.name
    if document is None:
        b.warn(r, "policy document unknown until apply; the policy is left out")
        return
    policies = b.items("iam", "policies")
    b.note(f"/accounts/0/iam/policies/{len(policies)}", r)
    path = r.values.get("path") or "/"
    policies.append(
        {
            "arn": b.get(r, "arn", f"arn:aws:iam::{b.account}:policy{path}{name}"),
            "name": name,
            "path": path,
            "document": document,
        }
    )


def _role_policy_attachment(b: Builder, r: Resource) -> None:
    roles = b.keyed("iam", "roles")
    role_name, policy_arn = b.get(r, "role"), b.get(r, "policy_arn")
    if role_name in roles and policy_arn:
        attached = roles[str(role_name)]["attached_policy_arns"]
        assert isinstance(attached, list)
        if policy_arn not in attached:
            attached.append(policy_arn)


def _oidc_provider(b: Builder, r: Resource) -> None:
    url = b.get(r, "url")
    if not url:
        return
    host = str(url).removeprefix("https://")
    providers = b.items("iam", "oidc_providers")
    b.note(f"/accounts/0/iam/oidc_providers/{len(providers)}", r)
    providers.append(
        {
            "arn": b.get(r, "arn", f"arn:aws:iam::{b.account}:oidc-provider/{host}"),
            "url": host,
            "client_ids": strs(r.values.get("client_id_list")),
            "thumbprints": strs(r.values.get("thumbprint_list")),
        }
    )


HANDLERS = (
    Handler("aws_iam_role", _role, name_placeholder("role")),
    Handler("aws_iam_role_policy", _role_policy),
    Handler("aws_iam_policy", _policy, name_placeholder("policy")),
    Handler("aws_iam_role_policy_attachment", _role_policy_attachment),
    Handler("aws_iam_openid_connect_provider", _oidc_provider),
)

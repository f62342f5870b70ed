"""EKS: ``aws_eks_cluster`` and what hangs off a cluster: access entries and
their policy associations, Pod Identity associations, OIDC identity provider
configs, managed node groups."""

from __future__ import annotations

from ekstwin.loaders.terraform.builder import (
    Builder,
    Handler,
    Json,
    first,
    name_placeholder,
    strs,
    tags,
)
from ekstwin.loaders.terraform.plan import Resource

__all__ = ["HANDLERS"]


def _cluster(b: Builder, r: Resource) -> None:
    clusters = b.keyed("eks", "clusters")
    name = str(b.get(r, "name") or r.name)
    vpc = first(r.values.get("vpc_config"))
    access = first(r.values.get("access_config"))
    net = first(r.values.get("kubernetes_network_config"))
    identity = first(first(r.values.get("identity")).get("oidc"))
    cluster: Json = {
        "name": name,
        "region": b.region,
        "arn": b.get(r, "arn", f"arn:aws:eks:{b.region}:{b.account}:cluster/{name}"),
        "version": b.get(r, "version") or "1.31",
        "role_arn": b.get(r, "role_arn"),
        "subnet_ids": strs(vpc.get("subnet_ids")) or _nested_refs(b, r, "vpc_config", "subnet-"),
        "security_group_ids": strs(vpc.get("security_group_ids"))
        or _nested_refs(b, r, "vpc_config", "sg-"),
        "endpoint": {
            "public_access": bool(vpc.get("endpoint_public_access", True)),
            "private_access": bool(vpc.get("endpoint_private_access", False)),
            "public_access_cidrs": strs(vpc.get("public_access_cidrs")) or ["0.0.0.0/0"],
        },
        "encryption_config": _encryption(b, r),
        "oidc_issuer": identity.get("issuer") or None,
        "authentication_mode": str(access.get("authentication_mode") or "CONFIG_MAP"),
        "logging": {"enabled_types": strs(r.values.get("enabled_cluster_log_types"))},
        "tags": tags(r.values.get("tags")),
        "access_entries": [],
        "pod_identity_associations": [],
        "identity_provider_configs": [],
        "node_groups": [],
    }
    if "bootstrap_cluster_creator_admin_permissions" in access:
        cluster["bootstrap_cluster_creator_admin_permissions"] = bool(
            access["bootstrap_cluster_creator_admin_permissions"]
        )
    if net.get("service_ipv4_cidr"):
        cluster["service_ipv4_cidr"] = net["service_ipv4_cidr"]
    if vpc.get("vpc_id"):
        cluster["vpc_id"] = vpc["vpc_id"]
    if vpc.get("cluster_security_group_id"):
        cluster["cluster_security_group_id"] = vpc["cluster_security_group_id"]
    if r.unknown.get("vpc_config"):
        _unknown_nested(b, r, "vpc_config")
    b.placeholders[r.address + ".name"] = name
    b.placeholders[r.address + ".id"] = name
    b.note(f"/accounts/0/eks/clusters/{len(clusters)}", r)
    clusters[name] = cluster


def _encryption(b: Builder, r: Resource) -> list[Json]:
    """encryption_config; a key ARN unknown until apply is the referenced key's placeholder."""
    out: list[Json] = []
    refs = b.references.get(r.address, {}).get("encryption_config", [])
    for e in r.values.get("encryption_config") or []:
        key_arn = first(e.get("provider")).get("key_arn")
        if not key_arn:
            key_arn = next((b.placeholders[x] for x in refs if x in b.placeholders), None)
            b.warn(
                r,
                "encryption_config key_arn is unknown until apply; "
                + (f"using {key_arn}" if key_arn else "left out"),
            )
        if key_arn:
            out.append({"resources": strs(e.get("resources")), "key_arn": str(key_arn)})
    return out


def _nested_refs(b: Builder, r: Resource, block: str, prefix: str) -> list[str]:
    """The ``prefix`` ids a nested block refers to (``vpc_config { subnet_ids =
    [aws_subnet.a.id] }``)."""
    refs = b.references.get(r.address, {}).get(block, [])
    return [
        b.placeholders[ref]
        for ref in refs
        if ref in b.placeholders and ".id" in ref and b.placeholders[ref].startswith(prefix)
    ]


def _unknown_nested(b: Builder, r: Resource, attr: str) -> None:
    value = first(r.unknown.get(attr))
    names = sorted(k for k, v in value.items() if v is True) if value else []
    if names:
        b.warn(r, f"{attr}: {', '.join(names)} unknown until apply; left out")


def _cluster_list(b: Builder, cluster_name: object, key: str) -> list[Json] | None:
    """The list ``key`` of the cluster named ``cluster_name``, or None when there is none."""
    clusters = b.keyed("eks", "clusters")
    if cluster_name not in clusters:
        return None
    listed = clusters[str(cluster_name)][key]
    assert isinstance(listed, list)
    return listed


def _access_entry(b: Builder, r: Resource) -> None:
    cluster_name, principal = b.get(r, "cluster_name"), b.get(r, "principal_arn")
    listed = _cluster_list(b, cluster_name, "access_entries")
    if listed is None or not principal:
        return
    listed.append(
        {
            "principal_arn": principal,
            "type": str(r.values.get("type") or "STANDARD"),
            "username": r.values.get("user_name") or None,
            "kubernetes_groups": strs(r.values.get("kubernetes_groups")),
            "access_policies": [],
        }
    )


def _access_policy_association(b: Builder, r: Resource) -> None:
    cluster_name, principal = str(b.get(r, "cluster_name")), str(b.get(r, "principal_arn"))
    scope = first(r.values.get("access_scope"))
    cluster = b.keyed("eks", "clusters").get(cluster_name)
    entries = cluster["access_entries"] if cluster is not None else []
    assert isinstance(entries, list)
    # the entry of that principal (the last one, when two name it)
    entry = next((e for e in reversed(entries) if str(e["principal_arn"]) == principal), None)
    if entry is None:
        return
    policies = entry["access_policies"]
    assert isinstance(policies, list)
    policies.append(
        {
            "policy_arn": r.values.get("policy_arn"),
            "access_scope": {
                "type": str(scope.get("type") or "cluster"),
                "namespaces": strs(scope.get("namespaces")),
            },
        }
    )


def _pod_identity_association(b: Builder, r: Resource) -> None:
    cluster_name, role_arn = b.get(r, "cluster_name"), b.get(r, "role_arn")
    listed = _cluster_list(b, cluster_name, "pod_identity_associations")
    if listed is None or not role_arn:
        return
    listed.append(
        {
            "namespace": r.values.get("namespace"),
            "service_account": r.values.get("service_account"),
            "role_arn": role_arn,
            "target_role_arn": r.values.get("target_role_arn") or None,
            "external_id": r.values.get("external_id") or None,
            "disable_session_tags": bool(r.values.get("disable_session_tags")),
        }
    )


def _identity_provider_config(b: Builder, r: Resource) -> None:
    listed = _cluster_list(b, b.get(r, "cluster_name"), "identity_provider_configs")
    idp = first(r.values.get("oidc"))
    if listed is None or not idp:
        return
    listed.append(
        {
            "name": idp.get("identity_provider_config_name") or r.name,
            "type": "oidc",
            "issuer_url": idp.get("issuer_url"),
            "client_id": idp.get("client_id"),
            "username_claim": idp.get("username_claim") or "sub",
            "username_prefix": idp.get("username_prefix") or None,
            "groups_claim": idp.get("groups_claim") or None,
            "groups_prefix": idp.get("groups_prefix") or None,
            "required_claims": tags(idp.get("required_claims")),
            "status": str(r.values.get("status") or "ACTIVE"),
        }
    )


def _node_group(b: Builder, r: Resource) -> None:
    listed = _cluster_list(b, b.get(r, "cluster_name"), "node_groups")
    if listed is None:
        return
    scaling = first(r.values.get("scaling_config"))
    listed.append(
        {
            "name": b.get(r, "node_group_name") or r.name,
            "instance_types": strs(r.values.get("instance_types")),
            "subnet_ids": b.get_list(r, "subnet_ids"),
            "node_role_arn": b.get(r, "node_role_arn"),
            "ami_type": r.values.get("ami_type"),
            "capacity_type": r.values.get("capacity_type"),
            "scaling": {
                "min": int(scaling.get("min_size", 1)),
                "max": int(scaling.get("max_size", 1)),
                "desired": int(scaling.get("desired_size", 1)),
            },
            "labels": tags(r.values.get("labels")),
            "taints": [
                {k: str(t[k]) for k in ("key", "value", "effect") if t.get(k) is not None}
                for t in r.values.get("taint") or []
            ],
        }
    )


HANDLERS = (
    Handler("aws_eks_cluster", _cluster, name_placeholder()),
    Handler("aws_eks_access_entry", _access_entry),
    Handler("aws_eks_access_policy_association", _access_policy_association),
    Handler("aws_eks_pod_identity_association", _pod_identity_association),
    Handler("aws_eks_identity_provider_config", _identity_provider_config),
    Handler("aws_eks_node_group", _node_group),
)

"""RBAC: Role, ClusterRole, RoleBinding, ClusterRoleBinding."""

from __future__ import annotations

from ekstwin.loaders.kubernetes.fields import (
    as_list,
    as_map,
    as_str,
    fail,
    label_selector,
    line_at,
    req_str,
    str_list,
)
from ekstwin.loaders.kubernetes.kinds import CORE_GROUPS
from ekstwin.loaders.kubernetes.objects import KindHandler, in_groups
from ekstwin.model.k8s import Meta, PolicyRule, Role, RoleBinding, RoleRef, Subject

__all__ = ["HANDLERS"]


def _role(doc: dict[str, object], meta: Meta, cluster: bool) -> Role:
    rules = []
    for i, rr in enumerate(as_list(doc.get("rules"), "/rules")):
        ptr = f"/rules/{i}"
        r = as_map(rr, ptr)
        rules.append(
            PolicyRule(
                verbs=str_list(r.get("verbs"), f"{ptr}/verbs"),
                api_groups=str_list(r.get("apiGroups"), f"{ptr}/apiGroups"),
                resources=str_list(r.get("resources"), f"{ptr}/resources"),
                resource_names=str_list(r.get("resourceNames"), f"{ptr}/resourceNames"),
                non_resource_urls=str_list(r.get("nonResourceURLs"), f"{ptr}/nonResourceURLs"),
                source=line_at(meta, ptr),
            )
        )
    aggregation = None
    agg = doc.get("aggregationRule")
    if cluster and agg is not None:
        selectors = as_list(
            as_map(agg, "/aggregationRule").get("clusterRoleSelectors"), "/aggregationRule"
        )
        aggregation = tuple(
            label_selector(s, f"/aggregationRule/clusterRoleSelectors/{i}")
            for i, s in enumerate(selectors)
        )
    return Role(meta=meta, cluster=cluster, rules=tuple(rules), aggregation_selectors=aggregation)


def _role_binding(doc: dict[str, object], meta: Meta, cluster: bool) -> RoleBinding:
    ref = as_map(doc.get("roleRef"), "/roleRef")
    if not ref:
        fail("roleRef is required", "/roleRef", "name the Role or ClusterRole to bind")
    subjects = []
    for i, rs in enumerate(as_list(doc.get("subjects"), "/subjects")):
        s = as_map(rs, f"/subjects/{i}")
        if cluster and s.get("kind") == "ServiceAccount" and not s.get("namespace"):
            fail(
                f"subjects[{i}] is a ServiceAccount without a namespace: the API server "
                "rejects such a ClusterRoleBinding",
                f"/subjects/{i}",
                "add the ServiceAccount's namespace to the subject",
            )
        subjects.append(
            Subject(
                kind=req_str(s.get("kind"), f"/subjects/{i}/kind"),
                name=req_str(s.get("name"), f"/subjects/{i}/name"),
                namespace=as_str(s.get("namespace"), f"/subjects/{i}/namespace"),
                api_group=as_str(s.get("apiGroup"), f"/subjects/{i}/apiGroup"),
            )
        )
    return RoleBinding(
        meta=meta,
        cluster=cluster,
        role_ref=RoleRef(
            kind=req_str(ref.get("kind"), "/roleRef/kind"),
            name=req_str(ref.get("name"), "/roleRef/name"),
            api_group=as_str(ref.get("apiGroup"), "/roleRef/apiGroup")
            or "rbac.authorization.k8s.io",
        ),
        subjects=tuple(subjects),
    )


HANDLERS: dict[tuple[str, str], KindHandler] = in_groups(
    CORE_GROUPS,
    {
        "Role": lambda objs, data, meta: objs.roles.append(_role(data, meta, cluster=False)),
        "ClusterRole": lambda objs, data, meta: objs.roles.append(_role(data, meta, cluster=True)),
        "RoleBinding": lambda objs, data, meta: objs.role_bindings.append(
            _role_binding(data, meta, cluster=False)
        ),
        "ClusterRoleBinding": lambda objs, data, meta: objs.role_bindings.append(
            _role_binding(data, meta, cluster=True)
        ),
    },
)

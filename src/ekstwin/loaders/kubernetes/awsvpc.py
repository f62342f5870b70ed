"""AWS VPC kinds: the VPC resource controller's SecurityGroupPolicy
(``vpcresources.k8s.aws``), which gives the pods it selects security groups of
their own (security groups for pods)."""

from __future__ import annotations

from ekstwin.errors import SelectorSyntaxError
from ekstwin.findings import Diagnostic, DiagnosticLevel
from ekstwin.loaders.kubernetes.fields import as_list, as_map, fail, type_name, unknown_fields
from ekstwin.loaders.kubernetes.objects import KindHandler, KubeObjects
from ekstwin.model.k8s import DEFAULT_NAMESPACE, Meta
from ekstwin.model.selectors import LabelSelector
from ekstwin.model.vpc import SecurityGroupPolicy

__all__ = ["HANDLERS", "SGP_GROUP", "SGP_GROUP_IDS"]

SGP_GROUP = "vpcresources.k8s.aws"
#: The CRD's bounds on spec.securityGroups.groupIds (minItems, maxItems).
SGP_GROUP_IDS = (1, 16)


def _crd_str(value: object, pointer: str) -> str:
    """A string where a CRD's schema says ``type: string``: the API server refuses a
    number or a boolean there (no coercion, unlike the core types' quantities)."""
    if not isinstance(value, str):
        fail(f"{pointer} must be a string, not {type_name(value)}", pointer, "quote the value")
    return value


def _sgp_selector(raw: object, ptr: str) -> tuple[LabelSelector | None, str | None]:
    """A selector as the CRD types it (an API error otherwise), and why the controller
    could not convert it (None when it can): LabelSelectorAsSelector fails on an
    unknown operator, missing or superfluous values, invalid keys or values."""
    if raw is None:
        return None, None
    selector = as_map(raw, ptr, "a label selector")
    unknown_fields(
        selector, frozenset({"matchLabels", "matchExpressions"}), ptr, "the field was ignored"
    )
    for key, value in as_map(selector.get("matchLabels"), f"{ptr}/matchLabels").items():
        _crd_str(value, f"{ptr}/matchLabels/{key}")
    for i, item in enumerate(as_list(selector.get("matchExpressions"), f"{ptr}/matchExpressions")):
        at = f"{ptr}/matchExpressions/{i}"
        req = as_map(item, at, "a label selector requirement")
        for name in ("key", "operator"):
            if name not in req:
                fail(f"{at}/{name} is required", at, f"give the requirement its {name}")
            _crd_str(req[name], f"{at}/{name}")
        for j, v in enumerate(as_list(req.get("values"), f"{at}/values")):
            _crd_str(v, f"{at}/values/{j}")
    try:
        return LabelSelector.from_obj(selector), None
    except SelectorSyntaxError as exc:
        return None, f"{ptr}: {exc.reason}"


def _add_security_group_policy(objs: KubeObjects, doc: dict[str, object], meta: Meta) -> None:
    """``vpcresources.k8s.aws/v1beta1`` SecurityGroupPolicy, checked as its CRD checks
    it (aws/amazon-vpc-resource-controller-k8s config/crd/bases/
    vpcresources.k8s.aws_securitygrouppolicies.yaml): an object the API server would
    refuse is an input error. One it accepts but the controller skips (filterPodSecurity
    Groups in pkg/utils/helper.go: neither selector, no group ids, or a selector
    LabelSelectorAsSelector cannot convert) selects no pod: a warning, and left out."""
    spec = as_map(doc.get("spec"), "/spec")
    unknown_fields(
        spec,
        frozenset({"podSelector", "serviceAccountSelector", "securityGroups"}),
        "/spec",
        "the field was ignored",
    )
    pod_selector, pod_problem = _sgp_selector(spec.get("podSelector"), "/spec/podSelector")
    sa_selector, sa_problem = _sgp_selector(
        spec.get("serviceAccountSelector"), "/spec/serviceAccountSelector"
    )
    groups = as_map(spec.get("securityGroups"), "/spec/securityGroups")
    unknown_fields(groups, frozenset({"groupIds"}), "/spec/securityGroups", "the field was ignored")
    ptr = "/spec/securityGroups/groupIds"
    raw_ids = groups.get("groupIds")
    ids = as_list(raw_ids, ptr)
    low, high = SGP_GROUP_IDS
    if raw_ids is not None and not low <= len(ids) <= high:
        fail(
            f"{ptr}: {len(ids)} security groups; the CRD allows {low} to {high}",
            ptr,
            f"list between {low} and {high} security group ids",
        )
    group_ids = tuple(_crd_str(v, f"{ptr}/{i}") for i, v in enumerate(ids))
    skipped = pod_problem or sa_problem
    if (
        skipped is None
        and spec.get("podSelector") is None
        and spec.get("serviceAccountSelector") is None
    ):
        skipped = "/spec: neither podSelector nor serviceAccountSelector is set"
    if skipped is None and not group_ids:
        skipped = "/spec/securityGroups/groupIds: no security group ids"
    if skipped is not None:
        objs.diagnostics.append(
            Diagnostic(
                meta.source,
                f"SecurityGroupPolicy {meta.namespace}/{meta.name}: {skipped}; the VPC resource "
                "controller skips it, so it gives no pod security groups",
                "fix the policy, or remove it",
                level=DiagnosticLevel.WARNING,
                code="sgp-skipped",
            )
        )
        return
    objs.security_group_policies.append(
        SecurityGroupPolicy(
            name=meta.name,
            namespace=meta.namespace or DEFAULT_NAMESPACE,
            group_ids=group_ids,
            pod_selector=pod_selector,
            service_account_selector=sa_selector,
            source=meta.source,
        )
    )


HANDLERS: dict[tuple[str, str], KindHandler] = {
    (SGP_GROUP, "SecurityGroupPolicy"): _add_security_group_policy,
}

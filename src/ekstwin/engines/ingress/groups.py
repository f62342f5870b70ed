"""IngressGroup membership: which Ingresses the controller manages, and in which group.

Semantics follow the AWS Load Balancer Controller's group loader and class
loader (pkg/ingress/group_loader.go, class_loader.go,
class_annotation_matcher.go):

- the legacy ``kubernetes.io/ingress.class`` annotation, when present, alone
  decides (it must equal the controller's ``--ingress-class``, ``alb`` by
  default; with ``--ingress-class=''`` the value ``alb`` matches);
- otherwise ``spec.ingressClassName`` names an IngressClass whose controller
  must be ``ingress.k8s.aws/alb``; no class name means the default
  IngressClass; no default means unmanaged, unless ``--ingress-class=''``;
- two default IngressClasses are not an error of one Ingress: the group
  loader lists every Ingress for every group, so an Ingress naming no class
  makes every group fail to load (``Ingress: ns/name: multiple default
  IngressClasses found``);
- the group is IngressClassParams ``spec.group.name`` (wins), else the
  ``group.name`` annotation, else the implicit group ``namespace/name``;
- an invalid group name makes the Ingress leave every group (no error);
- members are sorted by ``group.order`` (-1000..1000, default 0), then by
  ``namespace/name``; a bad order fails the whole group.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ekstwin.engines.ingress import albannotations as ann
from ekstwin.engines.ingress.config import AlbOptions
from ekstwin.errors import EkstwinError
from ekstwin.model.k8s import Ingress, IngressClass, OpaqueObject
from ekstwin.model.platform import Platform

ALB_CONTROLLER = "ingress.k8s.aws/alb"
PARAMS_GROUP = "elbv2.k8s.aws"
PARAMS_KIND = "IngressClassParams"
DEFAULT_INGRESS_CLASS = "alb"
_GROUP_NAME = re.compile(r"([a-z0-9][-a-z0-9.]*)?[a-z0-9]")  # fullmatch: Go's ^...$
MIN_ORDER, MAX_ORDER = -1000, 1000
MAX_GROUP_NAME = 63


@dataclass(frozen=True, slots=True)
class ClassifiedIngress:
    ingress: Ingress
    ingress_class: IngressClass | None = None
    params: dict[str, object] | None = field(default=None, compare=False)

    @property
    def key(self) -> str:
        return ingress_key(self.ingress)

    @property
    def annotations(self) -> dict[str, str]:
        return self.ingress.meta.annotations

    def param(self, name: str) -> object | None:
        return None if self.params is None else self.params.get(name)


@dataclass(frozen=True, slots=True)
class GroupMembers:
    group: str
    explicit: bool
    members: tuple[ClassifiedIngress, ...]  # unsorted until ``sort_members``


def ingress_key(ing: Ingress) -> str:
    return f"{ing.meta.ns}/{ing.meta.name}"


def _params_objects(platform: Platform) -> dict[str, OpaqueObject]:
    return {
        o.meta.name: o
        for o in platform.opaque
        if o.meta.kind == PARAMS_KIND and o.meta.group == PARAMS_GROUP
    }


def _matches_namespace(platform: Platform, namespace: str, selector: object) -> bool:
    """IngressClassParams ``namespaceSelector``: matchLabels and matchExpressions."""
    if not isinstance(selector, dict):
        return True
    ns = platform.namespace(namespace)
    labels = dict(ns.labels) if ns else {"kubernetes.io/metadata.name": namespace}
    match = selector.get("matchLabels")
    if isinstance(match, dict) and any(labels.get(str(k)) != str(v) for k, v in match.items()):
        return False
    for expr in selector.get("matchExpressions") or []:
        if not isinstance(expr, dict):
            continue
        k, op = str(expr.get("key")), str(expr.get("operator"))
        values = {str(v) for v in expr.get("values") or []}
        if op == "In" and labels.get(k) not in values:
            return False
        if op == "NotIn" and k in labels and labels[k] in values:
            return False
        if op == "Exists" and k not in labels:
            return False
        if op == "DoesNotExist" and k in labels:
            return False
    return True


class NotManaged(EkstwinError):  # a control-flow signal, carried as a reason
    """The controller does not manage the Ingress; ``args[0]`` says why."""


class InvalidIngressClass(NotManaged):
    """ErrInvalidIngressClass: the class or its parameters cannot be loaded; the
    Ingress is left out (an error only for a member that already had the group's
    finalizer, which the input does not show)."""


class LoadFailure(NotManaged):
    """An error loading the Ingress that fails every group's load, not just its own."""


def matches_class_annotation(annotation: str, ingress_class: str) -> bool:
    """The class annotation matcher: the controller's --ingress-class, or ``alb`` when
    that is empty."""
    return annotation == ingress_class or (
        ingress_class == "" and annotation == DEFAULT_INGRESS_CLASS
    )


def classify(
    platform: Platform, ing: Ingress, options: AlbOptions | None = None
) -> ClassifiedIngress:
    """The Ingress with its class and params, or :class:`NotManaged`."""
    ingress_class = (options or AlbOptions()).ingress_class
    legacy = ing.meta.annotations.get(ann.INGRESS_CLASS_ANNOTATION)
    if legacy is not None:
        if matches_class_annotation(legacy, ingress_class):
            return ClassifiedIngress(ing)
        raise NotManaged(
            f"annotation {ann.INGRESS_CLASS_ANNOTATION}={legacy!r} is not the controller's "
            f"class {ingress_class or DEFAULT_INGRESS_CLASS!r} (the annotation wins over "
            "spec.ingressClassName)"
        )
    class_name = ing.ingress_class_name
    if class_name is None:
        defaults = [c for c in platform.ingress_classes if c.is_default]
        if len(defaults) > 1:
            raise LoadFailure(
                "multiple default IngressClasses found: the controller fails to load every "
                "IngressGroup while this Ingress names no class"
            )
        if not defaults:
            if ingress_class == "":
                return ClassifiedIngress(ing)
            raise NotManaged(
                "no ingressClassName and no default IngressClass (the controller manages "
                "class-less Ingresses only with --ingress-class='')"
            )
        class_name = defaults[0].meta.name
    ic = next((c for c in platform.ingress_classes if c.meta.name == class_name), None)
    if ic is None:
        raise InvalidIngressClass(
            f'invalid ingress class: ingressclasses.networking.k8s.io "{class_name}" not found'
        )
    if ic.controller != ALB_CONTROLLER:
        raise NotManaged(f"IngressClass {class_name!r} belongs to controller {ic.controller!r}")
    if not ic.parameters:
        return ClassifiedIngress(ing, ic)
    p = ic.parameters
    if p.get("apiGroup") != PARAMS_GROUP or p.get("kind") != PARAMS_KIND:
        raise InvalidIngressClass(
            f"invalid ingress class: IngressClass {class_name} references unknown parameters"
        )
    obj = _params_objects(platform).get(p.get("name", ""))
    if obj is None:
        raise InvalidIngressClass(
            "invalid ingress class: ingressclassparamses.elbv2.k8s.aws "
            f'"{p.get("name", "")}" not found'
        )
    spec = obj.body.get("spec")
    params: dict[str, object] = dict(spec) if isinstance(spec, dict) else {}
    ns = ing.meta.ns
    if not _matches_namespace(platform, ns, params.get("namespaceSelector")):
        raise InvalidIngressClass(
            f"invalid ingress class: namespaceSelector of IngressClassParams {obj.meta.name} "
            "mismatch"
        )
    return ClassifiedIngress(ing, ic, params)


def validate_group_name(name: str) -> str | None:
    """validateGroupName: the controller's error text, or None for a valid name."""
    if not _GROUP_NAME.fullmatch(name):
        return (
            "groupName must consist of lower case alphanumeric characters, '-' or '.', and must "
            "start and end with an alphanumeric character"
        )
    if len(name) > MAX_GROUP_NAME:
        return f"groupName must be no more than {MAX_GROUP_NAME} characters"
    return None


def group_of(ci: ClassifiedIngress) -> tuple[str, bool]:
    """(group id, explicit) of a managed Ingress, or NotManaged for a bad name (the
    Ingress then leaves every group, without an error)."""
    group = ci.param("group")
    if isinstance(group, dict) and group.get("name") is not None:
        name = str(group.get("name"))
    else:
        raw = ann.get(ci.annotations, "group.name")
        if raw is None:
            return ci.key, False
        name = raw
    problem = validate_group_name(name)
    if problem is not None:
        raise NotManaged(f"invalid ingress group: {problem}")
    return name, True


@dataclass(frozen=True, slots=True)
class LoadedGroups:
    """Every group with its (unsorted) members, the ignored Ingresses with why, and the
    errors that fail every group's load (``Ingress: ns/name: ...``)."""

    groups: tuple[GroupMembers, ...]
    ignored: tuple[tuple[str, str], ...]
    load_errors: tuple[str, ...] = ()


def load_groups(platform: Platform, options: AlbOptions | None = None) -> LoadedGroups:
    """Every group with its (unsorted) members, and the ignored Ingresses with why."""
    groups: dict[str, GroupMembers] = {}
    ignored: list[tuple[str, str]] = []
    failures: list[str] = []
    for ing in platform.ingresses:
        try:
            ci = classify(platform, ing, options)
            gid, explicit = group_of(ci)
        except LoadFailure as exc:
            ignored.append((ingress_key(ing), str(exc.args[0])))
            failures.append(ingress_key(ing))
            continue
        except NotManaged as exc:
            ignored.append((ingress_key(ing), str(exc.args[0])))
            continue
        g = groups.get(gid)
        members = (*g.members, ci) if g else (ci,)
        groups[gid] = GroupMembers(gid, explicit, members)
    # the controller stops at the first Ingress of its list; the twin names the first
    # by namespace/name
    errors = (
        (f"Ingress: {min(failures)}: multiple default IngressClasses found",) if failures else ()
    )
    return LoadedGroups(tuple(groups[k] for k in sorted(groups)), tuple(sorted(ignored)), errors)


def sort_members(
    members: tuple[ClassifiedIngress, ...],
) -> tuple[list[tuple[int, ClassifiedIngress]], list[str]]:
    """Members in the controller's order with their order value, and order errors."""
    errors: list[str] = []
    ordered: list[tuple[int, ClassifiedIngress]] = []
    for m in members:
        try:
            order = ann.int32(m.annotations, "group.order")
        except ann.AnnotationError as exc:
            errors.append(f"failed to load Ingress group order for ingress: {m.key}: {exc}")
            order = 0
        if order is not None and not MIN_ORDER <= order <= MAX_ORDER:
            errors.append(
                f"explicit Ingress group order must be within [{MIN_ORDER}:{MAX_ORDER}], "
                f"Ingress: {m.key}, order: {order}"
            )
        ordered.append((order or 0, m))
    ordered.sort(key=lambda t: (t[0], t[1].key))
    return ordered, errors

"""Kubernetes RBAC, as the API server's RBAC authorizer decides it.

* A request is allowed when any rule of any role bound to the user, one of
  its groups, or (for a token) its ServiceAccount allows it; RBAC has no deny.
* A RoleBinding grants its Role, or a ClusterRole, in its own namespace only;
  a ClusterRoleBinding grants a ClusterRole everywhere, including cluster-scoped
  resources and non-resource URLs.
* Matching (``rbac/v1`` evaluation helpers): a verb, API group or resource
  ``*`` matches anything; a resource is matched as ``resource/subresource``,
  and ``*/subresource`` matches that subresource of any resource; an empty
  ``resourceNames`` matches every name, a non-empty one only requests naming
  an object (so never ``list`` or ``create``); a non-resource URL matches
  ``*``, itself, or a rule ending in ``*`` by prefix.
* ClusterRoles with an ``aggregationRule`` get the union of the rules of every
  ClusterRole their selectors match (the aggregation controller; applied until
  nothing changes, so ``admin`` gets ``edit``'s aggregated rules).
* Built-in ClusterRoles and bindings (:mod:`.builtin`) are used when the
  platform does not define them.
* ServiceAccount tokens authenticate as ``system:serviceaccount:NS:NAME`` in
  the groups ``system:serviceaccounts``, ``system:serviceaccounts:NS`` and
  ``system:authenticated``.
* ``pods/exec``, ``pods/attach`` and ``pods/portforward`` open a session with
  ``create`` (SPDY), and with ``get`` over WebSocket before Kubernetes 1.35
  (``AuthorizePodWebsocketUpgradeCreatePermission``, KEP-4006, beta and on by
  default in 1.35, kubernetes/kubernetes#134577; #78741).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field

from ekstwin.engines.access.builtin import (
    BUILTIN_BINDINGS,
    BUILTIN_CLUSTER_ROLES,
    RuleSpec,
)
from ekstwin.model.k8s import PolicyRule, Role, RoleBinding
from ekstwin.model.platform import Platform
from ekstwin.model.source import ObjectRef, Source

__all__ = [
    "AUTHENTICATED",
    "MASTERS",
    "Binding",
    "Rbac",
    "ResourceRequest",
    "RoleDef",
    "Rule",
    "SESSION_SUBRESOURCES",
    "exec_verbs",
    "service_account_groups",
    "service_account_user",
]

AUTHENTICATED = "system:authenticated"
MASTERS = "system:masters"
SESSION_SUBRESOURCES = ("exec", "attach", "portforward")
WEBSOCKET_CREATE_VERSION = (1, 35)


def parse_version(version: str | None) -> tuple[int, int] | None:
    if not version:
        return None
    parts = version.lstrip("v").split(".")
    try:
        return int(parts[0]), int("".join(ch for ch in parts[1] if ch.isdigit()) or 0)
    except (IndexError, ValueError):
        return None


def exec_verbs(version: str | None) -> tuple[str, ...]:
    """Verbs on ``pods/exec`` (attach, portforward) that open a session on this version.

    Unknown version: both, the conservative answer for an access review.
    """
    parsed = parse_version(version)
    if parsed is not None and parsed >= WEBSOCKET_CREATE_VERSION:
        return ("create",)
    return ("create", "get")


def service_account_user(namespace: str, name: str) -> str:
    return f"system:serviceaccount:{namespace}:{name}"


def service_account_groups(namespace: str) -> tuple[str, ...]:
    return ("system:serviceaccounts", f"system:serviceaccounts:{namespace}", AUTHENTICATED)


@dataclass(frozen=True, slots=True)
class ResourceRequest:
    """One authorization request (``SubjectAccessReview`` attributes).

    ``namespace`` None is a cluster-scoped request (or all namespaces);
    ``non_resource_url`` set makes it a non-resource request.
    """

    verb: str
    resource: str = ""
    subresource: str = ""
    api_group: str = ""
    namespace: str | None = None
    name: str = ""
    non_resource_url: str | None = None

    @property
    def combined(self) -> str:
        return f"{self.resource}/{self.subresource}" if self.subresource else self.resource

    def describe(self) -> str:
        if self.non_resource_url is not None:
            return f"{self.verb} {self.non_resource_url}"
        what = self.combined + (f"/{self.name}" if self.name else "")
        group = f" ({self.api_group})" if self.api_group else ""
        where = f" in namespace {self.namespace}" if self.namespace else " cluster-wide"
        return f"{self.verb} {what}{group}{where}"


@dataclass(frozen=True, slots=True)
class Rule:
    """A PolicyRule with its origin, matched the way the RBAC authorizer matches."""

    verbs: frozenset[str]
    api_groups: frozenset[str]
    resources: frozenset[str]
    resource_names: frozenset[str]
    non_resource_urls: tuple[str, ...]
    source: Source | None = None

    @classmethod
    def of(cls, rule: PolicyRule | RuleSpec, source: Source | None = None) -> Rule:
        src = rule.source if isinstance(rule, PolicyRule) and rule.source else source
        return cls(
            frozenset(rule.verbs),
            frozenset(rule.api_groups),
            frozenset(rule.resources),
            frozenset(rule.resource_names),
            tuple(rule.non_resource_urls),
            src,
        )

    def allows(self, req: ResourceRequest) -> bool:
        if "*" not in self.verbs and req.verb not in self.verbs:
            return False
        if req.non_resource_url is not None:
            url = req.non_resource_url
            for pattern in self.non_resource_urls:
                if pattern in ("*", url) or (
                    pattern.endswith("*") and url.startswith(pattern.rstrip("*"))
                ):
                    return True
            return False
        if "*" not in self.api_groups and req.api_group not in self.api_groups:
            return False
        if not self._resource_matches(req):
            return False
        return not self.resource_names or req.name in self.resource_names

    def _resource_matches(self, req: ResourceRequest) -> bool:
        res = self.resources
        if "*" in res or req.combined in res:
            return True
        return bool(req.subresource) and f"*/{req.subresource}" in res

    def describe(self) -> str:
        verbs = ",".join(sorted(self.verbs))
        if self.non_resource_urls:
            return f"{verbs} on {','.join(self.non_resource_urls)}"
        groups = ",".join(sorted(g or "core" for g in self.api_groups))
        names = f" names {','.join(sorted(self.resource_names))}" if self.resource_names else ""
        return f"{verbs} on {','.join(sorted(self.resources))} [{groups}]{names}"

    def to_json(self) -> dict[str, object]:
        return {
            "verbs": sorted(self.verbs),
            "api_groups": sorted(self.api_groups),
            "resources": sorted(self.resources),
            "resource_names": sorted(self.resource_names),
            "non_resource_urls": list(self.non_resource_urls),
        }


@dataclass(frozen=True, slots=True)
class RoleDef:
    """A Role or ClusterRole with its effective (aggregated) rules."""

    kind: str  # "Role" | "ClusterRole"
    name: str
    namespace: str | None
    rules: tuple[Rule, ...]
    source: Source | None
    builtin: bool = False
    aggregated_from: tuple[str, ...] = ()

    @property
    def ref(self) -> ObjectRef:
        return ObjectRef(self.kind, self.name, self.namespace)

    def label(self) -> str:
        kind = (
            f"{self.kind} {self.namespace}/{self.name}"
            if self.namespace
            else (f"{self.kind} {self.name}")
        )
        return kind + (" (built-in)" if self.builtin else "")


@dataclass(frozen=True, slots=True)
class Binding:
    """A RoleBinding or ClusterRoleBinding (or a built-in one) and its resolved role."""

    kind: str  # "RoleBinding" | "ClusterRoleBinding"
    name: str
    namespace: str | None  # the scope: None for a ClusterRoleBinding
    role: RoleDef | None  # None: the roleRef names a role that does not exist
    role_ref: str
    subjects: tuple[tuple[str, str, str | None], ...]  # (kind, name, namespace)
    source: Source | None
    builtin: bool = False

    @property
    def ref(self) -> ObjectRef:
        return ObjectRef(self.kind, self.name, self.namespace)

    def label(self) -> str:
        where = f"{self.namespace}/" if self.namespace else ""
        return f"{self.kind} {where}{self.name}" + (" (built-in)" if self.builtin else "")

    def applies_to(self, namespace: str | None) -> bool:
        """A RoleBinding grants only inside its namespace."""
        return self.namespace is None or self.namespace == namespace


def subject_key(kind: str, name: str, namespace: str | None) -> tuple[str, str]:
    """The user or group a binding subject names. A ServiceAccount subject
    without a namespace takes the RoleBinding's; in a ClusterRoleBinding it has
    none and names ``system:serviceaccount::NAME``, which no token carries (the
    API server refuses such a binding; the authorizer matches nobody)."""
    if kind == "ServiceAccount":
        return ("User", service_account_user(namespace or "", name))
    return (kind, name)


@dataclass(slots=True)
class Rbac:
    """Every role and binding of a platform, resolved once; reuse it for many questions."""

    platform: Platform
    cluster_roles: dict[str, RoleDef] = field(default_factory=dict)
    roles: dict[tuple[str, str], RoleDef] = field(default_factory=dict)
    bindings: list[Binding] = field(default_factory=list)
    by_subject: dict[tuple[str, str], list[Binding]] = field(default_factory=dict)
    missing_roles: list[Binding] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._build_roles()
        self._build_bindings()

    # -- roles

    def _build_roles(self) -> None:
        written: dict[str, Role] = {}
        for role in self.platform.roles:
            if role.cluster:
                written.setdefault(role.meta.name, role)
            else:
                ns = role.meta.ns
                self.roles[(ns, role.meta.name)] = RoleDef(
                    "Role",
                    role.meta.name,
                    ns,
                    tuple(Rule.of(r, role.meta.source) for r in role.rules),
                    role.meta.source,
                )
        labels: dict[str, Mapping[str, str]] = {}
        own: dict[str, tuple[Rule, ...]] = {}
        selectors: dict[str, list[Mapping[str, str] | Role]] = {}
        sources: dict[str, Source | None] = {}
        builtin_names: set[str] = set()
        for b in BUILTIN_CLUSTER_ROLES:
            if b.name in written:
                continue
            builtin_names.add(b.name)
            labels[b.name] = dict(b.labels)
            own[b.name] = tuple(Rule.of(r) for r in b.rules)
            sources[b.name] = None
            if b.aggregate_from:
                selectors[b.name] = [dict([pair]) for pair in b.aggregate_from]
        for name, role in written.items():
            labels[name] = role.meta.labels
            sources[name] = role.meta.source
            own[name] = tuple(Rule.of(r, role.meta.source) for r in role.rules)
            if role.aggregation_selectors is not None:
                selectors[name] = [role]
        rules = dict(own)
        members: dict[str, list[str]] = {}
        for name, sels in selectors.items():
            found: list[str] = []
            for other, other_labels in labels.items():
                if other == name:
                    continue
                for sel in sels:
                    if isinstance(sel, Role):
                        ok = any(s.matches(other_labels) for s in sel.aggregation_selectors or ())
                    else:
                        ok = all(other_labels.get(k) == v for k, v in sel.items())
                    if ok:
                        found.append(other)
                        break
            members[name] = sorted(found)
        # The controller replaces an aggregated role's rules with the union of its
        # members' rules; repeat until stable (aggregated members of aggregated roles).
        for name in members:
            rules[name] = ()
        for _ in range(len(members) + 1):
            changed = False
            for name, names in members.items():
                union: dict[Rule, None] = {}
                for member in names:
                    for r in rules.get(member, ()):
                        union.setdefault(r, None)
                new = tuple(union)
                if new != rules[name]:
                    rules[name] = new
                    changed = True
            if not changed:
                break
        for name in labels:
            self.cluster_roles[name] = RoleDef(
                "ClusterRole",
                name,
                None,
                rules[name],
                sources[name],
                builtin=name in builtin_names,
                aggregated_from=tuple(members.get(name, ())),
            )

    # -- bindings

    def _build_bindings(self) -> None:
        written_crb = {b.meta.name for b in self.platform.role_bindings if b.cluster}
        for b in BUILTIN_BINDINGS:
            if b.name in written_crb:
                continue
            subjects = tuple(("Group", g, None) for g in b.groups) + tuple(
                ("User", u, None) for u in b.users
            )
            self._add(
                Binding(
                    "ClusterRoleBinding",
                    b.name,
                    None,
                    self.cluster_roles.get(b.role),
                    f"ClusterRole/{b.role}",
                    subjects,
                    None,
                    builtin=True,
                )
            )
        for rb in self.platform.role_bindings:
            self._add(self._binding(rb))

    def _binding(self, rb: RoleBinding) -> Binding:
        ns = None if rb.cluster else rb.meta.ns
        ref = rb.role_ref
        role: RoleDef | None
        if ref.kind == "ClusterRole":
            role = self.cluster_roles.get(ref.name)
        elif ref.kind == "Role" and ns is not None:
            role = self.roles.get((ns, ref.name))
        else:
            role = None
        subjects = tuple(
            (
                s.kind,
                s.name,
                (s.namespace or ns) if s.kind == "ServiceAccount" else None,
            )
            for s in rb.subjects
            # a ClusterRoleBinding's ServiceAccount without namespace matches nobody
            if not (s.kind == "ServiceAccount" and not (s.namespace or ns))
        )
        return Binding(
            "ClusterRoleBinding" if rb.cluster else "RoleBinding",
            rb.meta.name,
            ns,
            role,
            f"{ref.kind}/{ref.name}",
            subjects,
            rb.meta.source,
        )

    def _add(self, binding: Binding) -> None:
        self.bindings.append(binding)
        if binding.role is None:
            self.missing_roles.append(binding)
        for kind, name, ns in binding.subjects:
            self.by_subject.setdefault(subject_key(kind, name, ns), []).append(binding)

    # -- questions

    def bindings_for(self, user: str, groups: Iterable[str]) -> Iterator[tuple[str, Binding]]:
        """Each binding that names the user or one of its groups, with the matched subject."""
        for b in self.by_subject.get(("User", user), ()):
            yield f"User {user}", b
        for g in dict.fromkeys(groups):
            for b in self.by_subject.get(("Group", g), ()):
                yield f"Group {g}", b

    def allowing_rules(self, binding: Binding, req: ResourceRequest) -> tuple[Rule, ...]:
        """The rules of the binding's role that allow ``req`` within the binding's scope."""
        if binding.role is None or (req.non_resource_url is not None and binding.namespace):
            return ()
        if req.namespace is None and binding.namespace is not None:
            return ()
        if not binding.applies_to(req.namespace):
            return ()
        return tuple(r for r in binding.role.rules if r.allows(req))

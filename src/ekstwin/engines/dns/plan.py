"""The ExternalDNS plan against Route 53: creates, updates, deletes, conflicts, skips.

The steps are ExternalDNS's (controller/controller.go, plan/plan.go,
plan/conflict.go, plan/policy.go, registry/txt/registry.go,
provider/aws/aws.go, endpoint/domain_filter.go of kubernetes-sigs/external-dns):

1. desired endpoints from the sources, adjusted for Route 53: a CNAME to an
   AWS canonical zone (ELB, CloudFront, ...) becomes an alias A plus an alias
   AAAA;
2. current records from the hosted zones, with owner and resource labels from
   the TXT registry;
3. both filtered by the domain filter and the managed types (A, AAAA, CNAME);
4. rows per (name, set identifier): no current -> create (the per-resource
   resolver picks one candidate per type; CNAME candidates are dropped when
   A/AAAA candidates exist); no candidate -> delete; both -> per type delete,
   create (only when every current record of the name is ours) or update
   (targets, TTL or alias settings differ);
5. the policy (sync, upsert-only, create-only), then the owner filter
   (deletes and updates of records not ours are dropped);
6. TXT companions for each change; a change for a name in no hosted zone is
   skipped.

Hosted zones are those the AWS provider keeps: the domain filter must match
the zone's own name, unless ``--aws-zone-match-parent`` also keeps a zone
that is a parent of a filter (a filter ``api.example.com`` with only the
``example.com`` zone selects nothing by default). Domain filters are trimmed
of whitespace and a trailing dot, lower-cased, and empty ones dropped
(``prepareFilters``). Records with a set identifier are planned per (name,
set identifier), and a change of their routing policy updates them.
``--migrate-from-txt-owner``: records the old owner id owns are read as
ours (the TXT registry relabels them) and every record with a candidate
whose owner is not the old id is updated (``isOldOwnerIDSetAndDifferent``),
so their TXT records are rewritten with the new owner.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import StrEnum
from functools import cmp_to_key

from ekstwin.engines.dns.registry import NameMapper, parse_labels, serialize_labels
from ekstwin.engines.dns.sources import (
    Endpoint,
    Skip,
    annotation_prefix_for,
    ingress_endpoints,
    service_endpoints,
)
from ekstwin.engines.ingress import AlbPlan, build_albs
from ekstwin.errors import ConfigError
from ekstwin.model.aws import DnsRecord, HostedZone
from ekstwin.model.platform import Platform
from ekstwin.model.source import Source

MANAGED_TYPES = ("A", "AAAA", "CNAME")
ALIAS_TTL = 300
_TYPE_ORDER = {"A": 0, "AAAA": 1, "CNAME": 2, "TXT": 3}
_CANONICAL = re.compile(
    r"(^|\.)("
    r"[a-z0-9-]+\.elb\.amazonaws\.com(\.cn)?"
    r"|elb\.[a-z0-9-]+\.amazonaws\.com(\.cn)?"
    r"|[a-z0-9-]+\.vpce\.amazonaws\.com"
    r"|execute-api\.[a-z0-9-]+\.amazonaws\.com"
    r"|cloudfront\.net|awsglobalaccelerator\.com"
    r")$"
)


class Policy(StrEnum):
    SYNC = "sync"
    UPSERT_ONLY = "upsert-only"
    CREATE_ONLY = "create-only"


class ChangeAction(StrEnum):
    CREATE = "CREATE"
    UPDATE = "UPDATE"
    DELETE = "DELETE"


@dataclass(frozen=True, slots=True)
class DnsOptions:
    owner_id: str
    policy: Policy = Policy.SYNC
    domain_filters: tuple[str, ...] = ()
    exclude_domains: tuple[str, ...] = ()
    annotation_prefix: str | None = None  # None: by the platform's ExternalDNS version
    txt_prefix: str = ""
    txt_suffix: str = ""
    sources: tuple[str, ...] = ("ingress", "service")
    prefer_cname: bool = False
    evaluate_target_health: bool = True
    zone_type: str = ""  # --aws-zone-type: "" (every zone), "public" or "private"
    zone_match_parent: bool = False  # --aws-zone-match-parent
    txt_wildcard_replacement: str = ""  # --txt-wildcard-replacement
    old_owner_id: str = ""  # --migrate-from-txt-owner
    regex_domain_filter: str = ""  # --regex-domain-filter (with the exclusion, wins)
    regex_domain_exclusion: str = ""  # --regex-domain-exclusion

    def __post_init__(self) -> None:
        if not self.owner_id:
            raise ConfigError("--owner-id must not be empty")
        if self.txt_prefix and self.txt_suffix:
            raise ConfigError("--txt-prefix and --txt-suffix are mutually exclusive")
        object.__setattr__(self, "domain_filters", normalize_filters(self.domain_filters))
        object.__setattr__(self, "exclude_domains", normalize_filters(self.exclude_domains))
        for flag, pattern in (
            ("--regex-domain-filter", self.regex_domain_filter),
            ("--regex-domain-exclusion", self.regex_domain_exclusion),
        ):
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ConfigError(
                    f"{flag} {pattern!r} is not a regular expression ({exc})"
                ) from exc


def normalize_domain(name: str) -> str:
    """``normalizeDomain``: no trailing dot, lower case, punycode labels in Unicode."""
    return ".".join(_unicode_label(x) for x in name.removesuffix(".").lower().split("."))


def _unicode_label(label: str) -> str:
    if not label.startswith("xn--"):
        return label
    try:
        return label.encode("ascii").decode("idna")
    except UnicodeError:
        pass  # IDNA 2003 refuses some labels Go's lookup profile decodes
    try:
        return label[4:].encode("ascii").decode("punycode").lower()
    except UnicodeError:
        return label  # ExternalDNS logs the error and goes on with what it has


def normalize_filters(filters: tuple[str, ...]) -> tuple[str, ...]:
    """``prepareFilters``: trimmed of whitespace and a trailing dot; empty ones dropped."""
    out = (normalize_domain(f.strip()) for f in filters)
    return tuple(f for f in out if f)


@dataclass(frozen=True, slots=True)
class Change:
    action: ChangeAction
    name: str
    type: str
    alias: bool
    targets: tuple[str, ...]
    source: str | None
    location: Source | None = None
    set_identifier: str = ""
    routing: tuple[tuple[str, str], ...] = ()

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {
            "action": self.action.value,
            "name": self.name,
            "type": self.type,
            "alias": self.alias,
            "targets": list(self.targets),
            "source": self.source,
        }
        if self.set_identifier:
            out["set_identifier"] = self.set_identifier
            out["routing"] = dict(self.routing)
        return out


@dataclass(frozen=True, slots=True)
class Conflict:
    name: str
    reason: str
    claimants: tuple[str, ...]
    winner: str | None = None

    def to_json(self) -> dict[str, object]:
        return {"name": self.name, "reason": self.reason, "claimants": list(self.claimants)}


@dataclass(frozen=True, slots=True)
class Skipped:
    name: str
    reason: str
    kind: str = "other"  # owner | zone | filter | target | policy | routing | txt | other
    owner: str | None = None
    resource: str | None = None

    def to_json(self) -> dict[str, object]:
        return {"name": self.name, "reason": self.reason}


@dataclass(frozen=True, slots=True)
class DnsPlan:
    changes: tuple[Change, ...]
    conflicts: tuple[Conflict, ...]
    skipped: tuple[Skipped, ...]
    annotation_prefix: str = ""

    def to_json(self) -> dict[str, object]:
        return {
            "changes": [c.to_json() for c in self.changes],
            "conflicts": [c.to_json() for c in self.conflicts],
            "skipped": [s.to_json() for s in self.skipped],
        }


# -- domain filter ---------------------------------------------------------------------


def _match_filters(filters: tuple[str, ...], name: str, empty: bool) -> bool:
    if not filters:
        return empty
    domain = normalize_domain(name)
    for f in filters:
        if f.startswith(".") and domain.endswith(f):
            return True
        if domain == f or domain.endswith("." + f):
            return True
    return False


def domain_matches(opts: DnsOptions, name: str) -> bool:
    """``DomainFilter.Match``: the regexes alone decide when either is set."""
    if opts.regex_domain_filter or opts.regex_domain_exclusion:
        domain = normalize_domain(name)
        if opts.regex_domain_exclusion and re.search(opts.regex_domain_exclusion, domain):
            return False
        return not opts.regex_domain_filter or bool(re.search(opts.regex_domain_filter, domain))
    return _match_filters(opts.domain_filters, name, True) and not _match_filters(
        opts.exclude_domains, name, False
    )


def _match_parent(opts: DnsOptions, zone_name: str) -> bool:
    """``DomainFilter.MatchParent``: the zone is a parent of a (non-dotted) filter."""
    if _match_filters(opts.exclude_domains, zone_name, False):
        return False
    if not opts.domain_filters:
        return True
    return any(f.endswith("." + zone_name) for f in opts.domain_filters if not f.startswith("."))


def zone_selected(opts: DnsOptions, zone: HostedZone) -> bool:
    """The AWS provider's zone filter: the domain filter matches the zone itself, or,
    with ``--aws-zone-match-parent``, the zone is a parent of a filter."""
    zname = zone.name.lower().removesuffix(".")
    if domain_matches(opts, zname):
        return True
    return opts.zone_match_parent and _match_parent(opts, zname)


def _zone_type_matches(zone_type: str, zone: HostedZone) -> bool:
    """ExternalDNS's ``--aws-zone-type`` filter (provider/aws ``zoneTypeFilter``)."""
    if zone_type == "public":
        return not zone.private
    if zone_type == "private":
        return zone.private
    return True


def suitable_zones(name: str, zones: list[HostedZone]) -> list[HostedZone]:
    """The longest matching public zone plus every matching private zone."""
    host = name.lower().removesuffix(".")
    public: HostedZone | None = None
    out: list[HostedZone] = []
    for z in zones:
        zn = z.name.lower().removesuffix(".")
        if host != zn and not host.endswith("." + zn):
            continue
        if z.private:
            out.append(z)
        elif public is None or len(zn) > len(public.name.removesuffix(".")):
            public = z
    return out + ([public] if public else [])


# -- Route 53 adjustments ------------------------------------------------------------


def is_canonical_target(target: str) -> bool:
    return bool(_CANONICAL.search(target.lower().removesuffix(".")))


def adjust_for_route53(eps: list[Endpoint], opts: DnsOptions) -> list[Endpoint]:
    out: list[Endpoint] = []
    extra: list[Endpoint] = []
    for ep in eps:
        if ep.type == "CNAME":
            alias = (
                not opts.prefer_cname and bool(ep.targets) and is_canonical_target(ep.targets[0])
            )
            if alias:
                a = replace(
                    ep,
                    type="A",
                    alias=True,
                    ttl=ALIAS_TTL if ep.ttl is not None else None,
                    evaluate_target_health=opts.evaluate_target_health,
                )
                out.append(a)
                extra.append(replace(a, type="AAAA"))
            else:
                out.append(replace(ep, alias=False))
        else:
            out.append(replace(ep, alias=False))
    return out + extra


# -- current records ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Current:
    records: list[Endpoint]
    txt_names: set[str]


def _record_routing(r: DnsRecord) -> tuple[tuple[str, str], ...]:
    """A record's routing policy as ExternalDNS reads it back (only with a set id)."""
    if not r.set_identifier:
        return ()
    pairs = [
        ("weight", None if r.weight is None else str(r.weight)),
        ("region", r.region),
        ("failover", r.failover),
        ("geolocation-continent-code", r.geolocation_continent_code),
        ("geolocation-country-code", r.geolocation_country_code),
        ("geolocation-subdivision-code", r.geolocation_subdivision_code),
        ("multi-value-answer", "" if r.multi_value_answer else None),
        ("health-check-id", r.health_check_id),
    ]
    return tuple(sorted((k, v) for k, v in pairs if v is not None))


def current_records(
    zones: list[HostedZone],
    mapper: NameMapper,
    owner_id: str,
    old_owner_id: str = "",
    managed_types: tuple[str, ...] = MANAGED_TYPES,
) -> _Current:
    """The zones' records with the owner and resource their TXT records give them.

    A record ours whose TXT record of the current format is missing is marked for
    a forced update, when its type is managed (``IsManagedRecord``)."""
    plain: list[Endpoint] = []
    labels_by_key: dict[tuple[str, str, str], dict[str, str]] = {}
    txt_names: set[str] = set()
    for z in zones:
        for r in z.records:
            name = r.name.removesuffix(".").replace("\\052", "*")
            if r.type == "TXT":
                if not r.values:
                    continue
                labels = parse_labels(r.values[0])
                if labels is None:
                    continue
                ename, rtype = mapper.to_endpoint_name(name)
                labels_by_key[(ename, rtype, r.set_identifier or "")] = labels
                txt_names.add(name.lower())
                continue
            if r.type not in MANAGED_TYPES:
                continue
            if r.values:
                plain.append(
                    Endpoint(
                        name,
                        r.type,
                        tuple(v.removesuffix(".") for v in r.values),
                        r.ttl,
                        r.set_identifier or "",
                        alias=False if r.type == "CNAME" else None,
                        source=r.source,
                        routing=_record_routing(r),
                    )
                )
            if r.alias_target is not None:
                plain.append(
                    Endpoint(
                        name,
                        r.type,
                        (r.alias_target.dns_name.removesuffix("."),),
                        r.ttl or ALIAS_TTL,
                        r.set_identifier or "",
                        alias=True,
                        evaluate_target_health=r.alias_target.evaluate_target_health,
                        source=r.source,
                        routing=_record_routing(r),
                    )
                )
    out: list[Endpoint] = []
    for ep in plain:
        first, dot, rest = ep.name.lower().partition(".")
        if mapper.wildcard_replacement and first == "*":
            first = mapper.wildcard_replacement
        lname = first + dot + rest
        labels = labels_by_key.get((lname, ep.type, ep.set_identifier))
        if ep.type == "A" and ep.alias:
            legacy = labels_by_key.get((lname, "CNAME", ep.set_identifier))
            if labels is None and legacy is not None:
                labels = legacy
        if labels is None and ep.type != "AAAA":
            labels = labels_by_key.get((lname, "", ep.set_identifier))
        labels = labels or {}
        owner = labels.get("owner")
        if old_owner_id and owner == old_owner_id:
            owner = owner_id  # --migrate-from-txt-owner: the registry relabels them ours
        txt_name = mapper.to_txt_name(ep.name, ep.type)
        force = (
            bool(txt_names)
            and ep.type in managed_types
            and owner == owner_id
            and valid_name(txt_name)  # no TXT can be made for it: nothing to recreate
            and txt_name.lower() not in txt_names
        )
        out.append(replace(ep, owner=owner, resource=labels.get("resource"), force_update=force))
    return _Current(out, txt_names)


# -- the plan ---------------------------------------------------------------------------


def _target_key(t: str) -> tuple[int, object]:
    try:
        ip = ipaddress.ip_address(t)
    except ValueError:
        return (1, t)
    return (0, (ip.version, int(ip)))


def _less(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    if len(a) != len(b):
        return len(a) < len(b)
    for x, y in zip(sorted(a), sorted(b), strict=True):
        if x != y:
            return _target_key(x) < _target_key(y)
    return False


def _compare(a: Endpoint, b: Endpoint) -> int:
    if _less(a.targets, b.targets):
        return -1
    if _less(b.targets, a.targets):
        return 1
    return 0


def _resolve_create(candidates: list[Endpoint]) -> Endpoint:
    best = candidates[0]
    for c in candidates[1:]:
        if _less(c.targets, best.targets):
            best = c
    return best


def _resolve_update(current: Endpoint, candidates: list[Endpoint]) -> Endpoint:
    # stable sort by targets (compareEndpoints), then the current resource's candidate
    ordered = sorted(candidates, key=cmp_to_key(_compare))
    for c in ordered:
        if c.resource == current.resource:
            return c
    return _resolve_create(candidates)


def _same_targets(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    if len(a) != len(b):
        return False
    for x, y in zip(sorted(a), sorted(b), strict=True):
        if x.lower() == y.lower():
            continue
        try:
            if ipaddress.ip_address(x) == ipaddress.ip_address(y):
                continue
        except ValueError:
            pass
        return False
    return True


def _needs_update(desired: Endpoint, current: Endpoint, old_owner_id: str = "") -> bool:
    if desired.ttl is not None and not desired.alias and desired.ttl != current.ttl:
        return True
    if desired.routing != current.routing:
        return True  # providerSpecificChanged: the routing policy
    if old_owner_id and current.owner != old_owner_id:
        return True  # isOldOwnerIDSetAndDifferent
    if not _same_targets(desired.targets, current.targets):
        return True
    if bool(desired.alias) != bool(current.alias):
        return True
    if desired.alias and desired.evaluate_target_health != current.evaluate_target_health:
        return True
    return current.force_update


def _owner_text(ep: Endpoint) -> str:
    return f"is owned by {ep.owner!r}" if ep.owner else "has no owner (no ExternalDNS TXT record)"


@dataclass(slots=True)
class _Work:
    creates: list[Endpoint]
    updates: list[tuple[Endpoint, Endpoint]]
    deletes: list[Endpoint]
    conflicts: list[Conflict]
    skipped: list[Skipped]


def _row_conflicts(name: str, cands: list[Endpoint], work: _Work) -> None:
    claimants = sorted({c for e in cands for c in e.claimants})
    if len(claimants) < 2:
        return
    types = {e.type for e in cands}
    reasons: list[str] = []
    winner: str | None = None
    if "CNAME" in types and types - {"CNAME"}:
        dropped = sorted({c for e in cands if e.type == "CNAME" for c in e.claimants})
        reasons.append(
            f"A/AAAA and CNAME candidates for one name: the CNAME of {', '.join(dropped)} "
            "is discarded"
        )
    for rtype in sorted(types, key=lambda t: _TYPE_ORDER.get(t, 9)):
        per_type = [e for e in cands if e.type == rtype]
        if len(per_type) > 1:
            w = _resolve_create(per_type)
            winner = w.resource
            reasons.append(
                f"{len(per_type)} {rtype} candidates with different targets: {w.resource} wins "
                "(fewest targets, then the lowest target); the others are ignored silently"
            )
        elif len(per_type[0].claimants) > 1:
            what = (
                "targets unioned into one record"
                if rtype in ("A", "AAAA") and not per_type[0].alias
                else "same target, one record"
            )
            if per_type[0].resource:
                winner = per_type[0].resource
            reasons.append(f"{rtype}: {what}; its TXT names {per_type[0].resource}")
    work.conflicts.append(
        Conflict(name, "; ".join(dict.fromkeys(reasons)), tuple(claimants), winner)
    )


@dataclass(frozen=True, slots=True)
class PlanRules:
    """The planner's settings: policy, owner id (None: no ownership at all, as with
    ExternalDNS's noop registry) and the owner id to migrate from."""

    policy: Policy = Policy.SYNC
    owner_id: str | None = None
    old_owner_id: str = ""

    @classmethod
    def of(cls, opts: DnsOptions) -> PlanRules:
        return cls(opts.policy, opts.owner_id, opts.old_owner_id)


@dataclass(frozen=True, slots=True)
class PlanChanges:
    """Plan.Calculate's changes, before TXT companions and zones."""

    create: tuple[Endpoint, ...]
    update_old: tuple[Endpoint, ...]
    update_new: tuple[Endpoint, ...]
    delete: tuple[Endpoint, ...]


def calculate_changes(
    current: list[Endpoint],
    desired: list[Endpoint],
    rules: PlanRules,
    *,
    keep: Callable[[Endpoint], bool] = lambda _: True,
) -> PlanChanges:
    """ExternalDNS's Plan.Calculate on endpoints: ``keep`` is the domain filter and
    managed record types (filterRecordsForPlan), then the rows, the policy and the
    owner filter."""
    work = _Work([], [], [], [], [])
    _plan_rows([e for e in current if keep(e)], [e for e in desired if keep(e)], rules, work)
    _apply_policy_and_owner(work, rules)
    return PlanChanges(
        tuple(work.creates),
        tuple(old for old, _ in work.updates),
        tuple(new for _, new in work.updates),
        tuple(work.deletes),
    )


def _plan_rows(
    current: list[Endpoint], desired: list[Endpoint], opts: PlanRules, work: _Work
) -> None:
    rows: dict[tuple[str, str], tuple[list[Endpoint], list[Endpoint]]] = {}
    for ep in current:
        rows.setdefault(ep.key, ([], []))[0].append(ep)
    for ep in desired:
        rows.setdefault(ep.key, ([], []))[1].append(ep)
    for key in sorted(rows):
        cur, cands = rows[key]
        _row_conflicts(cands[0].name if cands else cur[0].name, cands, work)
        types = {e.type for e in cands}
        if len(cands) > 1 and "CNAME" in types and types - {"CNAME"}:
            cands = [e for e in cands if e.type != "CNAME"]
        if not cur:
            for rtype in sorted({e.type for e in cands}, key=lambda t: _TYPE_ORDER[t]):
                work.creates.append(_resolve_create([e for e in cands if e.type == rtype]))
            continue
        if not cands:
            work.deletes.extend(cur)
            continue
        creates: list[Endpoint] = []
        all_types = sorted(
            {e.type for e in cur} | {e.type for e in cands}, key=lambda t: _TYPE_ORDER[t]
        )
        for rtype in all_types:
            c = next((e for e in cur if e.type == rtype), None)
            ds = [e for e in cands if e.type == rtype]
            if c is not None and not ds:
                work.deletes.append(c)
            elif c is None and ds:
                creates.append(_resolve_create(ds))
            elif c is not None:
                d = _resolve_update(c, ds)
                if _needs_update(d, c, opts.old_owner_id):
                    work.updates.append((c, replace(d, owner=c.owner)))
        if creates:
            strangers = (
                [] if opts.owner_id is None else [e for e in cur if e.owner != opts.owner_id]
            )
            if strangers:
                for e in creates:
                    work.skipped.append(
                        Skipped(
                            e.name,
                            f"{e.type} not created: the name's {strangers[0].type} record "
                            f"{_owner_text(strangers[0])}, not {opts.owner_id!r}",
                            "owner",
                            strangers[0].owner,
                            e.resource,
                        )
                    )
            else:
                work.creates.extend(creates)


def _apply_policy_and_owner(work: _Work, opts: PlanRules) -> None:
    if opts.policy is not Policy.SYNC:
        for d in work.deletes:
            mine = d.owner == opts.owner_id
            work.skipped.append(
                Skipped(
                    d.name,
                    f"{d.type} not deleted: policy {opts.policy.value} never deletes"
                    + ("" if mine else f", and it {_owner_text(d)}"),
                    "policy",
                    d.owner,
                    d.resource,
                )
            )
        work.deletes = []
    if opts.policy is Policy.CREATE_ONLY:
        for old, _ in work.updates:
            work.skipped.append(
                Skipped(
                    old.name,
                    f"{old.type} not updated: policy create-only never updates",
                    "policy",
                    old.owner,
                    old.resource,
                )
            )
        work.updates = []
    if opts.owner_id is None:
        return  # no owner id: nothing is filtered by ownership
    kept_deletes: list[Endpoint] = []
    seen: set[tuple[str, str, str]] = set()
    for d in work.deletes:
        if d.owner != opts.owner_id:
            work.skipped.append(
                Skipped(
                    d.name,
                    f"{d.type} not deleted: it {_owner_text(d)}",
                    "owner",
                    d.owner,
                    d.resource,
                )
            )
            continue
        k = (d.name.lower(), d.type, d.set_identifier)
        if k not in seen:
            seen.add(k)
            kept_deletes.append(d)
    work.deletes = kept_deletes
    kept_updates: list[tuple[Endpoint, Endpoint]] = []
    for old, new in work.updates:
        if old.owner != opts.owner_id:
            work.skipped.append(
                Skipped(
                    old.name,
                    f"{old.type} not updated: it {_owner_text(old)}",
                    "owner",
                    old.owner,
                    new.resource,
                )
            )
            continue
        kept_updates.append((old, new))
    work.updates = kept_updates


def desired_endpoints(
    platform: Platform, options: DnsOptions, albs: AlbPlan | None = None
) -> tuple[list[Endpoint], list[Skip]]:
    """The records ExternalDNS's sources want (adjusted for Route 53), and the hosts
    its sources skip with why (a target not known yet, ...)."""
    prefix = options.annotation_prefix or annotation_prefix_for(platform)
    albs = albs if albs is not None else build_albs(platform)
    desired: list[Endpoint] = []
    skips: list[Skip] = []
    if "ingress" in options.sources:
        eps, sk = ingress_endpoints(platform, prefix, albs)
        desired += eps
        skips += sk
    if "service" in options.sources:
        eps, sk = service_endpoints(platform, prefix)
        desired += eps
        skips += sk
    return adjust_for_route53(desired, options), skips


def plan_dns(platform: Platform, options: DnsOptions, albs: AlbPlan | None = None) -> DnsPlan:
    """What ExternalDNS with these options would change in the platform's hosted zones."""
    prefix = options.annotation_prefix or annotation_prefix_for(platform)
    desired, source_skips = desired_endpoints(platform, options, albs)
    mapper = NameMapper(options.txt_prefix, options.txt_suffix, options.txt_wildcard_replacement)
    typed = [z for z in platform.aws.hosted_zones if _zone_type_matches(options.zone_type, z)]
    zones = [z for z in typed if zone_selected(options, z)]
    unselected = [z for z in typed if z not in zones]
    current = current_records(zones, mapper, options.owner_id, options.old_owner_id)
    work = _Work([], [], [], [], [Skipped(s.name, s.reason, "target") for s in source_skips])
    wanted: list[Endpoint] = []
    for ep in desired:
        bad_routing = _routing_problem(ep)
        if bad_routing:
            work.skipped.append(
                Skipped(ep.name, f"{ep.resource}: {bad_routing}", "routing", None, ep.resource)
            )
            continue
        if not domain_matches(options, ep.name):
            work.skipped.append(
                Skipped(
                    ep.name,
                    f"{ep.resource}: outside the domain filter",
                    "filter",
                    None,
                    ep.resource,
                )
            )
            continue
        wanted.append(ep)
    cur = [e for e in current.records if domain_matches(options, e.name)]
    rules = PlanRules.of(options)
    _plan_rows(cur, wanted, rules, work)
    _apply_policy_and_owner(work, rules)
    changes = _changes(work, options, mapper, zones, current.txt_names, unselected=unselected)
    skipped = list(dict.fromkeys(work.skipped))
    return DnsPlan(
        tuple(changes),
        tuple(sorted(work.conflicts, key=lambda c: c.name)),
        tuple(sorted(skipped, key=lambda s: (s.name, s.reason))),
        prefix,
    )


def _routing_problem(ep: Endpoint) -> str | None:
    """A desired routing policy Route 53 refuses: a policy without a set identifier,
    a set identifier without a policy, or two policies at once."""
    policies = {k for k, _ in ep.routing} - {"health-check-id"}
    kinds = {"geolocation" if k.startswith("geolocation-") else k for k in policies}
    if not ep.set_identifier:
        if kinds:
            return (
                f"{ep.type}: routing annotations ({', '.join(sorted(policies))}) without "
                "set-identifier: Route 53 refuses a routing policy without a set identifier"
            )
        return None
    if not kinds:
        return (
            f"{ep.type}: set-identifier {ep.set_identifier!r} without a routing policy "
            "(aws-weight, aws-region, aws-failover, aws-geolocation-*, aws-multi-value-answer): "
            "Route 53 refuses the record"
        )
    if len(kinds) > 1:
        return (
            f"{ep.type}: more than one routing policy ({', '.join(sorted(kinds))}): Route 53 "
            "takes one per record"
        )
    return None


def valid_name(name: str) -> bool:
    """endpoint.NewEndpoint refuses a name with a label longer than 63 characters."""
    return all(len(label) <= 63 for label in name.split("."))


def _txt(ep: Endpoint, mapper: NameMapper, owner: str | None) -> tuple[str, str]:
    labels: dict[str, str] = {}
    if owner:
        labels["owner"] = owner
    if ep.resource:
        labels["resource"] = ep.resource
    return mapper.to_txt_name(ep.name, ep.type), serialize_labels(labels)


def _no_zone_reason(ep: Endpoint, opts: DnsOptions, unselected: list[HostedZone]) -> str:
    """Why no hosted zone takes the record: none holds it, or the filters left it out."""
    held_by = suitable_zones(ep.name, unselected)
    if not held_by:
        return f"{ep.type}: no hosted zone holds this name"
    zone = held_by[-1].name.removesuffix(".")
    filters = ", ".join(opts.domain_filters) or "(none)"
    if not opts.zone_match_parent and _match_parent(opts, zone.lower()):
        return (
            f"{ep.type}: hosted zone {zone} is not selected: the domain filter ({filters}) "
            "does not match the zone itself, and ExternalDNS keeps a parent zone of a filter "
            "only with --aws-zone-match-parent; nothing is created"
        )
    return (
        f"{ep.type}: hosted zone {zone} is not selected by the domain filter ({filters}) "
        "or --aws-zone-type; nothing is created"
    )


def _changes(
    work: _Work,
    opts: DnsOptions,
    mapper: NameMapper,
    zones: list[HostedZone],
    txt_names: set[str],
    *,
    unselected: list[HostedZone] | None = None,
) -> list[Change]:
    out: list[Change] = []

    def add(action: ChangeAction, ep: Endpoint, owner: str | None, *, new_txt: bool = True) -> None:
        if not suitable_zones(ep.name, zones):
            reason = _no_zone_reason(ep, opts, unselected or [])
            work.skipped.append(Skipped(ep.name, reason, "zone", None, ep.resource))
            return
        sid, routing = ep.set_identifier, ep.routing
        out.append(
            Change(
                action, ep.name, ep.type, bool(ep.alias), ep.targets, ep.resource, ep.source,
                sid, routing,
            )
        )  # fmt: skip
        tname, tvalue = _txt(ep, mapper, owner)
        if not valid_name(tname):
            work.skipped.append(
                Skipped(
                    ep.name,
                    f"{ep.type}: no TXT record {tname}: a label is longer than 63 characters, so "
                    "ExternalDNS makes no ownership record; the record will have no owner and "
                    "ExternalDNS will not update or delete it later",
                    "txt",
                    owner,
                    ep.resource,
                )
            )
            return
        if new_txt or tname.lower() not in txt_names:
            # the TXT record shares the set identifier and routing policy
            out.append(
                Change(action, tname, "TXT", False, (tvalue,), ep.resource, ep.source, sid, routing)
            )

    for ep in work.creates:
        add(ChangeAction.CREATE, ep, opts.owner_id, new_txt=False)
    for _, new in work.updates:
        add(ChangeAction.UPDATE, new, new.owner)
    for ep in work.deletes:
        add(ChangeAction.DELETE, ep, ep.owner)
    out.sort(
        key=lambda c: (c.name.lower(), c.set_identifier, _TYPE_ORDER.get(c.type, 9), c.action.value)
    )
    return out

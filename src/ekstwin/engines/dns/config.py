"""ExternalDNS's configuration as the platform deploys it: the flags of its container.

ExternalDNS reads its whole configuration from command-line flags
(``pkg/apis/externaldns/types.go``, kingpin): ``--flag=value`` or ``--flag
value``, repeatable ones (``--source``, ``--domain-filter``,
``--exclude-domains``) once per value, booleans as ``--flag`` / ``--no-flag``.
A Deployment whose container image is ``.../external-dns`` is the platform's
ExternalDNS; its flags are the defaults of ``ekstwin dns plan`` and of the DNS
checks (flags given on the command line win). ExternalDNS's own defaults apply
to what the container does not set: owner id ``default``, policy ``sync``,
registry ``txt``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from ekstwin.engines.dns.plan import DnsOptions, DnsPlan, Policy, normalize_filters
from ekstwin.engines.dns.registry import parse_labels
from ekstwin.engines.dns.sources import is_external_dns
from ekstwin.engines.flags import parse_flags as _parse_flags
from ekstwin.errors import ConfigError
from ekstwin.model.aws import HostedZone
from ekstwin.model.platform import Platform
from ekstwin.model.source import ObjectRef, Source

__all__ = [
    "ExternalDnsConfig",
    "PlannedDns",
    "PlatformDns",
    "external_dns_configs",
    "parse_flags",
    "platform_dns",
    "platform_owner",
    "the_external_dns",
]

_REPEATED = frozenset({"source", "domain-filter", "exclude-domains"})
_BOOLEANS = frozenset(
    {"aws-prefer-cname", "aws-evaluate-target-health", "aws-zone-match-parent", "once", "dry-run"}
)
#: Flags that change what ExternalDNS does and that the planner does not model.
_NOT_MODELLED = frozenset(
    {
        "annotation-filter", "label-filter", "ingress-class", "namespace", "zone-id-filter",
        "managed-record-types",
        "txt-encrypt-enabled", "aws-assume-role", "fqdn-template", "combine-fqdn-annotation",
        "ignore-hostname-annotation", "ignore-ingress-tls-spec", "publish-internal-services",
        "aws-zone-tags", "exclude-record-types",
    }
)  # fmt: skip


def parse_flags(words: tuple[str, ...]) -> dict[str, list[str]]:
    """ExternalDNS's flags (its kingpin booleans take no value word)."""
    return _parse_flags(words, _BOOLEANS)


@dataclass(frozen=True, slots=True)
class ExternalDnsConfig:
    """One ExternalDNS Deployment's flags, read as the planner's options."""

    workload: ObjectRef
    container: str
    source: Source | None
    owner_id: str
    policy: Policy
    domain_filters: tuple[str, ...]
    exclude_domains: tuple[str, ...]
    txt_prefix: str
    txt_suffix: str
    sources: tuple[str, ...]
    prefer_cname: bool
    evaluate_target_health: bool
    zone_type: str
    provider: str
    registry: str
    not_modelled: tuple[str, ...] = field(default=())
    zone_match_parent: bool = False
    txt_wildcard_replacement: str = ""
    old_owner_id: str = ""
    regex_domain_filter: str = ""
    regex_domain_exclusion: str = ""
    sources_given: bool = True
    bad_policy: str | None = None

    def options(self, **overrides: object) -> DnsOptions:
        """The planner's options, with ``overrides`` (None: keep the Deployment's)."""
        values: dict[str, object] = {
            "owner_id": self.owner_id,
            "policy": self.policy,
            "domain_filters": self.domain_filters,
            "exclude_domains": self.exclude_domains,
            "txt_prefix": self.txt_prefix,
            "txt_suffix": self.txt_suffix,
            "sources": self.sources,
            "prefer_cname": self.prefer_cname,
            "evaluate_target_health": self.evaluate_target_health,
            "zone_type": self.zone_type,
            "zone_match_parent": self.zone_match_parent,
            "txt_wildcard_replacement": self.txt_wildcard_replacement,
            "old_owner_id": self.old_owner_id,
            "regex_domain_filter": self.regex_domain_filter,
            "regex_domain_exclusion": self.regex_domain_exclusion,
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        try:
            return DnsOptions(**values)  # type: ignore[arg-type]
        except ConfigError as exc:
            raise ConfigError(f"the flags of {self.workload}: {exc}") from exc

    def notes(self) -> list[str]:
        out = []
        if self.provider != "aws":
            out.append(f"--provider={self.provider}: the plan is for Route 53 (aws)")
        if self.bad_policy is not None:
            out.append(
                f"--policy={self.bad_policy} is not a policy ExternalDNS knows: read as sync"
            )
        if not self.sources_given:
            out.append("no --source: ExternalDNS refuses to start without one")
        if self.registry != "txt":
            out.append(f"--registry={self.registry}: ownership is read as the txt registry")
        out += [f"--{f} is not modelled (the plan ignores it)" for f in self.not_modelled]
        return out

    def to_json(self) -> dict[str, object]:
        return {
            "workload": str(self.workload),
            "container": self.container,
            "source": str(self.source) if self.source else None,
            "owner_id": self.owner_id,
            "policy": self.policy.value,
            "domain_filters": list(self.domain_filters),
            "sources": list(self.sources),
            "notes": self.notes(),
        }


@dataclass(frozen=True, slots=True)
class PlannedDns:
    """``dns plan``: the plan, and the platform's ExternalDNS whose flags it was made
    with (``None`` when the command line gave them). ``to_json`` is the command's JSON."""

    plan: DnsPlan
    external_dns: ExternalDnsConfig | None

    def to_json(self) -> dict[str, object]:
        doc = self.plan.to_json()
        doc["external_dns"] = self.external_dns.to_json() if self.external_dns is not None else None
        return doc


def _split(values: list[str]) -> tuple[str, ...]:
    return tuple(x for v in values for x in v.split(",") if x)


def external_dns_configs(platform: Platform) -> list[ExternalDnsConfig]:
    """Every ExternalDNS container of the platform's workloads, with its flags read."""
    out: list[ExternalDnsConfig] = []
    for w in sorted(platform.workloads, key=lambda w: str(w.meta.ref)):
        for c in w.spec.containers:
            if not is_external_dns(c.image):
                continue
            words = (*c.command[1:], *c.args) if c.command else c.args
            flags = parse_flags(words)

            def last(name: str, default: str, flags: dict[str, list[str]] = flags) -> str:
                values = flags.get(name)
                return values[-1] if values else default

            bad_policy = None
            try:
                policy = Policy(last("policy", Policy.SYNC.value))
            except ValueError:
                policy, bad_policy = Policy.SYNC, last("policy", "")
            where = f"{c.pointer}/args" if c.args else c.pointer
            out.append(
                ExternalDnsConfig(
                    workload=w.meta.ref,
                    container=c.name,
                    source=w.meta.line_of(where),
                    owner_id=last("txt-owner-id", "default") or "default",
                    policy=policy,
                    domain_filters=normalize_filters(_split(flags.get("domain-filter", []))),
                    exclude_domains=normalize_filters(_split(flags.get("exclude-domains", []))),
                    txt_prefix=last("txt-prefix", ""),
                    txt_suffix=last("txt-suffix", ""),
                    sources=_split(flags.get("source", [])) or ("ingress", "service"),
                    prefer_cname=last("aws-prefer-cname", "false") == "true",
                    evaluate_target_health=last("aws-evaluate-target-health", "true") == "true",
                    zone_type=last("aws-zone-type", ""),
                    provider=last("provider", "aws"),
                    registry=last("registry", "txt"),
                    not_modelled=tuple(sorted(f for f in flags if f in _NOT_MODELLED)),
                    sources_given="source" in flags,
                    bad_policy=bad_policy,
                    zone_match_parent=last("aws-zone-match-parent", "false") == "true",
                    txt_wildcard_replacement=last("txt-wildcard-replacement", ""),
                    old_owner_id=last("migrate-from-txt-owner", ""),
                    regex_domain_filter=last("regex-domain-filter", ""),
                    regex_domain_exclusion=last("regex-domain-exclusion", ""),
                )
            )
    return out


def the_external_dns(platform: Platform) -> ExternalDnsConfig | None:
    """The platform's ExternalDNS when it runs exactly one whose flags make valid
    options (checks use its flags; ExternalDNS refuses to start otherwise)."""
    configs = external_dns_configs(platform)
    if len(configs) != 1:
        return None
    try:
        configs[0].options()
    except ConfigError:
        return None
    return configs[0]


def platform_owner(zones: list[HostedZone]) -> str | None:
    """The owner id of most ExternalDNS TXT records in the zones (None on a tie or
    when there are none)."""
    owners = Counter(
        labels["owner"]
        for z in zones
        for r in z.records
        if r.type == "TXT" and r.values
        for labels in [parse_labels(r.values[0])]
        if labels and labels.get("owner")
    )
    ranked = owners.most_common(2)
    if not ranked or (len(ranked) == 2 and ranked[0][1] == ranked[1][1]):
        return None
    return ranked[0][0]


@dataclass(frozen=True, slots=True)
class PlatformDns:
    """The options the platform's ExternalDNS runs with, as well as the input says."""

    options: DnsOptions
    owner_known: bool  # False: no Deployment and no majority of TXT owners
    whence: str  # where the owner id comes from


def platform_dns(platform: Platform) -> PlatformDns:
    """The flags of the platform's one ExternalDNS; else ExternalDNS's defaults with
    the owner id of most TXT records in the zones (the DNS checks and the web view)."""
    config = the_external_dns(platform)
    if config is not None:
        return PlatformDns(config.options(), True, f"--txt-owner-id of {config.workload}")
    owner = platform_owner(list(platform.aws.hosted_zones))
    options = DnsOptions(owner_id=owner or "default")
    return PlatformDns(options, owner is not None, "most TXT records")

"""ExternalDNS's TXT registry: ownership records, their names and their labels.

Follows registry/txt/registry.go and registry/mapper/mapper.go of
kubernetes-sigs/external-dns:

- one TXT record per managed record, named ``<prefix><type>-<first label><suffix>.<rest>``
  with the record type in lower case (``a-www.example.com``), or with the
  type substituted for ``%{record_type}`` when the prefix or suffix holds it;
- its value is ``"heritage=external-dns,external-dns/owner=ID,external-dns/resource=..."``
  (labels sorted); a TXT without ``heritage=external-dns`` is not a registry record;
- reading maps a TXT name back to (record name, record type); a name without a
  type (the old format) applies to every type but AAAA, and an alias A record
  also accepts the legacy ``cname-`` TXT.
"""

from __future__ import annotations

from dataclasses import dataclass

HERITAGE = "external-dns"
RECORD_TYPE_TEMPLATE = "%{record_type}"
SUPPORTED_TYPES = ("A", "AAAA", "CNAME", "NS", "MX", "PTR", "SRV", "NAPTR", "TXT", "DNAME")


@dataclass(frozen=True, slots=True)
class NameMapper:
    prefix: str = ""
    suffix: str = ""
    wildcard_replacement: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "prefix", self.prefix.lower())
        object.__setattr__(self, "suffix", self.suffix.lower())
        object.__setattr__(self, "wildcard_replacement", self.wildcard_replacement.lower())

    @property
    def _type_in_affix(self) -> bool:
        return RECORD_TYPE_TEMPLATE in self.prefix or RECORD_TYPE_TEMPLATE in self.suffix

    def to_txt_name(self, name: str, record_type: str) -> str:
        first, dot, rest = name.partition(".")
        rtype = record_type.lower()
        prefix = self.prefix.replace(RECORD_TYPE_TEMPLATE, rtype)
        suffix = self.suffix.replace(RECORD_TYPE_TEMPLATE, rtype)
        if self.wildcard_replacement and first == "*":
            first = self.wildcard_replacement
        if not self._type_in_affix:
            first = f"{rtype}-{first}"
        if not dot:
            return prefix + first + suffix
        return f"{prefix}{first}{suffix}.{rest}"

    def to_endpoint_name(self, txt_name: str) -> tuple[str, str]:
        """(record name, record type or '') a TXT name stands for; ('', '') if none."""
        low = txt_name.lower()
        if not self.suffix:
            return self._drop_affix(low)
        if self.prefix:
            return "", ""  # both set: neither a prefix nor a suffix mapper reads it
        dots = self.suffix.count(".")
        parts = low.split(".", 1 + dots)
        if len(parts) <= dots:
            return "", ""
        head, rtype = self._drop_affix(".".join(parts[: 1 + dots]))
        if len(parts) <= 1 + dots:
            return head, rtype
        return f"{head}.{parts[1 + dots]}", rtype

    def _drop_affix(self, name: str) -> tuple[str, str]:
        prefix, suffix = self.prefix, self.suffix
        is_prefix = not suffix
        if self._type_in_affix:
            for t in SUPPORTED_TYPES:
                ip = prefix.replace(RECORD_TYPE_TEMPLATE, t.lower())
                isuf = suffix.replace(RECORD_TYPE_TEMPLATE, t.lower())
                if is_prefix and name.startswith(ip):
                    return name.removeprefix(ip), t
                if not is_prefix and name.endswith(isuf):
                    return name.removesuffix(isuf), t
            prefix = prefix.replace(RECORD_TYPE_TEMPLATE, "")
            suffix = suffix.replace(RECORD_TYPE_TEMPLATE, "")
        if is_prefix and name.startswith(prefix):
            return _type_from_default_position(name.removeprefix(prefix))
        if not is_prefix and name.endswith(suffix):
            return _type_from_default_position(name.removesuffix(suffix))
        return "", ""


def _type_from_default_position(name: str) -> tuple[str, str]:
    head = name.split("-", maxsplit=1)[0]
    for t in SUPPORTED_TYPES:
        if head == t.lower():
            return name.removeprefix(head + "-"), t
    return name, ""


def parse_labels(text: str) -> dict[str, str] | None:
    """The labels of a TXT value, or None when it is not an ExternalDNS record."""
    body = text.strip('"')
    labels: dict[str, str] = {}
    found = False
    for token in body.split(","):
        k, sep, v = token.partition("=")
        if not sep:
            continue
        if k == "heritage":
            if v != HERITAGE:
                return None
            found = True
            continue
        if k.startswith(HERITAGE):
            labels[k.removeprefix(HERITAGE + "/")] = v
    return labels if found else None


def serialize_labels(labels: dict[str, str]) -> str:
    tokens = [f"heritage={HERITAGE}"]
    tokens += [f"{HERITAGE}/{k}={labels[k]}" for k in sorted(labels)]
    return '"' + ",".join(tokens) + '"'

"""What ``ekstwin diff`` reports: semantic changes between two platforms, by area."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from ekstwin.findings import Finding


class Area(StrEnum):
    """The questions a reviewer asks of a change, in the order the report shows them."""

    REACHABILITY = "reachability"
    MESH = "mesh"
    KUBERNETES_ACCESS = "kubernetes-access"
    AWS_ACCESS = "aws-access"
    ALB = "alb"
    DNS = "dns"
    CAPACITY = "capacity"
    STORAGE = "storage"
    FINDINGS = "findings"


class ChangeKind(StrEnum):
    # reachability
    OPENED = "opened"  # nothing was allowed, something is
    CLOSED = "closed"  # something was allowed, nothing is
    WIDENED = "widened"  # more is allowed, nothing less
    NARROWED = "narrowed"  # less is allowed, nothing more
    CHANGED = "changed"  # some more and some less (or, elsewhere, a different value)
    # identity
    GAINED = "gained"
    LOST = "lost"
    # traffic
    ADDED = "added"
    REMOVED = "removed"
    MOVED = "moved"
    REORDERED = "reordered"
    BROKEN = "broken"  # a group build error the change introduces
    REPAIRED = "repaired"
    # findings
    NEW = "new"
    FIXED = "fixed"


#: Kinds that give a subject something it did not have (what --protect and the
#: summary's "opens" count).
WIDENING = frozenset({ChangeKind.OPENED, ChangeKind.WIDENED, ChangeKind.GAINED})


@dataclass(frozen=True, slots=True)
class Change:
    """One semantic change and the objects and rules that make it.

    ``subject`` names what changed in the reader's words (``shop/frontend ->
    payments/db``, ``person carol-n``, ``HTTPS:443 host api.example.com``);
    ``because`` lists the rules that decide it after the change (and before it,
    where that explains a loss), each with its file and line where known.
    ``namespace`` is the namespace the change reaches into (a flow's destination,
    an ability's scope), for ``--protect``.
    """

    area: Area
    kind: ChangeKind
    subject: str
    summary: str
    because: tuple[str, ...] = ()
    namespace: str | None = None
    protected: bool = False

    def to_json(self) -> dict[str, object]:
        return {
            "area": self.area.value,
            "kind": self.kind.value,
            "subject": self.subject,
            "summary": self.summary,
            "because": list(self.because),
            "namespace": self.namespace,
            "protected": self.protected,
        }


@dataclass(frozen=True, slots=True)
class PlatformDiff:
    """Every change between a base and a head platform.

    ``new_findings`` and ``fixed_findings`` are matched by fingerprint (check,
    object and key; never a line number), so moving a file does not make a
    finding new; ``unchanged_findings`` counts the rest.
    """

    changes: tuple[Change, ...]
    new_findings: tuple[Finding, ...] = ()
    fixed_findings: tuple[Finding, ...] = ()
    unchanged_findings: int = 0
    notes: tuple[str, ...] = ()

    def in_area(self, area: Area) -> tuple[Change, ...]:
        return tuple(c for c in self.changes if c.area is area)

    @property
    def is_empty(self) -> bool:
        return not self.changes

    def counts(self) -> dict[str, dict[str, int]]:
        """Changes per area and kind, areas in report order."""
        out: dict[str, dict[str, int]] = {}
        for c in self.changes:
            kinds = out.setdefault(c.area.value, {})
            kinds[c.kind.value] = kinds.get(c.kind.value, 0) + 1
        return out

    def to_json(self) -> dict[str, object]:
        return {
            "schema": "ekstwin-diff",
            "version": 1,
            "summary": self.counts(),
            "changes": [c.to_json() for c in self.changes],
            "findings": {
                "new": [_finding_json(f) for f in self.new_findings],
                "fixed": [_finding_json(f) for f in self.fixed_findings],
                "unchanged": self.unchanged_findings,
            },
            "notes": list(self.notes),
        }


def _finding_json(f: Finding) -> dict[str, object]:
    return {
        "check_id": f.check_id,
        "severity": f.severity.value,
        "title": f.title,
        "object": str(f.subject),
        "message": f.message,
        "file": None if f.source is None else f.source.file,
        "line": None if f.source is None else f.source.line,
        "fingerprint": f.fingerprint,
    }

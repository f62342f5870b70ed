"""What engines emit and reporters read: severities, findings, diagnostics.

A :class:`Finding` is a problem in the platform found by a check. A
:class:`Diagnostic` is a problem with the *input* (a file that does not parse,
a document that does not match its schema): the run goes on without it.

Diagnostics are gathered in a :class:`DiagnosticCollector`, which keeps the
first few of each code in each file in full and counts the rest
(:class:`DiagnosticGroup`), so a million alike problems cost a few hundred
objects, not a million.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum

from ekstwin.model.source import ObjectRef, Source

__all__ = [
    "CheckInfo",
    "Confidence",
    "DIAGNOSTICS_KEPT",
    "DIAGNOSTICS_KEPT_PER_GROUP",
    "Diagnostic",
    "DiagnosticCollector",
    "DiagnosticGroup",
    "DiagnosticLevel",
    "Finding",
    "ObjectRef",
    "PlatformSummary",
    "Report",
    "Severity",
    "Suppressed",
    "diagnostic_totals",
    "fingerprint",
]


class Severity(StrEnum):
    INFO = "info"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return _SEVERITY_RANK[self]


_SEVERITY_RANK = {
    Severity.INFO: 0,
    Severity.LOW: 1,
    Severity.MEDIUM: 2,
    Severity.HIGH: 3,
    Severity.CRITICAL: 4,
}


class Confidence(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem a check found.

    ``key`` is what makes the finding unique within its check and subject (a
    container name, a statement index, ...); it goes into the fingerprint,
    which never contains a line number so baselines survive edits.
    """

    check_id: str
    title: str
    severity: Severity
    confidence: Confidence
    subject: ObjectRef
    message: str
    source: Source | None
    evidence: tuple[str, ...] = ()
    fix: str = ""
    key: str = ""
    fingerprint: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        if not self.fingerprint:
            object.__setattr__(
                self, "fingerprint", fingerprint(self.check_id, self.subject, self.key)
            )


def fingerprint(check_id: str, subject: ObjectRef, key: str) -> str:
    """A stable id of a finding: check, subject and key; no line numbers."""
    text = "\x1f".join((check_id, str(subject), key))
    return hashlib.sha256(text.encode()).hexdigest()[:32]


class DiagnosticLevel(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """A problem with the input: where, what is wrong, what to do.

    ``level`` ERROR means some input could not be read (the CLI exits 2);
    WARNING means it was read but something in it was ignored.
    """

    source: Source | None
    message: str
    hint: str = ""
    level: DiagnosticLevel = DiagnosticLevel.ERROR
    code: str = "input"

    def __str__(self) -> str:
        where = f" ({self.source})" if self.source else ""
        hint = f" - {self.hint}" if self.hint else ""
        return f"{self.level.value}: {self.message}{where}{hint}"

    def to_json(self) -> dict[str, object]:
        return {
            "level": self.level.value,
            "code": self.code,
            "message": self.message,
            "hint": self.hint,
            "source": self.source.to_json() if self.source else None,
        }

    @classmethod
    def from_json(cls, data: dict[str, object]) -> Diagnostic:
        src = data.get("source")
        return cls(
            source=Source.from_json(src) if isinstance(src, dict) else None,
            message=str(data.get("message", "")),
            hint=str(data.get("hint", "")),
            level=DiagnosticLevel(str(data.get("level", "error"))),
            code=str(data.get("code", "input")),
        )


#: A collector keeps at most this many diagnostics of one code in one file ...
DIAGNOSTICS_KEPT_PER_GROUP = 100
#: ... and at most this many in all; the others are counted (:class:`DiagnosticGroup`).
DIAGNOSTICS_KEPT = 10_000


@dataclass(frozen=True, slots=True)
class DiagnosticGroup:
    """Diagnostics of one level and code in one file that are counted, not listed
    (``file`` is ``"-"`` for those without a place)."""

    level: DiagnosticLevel
    code: str
    file: str
    count: int

    def to_json(self) -> dict[str, object]:
        return {
            "level": self.level.value,
            "code": self.code,
            "file": self.file,
            "count": self.count,
        }


class DiagnosticCollector:
    """Diagnostics in input order, bounded: the first ``per_group`` of each (code,
    file), at most ``limit`` in all, are kept in full; every other one only adds
    to the count of its (level, code, file). Counting loses nothing a summary,
    an exit code or a report needs: how many, of which level and code, where.
    """

    __slots__ = ("_counted", "_kept", "_limit", "_per_group", "_seen")

    def __init__(
        self,
        diagnostics: Iterable[Diagnostic] = (),
        *,
        per_group: int = DIAGNOSTICS_KEPT_PER_GROUP,
        limit: int = DIAGNOSTICS_KEPT,
    ) -> None:
        self._per_group = per_group
        self._limit = limit
        self._kept: list[Diagnostic] = []
        self._seen: Counter[tuple[str, str]] = Counter()
        self._counted: Counter[tuple[str, str, DiagnosticLevel]] = Counter()
        self.extend(diagnostics)

    def append(self, diagnostic: Diagnostic) -> None:
        file = diagnostic.source.file if diagnostic.source else "-"
        group = (diagnostic.code, file)
        if len(self._kept) < self._limit and self._seen[group] < self._per_group:
            self._seen[group] += 1
            self._kept.append(diagnostic)
        else:
            self._counted[(file, diagnostic.code, diagnostic.level)] += 1

    def extend(self, diagnostics: Iterable[Diagnostic]) -> None:
        """Add each diagnostic; another collector's counted ones stay counted."""
        for d in diagnostics:
            self.append(d)
        if isinstance(diagnostics, DiagnosticCollector):
            self.count(diagnostics.counted)

    def count(self, groups: Iterable[DiagnosticGroup]) -> None:
        """Add diagnostics counted elsewhere (a snapshot's, another collector's)."""
        for g in groups:
            self._counted[(g.file, g.code, g.level)] += g.count

    def __iter__(self) -> Iterator[Diagnostic]:
        return iter(self._kept)

    def __len__(self) -> int:
        return len(self._kept)

    def __bool__(self) -> bool:
        return bool(self._kept) or bool(self._counted)

    @property
    def kept(self) -> tuple[Diagnostic, ...]:
        """The diagnostics kept in full, in the order they came."""
        return tuple(self._kept)

    @property
    def counted(self) -> tuple[DiagnosticGroup, ...]:
        """The ones only counted, by file then code (then level)."""
        return tuple(
            DiagnosticGroup(level, code, file, n)
            for (file, code, level), n in sorted(self._counted.items())
        )


def diagnostic_totals(
    diagnostics: Iterable[Diagnostic], counted: Iterable[DiagnosticGroup] = ()
) -> dict[DiagnosticLevel, int]:
    """How many diagnostics of each level, the counted ones included."""
    totals = dict.fromkeys(DiagnosticLevel, 0)
    for d in diagnostics:
        totals[d.level] += 1
    for g in counted:
        totals[g.level] += g.count
    return totals


@dataclass(frozen=True, slots=True)
class CheckInfo:
    """The metadata of one check, as reporters show it (SARIF rules, docs)."""

    id: str
    slug: str
    title: str
    severity: Severity
    confidence: Confidence
    engine: str
    doc: str
    doc_path: str

    def to_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "slug": self.slug,
            "title": self.title,
            "severity": self.severity.value,
            "confidence": self.confidence.value,
            "engine": self.engine,
            "doc": self.doc_path,
        }


@dataclass(frozen=True, slots=True)
class Suppressed:
    """A finding that an annotation or a baseline silenced, and why."""

    finding: Finding
    kind: str  # "annotation" or "baseline"
    justification: str


@dataclass(frozen=True, slots=True)
class PlatformSummary:
    """Counts that describe the loaded platform."""

    kinds: tuple[tuple[str, int], ...]
    namespaces: tuple[str, ...]
    nodes: tuple[str, ...]
    accounts: tuple[str, ...]
    pods: int
    opaque: tuple[tuple[str, int], ...] = ()
    #: Objects assumed because the input lacks them (``Kind/ns/name``).
    implied: tuple[str, ...] = ()

    def to_json(self) -> dict[str, object]:
        return {
            "kinds": dict(self.kinds),
            "namespaces": list(self.namespaces),
            "nodes": list(self.nodes),
            "accounts": list(self.accounts),
            "pods": self.pods,
            "opaque": dict(self.opaque),
            "implied": list(self.implied),
        }


@dataclass(frozen=True, slots=True)
class Report:
    """Everything `ekstwin analyze` produced: what reporters render."""

    tool_version: str
    inputs: tuple[str, ...]
    summary: PlatformSummary
    checks: tuple[CheckInfo, ...]
    findings: tuple[Finding, ...]
    suppressed: tuple[Suppressed, ...] = ()
    diagnostics: tuple[Diagnostic, ...] = ()
    #: Diagnostics beyond those kept in full, counted (DiagnosticCollector).
    counted_diagnostics: tuple[DiagnosticGroup, ...] = ()

    @property
    def input_errors(self) -> bool:
        return any(d.level is DiagnosticLevel.ERROR for d in self.diagnostics) or any(
            g.level is DiagnosticLevel.ERROR for g in self.counted_diagnostics
        )

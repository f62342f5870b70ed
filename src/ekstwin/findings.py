"""What engines emit and reporters read: severities, findings, diagnostics.

A :class:`Finding` is a problem in the platform found by a check. A
:class:`Diagnostic` is a problem with the *input* (a file that does not parse,
a document that does not match its schema): the run goes on without it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from enum import StrEnum

from ekstwin.model.source import ObjectRef, Source

__all__ = [
    "CheckInfo",
    "Confidence",
    "Diagnostic",
    "DiagnosticLevel",
    "Finding",
    "ObjectRef",
    "PlatformSummary",
    "Report",
    "Severity",
    "Suppressed",
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

    @property
    def input_errors(self) -> bool:
        return any(d.level is DiagnosticLevel.ERROR for d in self.diagnostics)

"""Silencing findings: annotations on objects and baseline files.

An object (or its namespace) silences checks with two annotations::

    metadata:
      annotations:
        ekstwin.io/ignore: "ECR001,ECR002"
        ekstwin.io/ignore-reason: "images are re-tagged only by the release bot"

The reason is required: without it the annotation is ignored and a warning
says so. A baseline file lists the fingerprints of accepted findings
(``ekstwin baseline write``); fingerprints hold no line numbers, so edits
elsewhere in a file do not revive them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ekstwin.errors import ConfigError
from ekstwin.findings import Diagnostic, DiagnosticLevel, Finding, Suppressed
from ekstwin.model.k8s import Meta
from ekstwin.model.platform import Platform
from ekstwin.model.source import ObjectRef

IGNORE = "ekstwin.io/ignore"
IGNORE_REASON = "ekstwin.io/ignore-reason"
BASELINE_FORMAT = "ekstwin-baseline"
BASELINE_VERSION = 1


@dataclass(frozen=True, slots=True)
class Baseline:
    fingerprints: frozenset[str]
    file: str


def _ids(meta: Meta) -> set[str]:
    return {s.strip().upper() for s in meta.annotations.get(IGNORE, "").split(",") if s.strip()}


def apply_suppressions(
    platform: Platform, findings: Sequence[Finding], baseline: Baseline | None = None
) -> tuple[list[Finding], list[Suppressed], list[Diagnostic]]:
    """Split findings into kept and suppressed; warn about unusable annotations."""
    metas: dict[ObjectRef, Meta] = {}
    namespaces: dict[str, Meta] = {}
    diags: list[Diagnostic] = []
    for meta in platform.metas():
        metas.setdefault(meta.ref, meta)
        if meta.kind == "Namespace":
            namespaces[meta.name] = meta
        if IGNORE in meta.annotations and not meta.annotations.get(IGNORE_REASON, "").strip():
            diags.append(
                Diagnostic(
                    meta.source,
                    f"{meta.ref}: annotation {IGNORE} has no {IGNORE_REASON}; "
                    "nothing is suppressed",
                    f"add {IGNORE_REASON} saying why the finding is accepted",
                    level=DiagnosticLevel.WARNING,
                    code="suppression",
                )
            )
    kept: list[Finding] = []
    suppressed: list[Suppressed] = []
    for f in findings:
        why = _annotation_reason(f, metas, namespaces)
        if why is not None:
            suppressed.append(Suppressed(f, "annotation", why))
        elif baseline is not None and f.fingerprint in baseline.fingerprints:
            suppressed.append(Suppressed(f, "baseline", f"accepted in baseline {baseline.file}"))
        else:
            kept.append(f)
    return kept, suppressed, diags


def _annotation_reason(
    f: Finding, metas: dict[ObjectRef, Meta], namespaces: dict[str, Meta]
) -> str | None:
    candidates = [metas.get(f.subject)]
    if f.subject.namespace:
        candidates.append(namespaces.get(f.subject.namespace))
    for meta in candidates:
        if meta is None:
            continue
        reason = meta.annotations.get(IGNORE_REASON, "").strip()
        if reason and f.check_id.upper() in _ids(meta):
            return f"{meta.ref}: {reason}"
    return None


def read_baseline(path: str) -> Baseline:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read baseline {path}: {exc.strerror}") from exc
    except json.JSONDecodeError as exc:
        raise ConfigError(f"baseline {path} is not JSON: {exc.msg} (line {exc.lineno})") from exc
    except RecursionError as exc:
        raise ConfigError(
            f"baseline {path} is nested too deeply to read (line 1) - "
            "write it again with 'ekstwin baseline write'"
        ) from exc
    except ValueError as exc:  # not UTF-8, or a number Python cannot read
        raise ConfigError(
            f"baseline {path} cannot be read (line 1): {type(exc).__name__} - "
            "write it again with 'ekstwin baseline write'"
        ) from exc
    if not isinstance(data, dict) or data.get("format") != BASELINE_FORMAT:
        raise ConfigError(f"{path} is not an ekstwin baseline (format {BASELINE_FORMAT!r})")
    if data.get("version") != BASELINE_VERSION:
        raise ConfigError(f"baseline {path} has version {data.get('version')!r}; expected 1")
    entries = data.get("findings")
    if not isinstance(entries, list):
        raise ConfigError(f"baseline {path} has no findings list")
    prints = {str(e["fingerprint"]) for e in entries if isinstance(e, dict) and "fingerprint" in e}
    return Baseline(frozenset(prints), path)


def baseline_json(findings: Iterable[Finding]) -> dict[str, object]:
    return {
        "format": BASELINE_FORMAT,
        "version": BASELINE_VERSION,
        "findings": [
            {"fingerprint": f.fingerprint, "id": f.check_id, "subject": str(f.subject)}
            for f in sorted(findings, key=lambda f: (f.check_id, str(f.subject), f.fingerprint))
        ],
    }

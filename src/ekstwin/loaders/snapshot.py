"""Snapshots: everything ekstwin read, as one versioned JSON file.

``ekstwin snapshot DIR -o twin.json`` writes :func:`snapshot_to_json`; every
command reads the file back (:data:`INPUT_FORMAT`) as if it read the inputs
again. What must never be kept is dropped before a snapshot is written, and
again when one is read (a hand-edited snapshot is sanitized like any input).
"""

from __future__ import annotations

from ekstwin.findings import Diagnostic, DiagnosticGroup, DiagnosticLevel
from ekstwin.loaders.aws import AwsDocument, without_secrets
from ekstwin.loaders.credentials import REDACTED
from ekstwin.loaders.interface import InputFormat, Loaded, RawInputs
from ekstwin.loaders.keycloak import RealmDocument, redact_realm
from ekstwin.loaders.kubernetes.sanitize import sanitize
from ekstwin.loaders.yamldocs import Document
from ekstwin.model.source import Source

__all__ = [
    "INPUT_FORMAT",
    "SNAPSHOT_FORMAT",
    "SNAPSHOT_VERSION",
    "is_snapshot",
    "snapshot_from_json",
    "snapshot_to_json",
]

SNAPSHOT_FORMAT = "ekstwin-snapshot"
SNAPSHOT_VERSION = 1


def is_snapshot(data: object) -> bool:
    """A mapping with ``format: ekstwin-snapshot`` (of any version: a version this
    ekstwin does not read is reported when it is loaded)."""
    return isinstance(data, dict) and data.get("format") == SNAPSHOT_FORMAT


def snapshot_to_json(raw: RawInputs, tool_version: str) -> dict[str, object]:
    """The versioned snapshot document: every raw input with its origin."""
    return {
        "format": SNAPSHOT_FORMAT,
        "version": SNAPSHOT_VERSION,
        "tool": {"name": "ekstwin", "version": tool_version},
        "inputs": list(raw.inputs),
        "kubernetes": [
            {"source": d.source.to_json(), "lines": d.lines, "object": d.data} for d in raw.kube
        ],
        "aws": [
            {"file": d.file, "lines": d.lines, "document": without_secrets(d.data, REDACTED)}
            for d in raw.aws
        ],
        "keycloak": [
            {"source": d.source.to_json(), "lines": d.lines, "export": d.data} for d in raw.realms
        ],
        "diagnostics": [d.to_json() for d in raw.diagnostics],
        "counted_diagnostics": [g.to_json() for g in raw.counted_diagnostics],
    }


def _lines(value: object) -> dict[str, int]:
    if not isinstance(value, dict):
        return {}
    return {str(k): v for k, v in value.items() if isinstance(v, int)}


def snapshot_from_json(data: dict[str, object], source: Source) -> RawInputs:
    """Read a snapshot document; a malformed entry becomes a diagnostic."""
    diags: list[Diagnostic] = []
    version = data.get("version")
    if version != SNAPSHOT_VERSION:
        return RawInputs(
            diagnostics=(
                Diagnostic(
                    source,
                    f"snapshot version {version!r} is not supported (this ekstwin reads "
                    f"version {SNAPSHOT_VERSION})",
                    "write the snapshot again with this version of ekstwin",
                    code="snapshot",
                ),
            )
        )
    kube: list[Document] = []
    aws: list[AwsDocument] = []
    realms: list[RealmDocument] = []

    def entries(key: str) -> list[dict[str, object]]:
        value = data.get(key) or []
        if not isinstance(value, list):
            diags.append(Diagnostic(source, f"snapshot {key} must be a list", code="snapshot"))
            return []
        good = [e for e in value if isinstance(e, dict)]
        if len(good) != len(value):
            diags.append(
                Diagnostic(
                    source, f"snapshot {key} holds entries that are not objects", code="snapshot"
                )
            )
        return good

    for e in entries("kubernetes"):
        src = e.get("source")
        if not isinstance(src, dict) or "file" not in src:
            diags.append(Diagnostic(source, "snapshot entry without a source", code="snapshot"))
            continue
        kube.append(
            Document(sanitize(e.get("object")), Source.from_json(src), _lines(e.get("lines")))
        )
    for e in entries("aws"):
        doc = e.get("document")
        if isinstance(doc, dict):
            aws.append(
                AwsDocument(
                    file=file if isinstance(file := e.get("file"), str) else source.file,
                    data=doc,
                    lines=_lines(e.get("lines")),
                )
            )

    def malformed(key: str, i: int, what: str) -> None:
        diags.append(
            Diagnostic(
                source,
                f"snapshot {key} entry {i} is malformed: {what}",
                "write the snapshot again with this version of ekstwin",
                code="snapshot",
            )
        )

    for i, e in enumerate(entries("keycloak")):
        src = e.get("source")
        if isinstance(src, dict) and "file" not in src:
            malformed("keycloak", i, "source has no file")
            continue
        realms.append(
            RealmDocument(
                redact_realm(e.get("export")),
                Source.from_json(src) if isinstance(src, dict) else source,
                _lines(e.get("lines")),
            )
        )
    levels = [level.value for level in DiagnosticLevel]
    for i, e in enumerate(entries("diagnostics")):
        src, level = e.get("source"), e.get("level", "error")
        if level not in levels:
            malformed("diagnostics", i, f"level {level!r} is not one of {', '.join(levels)}")
        elif isinstance(src, dict) and "file" not in src:
            malformed("diagnostics", i, "source has no file")
        else:
            diags.append(Diagnostic.from_json(e))
    counted: list[DiagnosticGroup] = []
    for i, e in enumerate(entries("counted_diagnostics")):
        level, count = e.get("level", "error"), e.get("count")
        if level not in levels:
            what = f"level {level!r} is not one of {', '.join(levels)}"
            malformed("counted_diagnostics", i, what)
        elif not isinstance(count, int) or isinstance(count, bool) or count < 1:
            malformed("counted_diagnostics", i, f"count {count!r} is not a positive integer")
        else:
            counted.append(
                DiagnosticGroup(
                    DiagnosticLevel(str(level)),
                    str(e.get("code", "input")),
                    str(e.get("file", "-")),
                    count,
                )
            )
    inputs = data.get("inputs")
    return RawInputs(
        inputs=tuple(str(i) for i in inputs) if isinstance(inputs, list) else (),
        kube=tuple(kube),
        aws=tuple(aws),
        realms=tuple(realms),
        diagnostics=tuple(diags),
        counted_diagnostics=tuple(counted),
    )


def _load(data: object, source: Source, lines: dict[str, int]) -> Loaded:
    assert isinstance(data, dict)
    return Loaded(snapshots=(snapshot_from_json(data, source),))


def _load_json_file(text: str, data: object, file: str) -> Loaded:
    # A snapshot's own entries say where each part came from: the snapshot file's
    # line table is not needed (and would cost a pass over a large file).
    return _load(data, Source(file, 1), {})


INPUT_FORMAT = InputFormat("snapshot", is_snapshot, _load, _load_json_file)

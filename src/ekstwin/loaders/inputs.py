"""Read files, directories, stdin and snapshots into raw documents.

Raw inputs are what the model is built from, and what a snapshot stores:
the Kubernetes documents (Secret values already dropped), the aws.json
documents and the Keycloak realm exports, each with its file and lines.
Reading never raises for bad content: each problem becomes a diagnostic.

Reading parses (YAML or JSON, a JSON ``List`` item by item), then hands each
parsed document to the first of :data:`FORMATS` that recognises it
(``ekstwin.loaders.interface``).
"""

from __future__ import annotations

import json
import os
import stat
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ekstwin.errors import EkstwinError
from ekstwin.findings import Diagnostic, DiagnosticCollector, DiagnosticLevel, diagnostic_totals
from ekstwin.loaders import aws, keycloak, kubernetes, snapshot, terraform
from ekstwin.loaders.aws import AwsDocument
from ekstwin.loaders.credentials import REDACTED
from ekstwin.loaders.interface import InputFormat, Loaded, RawInputs
from ekstwin.loaders.jsonlines import pointer_lines
from ekstwin.loaders.keycloak import RealmDocument, redact_realm
from ekstwin.loaders.kubernetes import LINE_KINDS, sanitize
from ekstwin.loaders.kustomize import build as build_kustomization
from ekstwin.loaders.kustomize import kustomization_file, kustomize_roots
from ekstwin.loaders.snapshot import (
    SNAPSHOT_FORMAT,
    SNAPSHOT_VERSION,
    snapshot_from_json,
    snapshot_to_json,
)
from ekstwin.loaders.yamldocs import (
    AliasBudget,
    Document,
    ReadMemo,
    normalize_newlines,
    read_documents,
    typed_list_item,
)
from ekstwin.model.source import Source

__all__ = [
    "FORMATS",
    "JSON_SUFFIXES",
    "MAX_FILE_BYTES",
    "REDACTED",
    "SNAPSHOT_FORMAT",
    "SNAPSHOT_VERSION",
    "YAML_SUFFIXES",
    "RawInputs",
    "RealmDocument",
    "format_of",
    "list_files",
    "merge",
    "read_inputs",
    "redact_realm",
    "sanitize",
    "snapshot_from_json",
    "snapshot_to_json",
]

#: The input formats, in the order they are asked: the first that recognises a
#: document loads it. A snapshot and an aws.json say what they are
#: (``format``); a Keycloak realm export before a Terraform plan, and anything
#: else is read as Kubernetes.
FORMATS: tuple[InputFormat, ...] = (
    snapshot.INPUT_FORMAT,
    aws.INPUT_FORMAT,
    keycloak.INPUT_FORMAT,
    terraform.INPUT_FORMAT,
    kubernetes.INPUT_FORMAT,
)


def format_of(data: object) -> InputFormat:
    """The format that reads ``data``: the first of :data:`FORMATS` that recognises it."""
    for f in FORMATS:
        if f.recognise(data):
            return f
    raise AssertionError("the last format recognises anything")  # pragma: no cover


#: Files larger than this are refused (a diagnostic says so); stdin and
#: explicitly named pipes or devices are held to the same limit.
MAX_FILE_BYTES = 64 * 1024 * 1024

YAML_SUFFIXES = frozenset({".yaml", ".yml"})
JSON_SUFFIXES = frozenset({".json"})


@dataclass
class _Collector:
    kube: list[Document] = field(default_factory=list)
    aws: list[AwsDocument] = field(default_factory=list)
    realms: list[RealmDocument] = field(default_factory=list)
    diagnostics: DiagnosticCollector = field(default_factory=DiagnosticCollector)
    snapshots: list[RawInputs] = field(default_factory=list)
    budget: AliasBudget = field(default_factory=AliasBudget)
    memo: ReadMemo = field(default_factory=ReadMemo)


def _take(col: _Collector, loaded: Loaded) -> None:
    if loaded.kube:  # (most documents are one Kubernetes object and nothing else)
        col.kube.extend(loaded.kube)
    if loaded.aws:
        col.aws.extend(loaded.aws)
    if loaded.realms:
        col.realms.extend(loaded.realms)
    if loaded.snapshots:
        col.snapshots.extend(loaded.snapshots)
    if loaded.diagnostics:
        col.diagnostics.extend(loaded.diagnostics)


def _classify(col: _Collector, data: object, source: Source, lines: dict[str, int]) -> None:
    _take(col, format_of(data).load(data, source, lines))


class _TooLarge(EkstwinError, ValueError):
    def __init__(self, digits: str) -> None:
        super().__init__(digits)
        self.digits = digits


def _checked_int(digits: str) -> int:
    if len(digits.lstrip("-")) >= 4000:
        raise _TooLarge(digits)
    return int(digits)


def _json_loads(text: str, file: str) -> tuple[object, Diagnostic | None]:
    """The JSON value, or a diagnostic with the line of what could not be read."""
    try:
        return json.loads(text), None
    except json.JSONDecodeError as exc:
        return None, Diagnostic(
            Source(file, exc.lineno),
            f"JSON syntax error: {exc.msg} (column {exc.colno})",
            "fix the JSON syntax",
            code="json-syntax",
        )
    except ValueError:
        pass  # an integer past CPython's int-string limit: find it
    try:
        return json.loads(text, parse_int=_checked_int), None
    except _TooLarge as exc:
        at = text.find(exc.digits)
        return None, Diagnostic(
            Source(file, text.count("\n", 0, at) + 1 if at >= 0 else 1),
            f"integer {exc.digits[:12]}... ({len(exc.digits)} digits) is too large "
            "(Kubernetes integers are 64-bit); the file was not read",
            "fix the number",
            code="json-syntax",
        )
    except ValueError as exc:
        return None, Diagnostic(
            Source(file, 1), f"JSON value cannot be read: {exc}", "fix the JSON", code="json-syntax"
        )


def _read_json(col: _Collector, text: str, file: str) -> None:
    data, problem = _json_loads(text, file)
    if problem is not None:
        col.diagnostics.append(problem)
        return
    whole = format_of(data).load_json_file
    if whole is not None:
        _take(col, whole(text, data, file))
        return
    lines = pointer_lines(text)
    if (
        isinstance(data, dict)
        and str(data.get("kind", "")).endswith("List")
        and isinstance(data.get("items"), list)
    ):
        # each item's pointers, in one pass over the file's (not one per item)
        per_item: dict[str, dict[str, int]] = {}
        for k, v in lines.items():
            if k.startswith("/items/"):
                index, _, rest = k[len("/items/") :].partition("/")
                per_item.setdefault(index, {})["/" + rest if rest else ""] = v
        for i, item in enumerate(data["items"]):
            prefix = f"/items/{i}"
            _classify(
                col,
                typed_list_item(data, item),
                Source(file, lines.get(prefix, 1)),
                per_item.get(str(i), {}),
            )
        return
    _classify(col, data, Source(file, lines.get("", 1)), lines)


def _read_text(col: _Collector, text: str, file: str, *, json_first: bool) -> None:
    text = normalize_newlines(text)
    try:
        _read_text_parsed(col, text, file, json_first=json_first)
    except RecursionError:
        # json.loads recurses once per level; Python's stack ends first.
        col.diagnostics.append(
            Diagnostic(
                Source(file, 1),
                "JSON nested too deeply to read",
                "flatten the document; ekstwin reads at most a few hundred levels",
                code="json-syntax",
            )
        )


def _read_text_parsed(col: _Collector, text: str, file: str, *, json_first: bool) -> None:
    if json_first:
        try:
            json.loads(text)
        except json.JSONDecodeError:
            if file.endswith(".json"):
                _read_json(col, text, file)  # reports the JSON syntax error
                return
            # Not JSON after all (YAML flow style on stdin, say): read it as YAML.
        except ValueError:
            _read_json(col, text, file)  # reports the number it cannot read
            return
        else:
            _read_json(col, text, file)
            return
    docs, diags = read_documents(
        text, file, line_kinds=LINE_KINDS, budget=col.budget, memo=col.memo
    )
    col.diagnostics.extend(diags)
    for doc in docs:
        _classify(col, doc.data, doc.source, doc.lines)


def _oversize(shown: str, size: str) -> Diagnostic:
    return Diagnostic(
        Source(shown),
        f"{'stdin' if shown == '<stdin>' else 'file'} refused: {size} bytes is over the "
        f"{MAX_FILE_BYTES} byte limit",
        "split the file, or pass only the parts ekstwin needs",
        code="oversize",
    )


def _decode(col: _Collector, raw: bytes, shown: str, hint: str) -> str | None:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        col.diagnostics.append(
            Diagnostic(
                Source(shown, line),
                f"{'stdin' if shown == '<stdin>' else 'file'} is not UTF-8 text",
                hint,
                code="encoding",
            )
        )
        return None


def _read_file(col: _Collector, path: Path, shown: str, *, explicit: bool) -> None:
    try:
        st = path.stat()
    except OSError as exc:
        col.diagnostics.append(
            Diagnostic(Source(shown), f"cannot read: {exc.strerror}", "check the path", code="io")
        )
        return
    regular = stat.S_ISREG(st.st_mode)
    if not regular and not explicit:
        # A FIFO would block, a device (a link to /dev/zero) never ends.
        col.diagnostics.append(
            Diagnostic(
                Source(shown),
                f"skipped: not a regular file ({_file_type(st.st_mode)})",
                "move it out of the folder, or name it on the command line to read it",
                level=DiagnosticLevel.WARNING,
                code="io",
            )
        )
        return
    if regular and st.st_size > MAX_FILE_BYTES:
        col.diagnostics.append(_oversize(shown, str(st.st_size)))
        return
    try:
        with path.open("rb") as f:
            raw = f.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        col.diagnostics.append(
            Diagnostic(
                Source(shown), f"cannot read: {exc.strerror}", "check permissions", code="io"
            )
        )
        return
    if len(raw) > MAX_FILE_BYTES:
        col.diagnostics.append(_oversize(shown, "more than " + str(MAX_FILE_BYTES)))
        return
    text = _decode(
        col,
        raw,
        shown,
        "save it as UTF-8" if explicit else "save it as UTF-8, or move it out of the folder",
    )
    if text is None:
        return
    suffix = path.suffix.lower()
    json_first = suffix in JSON_SUFFIXES or (
        suffix not in YAML_SUFFIXES and text.lstrip().startswith(("{", "["))
    )
    _read_text(col, text, shown, json_first=json_first)


def _file_type(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISDIR(mode):
        return "a directory"
    return "not a file"


def _stdin_bytes() -> bytes:
    buffer = getattr(sys.stdin, "buffer", None)
    if buffer is not None:
        data: bytes = buffer.read(MAX_FILE_BYTES + 1)
        return data
    return sys.stdin.read(MAX_FILE_BYTES + 1).encode("utf-8", "surrogatepass")


def _walk(root: Path) -> Iterable[Path]:
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        if kustomization_file(Path(dirpath)) is not None:
            continue  # read as what kustomize builds (see _kustomize), not file by file
        for name in sorted(filenames):
            if name.startswith("."):
                continue
            p = Path(dirpath) / name
            if p.suffix.lower() in YAML_SUFFIXES | JSON_SUFFIXES:
                yield p


def list_files(paths: Sequence[str]) -> list[tuple[Path, str, bool]]:
    """(path, name to show, given explicitly) for every file the inputs name."""
    out: list[tuple[Path, str, bool]] = []
    for arg in paths:
        if arg == "-":
            continue
        p = Path(arg)
        if p.is_dir():
            out.extend((f, str(f), False) for f in _walk(p))
        elif p.exists():  # a missing path is reported once, by read_inputs
            out.append((p, arg, True))
    return out


def _kustomize(col: _Collector, paths: Sequence[str]) -> None:
    """Every kustomization root under the directories given, built and read."""
    for arg in paths:
        root = Path(arg)
        if arg == "-" or not root.is_dir():
            continue
        dirs = [Path(d) for d, _, _ in os.walk(root) if not Path(d).name.startswith(".")]
        roots, _ = kustomize_roots(dirs)
        for directory in roots:
            rel = (
                directory.relative_to(root.resolve())
                if directory.is_relative_to(root.resolve())
                else directory
            )
            built = build_kustomization(directory, str(root / rel))
            if built.diagnostic is not None:
                col.diagnostics.append(built.diagnostic)
            if built.text is not None:
                _read_text(col, built.text, built.source, json_first=False)


def read_inputs(
    paths: Sequence[str],
    *,
    stdin_text: Callable[[], str] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> RawInputs:
    """Read every named file, directory (recursively) and ``-`` (stdin)."""
    col = _Collector()
    for arg in paths:
        if arg != "-" and not Path(arg).exists():
            col.diagnostics.append(
                Diagnostic(
                    Source(arg),
                    "no such file or directory",
                    "give a directory of manifests, a file, a snapshot or '-' for stdin",
                    code="io",
                )
            )
    files = list_files(paths)
    _kustomize(col, paths)
    total = len(files) + (1 if "-" in paths else 0)
    done = 0
    if "-" in paths:
        _read_stdin(col, stdin_text)
        done += 1
        if progress:
            progress(done, total)
    for path, shown, explicit in files:
        _read_file(col, path, shown, explicit=explicit)
        done += 1
        if progress:
            progress(done, total)
    if (
        not (col.kube or col.aws or col.realms or col.snapshots)
        and not diagnostic_totals(col.diagnostics, col.diagnostics.counted)[DiagnosticLevel.ERROR]
    ):
        col.diagnostics.append(
            Diagnostic(
                Source(", ".join(paths) or "(no input)"),
                "nothing to analyse: no Kubernetes manifest, aws.json, Keycloak realm export "
                "or snapshot was found",
                "point ekstwin at the directory or files of the platform (YAML or JSON)",
                code="empty",
            )
        )
    raw = RawInputs(
        inputs=tuple(paths),
        kube=tuple(col.kube),
        aws=tuple(col.aws),
        realms=tuple(col.realms),
        diagnostics=col.diagnostics.kept,
        counted_diagnostics=col.diagnostics.counted,
    )
    for snap in col.snapshots:
        raw = merge(raw, snap)
    return raw


def _read_stdin(col: _Collector, stdin_text: Callable[[], str] | None) -> None:
    shown = "<stdin>"
    try:
        raw = stdin_text().encode("utf-8", "surrogatepass") if stdin_text else _stdin_bytes()
    except OSError as exc:
        col.diagnostics.append(
            Diagnostic(Source(shown), f"cannot read: {exc.strerror}", "check the pipe", code="io")
        )
        return
    if len(raw) > MAX_FILE_BYTES:
        col.diagnostics.append(_oversize(shown, "more than " + str(MAX_FILE_BYTES)))
        return
    text = _decode(col, raw, shown, "give UTF-8 text on stdin")
    if text is not None:
        _read_text(col, text, shown, json_first=text.lstrip().startswith(("{", "[")))


def merge(a: RawInputs, b: RawInputs) -> RawInputs:
    return RawInputs(
        inputs=a.inputs,
        kube=a.kube + b.kube,
        aws=a.aws + b.aws,
        realms=a.realms + b.realms,
        diagnostics=a.diagnostics + b.diagnostics,
        counted_diagnostics=a.counted_diagnostics + b.counted_diagnostics,
    )

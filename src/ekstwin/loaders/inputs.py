"""Read files, directories, stdin and snapshots into raw documents.

Raw inputs are what the model is built from, and what a snapshot stores:
the Kubernetes documents (Secret values already dropped), the aws.json
documents and the Keycloak realm exports, each with its file and lines.
Reading never raises for bad content: each problem becomes a diagnostic.
"""

from __future__ import annotations

import json
import os
import stat
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ekstwin.errors import SchemaError
from ekstwin.findings import Diagnostic, DiagnosticLevel
from ekstwin.loaders.aws import AwsDocument, is_aws_document, load_aws_text, without_secrets
from ekstwin.loaders.credentials import credential_reason
from ekstwin.loaders.jsonlines import pointer_lines
from ekstwin.loaders.keycloak import is_keycloak_realm, is_secret_key
from ekstwin.loaders.kubernetes import (
    CREDENTIALS_KEY,
    HAD_VALUES_KEY,
    LINE_KINDS,
    is_secret_document,
)
from ekstwin.loaders.kustomize import build as build_kustomization
from ekstwin.loaders.kustomize import kustomization_file, kustomize_roots
from ekstwin.loaders.terraform import is_terraform_json, terraform_to_aws
from ekstwin.loaders.yamldocs import (
    AliasBudget,
    Document,
    normalize_newlines,
    read_documents,
    typed_list_item,
)
from ekstwin.model.k8s import (
    ENV_VALUES_KEPT,
    FLAG_VALUES_ALWAYS_KEPT,
    FLAG_VALUES_KEPT,
    FLAGS_WITHOUT_VALUE,
)
from ekstwin.model.source import Source

SNAPSHOT_FORMAT = "ekstwin-snapshot"
SNAPSHOT_VERSION = 1

#: Files larger than this are refused (a diagnostic says so); stdin and
#: explicitly named pipes or devices are held to the same limit.
MAX_FILE_BYTES = 64 * 1024 * 1024

YAML_SUFFIXES = frozenset({".yaml", ".yml"})
JSON_SUFFIXES = frozenset({".json"})
_LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"


@dataclass(frozen=True, slots=True)
class RealmDocument:
    data: object
    source: Source
    lines: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RawInputs:
    """Everything read, before the model is built."""

    inputs: tuple[str, ...] = ()
    kube: tuple[Document, ...] = ()
    aws: tuple[AwsDocument, ...] = ()
    realms: tuple[RealmDocument, ...] = ()
    diagnostics: tuple[Diagnostic, ...] = ()


@dataclass
class _Collector:
    kube: list[Document] = field(default_factory=list)
    aws: list[AwsDocument] = field(default_factory=list)
    realms: list[RealmDocument] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    snapshots: list[RawInputs] = field(default_factory=list)
    budget: AliasBudget = field(default_factory=AliasBudget)


def sanitize(data: object) -> object:
    """Drop what must never be kept: secret values and bulky server fields.

    Values are dropped by default, not by guessing which look secret:

    - a Secret (:func:`is_secret_document`) keeps its keys, each value replaced by
      ``True`` when it held something and ``None`` when it was empty, a flag
      saying whether any held a value, and, for each key whose value looks like a
      credential, why (``ekstwin.loaders.credentials``; never the value);
    - every ``env`` entry, anywhere in the object (pod templates of workloads,
      PodTemplates, custom resources that embed containers, kubeconfig ``exec``),
      keeps its name, and its literal value only when the name is one of the AWS
      settings the model reads (``ENV_VALUES_KEPT``);
    - every ``command`` and ``args`` list (containers, probes and lifecycle hooks'
      ``exec``, kubeconfig ``exec``) keeps the names of its flags and the values of
      the flags the model reads (``FLAG_VALUES_KEPT``); every other word is redacted;
    - a kubeconfig (``kind: Config``) keeps its users' names, not their credentials;
    - a document that is not a Kubernetes object (no ``kind`` or ``apiVersion``) keeps
      its shape without its values: the model skips it, and it may be anything
      (a Keycloak export that is not a realm, an item of a raw Secret list).

    The last-applied-configuration annotation, which repeats the whole object, goes
    from every object, and ``managedFields`` too. Sanitizing twice changes nothing.
    """
    if not isinstance(data, dict):
        return _without_values(data)
    if "kind" not in data or "apiVersion" not in data:
        return {
            str(k): v if k in ("kind", "apiVersion") and isinstance(v, str) else _without_values(v)
            for k, v in data.items()
        }
    md = data.get("metadata")
    if isinstance(md, dict):
        annotations = md.get("annotations")
        if "managedFields" in md or (
            isinstance(annotations, dict) and _LAST_APPLIED in annotations
        ):
            md = {k: v for k, v in md.items() if k != "managedFields"}
            if isinstance(annotations, dict) and _LAST_APPLIED in annotations:
                md["annotations"] = {k: v for k, v in annotations.items() if k != _LAST_APPLIED}
            data = {**data, "metadata": md}
    if not is_secret_document(data):
        redacted = _redact(data, 0)
        assert isinstance(redacted, dict)
        if data.get("kind") == "Config" and isinstance(redacted.get("users"), list):
            redacted = {**redacted, "users": [_kubeconfig_user(u) for u in redacted["users"]]}
        return redacted
    out = {k: _without_values(v) if k not in _SECRET_FIELDS_KEPT else v for k, v in data.items()}
    # A snapshot holds Secrets already sanitized: keep the flags they carry.
    had = data.get(HAD_VALUES_KEY) is True
    judged = data.get(CREDENTIALS_KEY)
    credentials: dict[str, str] = dict(judged) if isinstance(judged, dict) else {}
    for key in ("data", "stringData"):
        values = out.get(key)
        if isinstance(values, dict):
            had = had or any(v not in (None, "") for v in values.values())
            for k, v in values.items():
                if v in (None, "", True) or str(k) in credentials:
                    continue
                reason = credential_reason(str(k), v, encoded=key == "data")
                if reason is not None:
                    credentials[str(k)] = reason
            out[key] = {str(k): True if v not in (None, "") else None for k, v in values.items()}
        elif values is not None:
            out[key] = {}
    out[HAD_VALUES_KEY] = had
    if had and (judged is not None or not _already_sanitized(data)):
        out[CREDENTIALS_KEY] = dict(sorted(credentials.items()))
    return out


def _already_sanitized(data: dict[str, object]) -> bool:
    """A Secret from a snapshot written before values were judged: its values are
    ``True`` already, and what they were cannot be told."""
    return HAD_VALUES_KEY in data


#: The parts of a Secret kept as they are (``data`` and ``stringData`` keep their keys
#: only; anything else a Secret carries keeps its shape without values).
_SECRET_FIELDS_KEPT = frozenset(
    {
        "apiVersion",
        "kind",
        "metadata",
        "type",
        "immutable",
        "data",
        "stringData",
        HAD_VALUES_KEY,
        CREDENTIALS_KEY,
    }
)

#: Below this depth the walk stops looking for ``env``, ``command`` and ``args``
#: and keeps only the shape: no object the model reads nests so deep.
_MAX_REDACT_DEPTH = 100


def _without_values(node: object, depth: int = 0) -> object:
    """``node`` with its shape (keys, list lengths) and without its values: every
    string, number and date redacted; booleans and nulls kept."""
    if isinstance(node, dict):
        if depth > _MAX_REDACT_DEPTH:
            return {}
        return {str(k): _without_values(v, depth + 1) for k, v in node.items()}
    if isinstance(node, list):
        if depth > _MAX_REDACT_DEPTH:
            return []
        return [_without_values(v, depth + 1) for v in node]
    if node is None or isinstance(node, bool) or node in ("", REDACTED):
        return node
    if isinstance(node, int | float):
        return type(node)(0)  # its type stays, so what is said about it does too
    return REDACTED


def _redact(node: object, depth: int) -> object:
    """``node`` with every ``env`` value and ``command`` / ``args`` word the model does
    not read redacted, at any depth; the same object when there is nothing to redact."""
    if isinstance(node, list):
        if depth > _MAX_REDACT_DEPTH:
            return _without_values(node, depth)
        new_items = [_redact(v, depth + 1) for v in node]
        return node if all(a is b for a, b in zip(new_items, node, strict=True)) else new_items
    if not isinstance(node, dict):
        return node
    if depth > _MAX_REDACT_DEPTH:
        return _without_values(node, depth)
    changed: dict[str, object] = {}
    for key, value in node.items():
        if key == "env" and isinstance(value, list):
            new: object = [_redact_env_entry(e, depth + 1) for e in value]
        elif key in ("command", "args") and isinstance(value, list):
            new = _redact_words(value)
        else:
            new = _redact(value, depth + 1)
        if new is not value:
            changed[key] = new
    return {**node, **changed} if changed else node


def _redact_env_entry(entry: object, depth: int) -> object:
    if not isinstance(entry, dict):
        return _redact(entry, depth)
    value = entry.get("value")
    if value in (None, "", REDACTED) or entry.get("name") in ENV_VALUES_KEPT:
        return entry
    return {**entry, "value": REDACTED}


def _redact_words(words: list[object]) -> list[object]:
    """A command line with only the flag names and the values of ``FLAG_VALUES_KEPT``
    left (``--flag=value`` and ``--flag value``); the same list when nothing changes."""
    out: list[object] = []
    keep_next = False
    for word in words:
        if isinstance(word, str) and word.startswith("-") and word != "-":
            flag, eq, value = word.partition("=")
            name = flag.lstrip("-")
            kept = name in FLAG_VALUES_KEPT
            keep = not eq or kept or value in ("", REDACTED) or value in FLAG_VALUES_ALWAYS_KEPT
            out.append(word if keep else f"{flag}={REDACTED}")
            keep_next = kept and not eq and name not in FLAGS_WITHOUT_VALUE
        else:
            keep = (
                keep_next
                or word in (None, "", REDACTED)
                or isinstance(word, bool)
                or (isinstance(word, str) and word in FLAG_VALUES_ALWAYS_KEPT)
            )
            out.append(word if keep else REDACTED)
            keep_next = False
    return out if any(a is not b for a, b in zip(out, words, strict=True)) else words


def _kubeconfig_user(entry: object) -> object:
    """A kubeconfig ``users`` entry: its name, and its credentials' shape only."""
    if not isinstance(entry, dict):
        return _without_values(entry)
    return {k: v if k == "name" else _without_values(v) for k, v in entry.items()}


REDACTED = "<redacted by ekstwin>"


def redact_realm(data: object) -> object:
    """A Keycloak export with the value of every secret-looking key replaced.

    The realm builder drops these values anyway; redacting the raw export too
    keeps them out of snapshots.
    """
    if isinstance(data, dict):
        return {
            k: (
                (_redact_leaves(v) if isinstance(v, list | dict) else REDACTED)
                if is_secret_key(str(k)) and v not in (None, "", [], {})
                else redact_realm(v)
            )
            for k, v in data.items()
        }
    if isinstance(data, list):
        return [redact_realm(v) for v in data]
    return data


def _redact_leaves(data: object) -> object:
    """Secret material that is a list or a mapping (a user's ``credentials``):
    its shape and each entry's ``type`` kept, every other text redacted, so the
    realm still reads as Keycloak wrote it."""
    if isinstance(data, dict):
        return {
            k: v if k == "type" and isinstance(v, str) else _redact_leaves(v)
            for k, v in data.items()
        }
    if isinstance(data, list):
        return [_redact_leaves(v) for v in data]
    return REDACTED if isinstance(data, str) and data else data


def _classify(col: _Collector, data: object, source: Source, lines: dict[str, int]) -> None:
    if isinstance(data, dict) and data.get("format") == SNAPSHOT_FORMAT:
        col.snapshots.append(snapshot_from_json(data, source))
    elif is_aws_document(data):
        assert isinstance(data, dict)
        col.aws.append(AwsDocument(file=source.file, data=data, lines=lines))
    elif is_keycloak_realm(data) or (
        isinstance(data, list) and data and all(is_keycloak_realm(x) for x in data)
    ):
        col.realms.append(RealmDocument(redact_realm(data), source, lines))
    elif is_terraform_json(data):
        # terraform show -json of a plan or a state: its AWS resources as aws.json
        assert isinstance(data, dict)
        try:
            doc, diags = terraform_to_aws(data, source.file, lines)
        except (SchemaError, AttributeError, TypeError, KeyError, ValueError, IndexError) as exc:
            # The converter trusts Terraform's own shape; a hand-edited file may not have it.
            what = str(exc) if isinstance(exc, SchemaError) else f"{type(exc).__name__} {exc}"
            where = source
            if isinstance(exc, SchemaError) and exc.path in lines:
                where = Source(source.file, lines[exc.path])
            col.diagnostics.append(
                Diagnostic(
                    where,
                    f"not the shape of 'terraform show -json' output: {what}; "
                    "the file was not read",
                    "give the output of 'terraform show -json PLANFILE' unchanged",
                    code="terraform",
                )
            )
            return
        col.aws.append(doc)
        col.diagnostics.extend(diags)
    else:
        col.kube.append(Document(sanitize(data), source, lines))


class _TooLarge(ValueError):
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
    if is_aws_document(data):
        doc, diags = load_aws_text(text, file)
        col.diagnostics.extend(diags)
        if doc is not None:
            col.aws.append(doc)
        return
    if isinstance(data, dict) and data.get("format") == SNAPSHOT_FORMAT:
        _classify(col, data, Source(file, 1), {})
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
    docs, diags = read_documents(text, file, line_kinds=LINE_KINDS, budget=col.budget)
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
    if not (col.kube or col.aws or col.realms or col.snapshots) and not any(
        d.level is DiagnosticLevel.ERROR for d in col.diagnostics
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
        diagnostics=tuple(col.diagnostics),
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
    )


# -- snapshots -----------------------------------------------------------------


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
    inputs = data.get("inputs")
    return RawInputs(
        inputs=tuple(str(i) for i in inputs) if isinstance(inputs, list) else (),
        kube=tuple(kube),
        aws=tuple(aws),
        realms=tuple(realms),
        diagnostics=tuple(diags),
    )

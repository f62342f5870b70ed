"""Documents to model objects: each kind is read by the handler the
(group, kind) table names; a document of no handled kind is kept as an opaque
object. A malformed document is a diagnostic and the others still load."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from types import MappingProxyType

from ekstwin.findings import Diagnostic, DiagnosticLevel
from ekstwin.loaders.jsonlines import nearest_line
from ekstwin.loaders.kubernetes import (
    adminpolicy,
    awsvpc,
    calico,
    core,
    istio,
    netpol,
    rbac,
    services,
    storage,
    workloads,
)
from ekstwin.loaders.kubernetes.core import secret_of
from ekstwin.loaders.kubernetes.fields import ENTRY_PROBLEMS, InvalidDocument, meta_of, type_name
from ekstwin.loaders.kubernetes.kinds import NAMESPACED, is_secret_document, namespace_of
from ekstwin.loaders.kubernetes.objects import KindHandler, KubeObjects, kind_table
from ekstwin.model.k8s import DEFAULT_NAMESPACE, OpaqueObject
from ekstwin.model.source import Source

__all__ = ["KIND_HANDLERS", "add_document", "read_kube_documents"]


#: (group, kind) -> the handler that reads such a document.
KIND_HANDLERS: Mapping[tuple[str, str], KindHandler] = MappingProxyType(
    kind_table(
        core.HANDLERS,
        workloads.HANDLERS,
        services.HANDLERS,
        netpol.HANDLERS,
        rbac.HANDLERS,
        storage.HANDLERS,
        calico.HANDLERS,
        adminpolicy.HANDLERS,
        istio.HANDLERS,
        awsvpc.HANDLERS,
    )
)


def add_document(
    objs: KubeObjects, data: dict[str, object], source: Source, lines: dict[str, int]
) -> None:
    """Convert one Kubernetes document into the model objects it holds."""
    if is_secret_document(data):
        if data.get("kind") != "Secret":
            data = {**data, "kind": "Secret"}
        objs.secrets.append(secret_of(data, meta_of(data, source, lines)))
        return
    meta = meta_of(data, source, lines)
    handler = KIND_HANDLERS.get((meta.group, meta.kind))
    if handler is None:
        objs.opaque.append(OpaqueObject(meta, data))
    else:
        handler(objs, data, meta)


def read_kube_documents(
    docs: Iterator[tuple[object, Source, dict[str, int]]],
    *,
    namespace: str | None = None,
) -> KubeObjects:
    """Convert documents; each bad one becomes a diagnostic, the rest load.

    A namespaced object without ``metadata.namespace`` goes to ``namespace``
    (``kubectl apply -n``); without one, to ``default``, with one warning for
    them all. Several definitions of one object: the later one wins, as
    ``kubectl apply`` of the files in order would leave it, unless it is
    invalid, in which case the latest valid one stands. A warning names both
    places.
    """
    objs = KubeObjects()
    defaulted: list[Source] = []
    entries: list[tuple[dict[str, object], Source, dict[str, int]]] = []
    keys: list[tuple[str, str, str | None, str] | None] = []
    for data, source, lines in docs:
        if not isinstance(data, dict):
            objs.diagnostics.append(
                Diagnostic(
                    source,
                    f"document is {type_name(data)}, not a Kubernetes object",
                    "each YAML document must be a mapping with apiVersion, kind and metadata",
                    code="not-an-object",
                )
            )
            continue
        if "kind" not in data or "apiVersion" not in data:
            missing = " and ".join(k for k in ("apiVersion", "kind") if k not in data)
            objs.diagnostics.append(
                Diagnostic(
                    source,
                    f"document has no {missing}",
                    "add apiVersion and kind, or remove the document",
                    code="not-an-object",
                )
            )
            continue
        md = data.get("metadata")
        if (
            data.get("kind") in NAMESPACED
            and isinstance(md, dict)
            and md.get("namespace") in (None, "")
        ):
            data = {**data, "metadata": {**md, "namespace": namespace or DEFAULT_NAMESPACE}}
            if namespace is None:
                defaulted.append(source)
        entries.append((data, source, lines))
        keys.append(_identity(data))
    if defaulted:
        count = len(defaulted)
        objs.diagnostics.append(
            Diagnostic(
                defaulted[0],
                f"{count} namespaced object{'s' if count != 1 else ''} without "
                f"metadata.namespace {'were' if count != 1 else 'was'} put in namespace "
                f"'{DEFAULT_NAMESPACE}' (the first here)",
                "pass --namespace NS for the namespace they are applied to "
                "(as kubectl apply -n NS), or set metadata.namespace",
                level=DiagnosticLevel.WARNING,
                code="namespace-defaulted",
            )
        )
    definitions: dict[tuple[str, str, str | None, str], list[int]] = {}
    for i, key in enumerate(keys):
        if key is not None:
            definitions.setdefault(key, []).append(i)
    for i, (data, source, lines) in enumerate(entries):
        key = keys[i]
        places = definitions[key] if key is not None else [i]
        if len(places) == 1:
            _add_or_report(objs, data, source, lines)
            continue
        if i != places[-1]:
            continue  # decided at the last definition
        winner = None
        for j in reversed(places):
            if _add_or_report(objs, *entries[j]):
                winner = j
                break
        assert key is not None
        name = _name_of(data)
        for j in places:
            if winner is None or j == winner:
                continue  # with no winner, each definition was reported as invalid
            if j < winner:
                # Overridden, but the API server would still have refused it.
                scratch = KubeObjects()
                _add_or_report(scratch, *entries[j])
                objs.diagnostics.extend(scratch.diagnostics)
            at = entries[winner][1]
            other = entries[j][1]
            if j < winner:
                message = (
                    f"duplicate {key[1]} {name}: defined at {other} and again at {at}; "
                    "the later definition is used, as kubectl apply would leave it"
                )
            else:
                message = (
                    f"duplicate {key[1]} {name}: the later definition at {other} is invalid, "
                    f"so the one at {at} is used"
                )
            objs.diagnostics.append(
                Diagnostic(
                    other,
                    message,
                    "remove one of the definitions, or keep the overlay on purpose",
                    level=DiagnosticLevel.WARNING,
                    code="duplicate",
                )
            )
    return objs


def _add_or_report(
    objs: KubeObjects, data: dict[str, object], source: Source, lines: dict[str, int]
) -> bool:
    """Add one document's objects; False (and an error diagnostic) when it is invalid.
    Problems confined to one entry are reported too (the object is kept)."""
    problems: list[InvalidDocument] = []
    token = ENTRY_PROBLEMS.set(problems)
    try:
        add_document(objs, data, source, lines)
    except InvalidDocument as exc:
        objs.diagnostics.append(
            Diagnostic(
                _where(exc.pointer, source, lines),
                f"{data.get('kind')} {_name_of(data)}: {exc.message}; the object was skipped",
                exc.hint or "fix the object so it matches the Kubernetes API",
                level=DiagnosticLevel.ERROR,
                code="invalid-object",
            )
        )
        return False
    finally:
        ENTRY_PROBLEMS.reset(token)
        for problem in problems:
            objs.diagnostics.append(
                Diagnostic(
                    _where(problem.pointer, source, lines),
                    f"{data.get('kind')} {_name_of(data)}: {problem.message}",
                    problem.hint,
                    level=DiagnosticLevel.ERROR,
                    code="unknown-field",
                )
            )
    return True


def _where(pointer: str, source: Source, lines: dict[str, int]) -> Source:
    """The line of ``pointer``, or of the nearest part above it that has one."""
    line = nearest_line(lines, pointer)
    return source if line is None else Source(source.file, line)


def _identity(data: Mapping[str, object]) -> tuple[str, str, str | None, str] | None:
    md = data.get("metadata")
    if not isinstance(md, dict) or not isinstance(md.get("name"), str):
        return None
    api = str(data.get("apiVersion", ""))
    group = api.rpartition("/")[0] if "/" in api else ""
    kind = str(data.get("kind"))
    ns = md.get("namespace")
    namespace = namespace_of(kind, str(ns) if ns else None)
    return (group, kind, namespace, md["name"])


def _name_of(data: Mapping[str, object]) -> str:
    md = data.get("metadata")
    if isinstance(md, dict):
        name = md.get("name")
        ns = md.get("namespace")
        if name:
            return f"{ns}/{name}" if ns else str(name)
    return "(unnamed)"

"""What is kept of a document: secret values and bulky server fields dropped."""

from __future__ import annotations

from ekstwin.loaders.credentials import REDACTED, credential_reason
from ekstwin.loaders.kubernetes.kinds import CREDENTIALS_KEY, HAD_VALUES_KEY, is_secret_document
from ekstwin.model.k8s import (
    ENV_VALUES_KEPT,
    FLAG_VALUES_ALWAYS_KEPT,
    FLAG_VALUES_KEPT,
    FLAGS_WITHOUT_VALUE,
)

__all__ = ["sanitize"]


_LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"


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
        if _list_under_keys is not None and not _list_under_keys(
            data, _REDACTED_KEYS, _MAX_REDACT_DEPTH
        ):
            redacted: object = data  # nothing the walk would change (most documents)
        else:
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


_COLLECTIONS = (dict, list)

#: The keys whose lists ``_redact`` rewrites.
_REDACTED_KEYS = frozenset({"env", "command", "args"})

try:  # the compiled walk that finds what _redact would change, without building anything
    from ekstwin.loaders._speedups import list_under_keys as _list_under_keys
except ImportError:  # pragma: no cover - installed without a C compiler
    _list_under_keys = None  # type: ignore[assignment]


def _redact(node: object, depth: int) -> object:
    """``node`` with every ``env`` value and ``command`` / ``args`` word the model does
    not read redacted, at any depth; the same object when there is nothing to redact."""
    # Only collections are walked into: a scalar is kept as it is (most of the
    # values, and a call each would be most of the time).
    if isinstance(node, list):
        if depth > _MAX_REDACT_DEPTH:
            return _without_values(node, depth)
        new_items = [_redact(v, depth + 1) if isinstance(v, _COLLECTIONS) else v for v in node]
        return node if all(a is b for a, b in zip(new_items, node, strict=True)) else new_items
    if not isinstance(node, dict):
        return node
    if depth > _MAX_REDACT_DEPTH:
        return _without_values(node, depth)
    changed: dict[str, object] = {}
    for key, value in node.items():
        if not isinstance(value, _COLLECTIONS):
            continue
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

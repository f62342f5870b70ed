"""The workloads operators create from their custom resources.

An operator turns a resource of its own (prometheus-operator's ``Prometheus``)
into the workloads that run it (a StatefulSet ``prometheus-<name>`` whose pods
carry the operator's labels). The input holds only the resource, so without
this the policies written for those pods select nothing. What each operator
makes is a data entry in ``ekstwin/data/operators.json`` (the workload's kind,
name, labels, containers and ports, and where in the resource's spec to find
replicas, shards, pod labels, service account, node selector and image);
adding an operator is adding an entry there.

The workloads are read by the same reader as the input's manifests, with a
source ``<implied: ...>`` naming the resource and its place, and are not made
when the input already holds a workload of that name.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources

from ekstwin.findings import Diagnostic, DiagnosticLevel
from ekstwin.loaders.kubernetes import InvalidDocument, KubeObjects, add_document
from ekstwin.model.k8s import DEFAULT_NAMESPACE, OpaqueObject, WorkloadKind
from ekstwin.model.source import Source

__all__ = ["OperatorResource", "add_operator_workloads", "operator_resources"]

#: More shards or replicas than this in a resource are read as this many.
MAX_COPIES = 100


@dataclass(frozen=True, slots=True)
class OperatorResource:
    """One entry of ``operators.json``: what an operator makes of one kind."""

    operator: str
    group: str
    kind: str
    workload: WorkloadKind
    name: str
    labels: dict[str, str]
    containers: tuple[dict[str, object], ...]
    replicas: str = ""
    default_replicas: int = 1
    shards: str = ""
    shard_name: str = ""
    pod_labels: str = ""
    pod_annotations: str = ""
    service_account: str = ""
    node_selector: str = ""
    image: str = ""
    default_image: str = ""


@cache
def operator_resources() -> tuple[OperatorResource, ...]:
    text = resources.files("ekstwin").joinpath("data/operators.json").read_text("utf-8")
    out = []
    for e in json.loads(text)["resources"]:
        out.append(
            OperatorResource(
                operator=e["operator"],
                group=e["group"],
                kind=e["kind"],
                workload=WorkloadKind(e["workload"]),
                name=e["name"],
                labels=dict(e["labels"]),
                containers=tuple(e["containers"]),
                replicas=e.get("replicas", ""),
                default_replicas=int(e.get("default_replicas", 1)),
                shards=e.get("shards", ""),
                shard_name=e.get("shard_name", ""),
                pod_labels=e.get("pod_labels", ""),
                pod_annotations=e.get("pod_annotations", ""),
                service_account=e.get("service_account", ""),
                node_selector=e.get("node_selector", ""),
                image=e.get("image", ""),
                default_image=e.get("default_image", ""),
            )
        )
    return tuple(out)


def _at(body: dict[str, object], pointer: str) -> object:
    """The value at a JSON Pointer, or None."""
    if not pointer:
        return None
    value: object = body
    for part in pointer.strip("/").split("/"):
        if not isinstance(value, dict):
            return None
        value = value.get(part.replace("~1", "/").replace("~0", "~"))
    return value


def _count(value: object, default: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        return default
    return max(0, min(value, MAX_COPIES))


def _str_map(value: object) -> dict[str, str]:
    if not isinstance(value, dict):
        return {}
    return {str(k): str(v) for k, v in value.items() if isinstance(v, str | int | float | bool)}


def _manifests(entry: OperatorResource, obj: OpaqueObject) -> list[dict[str, object]]:
    body = obj.body
    name = obj.meta.name
    shards = _count(_at(body, entry.shards), 1) if entry.shards else 1
    replicas = _count(_at(body, entry.replicas), entry.default_replicas)
    image = _at(body, entry.image)
    account = _at(body, entry.service_account)
    out: list[dict[str, object]] = []
    for shard in range(max(shards, 1)):
        fill = {"name": name, "shard": str(shard)}
        workload_name = (
            entry.shard_name.format(**fill) if shard and entry.shard_name else entry.name
        ).format(**fill)
        selector = {k: v.format(**fill) for k, v in entry.labels.items()}
        # The operator's labels win over the resource's pod labels.
        labels = {**_str_map(_at(body, entry.pod_labels)), **selector}
        containers = [
            {
                "name": c["name"],
                "image": image if isinstance(image, str) and image else entry.default_image,
                "ports": c.get("ports", []),
            }
            for c in entry.containers
        ]
        pod_spec: dict[str, object] = {"containers": containers}
        if isinstance(account, str) and account:
            pod_spec["serviceAccountName"] = account
        node_selector = _str_map(_at(body, entry.node_selector))
        if node_selector:
            pod_spec["nodeSelector"] = node_selector
        out.append(
            {
                "apiVersion": "apps/v1",
                "kind": entry.workload.value,
                "metadata": {
                    "name": workload_name,
                    "namespace": obj.meta.namespace or DEFAULT_NAMESPACE,
                    "labels": selector,
                    "ownerReferences": [
                        {
                            "apiVersion": obj.meta.api_version,
                            "kind": obj.meta.kind,
                            "name": name,
                            "controller": True,
                        }
                    ],
                },
                "spec": {
                    "replicas": replicas,
                    "selector": {"matchLabels": selector},
                    "template": {
                        "metadata": {
                            "labels": labels,
                            "annotations": _str_map(_at(body, entry.pod_annotations)),
                        },
                        "spec": pod_spec,
                    },
                },
            }
        )
    return out


def add_operator_workloads(objs: KubeObjects) -> None:
    """Add the workloads operators make from the input's custom resources."""
    table = {(e.group, e.kind): e for e in operator_resources()}
    existing = {
        (w.meta.namespace or DEFAULT_NAMESPACE, w.kind.value, w.meta.name) for w in objs.workloads
    }
    for obj in list(objs.opaque):
        entry = table.get((obj.meta.group, obj.meta.kind))
        if entry is None:
            continue
        source = Source.implied_by(
            f"made by {entry.operator} from {obj.meta.kind} "
            f"{obj.meta.namespace}/{obj.meta.name} ({obj.meta.source})"
        )
        for doc in _manifests(entry, obj):
            md = doc["metadata"]
            assert isinstance(md, dict)
            key = (str(md["namespace"]), str(doc["kind"]), str(md["name"]))
            if key in existing:
                continue
            existing.add(key)
            try:
                add_document(objs, doc, source, {})
            except InvalidDocument as exc:
                objs.diagnostics.append(
                    Diagnostic(
                        obj.meta.source,
                        f"{obj.meta.kind} {obj.meta.namespace}/{obj.meta.name}: the "
                        f"{doc['kind']} {entry.operator} makes of it is invalid ({exc.message}); "
                        "its pods are not modelled",
                        "fix the resource's pod labels or node selector",
                        level=DiagnosticLevel.WARNING,
                        code="operator-workload",
                    )
                )

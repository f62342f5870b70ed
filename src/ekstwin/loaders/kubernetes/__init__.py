"""Build typed model objects from Kubernetes, Calico and Istio documents.

Each document is converted on its own; a malformed one becomes a
:class:`Diagnostic` (file, line, what, what to do) and the others still load.
Kinds the model does not read are kept as opaque objects and counted.

``reader`` walks the documents and finds each one's handler in one table,
(group, kind) -> handler (:data:`KIND_HANDLERS`), made of the tables of the
modules that read the kinds: ``core`` (Namespace, Node, ServiceAccount,
ConfigMap, Secret), ``workloads``, ``services``, ``netpol``, ``rbac``,
``storage``, ``calico``, ``adminpolicy``, ``istio``, ``awsvpc`` (``awsauth``
reads the aws-auth ConfigMap). ``fields`` holds the field readers they share, ``kinds``
what is known of kinds and groups, ``sanitize`` what is kept of a document.
Reading a new kind is adding its handler to its module's table.
"""

from __future__ import annotations

from ekstwin.loaders.interface import InputFormat, Loaded
from ekstwin.loaders.kubernetes.fields import InvalidDocument
from ekstwin.loaders.kubernetes.kinds import (
    ADMIN_POLICY_GROUP,
    CALICO_GROUPS,
    CLUSTER_SCOPED,
    CORE_GROUPS,
    CREDENTIALS_KEY,
    HAD_VALUES_KEY,
    LINE_KINDS,
    NAMESPACED,
    WORKLOAD_KINDS,
    is_secret_document,
)
from ekstwin.loaders.kubernetes.objects import KindHandler, KubeObjects
from ekstwin.loaders.kubernetes.reader import KIND_HANDLERS, add_document, read_kube_documents
from ekstwin.loaders.kubernetes.sanitize import sanitize
from ekstwin.loaders.yamldocs import Document
from ekstwin.model.source import Source

__all__ = [
    "ADMIN_POLICY_GROUP",
    "CALICO_GROUPS",
    "CLUSTER_SCOPED",
    "CORE_GROUPS",
    "CREDENTIALS_KEY",
    "HAD_VALUES_KEY",
    "INPUT_FORMAT",
    "KIND_HANDLERS",
    "LINE_KINDS",
    "NAMESPACED",
    "WORKLOAD_KINDS",
    "InvalidDocument",
    "KindHandler",
    "KubeObjects",
    "add_document",
    "is_secret_document",
    "read_kube_documents",
    "sanitize",
]


def _load(data: object, source: Source, lines: dict[str, int]) -> Loaded:
    return Loaded(kube=(Document(sanitize(data), source, lines),))


def _anything(data: object) -> bool:
    return True


#: Kubernetes, Calico, Istio and any other document: the last format asked, it
#: takes what no other format recognised (the model reports what it cannot read).
INPUT_FORMAT = InputFormat("kubernetes", _anything, _load)

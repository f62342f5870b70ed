"""What every input format is: how it is recognised and what loading it gives.

A file, a YAML document, an item of a JSON ``List`` or stdin is parsed by
``ekstwin.loaders.inputs``, which then asks the formats of :data:`FORMATS
<ekstwin.loaders.inputs.FORMATS>`, in order, whether the parsed document is
theirs; the first that recognises it loads it. Each format is one module:

==============  ============================================  ===================
format          recognises                                    module
==============  ============================================  ===================
snapshot        ``format: ekstwin-snapshot``                  ``loaders.snapshot``
aws.json        ``format: ekstwin-aws``                       ``loaders.aws``
Keycloak realm  a realm export (or a list of them)            ``loaders.keycloak``
Terraform       ``terraform show -json`` (plan or state)      ``loaders.terraform``
Kubernetes      anything else (the model reports what it      ``loaders.kubernetes``
                cannot read)
==============  ============================================  ===================

Loading never raises for bad content: a problem is a diagnostic in what it gives.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from ekstwin.findings import Diagnostic, DiagnosticGroup
    from ekstwin.loaders.aws import AwsDocument
    from ekstwin.loaders.keycloak import RealmDocument
    from ekstwin.loaders.yamldocs import Document
    from ekstwin.model.source import Source

__all__ = ["InputFormat", "Loaded", "RawInputs"]


@dataclass(frozen=True, slots=True)
class RawInputs:
    """Everything read, before the model is built."""

    inputs: tuple[str, ...] = ()
    kube: tuple[Document, ...] = ()
    aws: tuple[AwsDocument, ...] = ()
    realms: tuple[RealmDocument, ...] = ()
    diagnostics: tuple[Diagnostic, ...] = ()
    #: Diagnostics beyond those kept in full, counted (DiagnosticCollector).
    counted_diagnostics: tuple[DiagnosticGroup, ...] = ()


class Loaded(NamedTuple):
    """What a format made of one document; a snapshot's inputs are kept apart
    (they follow everything read directly). (A tuple: one is made per document,
    and a frozen dataclass costs three times as much to make.)"""

    kube: tuple[Document, ...] = ()
    aws: tuple[AwsDocument, ...] = ()
    realms: tuple[RealmDocument, ...] = ()
    snapshots: tuple[RawInputs, ...] = ()
    diagnostics: tuple[Diagnostic, ...] = ()


@dataclass(frozen=True, slots=True)
class InputFormat:
    """One input format.

    ``recognise(data)`` says whether a parsed document is of this format;
    ``load(data, source, lines)`` reads it (``source`` is where it starts,
    ``lines`` maps its JSON Pointers to lines). A format that reads a whole JSON
    file better from its text (its own line table, its own syntax errors) gives
    ``load_json_file(text, data, file)``, used when the whole file is of it.
    """

    name: str
    recognise: Callable[[object], bool]
    load: Callable[[object, Source, dict[str, int]], Loaded]
    load_json_file: Callable[[str, object, str], Loaded] | None = None

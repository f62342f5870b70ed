"""Loaders: read a platform from files, directories, stdin or a snapshot.

``load(paths)`` is the one entry point the CLI and the web UI use::

    result = load(["examples/demo-platform"])
    result.platform        # the typed model
    result.diagnostics     # every input problem, with file and line
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from ekstwin.findings import Diagnostic, DiagnosticGroup, DiagnosticLevel
from ekstwin.loaders.assemble import assemble
from ekstwin.loaders.inputs import RawInputs, read_inputs, snapshot_to_json
from ekstwin.model.platform import Platform

__all__ = ["LoadResult", "RawInputs", "load", "load_raw", "snapshot_to_json"]


@dataclass(frozen=True, slots=True)
class LoadResult:
    platform: Platform
    raw: RawInputs
    diagnostics: tuple[Diagnostic, ...]
    #: Diagnostics beyond those kept in full, counted (DiagnosticCollector).
    counted_diagnostics: tuple[DiagnosticGroup, ...] = ()

    @property
    def input_errors(self) -> bool:
        return any(d.level is DiagnosticLevel.ERROR for d in self.diagnostics) or any(
            g.level is DiagnosticLevel.ERROR for g in self.counted_diagnostics
        )


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Loading allocates millions of small objects and frees few: Python's cyclic
    collector would walk the growing heap again and again (about 40% of the
    time for 50,000 objects) to find nothing. It is paused, then restored.

    Restored as it is, its first pass would walk every object made meanwhile
    (they are all young): half a second for 50,000 objects. Freezing and
    unfreezing moves them to the oldest generation instead, without a walk;
    they are looked at with it, in its own (rare) full passes."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.freeze()
            gc.unfreeze()
            gc.enable()


def load_raw(raw: RawInputs, *, namespace: str | None = None, implied: bool = True) -> LoadResult:
    """The platform of ``raw``; ``implied=False`` adds nothing the input lacks
    (see ``ekstwin.loaders.implied``)."""
    with _collector_paused():
        platform, diags = assemble(raw, namespace=namespace, implied=implied)
    return LoadResult(platform, raw, diags.kept, diags.counted)


def load(
    paths: Sequence[str],
    *,
    stdin_text: Callable[[], str] | None = None,
    progress: Callable[[int, int], None] | None = None,
    namespace: str | None = None,
    implied: bool = True,
) -> LoadResult:
    """Read every path (file, directory, snapshot, ``-``) and build the platform;
    namespaced objects without a namespace go to ``namespace`` (``kubectl apply -n``),
    else to ``default`` with a warning."""
    with _collector_paused():
        raw = read_inputs(paths, stdin_text=stdin_text, progress=progress)
    return load_raw(raw, namespace=namespace, implied=implied)

"""``analyze``: run every registered check over a loaded platform into a Report."""

from __future__ import annotations

import gc
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from ekstwin.engines.checks import (
    Check,
    CheckContext,
    discover_checks,
    incomplete_collection,
    run_checks,
)
from ekstwin.findings import Diagnostic, DiagnosticLevel, PlatformSummary, Report
from ekstwin.loaders import LoadResult
from ekstwin.model.platform import Platform
from ekstwin.suppressions import Baseline, apply_suppressions


def _input_namespaces(platform: Platform) -> tuple[str, ...]:
    """The namespaces the input declares or puts objects in (an implied namespace the
    input uses, such as ``default``, included)."""
    used = {m.namespace for m in platform.metas() if m.namespace}
    return tuple(
        ns.name for ns in platform.namespaces if not ns.meta.source.implied or ns.name in used
    )


def summarize(platform: Platform) -> PlatformSummary:
    return PlatformSummary(
        kinds=tuple(platform.kind_counts().items()),
        namespaces=_input_namespaces(platform),
        nodes=tuple(n.name for n in platform.nodes),
        accounts=tuple(f"{a.id} ({a.alias})" if a.alias else a.id for a in platform.aws.accounts),
        pods=len(platform.pods),
        opaque=tuple(platform.opaque_counts().items()),
        implied=tuple(str(ref) for ref in platform.implied()),
    )


@contextmanager
def _collector_skips_what_exists() -> Iterator[None]:
    """The checks build models of many small objects; each full pass of Python's
    cyclic collector meanwhile would walk the whole loaded platform again (about a
    second each at 50,000 objects), though nothing of it can become garbage while
    the checks read it. What exists when they start is set aside from the
    collector (``gc.freeze``) and handed back to it after; garbage the checks make
    is collected as usual."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def analyze(
    result: LoadResult,
    *,
    ctx: CheckContext | None = None,
    checks: Sequence[type[Check]] | None = None,
    baseline: Baseline | None = None,
    tool_version: str = "",
) -> Report:
    """Run the checks (all registered ones by default) and apply suppressions."""
    from ekstwin import __version__

    broken: list[str] = []
    chosen = tuple(checks) if checks is not None else discover_checks(broken=broken)
    with _collector_skips_what_exists():
        run = run_checks(result.platform, ctx or CheckContext(), chosen)
    gaps = incomplete_collection(result.platform, chosen)
    broken_diags = tuple(
        Diagnostic(
            None,
            f"check module failed to import and its checks did not run: {line}",
            "this is a bug in ekstwin; the other checks ran - please report it",
            level=DiagnosticLevel.ERROR,
            code="internal",
        )
        for line in broken
    )
    kept, suppressed, sup_diags = apply_suppressions(result.platform, run.findings, baseline)
    return Report(
        tool_version=tool_version or __version__,
        inputs=result.raw.inputs,
        summary=summarize(result.platform),
        checks=tuple(c.info() for c in chosen),
        findings=tuple(kept),
        suppressed=tuple(suppressed),
        diagnostics=(
            *result.diagnostics,
            *sup_diags,
            *run.diagnostics,
            *gaps,
            *broken_diags,
        ),
        counted_diagnostics=result.counted_diagnostics,
    )

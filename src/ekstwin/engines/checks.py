"""The checks framework: the base class, the registry and the runner.

A check lives in ``ekstwin/engines/<engine>/checks/<slug>.py``, one class per
file, named for the problem. Its docstring is its documentation, with the
sections What it does / Why is this bad? / Example / Fix / References, from
which ``docs/checks/<ID>.md`` is generated. The registry finds checks by
walking the engines' ``checks`` packages, so adding a file adds a check.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import logging
import pkgutil
import traceback
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import ClassVar

import ekstwin.engines
from ekstwin.engines.compiled import CompiledModels
from ekstwin.findings import (
    CheckInfo,
    Confidence,
    Diagnostic,
    DiagnosticLevel,
    Finding,
    Severity,
)
from ekstwin.model.k8s import NAMESPACE_NAME_LABEL
from ekstwin.model.platform import Platform
from ekstwin.model.selectors import Selector, parse_calico_selector
from ekstwin.model.source import ObjectRef, Source

log = logging.getLogger(__name__)

#: Namespaces whose labels match this Calico selector count as development.
DEFAULT_DEV_NAMESPACES = 'environment in {"dev", "development", "sandbox"}'
#: ... and these as production.
DEFAULT_PROD_NAMESPACES = 'environment in {"production", "prod"}'
#: ... and these as the cluster's own (checks about workloads skip them).
DEFAULT_SYSTEM_NAMESPACES = (
    'kubernetes.io/metadata.name in {"kube-system", "kube-public", "kube-node-lease"}'
)


@dataclass(frozen=True, slots=True)
class CheckContext:
    """Options every check may read; passed in, never global."""

    dev_namespaces: Selector = field(
        default_factory=lambda: parse_calico_selector(DEFAULT_DEV_NAMESPACES)
    )
    prod_namespaces: Selector = field(
        default_factory=lambda: parse_calico_selector(DEFAULT_PROD_NAMESPACES)
    )
    system_namespaces: Selector = field(
        default_factory=lambda: parse_calico_selector(DEFAULT_SYSTEM_NAMESPACES)
    )
    #: The compiled models of the platform the run's checks share (see ``models``).
    _models: list[CompiledModels] = field(
        default_factory=list, init=False, compare=False, hash=False, repr=False
    )

    def models(self, platform: Platform) -> CompiledModels:
        """The run's compiled models of ``platform`` (network, lint, mesh, ALBs, IAM,
        access), each built on first use and shared by every check of the run; a
        context asked about another platform starts afresh. Read-only for the checks."""
        if not self._models or self._models[0].platform is not platform:
            self._models[:] = [CompiledModels(platform)]
        return self._models[0]

    def is_system_namespace(self, platform: Platform, name: str) -> bool:
        """Matched on the namespace's labels; a namespace the input does not define has
        only its automatic ``kubernetes.io/metadata.name`` label."""
        ns = platform.namespace(name)
        labels = ns.labels if ns is not None else {NAMESPACE_NAME_LABEL: name}
        return self.system_namespaces.matches(labels)

    def is_dev_namespace(self, platform: Platform, name: str) -> bool:
        ns = platform.namespace(name)
        return ns is not None and self.dev_namespaces.matches(ns.labels)

    def is_prod_namespace(self, platform: Platform, name: str) -> bool:
        ns = platform.namespace(name)
        return ns is not None and self.prod_namespaces.matches(ns.labels)


#: The AWS services (named as ``ekstwin collect aws`` names them in an aws.json's
#: ``collector.diagnostics``) whose data each engine's checks read. A check whose
#: engine reads a service with a failed read is judged on partial data.
AWS_SERVICES_BY_ENGINE: Mapping[str, frozenset[str]] = {
    "access": frozenset({"iam", "eks"}),
    "cluster": frozenset({"eks", "ec2", "iam"}),
    "dns": frozenset({"route53", "elasticloadbalancing"}),
    "ecr": frozenset({"ecr"}),
    "iam": frozenset({"iam", "eks", "ec2", "ecr"}),
    "ingress": frozenset({"elasticloadbalancing", "eks", "ec2"}),
    "ipam": frozenset({"ec2", "eks"}),
    "kms": frozenset({"kms", "iam", "eks"}),
    "net": frozenset({"ec2"}),
    "secrets": frozenset({"kms", "eks"}),
    "storage": frozenset({"ec2", "eks", "iam"}),
    # the VPC layer: groups, ACLs, routes, ENIs, and the services' interfaces
    "vpc": frozenset({"ec2", "eks", "rds", "elasticache", "elasticfilesystem"}),
}


def incomplete_collection(platform: Platform, checks: Sequence[type[Check]]) -> list[Diagnostic]:
    """One error per AWS service that some of ``checks`` read and whose collection
    had failed reads: their verdicts (a finding, or none) rest on partial data."""
    failed: dict[str, int] = {}
    for gap in platform.aws.collection_gaps:
        failed[gap.service] = failed.get(gap.service, 0) + 1
    out: list[Diagnostic] = []
    for service in sorted(failed):
        ids = sorted(c.id for c in checks if service in AWS_SERVICES_BY_ENGINE.get(c.engine(), ()))
        if not ids:
            continue
        shown = ", ".join(ids[:8]) + (f" and {len(ids) - 8} more" if len(ids) > 8 else "")
        out.append(
            Diagnostic(
                None,
                f"the aws.json collection is incomplete for what checks need: {failed[service]} "
                f"{service} read(s) failed when it was collected, and {shown} read {service}; "
                "their results (findings, or none) rest on partial data",
                "collect the account again with the permissions of "
                "docs/collect-iam-policy.json, or run only the checks that do not need it "
                "(--check)",
                level=DiagnosticLevel.ERROR,
                code="collect-incomplete",
            )
        )
    return out


class Check(ABC):
    """One check: metadata as class attributes, ``run`` yields findings."""

    id: ClassVar[str]
    slug: ClassVar[str]
    title: ClassVar[str]
    severity: ClassVar[Severity]
    confidence: ClassVar[Confidence] = Confidence.HIGH

    def __init__(self) -> None:
        #: What this run of the check has to say besides findings (see ``incomplete``).
        self.diagnostics: list[Diagnostic] = []

    @abstractmethod
    def run(self, platform: Platform, ctx: CheckContext) -> Iterator[Finding]:
        """Yield every finding of this check on the platform."""

    def incomplete(self, message: str, hint: str) -> None:
        """Say that this run did not look at everything (a bound was reached), as a
        warning diagnostic in the report, so that no finding is not read as a pass."""
        self.diagnostics.append(
            Diagnostic(
                None,
                f"check {self.id} is incomplete: {message}",
                hint,
                level=DiagnosticLevel.WARNING,
                code="check-incomplete",
            )
        )

    @classmethod
    def engine(cls) -> str:
        parts = cls.__module__.split(".")
        return parts[2] if len(parts) > 3 and parts[1] == "engines" else "core"

    @classmethod
    def doc(cls) -> str:
        return inspect.cleandoc(cls.__doc__ or "")

    @classmethod
    def info(cls) -> CheckInfo:
        return CheckInfo(
            id=cls.id,
            slug=cls.slug,
            title=cls.title,
            severity=cls.severity,
            confidence=cls.confidence,
            engine=cls.engine(),
            doc=cls.doc(),
            doc_path=f"docs/checks/{cls.id}.md",
        )

    def finding(
        self,
        subject: ObjectRef,
        message: str,
        source: Source | None,
        *,
        evidence: Sequence[str] = (),
        fix: str = "",
        key: str = "",
        severity: Severity | None = None,
        confidence: Confidence | None = None,
    ) -> Finding:
        """A finding of this check, with its metadata filled in."""
        return Finding(
            check_id=self.id,
            title=self.title,
            severity=severity or self.severity,
            confidence=confidence or self.confidence,
            subject=subject,
            message=message,
            source=source,
            evidence=tuple(evidence),
            fix=fix,
            key=key,
        )


def _check_classes(module: object) -> Iterator[type[Check]]:
    for _, obj in inspect.getmembers(module, inspect.isclass):
        if (
            issubclass(obj, Check)
            and obj is not Check
            and not inspect.isabstract(obj)
            and obj.__module__ == getattr(module, "__name__", None)
        ):
            yield obj


def discover_checks(*, broken: list[str] | None = None) -> tuple[type[Check], ...]:
    """Every check class under ``ekstwin.engines.*.checks``, sorted by id.

    A check module that fails to import raises, unless ``broken`` is given:
    then it is skipped and a line naming the module and the error is added
    to ``broken``, so one bad check cannot stop the others.
    """
    found: list[type[Check]] = []

    def _import(name: str) -> object | None:
        try:
            return importlib.import_module(name)
        except Exception as exc:
            if broken is None:
                raise
            log.debug("check module %s failed to import", name, exc_info=True)
            broken.append(f"{name}: {type(exc).__name__}: {exc}")
            return None

    for engine in pkgutil.iter_modules(ekstwin.engines.__path__):
        if not engine.ispkg:
            continue
        pkg_name = f"ekstwin.engines.{engine.name}.checks"
        if importlib.util.find_spec(f"ekstwin.engines.{engine.name}") is None:
            continue
        try:
            spec = importlib.util.find_spec(pkg_name)
        except Exception as exc:  # the engine package itself fails to import
            if broken is None:
                raise
            broken.append(f"{pkg_name}: {type(exc).__name__}: {exc}")
            continue
        if spec is None:
            continue
        pkg = _import(pkg_name)
        if pkg is None:
            continue
        for mod in pkgutil.iter_modules(getattr(pkg, "__path__", [])):
            module = _import(f"{pkg_name}.{mod.name}")
            if module is not None:
                found.extend(_check_classes(module))
    ids: dict[str, type[Check]] = {}
    for cls in found:
        if cls.id in ids:
            raise RuntimeError(f"check id {cls.id} is used by {ids[cls.id]} and {cls}")
        ids[cls.id] = cls
    return tuple(sorted(found, key=lambda c: c.id))


@dataclass(frozen=True, slots=True)
class CheckRun:
    findings: tuple[Finding, ...]
    diagnostics: tuple[Diagnostic, ...]
    crashed: tuple[str, ...]


def run_checks(
    platform: Platform,
    ctx: CheckContext,
    checks: Sequence[type[Check]],
) -> CheckRun:
    """Run checks; a check that crashes is reported and the others still run.

    A finding about an object ekstwin implied (CoreDNS, an operator's StatefulSet:
    ``Platform.implied``) is dropped: nobody wrote it, so nobody can fix it. The
    cluster's namespaces stay judged (a pod of the input may run in ``default``)."""
    findings: list[Finding] = []
    unjudged = {ref for ref in platform.implied() if ref.kind != "Namespace"}
    diags: list[Diagnostic] = []
    crashed: list[str] = []
    for cls in checks:
        check = cls()
        try:
            findings.extend(f for f in check.run(platform, ctx) if f.subject not in unjudged)
        except Exception as exc:
            log.debug("check %s crashed", cls.id, exc_info=True)
            crashed.append(cls.id)
            last = traceback.extract_tb(exc.__traceback__)[-1]
            diags.append(
                Diagnostic(
                    None,
                    f"check {cls.id} crashed: {type(exc).__name__}: {exc} "
                    f"({last.filename.rsplit('/', 1)[-1]}:{last.lineno})",
                    "this is a bug in ekstwin; the other checks ran - please report it",
                    level=DiagnosticLevel.ERROR,
                    code="internal",
                )
            )
        diags.extend(check.diagnostics)
    findings.sort(key=lambda f: (-f.severity.rank, f.check_id, str(f.subject), f.key))
    return CheckRun(tuple(findings), tuple(diags), tuple(crashed))

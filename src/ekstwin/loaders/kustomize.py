"""Kustomize overlays as input: a directory with a kustomization is read as what
``kubectl kustomize`` builds from it, not as its raw files.

Within one input directory, every directory holding a kustomization file is a
kustomization; those that another kustomization of the input names in its
``resources``, ``bases`` or ``components`` are parts of it, and only the others
(the roots: overlays, or a lone base) are built. The raw files under any
kustomization directory are not read on their own: they are patches, bases or
generator inputs, not objects as applied. Without kubectl the roots are reported
(a diagnostic each) and their files are skipped, rather than analysed as if the
patches were objects.

The built objects carry the kustomization file as their source and their line
in the built output: the original files' lines are not known after a build.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml

from ekstwin.findings import Diagnostic, DiagnosticLevel
from ekstwin.model.source import Source

__all__ = ["KUSTOMIZATION_NAMES", "Build", "build", "kustomization_file", "kustomize_roots"]

#: The file names kustomize accepts, in its order of preference.
KUSTOMIZATION_NAMES = ("kustomization.yaml", "kustomization.yml", "Kustomization")

#: How long one build may take.
BUILD_TIMEOUT_S = 120


def kustomization_file(directory: Path) -> Path | None:
    for name in KUSTOMIZATION_NAMES:
        candidate = directory / name
        if candidate.is_file():
            return candidate
    return None


def _referenced(kustomization: Path) -> set[Path]:
    """The directories a kustomization names as resources, bases or components."""
    try:
        data = yaml.safe_load(kustomization.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return set()
    if not isinstance(data, dict):
        return set()
    out: set[Path] = set()
    for key in ("resources", "bases", "components"):
        entries = data.get(key)
        if not isinstance(entries, list):
            continue
        for entry in entries:
            if isinstance(entry, str) and "://" not in entry:
                target = (kustomization.parent / entry).resolve()
                if target.is_dir():
                    out.add(target)
    return out


def kustomize_roots(directories: Iterable[Path]) -> tuple[list[Path], list[Path]]:
    """(roots to build, every kustomization directory) among ``directories``."""
    found = sorted({d.resolve() for d in directories if kustomization_file(d) is not None})
    referenced: set[Path] = set()
    for d in found:
        file = kustomization_file(d)
        if file is not None:
            referenced |= _referenced(file)
    return [d for d in found if d not in referenced], found


@dataclass(frozen=True, slots=True)
class Build:
    """What building one kustomization gave: the YAML text, or why not."""

    source: str  # the kustomization file, as shown in diagnostics and findings
    text: str | None
    diagnostic: Diagnostic | None


def build(directory: Path, shown: str) -> Build:
    """``kubectl kustomize DIRECTORY`` (kustomize is built into kubectl)."""
    file = kustomization_file(directory)
    source = f"{shown.rstrip('/')}/{file.name if file else KUSTOMIZATION_NAMES[0]}"
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        return Build(
            source,
            None,
            Diagnostic(
                Source(source),
                "a kustomization, but kubectl is not installed to build it: its files were "
                "not read (they are patches and bases, not the objects as applied)",
                "install kubectl (it includes kustomize), or give the output of "
                "'kubectl kustomize DIR' as a file",
                level=DiagnosticLevel.ERROR,
                code="kustomize",
            ),
        )
    env = {k: v for k, v in os.environ.items() if not k.startswith("KUBECONFIG")}
    try:
        done = subprocess.run(
            [kubectl, "kustomize", str(directory)],
            capture_output=True,
            check=False,
            timeout=BUILD_TIMEOUT_S,
            env=env,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return Build(source, None, _failed(source, str(exc)))
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", errors="replace").strip().splitlines()
        return Build(source, None, _failed(source, message[-1] if message else "no output"))
    return Build(source, done.stdout.decode("utf-8", errors="replace"), None)


def _failed(source: str, why: str) -> Diagnostic:
    return Diagnostic(
        Source(source),
        f"kubectl kustomize failed: {why[:500]}",
        "fix the kustomization (run 'kubectl kustomize' on it to see the whole error); "
        "remote bases need the network, which ekstwin does not use",
        level=DiagnosticLevel.ERROR,
        code="kustomize",
    )

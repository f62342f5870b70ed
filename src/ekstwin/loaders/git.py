"""A platform as it was at a git revision, read without touching the work tree.

``git archive`` writes the named paths at the revision into a temporary
directory, which is then read like any other platform directory. A path that
did not exist at the revision gives an empty side (everything in it is new).
"""

from __future__ import annotations

import io
import subprocess
import tarfile
import tempfile
from pathlib import Path

from ekstwin.errors import LoadError

__all__ = ["RevisionCheckout", "checkout_revision"]

#: The largest archive read from git (the same order as the input byte limit).
MAX_ARCHIVE_BYTES = 512 * 1024 * 1024


def _git(args: list[str], cwd: Path) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, check=False, timeout=300
        )
    except FileNotFoundError as exc:
        raise LoadError("--git needs the git command, which is not installed") from exc
    except subprocess.TimeoutExpired as exc:
        raise LoadError(f"git {' '.join(args[:2])} took more than 300 s") from exc


class RevisionCheckout:
    """The paths at ``revision`` in a temporary directory; a context manager that
    removes the directory. ``paths`` are the extracted paths to load (those that
    existed at the revision), ``missing`` the ones that did not."""

    def __init__(self, revision: str, paths: list[str], cwd: Path | None = None) -> None:
        self.revision = revision
        self._tmp = tempfile.TemporaryDirectory(prefix="ekstwin-git-")
        self.root = Path(self._tmp.name)
        self.paths: list[str] = []
        self.missing: list[str] = []
        try:
            self._extract(paths, cwd or Path.cwd())
        except BaseException:
            self._tmp.cleanup()
            raise

    def _extract(self, paths: list[str], cwd: Path) -> None:
        top = _git(["rev-parse", "--show-toplevel"], cwd)
        if top.returncode != 0:
            raise LoadError(f"--git {self.revision}: {cwd} is not inside a git repository")
        toplevel = Path(top.stdout.decode().strip()).resolve()
        commit = _git(["rev-parse", "--verify", "--quiet", f"{self.revision}^{{commit}}"], cwd)
        if commit.returncode != 0:
            raise LoadError(
                f"--git {self.revision}: no such revision in {toplevel} "
                "(a shallow clone may lack it: fetch with enough depth)"
            )
        sha = commit.stdout.decode().strip()
        relative: list[str] = []
        for p in paths:
            full = (cwd / p).resolve()
            try:
                rel = full.relative_to(toplevel).as_posix()
            except ValueError as exc:
                raise LoadError(f"--git: {p} is outside the repository {toplevel}") from exc
            relative.append(rel or ".")
        present: list[str] = []
        for rel in relative:
            probe = _git(["cat-file", "-e", f"{sha}:{'' if rel == '.' else rel}"], toplevel)
            (present if probe.returncode == 0 else self.missing).append(rel)
        if not present:
            return
        archive = _git(["archive", "--format=tar", sha, "--", *present], toplevel)
        if archive.returncode != 0:
            raise LoadError(
                f"--git {self.revision}: git archive failed: "
                + archive.stderr.decode(errors="replace").strip()[:300]
            )
        if len(archive.stdout) > MAX_ARCHIVE_BYTES:
            raise LoadError(f"--git {self.revision}: the paths are larger than 512 MiB")
        with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
            tar.extractall(self.root, filter="data")
        self.paths = [str(self.root / rel) for rel in present]

    def __enter__(self) -> RevisionCheckout:
        return self

    def __exit__(self, *exc: object) -> None:
        self._tmp.cleanup()


def checkout_revision(revision: str, paths: list[str], cwd: Path | None = None) -> RevisionCheckout:
    """The platform ``paths`` (relative to ``cwd``) as they were at ``revision``."""
    return RevisionCheckout(revision, paths, cwd)

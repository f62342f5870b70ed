"""The machine side of the lab: root and tool checks, running ``ip``/``iptables``/``ipset``.

Every command the lab runs targets a network namespace it created (``ip -n NS``
or ``ip netns exec NS``); nothing here changes the root network namespace.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass

from ekstwin.errors import EkstwinError

__all__ = [
    "DEFAULT_PREFIX",
    "TOOLS",
    "LabError",
    "check_prefix",
    "lab_namespaces",
    "missing_tools",
    "require_lab_host",
    "run",
    "run_in",
]

DEFAULT_PREFIX = "ekstw-"
_PREFIX_RE = re.compile(r"^[a-z][a-z0-9-]{1,14}-$")


class LabError(EkstwinError):
    """The lab cannot run here (not root, a tool missing) or a lab step failed."""


@dataclass(frozen=True, slots=True)
class Tool:
    command: str
    package: str


#: What the lab runs, and the Debian/Ubuntu package that provides it.
TOOLS = (
    Tool("ip", "iproute2"),
    Tool("iptables-restore", "iptables"),
    Tool("iptables-save", "iptables"),
    Tool("ipset", "ipset"),
)


def missing_tools() -> list[Tool]:
    return [t for t in TOOLS if shutil.which(t.command) is None]


def require_lab_host() -> None:
    """Raise a :class:`LabError` that says what to do when the lab cannot run here."""
    if os.geteuid() != 0:
        raise LabError(
            "the lab needs root to create network namespaces (run as root, e.g. with sudo)"
        )
    missing = missing_tools()
    if missing:
        names = ", ".join(t.command for t in missing)
        packages = " ".join(sorted({t.package for t in missing}))
        raise LabError(f"missing {names} - install them: apt-get install {packages}")
    if not os.path.isdir("/proc/self/ns") or not os.path.exists("/proc/self/ns/net"):
        raise LabError("this kernel has no network namespaces (/proc/self/ns/net is missing)")


def check_prefix(prefix: str) -> str:
    if not _PREFIX_RE.match(prefix):
        raise LabError(
            f"bad lab prefix {prefix!r} - use 3-16 characters of a-z, 0-9 and '-', "
            "starting with a letter and ending with '-'"
        )
    return prefix


def run(args: Sequence[str], stdin: str | None = None) -> str:
    """Run one command; a non-zero exit becomes a :class:`LabError` with its stderr."""
    try:
        done = subprocess.run(
            list(args), input=stdin, capture_output=True, text=True, check=False, timeout=120
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise LabError(f"{args[0]} failed: {exc}") from exc
    if done.returncode != 0:
        what = " ".join(args[:6])
        raise LabError(f"{what} failed ({done.returncode}): {done.stderr.strip()[:2000]}")
    return done.stdout


def run_in(netns: str, args: Sequence[str], stdin: str | None = None) -> str:
    """Run a command inside a lab namespace (``ip netns exec``)."""
    return run(["ip", "netns", "exec", netns, *args], stdin)


def lab_namespaces(prefix: str) -> list[str]:
    """The network namespaces whose name starts with ``prefix``."""
    out = run(["ip", "netns", "list"])
    names = [line.split()[0] for line in out.splitlines() if line.strip()]
    return sorted(n for n in names if n.startswith(prefix))

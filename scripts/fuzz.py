"""Fuzz every loader and the snapshot reader at length.

    python scripts/fuzz.py [EXAMPLES] [pytest options...]

Runs tests/fuzz with EXAMPLES random examples per input kind (default 1000;
./run test runs a few, derandomized). The process's address space is capped at
EKSTWIN_FUZZ_MEMORY_MB (default 4096), so an input that makes ekstwin allocate
without bound fails as a MemoryError (exit 3) instead of taking the machine.
Hypothesis prints the smallest failing input it finds; rerun it with
--hypothesis-seed=N as printed.
"""

from __future__ import annotations

import os
import resource
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str]) -> int:
    examples = argv[0] if argv and argv[0].isdigit() else "1000"
    rest = argv[1:] if argv and argv[0].isdigit() else argv
    os.environ["EKSTWIN_FUZZ_EXAMPLES"] = examples
    cap = int(os.environ.get("EKSTWIN_FUZZ_MEMORY_MB", "4096")) * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    sys.path[:0] = [str(ROOT), str(ROOT / "src")]
    import pytest

    print(f"fuzzing every loader: {examples} examples each, address space {cap >> 20} MiB")
    return int(pytest.main(["-q", "-p", "no:cacheprovider", str(ROOT / "tests" / "fuzz"), *rest]))


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

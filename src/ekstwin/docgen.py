"""Regenerate the generated parts of ``docs/``; a test fails when they are stale.

Two kinds of content are generated, by one command run from the repository root::

    python -m ekstwin.docgen

- ``docs/checks/``: one page per check from its docstring and metadata
  (:mod:`ekstwin.engines.docs`);
- every example of command output in ``docs/*.md``: a fenced block right after
  a marker that names the command, run on the small platforms under
  ``docs/examples/``::

      <!-- example: ekstwin analyze docs/examples/report-json --format json | .findings[0] -->
      ```json
      (replaced by what the command prints)
      ```

  The command is run in this process from the repository root (so paths in
  the output are the ones a reader types). After ``|`` comes a selector into
  JSON output: ``.key``, ``[N]`` (an item of a list) and ``[key=value]`` (the
  first item whose ``key`` is ``value``), chained; the part it picks is
  printed with two-space indents. Without one, the whole output is the
  example; a command written ``$ ekstwin ...`` is shown above its output, as
  typed at a prompt. The exit code is not checked (an example may show input errors,
  exit 2), except that an internal error (3) fails the generation.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import re
import shlex
from collections.abc import Iterator, Sequence
from pathlib import Path

from ekstwin.engines.docs import REGENERATE, write_check_docs
from ekstwin.errors import ConfigError

__all__ = [
    "REGENERATE",
    "ExampleError",
    "example_pages",
    "main",
    "render_examples",
    "run_example",
    "select",
]

#: The marker, the fence that follows it, and the example's text up to the closing fence.
_EXAMPLE = re.compile(
    r"^(?P<marker><!-- example: (?P<command>.+?) -->\n)"
    r"(?P<open>(?P<fence>`{3,})[^\n]*\n)"
    r"(?P<body>.*?)"
    r"^(?P=fence)$",
    re.MULTILINE | re.DOTALL,
)
_STEP = re.compile(r"\.([A-Za-z_][\w-]*)|\[(\d+)\]|\[([A-Za-z_][\w-]*)=([^\]]*)\]")


class ExampleError(ConfigError):
    """A marker that cannot be run or whose selector picks nothing."""


def select(data: object, selector: str) -> object:
    """The part of ``data`` that ``selector`` names (see the module docstring)."""
    at = 0
    while at < len(selector):
        step = _STEP.match(selector, at)
        if step is None:
            raise ExampleError(f"selector {selector!r}: cannot read {selector[at:]!r}")
        key, index, field, value = step.groups()
        if key is not None and isinstance(data, dict) and key in data:
            data = data[key]
        elif index is not None and isinstance(data, list) and int(index) < len(data):
            data = data[int(index)]
        elif field is not None and isinstance(data, list):
            found = [x for x in data if isinstance(x, dict) and str(x.get(field)) == value]
            if not found:
                raise ExampleError(f"selector {selector!r}: no item with {field}={value}")
            data = found[0]
        else:
            raise ExampleError(f"selector {selector!r}: {step.group(0)!r} picks nothing")
        at = step.end()
    return data


def run_example(command: str, root: Path) -> str:
    """What ``command`` (``ekstwin ...`` [``| selector``]) prints, run from ``root``."""
    from ekstwin.cli.main import main as ekstwin

    line, _, selector = command.partition(" | ")
    prompt = line.startswith("$ ")
    line = line.removeprefix("$ ")
    argv = shlex.split(line)
    if not argv or argv[0] != "ekstwin":
        raise ExampleError(f"example {command!r}: the command must start with 'ekstwin'")
    out, err = io.StringIO(), io.StringIO()
    with _cwd(root), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = ekstwin(argv[1:])
    if code == 3:
        raise ExampleError(f"example {command!r} failed: {err.getvalue().strip()}")
    text = out.getvalue()
    if not selector.strip():
        return f"$ {line}\n{text}" if prompt else text
    picked = select(json.loads(text), selector.strip())
    return json.dumps(picked, indent=2, ensure_ascii=False) + "\n"


@contextlib.contextmanager
def _cwd(path: Path) -> Iterator[None]:
    before = Path.cwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(before)


def render_examples(text: str, root: Path) -> str:
    """``text`` with every example block replaced by its command's output."""

    def fill(match: re.Match[str]) -> str:
        output = run_example(match["command"], root)
        if not output.endswith("\n"):
            output += "\n"
        return match["marker"] + match["open"] + output + match["fence"]

    return _EXAMPLE.sub(fill, text)


def example_pages(root: Path) -> list[Path]:
    """The pages of ``root/docs`` that hold an example."""
    return [
        path
        for path in sorted((root / "docs").glob("*.md"))
        if _EXAMPLE.search(path.read_text(encoding="utf-8"))
    ]


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m ekstwin.docgen``: regenerate docs/checks and the examples."""
    parser = argparse.ArgumentParser(
        prog="python -m ekstwin.docgen",
        description="Write docs/checks/ from the checks and every example in docs/*.md.",
    )
    parser.add_argument(
        "--root", default=".", help="the repository root (default: the working directory)"
    )
    args = parser.parse_args(argv)
    root = Path(args.root).resolve()
    write_check_docs(root / "docs" / "checks")
    for path in example_pages(root):
        text = render_examples(path.read_text(encoding="utf-8"), root)
        path.write_text(text, encoding="utf-8", newline="\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

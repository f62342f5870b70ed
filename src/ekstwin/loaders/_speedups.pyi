"""Compiled forms of the loaders' hot paths (_speedups.c)."""

from collections.abc import Callable

def configure(not_simple: type[Exception], /) -> None: ...
def parse_simple(
    text: str,
    cache: dict[str, object],
    resolve: Callable[[str], object],
    lines: dict[str, int] | None,
    first_line: int,
    starts: str,
    pointers: dict[str, str] | None = None,
    /,
) -> tuple[object, int] | None: ...
def list_under_keys(node: object, keys: frozenset[str], max_depth: int, /) -> bool: ...
def str_map(mapping: dict[str, object], /) -> dict[str, str]: ...

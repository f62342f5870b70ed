"""The line of a part of a document: its own, or its nearest ancestor's."""

from __future__ import annotations

import pytest

from ekstwin.loaders.jsonlines import line_of, nearest_line

LINES = {"": 1, "/spec": 4, "/spec/rules/0": 7}


@pytest.mark.parametrize(
    ("lines", "pointer", "nearest", "line"),
    [
        (LINES, "/spec/rules/0", 7, 7),
        (LINES, "/spec/rules/0/ports/1", 7, 7),  # its nearest ancestor's
        (LINES, "/spec/rules/1", 4, 4),
        (LINES, "/metadata/name", 1, 1),  # the root's
        (LINES, "", 1, 1),
        ({"/spec": 4}, "/metadata", None, 0),  # none: no root line either
        ({}, "/spec", None, 0),
        ({"/spec": 4}, "spec", None, 0),  # not a pointer: no ancestor, and no endless climb
    ],
)
def test_a_part_takes_the_line_of_its_nearest_ancestor_that_has_one(
    lines: dict[str, int], pointer: str, nearest: int | None, line: int
) -> None:
    assert (nearest_line(lines, pointer), line_of(lines, pointer)) == (nearest, line)

"""Where a model object came from (file and line) and how to name it (ObjectRef)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True, order=True)
class Source:
    """A place in an input file. ``line`` is 1-based; 0 means "the whole file"."""

    file: str
    line: int = 0

    def __str__(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.file

    def to_json(self) -> dict[str, object]:
        return {"file": self.file, "line": self.line}

    @classmethod
    def from_json(cls, data: dict[str, object]) -> Source:
        line = data.get("line", 0)
        return cls(file=str(data["file"]), line=int(line) if isinstance(line, int) else 0)


@dataclass(frozen=True, slots=True, order=True)
class ObjectRef:
    """Names one object of the platform: ``Kind/namespace/name`` or ``Kind/name``."""

    kind: str
    name: str
    namespace: str | None = None

    def __str__(self) -> str:
        if self.namespace:
            return f"{self.kind}/{self.namespace}/{self.name}"
        return f"{self.kind}/{self.name}"

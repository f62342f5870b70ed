"""Where a model object came from (file and line) and how to name it (ObjectRef)."""

from __future__ import annotations

from ekstwin.model._dataclass import dataclass

#: The file of every object ekstwin assumed rather than read: ``<implied: why>``.
IMPLIED_PREFIX = "<implied"


@dataclass(frozen=True, slots=True, order=True)
class Source:
    """A place in an input file. ``line`` is 1-based; 0 means "the whole file".

    An object no input holds but ekstwin assumes (the cluster's own namespaces,
    CoreDNS, the pods an operator makes) has a source whose file is
    ``<implied: why>`` (see :meth:`implied_by`)."""

    file: str
    line: int = 0

    @classmethod
    def implied_by(cls, why: str) -> Source:
        return cls(f"{IMPLIED_PREFIX}: {why}>")

    @property
    def implied(self) -> bool:
        return self.file.startswith(IMPLIED_PREFIX)

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

"""The one exception tree of ekstwin.

::

    EkstwinError
     +-- LoadError          a source could not be read at all (the CLI exits 2)
     +-- ModelError         the model was asked for something it does not hold
     +-- ConfigError        bad options or configuration (the CLI exits 2)
     +-- SelectorSyntaxError  a label or Calico selector does not parse
     +-- SchemaError        a document does not match its JSON Schema

Bad input inside a source is *data*, not an exception: loaders record a
:class:`ekstwin.findings.Diagnostic` and carry on. Exceptions are for what
stops a command.
"""

from __future__ import annotations


class EkstwinError(Exception):
    """Base of every error ekstwin raises on purpose."""


class LoadError(EkstwinError):
    """A source (file, directory, snapshot) cannot be read at all."""


class ModelError(EkstwinError):
    """A lookup in the platform model failed (unknown pod, namespace, ...)."""


class ConfigError(EkstwinError):
    """An option or configuration value is invalid."""


class SelectorSyntaxError(EkstwinError):
    """A selector expression does not parse.

    ``column`` is 1-based and points at the character where parsing failed.
    """

    def __init__(self, message: str, *, expression: str, column: int) -> None:
        super().__init__(f"{message} at column {column} in {expression!r}")
        self.reason = message
        self.expression = expression
        self.column = column


class SchemaError(EkstwinError):
    """A document does not match its JSON Schema; ``path`` is a JSON path."""

    def __init__(self, message: str, *, path: str) -> None:
        super().__init__(f"{path}: {message}")
        self.reason = message
        self.path = path

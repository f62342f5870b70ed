"""The one exception tree of ekstwin.

Every exception ekstwin defines derives from :class:`EkstwinError` (a test walks
the package and checks it, and that this drawing names each class under its
first base). Where callers also catch a built-in base, the class keeps it as a
second base (``also``)::

    EkstwinError
     +-- LoadError             a source could not be read at all (the CLI exits 2)
     +-- ModelError            the model was asked for something it does not hold
     |    +-- PolicyError          engines.iam.policy: a policy breaks the IAM grammar
     +-- ConfigError           bad options or configuration (the CLI exits 2)
     |    +-- CalicoVersionError   engines.net.platform_calico: a version that does not parse
     |    +-- MeshQueryError       engines.mesh.verdict: a mesh question names nothing known
     |    +-- QueryError           web.views: a query from the page that cannot be answered
     |    +-- ExampleError         docgen: a docs example that cannot be run, or picks nothing
     +-- SelectorSyntaxError   a label or Calico selector does not parse
     +-- SchemaError           a document does not match its JSON Schema
     +-- NetQueryError         engines.net.engine: an unknown endpoint or port (also ValueError)
     +-- VpcQueryError         engines.vpc.model: an AWS endpoint the input does not hold
     |                         (also ValueError)
     +-- AnnotationError       engines.ingress.albannotations: an ALB annotation that does
     |                         not parse; the group fails on it (also ValueError)
     +-- BuildError            engines.ingress.builder: the controller fails the group on it
     +-- NotManaged            engines.ingress.groups: the controller does not manage the Ingress
     |    +-- InvalidIngressClass  its class or parameters cannot be loaded
     |    +-- LoadFailure          an error that fails every group's load
     +-- InvalidDocument       loaders.kubernetes: a malformed document (becomes a diagnostic)
     +-- ReporterError         reporters.interface: a report cannot be rendered in that format
     +-- StoreError            store.sqlite: the state database cannot be used
     +-- LabError              lab.system: the lab cannot run here, or a lab step failed
     +-- AgentError            lab.agent: setns(2) failed, or a namespace outside the lab
     |                         (also OSError)
     +-- NotFound              web.server: a request names nothing that exists (HTTP 404)
     +-- _RetriesSpent         collect.aws: a call failed after the retry time was spent
     +-- _NotTheApi            collect.aws: the endpoint is not the AWS API
     +-- _HttpError            collect.k8s: the API server refused a list call
     +-- _JsonTypeError        engines.ingress.builder: a JSON value of the wrong Go type
     |                         (also ValueError)
     +-- _TooLarge             loaders.inputs: a number too long to read (also ValueError)
     +-- _ConvertError         loaders.yamldocs: a YAML node that cannot be converted
     +-- _Fallback             loaders.yamldocs: the fast conversion hands over to the full one
     +-- _IntegerTooLarge      loaders.yamldocs: an integer too large to read (the line is added)
     +-- NotSimple             loaders.simpleyaml: the simple reader hands a document to libyaml
     +-- _Unsupported          loaders.schemacheck: a schema keyword left to jsonschema

The names with a leading underscore are signals that never leave their module.

Bad input inside a source is *data*, not an exception: loaders record a
:class:`ekstwin.findings.Diagnostic` and carry on. Exceptions are for what
stops a command; the CLI maps :class:`EkstwinError` to exit 2 with one line on
stderr, anything else to exit 3 (an internal error).
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

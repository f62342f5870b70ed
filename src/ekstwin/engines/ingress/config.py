"""The AWS Load Balancer Controller's flags, as the platform deploys it.

The controller reads its configuration from command-line flags (pflag,
``pkg/config/controller_config.go``, ``ingress_config.go`` and
``feature_gates.go`` of kubernetes-sigs/aws-load-balancer-controller). A
workload whose container image is ``.../aws-load-balancer-controller`` is the
platform's controller; its flags are the defaults of ``ekstwin ingress`` and
of the ingress checks, and options given on the command line win. What the
container does not set takes the controller's own defaults.

The flags that change the model:

- ``--ingress-class`` (``alb``): the legacy class annotation must equal it;
  empty means the annotation ``alb`` matches and Ingresses without any class
  are managed too;
- ``--default-target-type`` (``instance``; Helm ``defaultTargetType``) and the
  ``EnableIPTargetType`` feature gate (on): which Services a rule may forward
  to;
- ``--external-managed-tags``: tag keys no Ingress or IngressClassParams may set;
- ``--default-load-balancer-scheme`` (``internal``), ``--default-ssl-policy``
  (``ELBSecurityPolicy-2016-08``), ``--cluster-name`` (the default ALB name);
- ``--tolerate-non-existent-backend-service`` and
  ``--tolerate-non-existent-backend-action`` (both on): a rule forwarding to a
  single missing Service, or naming a missing action annotation, answers a
  fixed 503 instead of failing its group.

A value the controller refuses at start (an unknown target type or scheme)
is reported as a note and the default is used.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ekstwin.engines.flags import parse_flags
from ekstwin.engines.ingress.model import TargetType
from ekstwin.model.images import ImageRef
from ekstwin.model.platform import Platform
from ekstwin.model.source import ObjectRef, Source

__all__ = [
    "AlbControllerConfig",
    "AlbOptions",
    "alb_controller_configs",
    "is_alb_controller",
    "platform_alb_options",
]

DEFAULT_SSL_POLICY = "ELBSecurityPolicy-2016-08"
SCHEMES = ("internal", "internet-facing")

#: pflag booleans of the controller: a bare ``--flag`` is true, and the next word
#: is never its value.
_BOOLEANS = frozenset(
    {
        "tolerate-non-existent-backend-service", "tolerate-non-existent-backend-action",
        "disable-ingress-class-annotation", "disable-ingress-group-name-annotation",
        "enable-backend-security-group", "enable-manage-backend-security-group-rules",
        "enable-endpoint-slices", "disable-restricted-sg-rules", "enable-leader-election",
        "enable-pod-readiness-gate-inject", "enable-service-controller",
        "enable-shield", "enable-waf", "enable-wafv2",
    }
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class AlbOptions:
    """The controller's flags that change the model (their defaults)."""

    default_target_type: TargetType = TargetType.INSTANCE
    default_scheme: str = "internal"
    default_ssl_policy: str = DEFAULT_SSL_POLICY
    cluster_name: str | None = None  # for the default ALB name; from aws.json when one cluster
    ingress_class: str = "alb"
    enable_ip_target_type: bool = True
    tolerate_non_existent_backend_service: bool = True
    tolerate_non_existent_backend_action: bool = True
    external_managed_tags: frozenset[str] = frozenset()  # --external-managed-tags
    enable_backend_security_group: bool = True  # --enable-backend-security-group
    backend_security_group: str | None = None  # --backend-security-group (None: auto-created)
    # --enable-manage-backend-security-group-rules: the default of the
    # manage-backend-security-group-rules annotation when frontend groups are written
    enable_manage_backend_security_group_rules: bool = False
    # --service-target-eni-security-group-tags: tags the target ENI's group must also carry
    service_target_eni_security_group_tags: tuple[tuple[str, str], ...] = ()

    @property
    def manages_classless(self) -> bool:
        """``--ingress-class=''``: Ingresses naming no class are managed."""
        return self.ingress_class == ""


@dataclass(frozen=True, slots=True)
class AlbControllerConfig:
    """One controller container's flags, read as options."""

    workload: ObjectRef
    container: str
    source: Source | None
    options: AlbOptions
    notes: tuple[str, ...] = field(default=())

    def to_json(self) -> dict[str, object]:
        o = self.options
        return {
            "workload": str(self.workload),
            "container": self.container,
            "source": str(self.source) if self.source else None,
            "ingress_class": o.ingress_class,
            "default_target_type": o.default_target_type.value,
            "default_scheme": o.default_scheme,
            "enable_ip_target_type": o.enable_ip_target_type,
            "notes": list(self.notes),
        }


def is_alb_controller(image: ImageRef) -> bool:
    return image.repository.rsplit("/", 1)[-1] == "aws-load-balancer-controller"


def _bool(value: str) -> bool | None:
    """pflag's strconv.ParseBool."""
    low = value.strip()
    if low in ("1", "t", "T", "TRUE", "true", "True"):
        return True
    if low in ("0", "f", "F", "FALSE", "false", "False"):
        return False
    return None


def _feature_gates(values: list[str], notes: list[str]) -> dict[str, bool]:
    out: dict[str, bool] = {}
    for value in values:
        for pair in value.split(","):
            if not pair.strip():
                continue
            name, _, raw = pair.partition("=")
            parsed = _bool(raw)
            if parsed is None:
                notes.append(f"--feature-gates {pair.strip()!r}: not NAME=true|false, ignored")
                continue
            out[name.strip()] = parsed
    return out


def options_from_flags(flags: dict[str, list[str]]) -> tuple[AlbOptions, list[str]]:
    """The options the flags give, and notes on values the controller would refuse."""
    notes: list[str] = []

    def last(name: str) -> str | None:
        values = flags.get(name)
        return values[-1] if values else None

    def flag_bool(name: str, default: bool) -> bool:
        raw = last(name)
        if raw is None:
            return default
        parsed = _bool(raw)
        if parsed is None:
            notes.append(f"--{name}={raw}: not a boolean, the controller refuses to start")
            return default
        return parsed

    target = TargetType.INSTANCE
    raw_target = last("default-target-type")
    if raw_target is not None:
        try:
            target = TargetType(raw_target)
        except ValueError:
            notes.append(
                f"--default-target-type={raw_target}: invalid value {raw_target} for default "
                "target type (the controller refuses to start); read as instance"
            )
    scheme = last("default-load-balancer-scheme") or "internal"
    if scheme not in SCHEMES:
        notes.append(
            f"--default-load-balancer-scheme={scheme}: invalid value {scheme} for default "
            "scheme (the controller refuses to start); read as internal"
        )
        scheme = "internal"
    gates = _feature_gates(flags.get("feature-gates", []), notes)
    ingress_class = last("ingress-class")
    options = AlbOptions(
        default_target_type=target,
        default_scheme=scheme,
        default_ssl_policy=last("default-ssl-policy") or DEFAULT_SSL_POLICY,
        cluster_name=last("cluster-name") or None,
        ingress_class="alb" if ingress_class is None else ingress_class,
        enable_ip_target_type=gates.get("EnableIPTargetType", True),
        tolerate_non_existent_backend_service=flag_bool(
            "tolerate-non-existent-backend-service", True
        ),
        tolerate_non_existent_backend_action=flag_bool(
            "tolerate-non-existent-backend-action", True
        ),
        external_managed_tags=frozenset(
            t.strip()
            for v in flags.get("external-managed-tags", [])
            for t in v.split(",")
            if t.strip()
        ),
        enable_backend_security_group=flag_bool("enable-backend-security-group", True),
        backend_security_group=last("backend-security-group") or None,
        enable_manage_backend_security_group_rules=flag_bool(
            "enable-manage-backend-security-group-rules", False
        ),
        service_target_eni_security_group_tags=tuple(
            sorted(
                (k.strip(), v.strip())
                for raw in flags.get("service-target-eni-security-group-tags", [])
                for k, _, v in (pair.partition("=") for pair in raw.split(","))
                if k.strip()
            )
        ),
    )
    return options, notes


def alb_controller_configs(platform: Platform) -> list[AlbControllerConfig]:
    """Every Load Balancer Controller container of the platform's workloads."""
    out: list[AlbControllerConfig] = []
    for w in sorted(platform.workloads, key=lambda w: str(w.meta.ref)):
        for c in w.spec.containers:
            if not is_alb_controller(c.image):
                continue
            words = (*c.command[1:], *c.args) if c.command else c.args
            options, notes = options_from_flags(parse_flags(words, _BOOLEANS))
            where = f"{c.pointer}/args" if c.args else c.pointer
            out.append(
                AlbControllerConfig(
                    w.meta.ref, c.name, w.meta.line_of(where), options, tuple(notes)
                )
            )
    return out


def platform_alb_options(platform: Platform) -> tuple[AlbOptions, tuple[str, ...]]:
    """The flags of the platform's one controller (else the controller's defaults),
    with notes on what could not be read."""
    configs = alb_controller_configs(platform)
    if len(configs) == 1:
        c = configs[0]
        return c.options, c.notes
    if len(configs) > 1:
        names = ", ".join(str(c.workload) for c in configs)
        return AlbOptions(), (
            f"{len(configs)} Load Balancer Controllers ({names}): their flags are not used, "
            "the controller's defaults are",
        )
    return AlbOptions(), ()

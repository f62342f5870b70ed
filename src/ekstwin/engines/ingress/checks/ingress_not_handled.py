"""ING006."""

from __future__ import annotations

from collections.abc import Iterator

from ekstwin.engines.checks import Check, CheckContext
from ekstwin.engines.ingress.albannotations import INGRESS_CLASS_ANNOTATION
from ekstwin.engines.ingress.groups import ALB_CONTROLLER, DEFAULT_INGRESS_CLASS
from ekstwin.findings import Confidence, Finding, Severity
from ekstwin.model.k8s import Ingress
from ekstwin.model.platform import Platform


def _why(platform: Platform, ing: Ingress) -> str:
    """``other`` (another controller's class), ``missing`` (no IngressClass to go by)
    or ``refused`` (the controller's class, refused for another reason)."""
    legacy = ing.meta.annotations.get(INGRESS_CLASS_ANNOTATION)
    if legacy is not None:
        return "refused" if legacy == DEFAULT_INGRESS_CLASS else "other"
    name = ing.ingress_class_name
    if name is None:
        defaults = [c for c in platform.ingress_classes if c.is_default]
        if len(defaults) != 1:
            return "missing"
        name = defaults[0].meta.name
    ic = next((c for c in platform.ingress_classes if c.meta.name == name), None)
    if ic is None:
        return "missing"
    return "refused" if ic.controller == ALB_CONTROLLER else "other"


class IngressNotHandled(Check):
    """
    ## What it does
    Reports each Ingress that the AWS Load Balancer Controller leaves alone,
    with the reason `ingress alb` gives:

    - its `spec.ingressClassName` names an IngressClass that is not in the
      input (`alb` included), or it has no class and no IngressClass is
      the default: no controller handles it (severity medium);
    - its IngressClass belongs to another controller, or the legacy
      `kubernetes.io/ingress.class` annotation names another class: another
      controller handles it, and ekstwin plans no ALB for it (severity info);
    - the controller refuses it for another reason (an IngressClassParams
      that does not exist or whose namespaceSelector does not match, an
      invalid group name): no ALB serves it (severity medium).

    The IngressClass `alb` is often installed with the controller's chart
    rather than with the applications: when it is not in the input, the
    finding says so, and adding the class's manifest to the input settles it.

    ## Why is this bad?
    An Ingress no controller handles does nothing: no load balancer, no
    address in its status, no DNS record; its hostnames do not answer, and
    nothing reports an error.

    ## Example
    ```yaml
    kind: Ingress
    spec:
      ingressClassName: alb   # and no IngressClass alb in the cluster
    ```

    ## Fix
    Create the IngressClass (`controller: ingress.k8s.aws/alb`), set the
    Ingress's `ingressClassName` to a class the controller owns, or mark one
    IngressClass as the default.

    ## References
    - Kubernetes documentation: Ingress, "IngressClass" and "Default IngressClass"
    - AWS Load Balancer Controller: IngressClass and IngressClassParams
    """

    id = "ING006"
    slug = "ingress-not-handled"
    title = "Ingress that the AWS Load Balancer Controller does not handle"
    severity = Severity.MEDIUM
    confidence = Confidence.MEDIUM

    def run(self, platform: Platform, ctx: CheckContext) -> Iterator[Finding]:
        ingresses = {f"{i.meta.ns}/{i.meta.name}": i for i in platform.ingresses}
        for ignored in ctx.models(platform).albs.ignored:
            ing = ingresses.get(ignored.ingress)
            if ing is None:
                continue
            reason = ignored.reason
            kind = _why(platform, ing)
            other = kind == "other"
            if other:
                message = f"{ignored.ingress} is left to another controller: {reason}"
                fix = "nothing to change if that controller runs in the cluster"
            elif kind == "missing":
                message = (
                    f"no controller handles {ignored.ingress}: {reason}; no load balancer "
                    "serves its hosts unless the class is created outside this input"
                )
                fix = (
                    "create the IngressClass (controller ingress.k8s.aws/alb) or add its "
                    "manifest to the input, or use a class the controller owns"
                )
            else:
                message = f"no load balancer serves {ignored.ingress}: {reason}"
                fix = "correct what the controller refuses, as the reason says"
            yield self.finding(
                ing.meta.ref,
                message,
                ing.meta.source,
                evidence=[f"ingress alb: {ignored.ingress} ignored: {reason}"],
                fix=fix,
                severity=Severity.INFO if other else None,
                confidence=Confidence.HIGH if other else None,
            )

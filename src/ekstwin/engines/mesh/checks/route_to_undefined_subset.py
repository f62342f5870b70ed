"""MSH006."""

from __future__ import annotations

from collections.abc import Iterator

from ekstwin.engines.checks import Check, CheckContext
from ekstwin.engines.mesh.routes import routes
from ekstwin.findings import Confidence, Finding, Severity
from ekstwin.model.platform import Platform


class RouteToUndefinedSubset(Check):
    """
    ## What it does
    Finds VirtualService routes whose destination names a `subset` that no
    DestinationRule for the destination host defines.

    ## Why is this bad?
    Envoy builds no cluster for an undefined subset, so every request the
    route takes fails with 503 (no healthy upstream), although the Service
    and its pods are fine. It usually follows a rename of the subsets in the
    DestinationRule (`stable` became `v5`) that the VirtualService missed.

    ## Example
    ```yaml
    kind: VirtualService
    spec:
      http: [{route: [{destination: {host: catalog-api, subset: stable}}]}]
    # the DestinationRule for catalog-api defines only subset v5
    ```

    ## Fix
    Name an existing subset, or add the subset to the host's DestinationRule.

    ## References
    - Istio: DestinationRule reference, Subset
    - Istio: Traffic Management concepts, "Destination rules"
    """

    id = "MSH006"
    slug = "route-to-undefined-subset"
    title = "VirtualService routes to a subset no DestinationRule defines"
    severity = Severity.HIGH
    confidence = Confidence.HIGH

    def run(self, platform: Platform, ctx: CheckContext) -> Iterator[Finding]:
        for vs in sorted(
            platform.virtual_services, key=lambda v: (v.meta.namespace or "", v.meta.name)
        ):
            ns = vs.meta.ns
            for host in vs.hosts:
                fqdn = host if "." in host else f"{host}.{ns}.svc.cluster.local"
                gateways = vs.gateways or ("mesh",)
                table = routes(platform, fqdn, gateways[0])
                for r in table.routes:
                    if r.virtual_service != f"{ns}/{vs.meta.name}":
                        continue
                    for t in r.targets:
                        if t.subset is None or t.problem is None or "subset" not in t.problem:
                            continue
                        yield self.finding(
                            vs.meta.ref,
                            f"{r.kind} route {r.index}"
                            + (f" ({r.name})" if r.name else "")
                            + f" of {ns}/{vs.meta.name} sends {t.host} to subset {t.subset!r}, "
                            "which no DestinationRule defines: requests get 503",
                            r.source,
                            evidence=[t.problem],
                            fix=f"use a subset the DestinationRule for {t.host} defines, or add "
                            f"subset {t.subset!r} to it",
                            key=f"{r.kind}/{r.index}/{t.subset}",
                        )
                break  # one host's table lists every route of the VirtualService

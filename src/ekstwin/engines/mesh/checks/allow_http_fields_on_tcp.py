"""MSH004."""

from __future__ import annotations

from collections.abc import Iterator

from ekstwin.engines.checks import Check, CheckContext
from ekstwin.engines.mesh.authz import pods_in_reach, policies_for, rule_http_only_fields
from ekstwin.engines.mesh.checks import mesh_model
from ekstwin.engines.mesh.injection import DataPlane
from ekstwin.engines.mesh.workloads import owner_ref
from ekstwin.findings import Confidence, Finding, Severity
from ekstwin.model.platform import Platform


class AllowHttpFieldsOnTcp(Check):
    """
    ## What it does
    Finds ALLOW rules that use HTTP-only attributes (`methods`, `paths`,
    `hosts`, `requestPrincipals`, `request.*` conditions) and apply to a
    workload port that a Service declares as TCP (port name `tcp-*`,
    `mongo`, `mysql`, `redis`, `tls`, `https`, ...).

    ## Why is this bad?
    On TCP traffic the sidecar cannot see HTTP attributes. Istio drops such an
    ALLOW rule entirely for TCP (it never matches), so the rule allows nothing
    there: if it is the only ALLOW rule for the workload, every TCP connection
    is refused. (A DENY rule with HTTP-only fields does the opposite: the
    fields are dropped and it denies all TCP traffic on its ports.)

    ## Example
    ```yaml
    kind: AuthorizationPolicy
    spec:
      selector: {matchLabels: {app: redis}}
      rules: [{to: [{operation: {methods: [GET], ports: ["6379"]}}]}]
    # Service port name: tcp-redis
    ```

    ## Fix
    Drop the HTTP attributes and match on ports, principals or namespaces; or
    name the Service port `http-*`/`grpc-*` if the traffic really is HTTP.

    ## References
    - Istio: AuthorizationPolicy reference, "Authorization Policy for TCP workloads"
    - Istio: Protocol Selection (port naming)
    """

    id = "MSH004"
    slug = "allow-http-fields-on-tcp"
    title = "ALLOW rule with HTTP-only fields on a TCP port allows nothing"
    severity = Severity.MEDIUM
    confidence = Confidence.HIGH

    def run(self, platform: Platform, ctx: CheckContext) -> Iterator[Finding]:
        model = mesh_model(platform, ctx)
        for ap in sorted(
            platform.authorization_policies, key=lambda a: (a.meta.namespace or "", a.meta.name)
        ):
            if ap.action != "ALLOW" or ap.target_refs:
                continue
            for i, rule in enumerate(ap.rules):
                fields = rule_http_only_fields(rule)
                if not fields:
                    continue
                rule_ports = {p for o in rule.operations for p in o.ports}
                hits: dict[str, set[str]] = {}
                for pod in pods_in_reach(platform, ap):
                    if model.injections[pod.key].data_plane is not DataPlane.SIDECAR:
                        continue
                    if not policies_for([ap], pod)[0]:
                        continue
                    for cp in pod.spec.all_ports:
                        port = cp.container_port
                        if rule_ports and str(port) not in rule_ports:
                            continue
                        declared, why = model.port_protocol(pod, port)
                        if declared is False:
                            hits.setdefault(str(owner_ref(platform, pod)), set()).add(
                                f"port {port} is TCP ({why})"
                            )
                if not hits:
                    continue
                evidence = [f"rule {i} uses {', '.join(fields)}"]
                for wl in sorted(hits):
                    evidence.extend(f"{wl}: {h}" for h in sorted(hits[wl]))
                yield self.finding(
                    ap.meta.ref,
                    f"ALLOW rule {i} of {ap.meta.namespace}/{ap.meta.name} uses HTTP-only "
                    f"fields ({', '.join(fields)}) on TCP ports: on them it never matches "
                    "(allow-nothing)",
                    rule.location or ap.meta.line_of(f"/spec/rules/{i}"),
                    evidence=evidence,
                    fix="match TCP traffic on ports, principals or namespaces only, or declare "
                    "the port as HTTP if it is",
                    key=str(i),
                )

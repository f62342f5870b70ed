"""The web views: engine results as one JSON document, and the query endpoints.

Everything here calls the engines' public functions and keeps their JSON as
it is; the page renders it. A section whose engine raises becomes
``{"available": false, "error": "..."}`` so one unfinished engine does not take
the whole page down.

Shape of :func:`build_views` (``schema`` ``ekstwin-web``, ``version`` 1)::

    {"schema": "ekstwin-web", "version": 1, "title": str, "inputs": [str],
     "sections": {
        "report":   <section: the analyze JSON report (docs/report-json.md)>,
        "network":  <section: {"namespace": Graph, "workload": Graph}>,
        "identity": <section: {"pods": [PodAccess JSON + "workload"],
                               "people": [UserAccess JSON]}>,
        "ingress":  <section: the ALB plan JSON (docs/ingress.md)>,
        "dns":      <section: {"owner_id": str, "plan": DnsPlan JSON}>,
        "ipam":     <section: the ipam plan JSON (docs/ipam.md)>,
        "storage":  <section: the storage plan JSON (docs/storage.md)>,
        "diff":     <section: net diff JSON (docs/net.md)> (only with compare)},
     "diagnostics": [str]}

    section = {"available": true, "data": ...} | {"available": false, "error": str}
    Graph = {"granularity": str, "endpoints": [str],
             "flows": [{"from", "to", "allow", "why": <net can JSON> | null}]}

``why`` is the engine's verdict for one pod pair of the two groups on the
first allowed port: the deciding egress and ingress rules.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ekstwin.errors import ConfigError, EkstwinError
from ekstwin.loaders import LoadResult

__all__ = [
    "SCHEMA",
    "QueryError",
    "WebQueries",
    "build_views",
    "section",
]

log = logging.getLogger(__name__)

SCHEMA = "ekstwin-web"
_VERSION = 1


class QueryError(ConfigError):
    """A query from the page that cannot be answered (bad input, unknown pod)."""


def section(compute: Callable[[], object]) -> dict[str, object]:
    """Run one engine call; an engine that raises becomes a section not available."""
    try:
        return {"available": True, "data": compute()}
    except Exception as exc:  # one engine failing must not break the page
        log.warning("web section failed: %s", exc, exc_info=True)
        return {"available": False, "error": f"{type(exc).__name__}: {exc}"}


def _first_port(allow: Any) -> tuple[str, int] | None:
    """The first allowed (protocol, port), TCP first as the matrix orders them."""
    for protocol, intervals in allow:
        for lo, _hi in intervals:
            return str(protocol), int(lo)
    return None


def _graph(model: Any, by: Any) -> dict[str, object]:
    from ekstwin.engines.net import matrix
    from ekstwin.engines.net.matrix import group_of, pod_flows

    m = matrix(model, by)
    # One pod pair per group pair, explained on the first port that pair allows.
    example: dict[tuple[str, str], tuple[Any, Any, int]] = {}
    for a, b, cid in pod_flows(model):
        example.setdefault((group_of(a, by), group_of(b, by)), (a, b, cid))
    flows: list[dict[str, object]] = []
    for f in m.flows:
        row = f.to_json()
        why: object = None
        pair = example.get((f.source, f.destination))
        first = _first_port(model.conns(pair[2])) if pair is not None else None
        if pair is not None and first is not None:
            why = model.verdict(pair[0], pair[1], first[0], first[1]).to_json()
        row["why"] = why
        flows.append(row)
    return {"granularity": m.granularity.value, "endpoints": list(m.endpoints), "flows": flows}


def _network(result: LoadResult) -> dict[str, object]:
    from ekstwin.engines.net import Granularity, NetModel

    model = NetModel(result.platform)
    return {
        "namespace": _graph(model, Granularity.NAMESPACE),
        "workload": _graph(model, Granularity.WORKLOAD),
    }


def _identity(result: LoadResult) -> dict[str, object]:
    from ekstwin.engines.iam import IamAnalyzer

    analyzer = IamAnalyzer(result.platform)
    seen: set[str] = set()
    pods: list[dict[str, object]] = []
    for pod in sorted(result.platform.pods, key=lambda p: p.key):
        workload = pod.workload_key
        if workload in seen:
            continue
        seen.add(workload)
        access = analyzer.pod_access(pod).to_json()
        if not access.get("roles") and not access.get("pulls"):
            continue
        pods.append({"workload": workload, **access})
    return {"pods": pods, "people": _people(result)}


def _people(result: LoadResult) -> list[object]:
    from ekstwin.engines.access import AccessAnalyzer

    analyzer = AccessAnalyzer(result.platform)
    out: list[object] = []
    for person in analyzer.people():
        try:
            out.append(analyzer.user(person.login).to_json())
        except EkstwinError as exc:
            out.append({"login": person.login, "error": str(exc)})
    return out


def _dns(result: LoadResult) -> dict[str, object]:
    """The plan with the options the platform's ExternalDNS runs with (as the DNS
    checks see them)."""
    from ekstwin.engines.dns import plan_dns
    from ekstwin.engines.dns.config import platform_dns

    options = platform_dns(result.platform).options
    return {
        "owner_id": options.owner_id,
        "plan": plan_dns(result.platform, options).to_json(),
    }


def _report(result: LoadResult) -> object:
    from ekstwin.analysis import analyze
    from ekstwin.reporters.json_report import report_document

    return report_document(analyze(result))


def _ingress(result: LoadResult) -> object:
    from ekstwin.engines.ingress import build_albs

    return build_albs(result.platform).to_json()


def _ipam(result: LoadResult) -> object:
    from ekstwin.engines.ipam.plan import plan

    return plan(result.platform).to_json()


def _storage(result: LoadResult) -> object:
    from ekstwin.engines.storage import storage_plan

    return storage_plan(result.platform).to_json()


def _diff(old: LoadResult, new: LoadResult) -> object:
    from ekstwin.engines.net import NetModel
    from ekstwin.engines.net.diff import diff

    return diff(NetModel(old.platform), NetModel(new.platform)).to_json()


def build_views(
    result: LoadResult,
    *,
    inputs: list[str],
    compare: LoadResult | None = None,
    compare_inputs: list[str] | None = None,
) -> dict[str, object]:
    """Every view of the platform as one JSON-serialisable document."""
    sections: dict[str, object] = {
        "report": section(lambda: _report(result)),
        "network": section(lambda: _network(result)),
        "identity": section(lambda: _identity(result)),
        "ingress": section(lambda: _ingress(result)),
        "dns": section(lambda: _dns(result)),
        "ipam": section(lambda: _ipam(result)),
        "storage": section(lambda: _storage(result)),
    }
    if compare is not None:
        old = compare
        sections["diff"] = section(lambda: {"old": compare_inputs or [], **_diff_obj(old, result)})
    return {
        "schema": SCHEMA,
        "version": _VERSION,
        "title": "ekstwin: " + ", ".join(inputs),
        "inputs": list(inputs),
        "sections": sections,
        "diagnostics": [str(d) for d in result.diagnostics],
    }


def _diff_obj(old: LoadResult, new: LoadResult) -> dict[str, object]:
    data = _diff(old, new)
    assert isinstance(data, dict)
    return data


@dataclass(frozen=True, slots=True)
class WebQueries:
    """The interactive queries of ``ekstwin serve``: each returns the engine's JSON."""

    result: LoadResult

    def can(self, source: str, destination: str, port: str, protocol: str) -> object:
        from ekstwin.engines.net import NetQueryError, can

        try:
            number = int(port)
        except ValueError as exc:
            raise QueryError(f"port {port!r} is not a number") from exc
        if not 0 <= number <= 65535:
            raise QueryError(f"port {number} is outside 0-65535")
        try:
            return can(
                self.result.platform, source, destination, number, protocol or "TCP"
            ).to_json()
        except NetQueryError as exc:
            raise QueryError(str(exc)) from exc

    def who_can(self, verb: str, resource: str, namespace: str | None) -> object:
        from ekstwin.engines.access import AccessAnalyzer, ResourceRequest

        if not verb or not resource:
            raise QueryError("who-can needs a verb and a resource (get pods, create pods/exec)")
        if resource.startswith("/"):
            request = ResourceRequest(verb, non_resource_url=resource)
        else:
            res, _, sub = resource.partition("/")
            res, _, group = res.partition(".")
            request = ResourceRequest(verb, res, sub, group, namespace or None, "")
        try:
            return AccessAnalyzer(self.result.platform).who_can(request).to_json()
        except EkstwinError as exc:
            raise QueryError(str(exc)) from exc

    def route(self, url: str) -> object:
        from ekstwin.engines.ingress import route

        if not url:
            raise QueryError("route needs a URL (https://host/path)")
        try:
            return route(self.result.platform, url).to_json()
        except (EkstwinError, ValueError) as exc:
            raise QueryError(str(exc)) from exc

// ekstwin web UI: renders the JSON the engines produced (report mode: embedded
// in the page; serve mode: fetched from /api/views) and runs the queries.

import { h, append, clear, location } from "./dom.js";
import { mountGraph, portsText, verdictView } from "./graph.js";
import { ipChart } from "./chart.js";

const SEVERITIES = ["critical", "high", "medium", "low", "info"];

function unavailable(name, sec) {
  return h("div", { class: "unavailable", "data-testid": "unavailable" }, `${name}: not available`, sec && sec.error ? ` (${sec.error})` : "");
}

function sectionData(views, name, label) {
  const sec = views.sections[name];
  if (!sec) return { missing: unavailable(label, null) };
  if (!sec.available) return { missing: unavailable(label, sec) };
  return { data: sec.data };
}

// -- summary and findings

function summaryView(views) {
  const { data, missing } = sectionData(views, "report", "Summary");
  if (missing) return missing;
  const s = data.summary;
  const p = s.platform;
  const kinds = Object.entries(p.kinds || {});
  return h(
    "div",
    null,
    h(
      "div",
      { class: "cards" },
      card("pods", p.pods),
      card("namespaces", (p.namespaces || []).length),
      card("nodes", (p.nodes || []).length),
      card("findings", s.findings.total),
      SEVERITIES.map((sv) => card(sv, s.findings[sv] || 0, "sev-" + sv)),
    ),
    h("h3", null, "Inputs"),
    h("ul", null, (views.inputs || []).map((i) => h("li", null, h("code", null, i)))),
    h("h3", null, "AWS accounts"),
    h("ul", null, (p.accounts || []).map((a) => h("li", null, a))),
    h("h3", null, "Objects by kind"),
    h("table", { class: "grid" }, h("tr", null, h("th", null, "kind"), h("th", null, "count")), kinds.map(([k, n]) => h("tr", null, h("td", null, k), h("td", { class: "num" }, n)))),
    views.diagnostics && views.diagnostics.length ? [h("h3", null, "Diagnostics"), h("ul", { class: "diags" }, views.diagnostics.map((d) => h("li", null, h("code", null, d))))] : null,
  );
}

function card(label, value, cls) {
  return h("div", { class: "card " + (cls || "") }, h("div", { class: "value" }, value), h("div", { class: "label" }, label));
}

function findingsView(views) {
  const { data, missing } = sectionData(views, "report", "Findings");
  if (missing) return missing;
  const by = {};
  for (const f of data.findings) (by[f.severity] = by[f.severity] || []).push(f);
  const filter = h("input", { type: "search", placeholder: "filter findings (id, subject, text)", class: "filter", "aria-label": "filter findings" });
  const groups = h("div", null);
  function render() {
    const q = filter.value.toLowerCase();
    clear(groups);
    for (const sv of SEVERITIES) {
      const list = (by[sv] || []).filter((f) => !q || JSON.stringify(f).toLowerCase().includes(q));
      if (!list.length) continue;
      groups.appendChild(
        h("section", { class: "sev-group", "data-severity": sv }, h("h3", { class: "sev-" + sv }, `${sv} (${list.length})`), list.map(findingView)),
      );
    }
    if (!groups.firstChild) groups.appendChild(h("p", { class: "muted" }, "no findings"));
  }
  filter.addEventListener("input", render);
  render();
  return h("div", null, filter, groups);
}

function subjectText(s) {
  if (!s) return "";
  return `${s.kind} ${s.namespace ? s.namespace + "/" : ""}${s.name}`;
}

function findingView(f) {
  return h(
    "details",
    { class: "finding" },
    h("summary", null, h("span", { class: "badge sev-" + f.severity }, f.id), " ", h("b", null, f.title), " \u2014 ", subjectText(f.subject)),
    h("p", null, f.message),
    f.location ? h("p", null, "at ", location(f.location.file, f.location.line)) : null,
    f.evidence && f.evidence.length ? [h("h4", null, "evidence chain"), h("ol", { class: "evidence" }, f.evidence.map((e) => h("li", null, e)))] : null,
    f.fix ? h("p", null, h("b", null, "fix: "), f.fix) : null,
    h("p", { class: "muted" }, `confidence ${f.confidence} \u00b7 ${f.doc || ""}`),
  );
}

// -- network

function networkView(views) {
  const { data, missing } = sectionData(views, "network", "Connectivity graph");
  if (missing) return missing;
  const container = h("div", { class: "graph", id: "graph", "data-testid": "graph" });
  const panel = h("div", { class: "panel", id: "panel" });
  const choose = h("select", { "aria-label": "granularity", id: "granularity" }, h("option", { value: "namespace" }, "namespaces"), h("option", { value: "workload" }, "workloads"));
  const list = h("select", { "aria-label": "select an endpoint", id: "endpoint-select" });
  let current = null;
  function show(which) {
    const graph = data[which];
    clear(list).appendChild(h("option", { value: "" }, `\u2014 select one of ${graph.endpoints.length} \u2014`));
    for (const e of graph.endpoints) list.appendChild(h("option", { value: e }, e));
    // mount after the container is in the document (cytoscape measures it)
    requestAnimationFrame(() => {
      current = mountGraph(container, panel, graph, (id) => { list.value = id; });
      window.ekstwin.graph = current;
      window.ekstwin.graphReady = which;
    });
  }
  choose.addEventListener("change", () => show(choose.value));
  list.addEventListener("change", () => { if (list.value && current) current.select(list.value); });
  const wrap = h(
    "div",
    null,
    h("div", { class: "toolbar" }, "view ", choose, " ", list, h("span", { class: "legend" }, h("span", { class: "sw out" }), "reaches ", h("span", { class: "sw in" }), "reached by")),
    h("div", { class: "graph-wrap" }, container, panel),
  );
  wrap.ekstwinMount = () => show(choose.value);
  return wrap;
}

// -- identity

function stepList(steps) {
  return h("ol", { class: "chain" }, (steps || []).map((s) => h("li", { class: s.ok ? "ok" : "fail" }, h("b", null, s.ok ? "ok " : "FAIL "), `${s.step}: ${s.detail}`)));
}

function identityView(views) {
  const { data, missing } = sectionData(views, "identity", "Identity chains");
  if (missing) return missing;
  const people = (data.people || []).map((p) =>
    h(
      "details",
      { class: "identity" },
      h("summary", null, h("b", null, `GitHub ${p.github_login || p.login}`), p.keycloak_user ? ` \u2192 Keycloak ${p.keycloak_user} (${p.realm})` : "", p.error ? ` \u2014 ${p.error}` : ""),
      (p.aws_roles || []).map((r) =>
        h("div", { class: "chain-row " + (r.assumable ? "ok" : "fail") }, `${r.client_id} \u2192 ${r.role_arn}: `, h("b", null, r.assumable ? "assumable" : "NOT assumable"), ` \u2014 ${r.reason}`, (r.granted_by || []).length ? h("div", { class: "muted" }, "granted by " + r.granted_by.join(", ")) : null),
      ),
      (p.kubernetes || []).map((k) =>
        h("div", { class: "chain-row" }, `${k.sign_in === "oidc" ? "kubectl OIDC sign-in" : "as " + k.role_arn} \u2192 Kubernetes ${k.username}`, h("div", { class: "muted" }, "groups " + (k.groups || []).join(", "))),
      ),
      (p.notes || []).map((n) => h("div", { class: "muted" }, n)),
    ),
  );
  const pods = (data.pods || []).map((p) =>
    h(
      "details",
      { class: "identity" },
      h("summary", null, h("b", null, p.workload), ` (pod ${p.pod}, ServiceAccount ${p.service_account})`, ` \u2014 ${(p.roles || []).filter((r) => r.obtained).length} role(s) obtained`),
      (p.roles || []).map((r) =>
        h(
          "div",
          { class: "chain-row " + (r.obtained ? "ok" : "fail") },
          h("div", null, `${r.via}: ${r.role_arn} \u2014 `, h("b", null, r.obtained ? "obtained" : "NOT obtained"), r.failure ? ` (${r.failure})` : ""),
          stepList(r.chain),
          (r.permissions || []).length ? h("div", { class: "muted" }, "may " + r.permissions.map((x) => `${x.effect} ${x.actions.join(",")}`).join("; ")) : null,
        ),
      ),
      (p.image_pulls || []).map((i) => h("div", { class: "chain-row " + (i.ok === false ? "fail" : "ok") }, `image ${i.image}: ${i.reason || ""}`)),
    ),
  );
  return h("div", null, h("h3", null, `People (${people.length})`), people, h("h3", null, `Workloads with AWS credentials (${pods.length})`), pods);
}

// -- ingress and dns

function actionText(a) {
  if (!a) return "";
  if (a.type === "forward") return "forward " + (a.targets || []).map((t) => `${t.service}:${t.service_port}${t.weight !== null && t.weight !== undefined ? ` (${t.weight})` : ""}`).join(", ");
  if (a.type === "fixed-response") return `fixed-response ${a.config && a.config.statusCode}`;
  if (a.type === "redirect") return `redirect ${JSON.stringify(a.config || {})}`;
  return a.type;
}

function ingressView(views) {
  const alb = sectionData(views, "ingress", "ALB routes");
  const dns = sectionData(views, "dns", "DNS plan");
  const out = h("div", null);
  out.appendChild(h("h3", null, "Load balancers"));
  if (alb.missing) out.appendChild(alb.missing);
  else {
    for (const lb of alb.data.load_balancers) {
      out.appendChild(
        h(
          "section",
          { class: "alb" },
          h("h4", null, `ALB ${lb.group} (${lb.scheme}) `, h("code", null, lb.dns_name || lb.name || "not created yet")),
          (lb.errors || []).map((e) => h("div", { class: "unavailable" }, "the whole group fails: " + e)),
          (lb.quota || []).map((q) => h("div", { class: "unavailable" }, "quota: " + q)),
          h("div", { class: "muted" }, "members: " + lb.members.map((m) => `${m.ingress} (order ${m.order})`).join(", ")),
          lb.listeners.map((ls) =>
            h(
              "table",
              { class: "grid" },
              h("caption", null, `${ls.protocol}:${ls.port}`),
              h("tr", null, h("th", null, "prio"), h("th", null, "ingress"), h("th", null, "conditions"), h("th", null, "action"), h("th", null, "source")),
              ls.rules.map((r) =>
                h("tr", null, h("td", { class: "num" }, r.priority), h("td", null, r.ingress), h("td", null, r.conditions.map((c) => `${c.field} ${c.values.join(" | ")}`).join("; ")), h("td", null, actionText(r.action)), h("td", null, h("code", { class: "loc" }, r.source || ""))),
              ),
              h("tr", null, h("td", null, "default"), h("td", null, ls.default_from || "-"), h("td", null, "-"), h("td", null, actionText(ls.default_action)), h("td", null, "")),
            ),
          ),
        ),
      );
    }
    for (const ig of alb.data.ignored || []) out.appendChild(h("div", { class: "muted" }, `ignored ${ig.ingress}: ${ig.reason}`));
  }
  out.appendChild(h("h3", null, "DNS plan (ExternalDNS)"));
  if (dns.missing) out.appendChild(dns.missing);
  else {
    const plan = dns.data.plan;
    out.appendChild(h("p", { class: "muted" }, `owner id ${dns.data.owner_id}, annotation prefix ${plan.annotation_prefix || ""}`));
    out.appendChild(
      h("table", { class: "grid", "data-testid": "dns-changes" }, h("tr", null, h("th", null, "action"), h("th", null, "name"), h("th", null, "type"), h("th", null, "targets"), h("th", null, "source")),
        (plan.changes || []).map((c) => h("tr", null, h("td", null, c.action), h("td", null, c.name), h("td", null, c.type + (c.alias ? " alias" : "")), h("td", null, c.targets.join(", ")), h("td", null, c.source || "-")))),
    );
    if ((plan.conflicts || []).length) out.appendChild(h("h4", null, "conflicts"));
    for (const c of plan.conflicts || []) out.appendChild(h("div", { class: "unavailable" }, `${c.name}: ${c.claimants.join(", ")} \u2014 ${c.reason}`));
    if ((plan.skipped || []).length) out.appendChild(h("h4", null, "skipped"));
    for (const s of plan.skipped || []) out.appendChild(h("div", { class: "muted" }, `${s.name}: ${s.reason}`));
  }
  return out;
}

// -- ip capacity, storage, diff

function ipamView(views) {
  const { data, missing } = sectionData(views, "ipam", "IP capacity");
  if (missing) return missing;
  return h(
    "div",
    null,
    h("p", null, data.runs_out_first || "no subnet runs out"),
    ipChart(data.subnets || []),
    h("h3", null, "Zones"),
    h("table", { class: "grid" }, h("tr", null, h("th", null, "zone"), h("th", null, "usable"), h("th", null, "free now"), h("th", null, "free after")),
      Object.entries(data.zones || {}).map(([z, v]) => h("tr", null, h("td", null, z), h("td", { class: "num" }, v.usable), h("td", { class: "num" }, v.free_now), h("td", { class: "num" }, v.free_after)))),
  );
}

function storageView(views) {
  const { data, missing } = sectionData(views, "storage", "Storage");
  if (missing) return missing;
  return h(
    "table",
    { class: "grid" },
    h("tr", null, h("th", null, "StatefulSet"), h("th", null, "replicas"), h("th", null, "available"), h("th", null, "zones"), h("th", null, "loses quorum")),
    (data.statefulsets || []).map((s) => h("tr", null, h("td", null, `${s.namespace}/${s.name}`), h("td", { class: "num" }, s.replicas), h("td", { class: "num" }, s.available), h("td", null, (s.eligible_zones || []).join(", ")), h("td", null, s.loses_quorum ? "YES" : "no"))),
  );
}

function diffView(views) {
  const { data, missing } = sectionData(views, "diff", "Semantic diff");
  if (missing) return missing;
  const changes = data.changes || [];
  return h(
    "div",
    { "data-testid": "diff" },
    h("p", null, `compared with ${(data.old || []).join(", ")}: ${changes.length} connectivity change(s)`),
    (data.endpoints_added || []).map((e) => h("div", { class: "chain-row ok" }, "endpoint added: " + e)),
    (data.endpoints_removed || []).map((e) => h("div", { class: "chain-row fail" }, "endpoint removed: " + e)),
    changes.map((c) =>
      h(
        "details",
        { class: "finding" },
        h("summary", null, h("span", { class: "badge change-" + c.change }, c.change), ` ${c.from} \u2192 ${c.to}`),
        h("p", null, "added: " + portsText(c.added), " \u00b7 removed: " + portsText(c.removed)),
        c.why_old ? [h("h4", null, "before"), verdictView(c.why_old)] : null,
        c.why_new ? [h("h4", null, "after"), verdictView(c.why_new)] : null,
      ),
    ),
  );
}

// -- queries (serve only)

function field(label, input) {
  return h("label", null, h("span", null, label), input);
}

function queryView(api) {
  const result = h("div", { class: "query-result", "data-testid": "query-result" });
  const show = (node) => clear(result).appendChild(node);
  async function run(path, params) {
    show(h("p", { class: "muted" }, "\u2026"));
    try {
      const body = await api(path, params);
      show(renderQuery(path, body));
    } catch (err) {
      show(h("div", { class: "unavailable", "data-testid": "query-error" }, String(err.message || err)));
    }
  }
  const from = h("input", { name: "from", placeholder: "NS/POD or IP", size: 34 });
  const to = h("input", { name: "to", placeholder: "NS/POD, NS/svc/NAME or IP", size: 34 });
  const port = h("input", { name: "port", placeholder: "443", size: 6 });
  const proto = h("select", { name: "protocol" }, ["TCP", "UDP", "SCTP", "ICMP"].map((p) => h("option", { value: p }, p)));
  const verb = h("input", { name: "verb", placeholder: "create", size: 10 });
  const resource = h("input", { name: "resource", placeholder: "pods/exec", size: 20 });
  const ns = h("input", { name: "namespace", placeholder: "(cluster-wide)", size: 14 });
  const url = h("input", { name: "url", placeholder: "https://shop.example.com/", size: 50 });
  const form = (id, fields) => h("form", { class: "query", id }, fields, h("button", { type: "submit" }, "run"));
  const can = form("q-can", [h("b", null, "can "), field("from", from), field("to", to), field("port", port), field("protocol", proto)]);
  can.addEventListener("submit", (e) => { e.preventDefault(); run("/api/can", { from: from.value, to: to.value, port: port.value, protocol: proto.value }); });
  const who = form("q-who-can", [h("b", null, "who-can "), field("verb", verb), field("resource", resource), field("namespace", ns)]);
  who.addEventListener("submit", (e) => { e.preventDefault(); run("/api/who-can", { verb: verb.value, resource: resource.value, namespace: ns.value }); });
  const rt = form("q-route", [h("b", null, "route "), field("URL", url)]);
  rt.addEventListener("submit", (e) => { e.preventDefault(); run("/api/route", { url: url.value }); });
  return h("div", null, can, who, rt, result);
}

function renderQuery(path, body) {
  let head = null;
  if (path === "/api/can") {
    if (body.backends) {
      head = h("div", null, h("h3", null, `${body.from} \u2192 ${body.to} ${body.protocol}/${body.port}: ${body.allowed ? "ALLOWED (to some backend)" : "DENIED"}`), body.problem ? h("p", null, body.problem) : null, body.backends.map(verdictView));
    } else {
      head = h("div", null, h("h3", { "data-testid": "can-verdict" }, `${body.from} \u2192 ${body.to} ${body.protocol}/${body.port}: ${body.allowed ? "ALLOWED" : "DENIED"}`), verdictView(body));
    }
  } else if (path === "/api/who-can") {
    head = h("div", null, h("h3", null, `who can ${body.request}: ${(body.subjects || []).length} subject(s)`),
      (body.subjects || []).map((s) => h("div", { class: "chain-row" }, h("b", null, `${s.kind} ${s.name}`), (s.chains || []).map((c) => h("div", { class: "muted" }, c.join(" \u2192 "))))));
  } else if (path === "/api/route") {
    head = h("div", null, h("h3", null, `${body.url}: ${body.action || body.error || ""}`),
      h("p", null, `load balancer ${body.load_balancer || "-"}, rule ${body.rule ? `${body.rule.priority} (${body.rule.ingress})` : "default"}, service ${body.service || "-"}, pods ${(body.pods || []).join(", ") || "-"}`));
  }
  return h("div", null, head, h("details", null, h("summary", null, "JSON"), h("pre", null, JSON.stringify(body, null, 2))));
}

// -- the shell

const TABS = [
  ["summary", "Summary", summaryView],
  ["findings", "Findings", findingsView],
  ["network", "Connectivity", networkView],
  ["identity", "Identity chains", identityView],
  ["ingress", "ALB & DNS", ingressView],
  ["ipam", "IP capacity", ipamView],
  ["storage", "Storage", storageView],
  ["diff", "Diff", diffView],
];

function render(root, views, state, api) {
  clear(root);
  const tabs = TABS.filter(([id]) => id !== "diff" || views.sections.diff);
  if (api) tabs.push(["query", "Query", () => queryView(api)]);
  if (!tabs.some(([id]) => id === state.tab)) state.tab = "summary";
  const nav = h("nav", { class: "tabs", role: "tablist" });
  const main = h("main", null);
  const panes = {};
  for (const [id, label, view] of tabs) {
    let pane;
    try {
      pane = view(views);
    } catch (err) {
      pane = unavailable(label, { error: String(err) });
    }
    const wrap = h("section", { class: "pane", id: "pane-" + id }, h("h2", null, label), pane);
    panes[id] = { wrap, pane, mounted: false };
    main.appendChild(wrap);
    nav.appendChild(h("button", { class: "tab", "data-tab": id, role: "tab", type: "button", onclick: () => select(id) }, label));
  }
  function select(id) {
    state.tab = id;
    for (const [pid, p] of Object.entries(panes)) {
      p.wrap.hidden = pid !== id;
      if (pid === id && !p.mounted && p.pane.ekstwinMount) { p.mounted = true; p.pane.ekstwinMount(); }
    }
    for (const b of nav.children) b.setAttribute("aria-selected", b.getAttribute("data-tab") === id ? "true" : "false");
  }
  append(root, [h("header", null, h("h1", null, views.title), h("span", { class: "muted" }, api ? "live: reloads when the platform's files change" : "report")), nav, main]);
  select(state.tab);
}

function tokenFromLocation() {
  const params = new URLSearchParams(window.location.search);
  return params.get("token") || "";
}

async function start() {
  const root = document.getElementById("app");
  const state = { tab: "summary" };
  window.ekstwin = { state };
  const embedded = document.getElementById("ekstwin-data");
  const raw = embedded ? embedded.textContent : "";
  if (raw && raw.trim() !== "null") {
    render(root, JSON.parse(raw), state, null);
    window.ekstwin.ready = true;
    return;
  }
  const token = tokenFromLocation();
  const api = async (path, params) => {
    const q = new URLSearchParams(params || {});
    const res = await fetch(path + (q.toString() ? "?" + q : ""), { headers: token ? { "X-Ekstwin-Token": token } : {} });
    const body = await res.json();
    if (!res.ok) throw new Error(body.error || res.statusText);
    return body;
  };
  let generation = null;
  async function refresh() {
    const st = await api("/api/state");
    if (st.generation !== generation) {
      generation = st.generation;
      render(root, await api("/api/views"), state, api);
      window.ekstwin.generation = generation;
      window.ekstwin.ready = true;
    }
  }
  await refresh();
  setInterval(() => refresh().catch(() => {}), 2000);
}

start().catch((err) => {
  const root = document.getElementById("app");
  clear(root).appendChild(h("div", { class: "unavailable" }, "could not start: " + String(err)));
});

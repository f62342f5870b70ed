// ekstwin web UI: renders the JSON the engines produced (report mode: embedded
// in the page; serve mode: fetched from /api/views) and runs the queries.

import { h, append, clear, location } from "./dom.js";
import { portsText, verdictView } from "./graph.js";
import { networkView as connectivityView } from "./network.js";
import { ipChart } from "./chart.js";
import { timelineView } from "./timeline.js";

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
      card("suppressed", (data.suppressed || []).length),
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
  const docsBase = views.docs_base || null;
  const checks = new Map((data.checks || []).map((c) => [c.id, c]));
  const active = new Set(SEVERITIES);
  const filter = h("input", { type: "search", placeholder: "filter findings (id, subject, text)", class: "filter", "aria-label": "filter findings" });
  const counts = {};
  for (const f of data.findings) counts[f.severity] = (counts[f.severity] || 0) + 1;
  const cards = h("div", { class: "cards", role: "group", "aria-label": "severities shown" });
  for (const sv of SEVERITIES) {
    const b = h("button", { type: "button", class: "card toggle sev-card-" + sv, "aria-pressed": "true", "data-severity": sv }, h("span", { class: "value" }, counts[sv] || 0), h("span", { class: "label" }, sv));
    b.addEventListener("click", () => {
      if (active.has(sv)) active.delete(sv); else active.add(sv);
      b.setAttribute("aria-pressed", active.has(sv) ? "true" : "false");
      render();
    });
    cards.appendChild(b);
  }
  const groups = h("div", { "data-testid": "finding-groups" });
  const suppressed = h("div", { "data-testid": "suppressed" });
  function groupOf(list) {
    const by = new Map();
    for (const f of list) {
      if (!by.has(f.id)) by.set(f.id, []);
      by.get(f.id).push(f);
    }
    return [...by.entries()].sort((x, y) => SEVERITIES.indexOf(x[1][0].severity) - SEVERITIES.indexOf(y[1][0].severity) || y[1].length - x[1].length || (x[0] < y[0] ? -1 : 1));
  }
  function checkGroup(id, list, extra) {
    const c = checks.get(id) || {};
    const sv = list[0].severity;
    const objects = new Set(list.map((f) => subjectText(f.subject))).size;
    const body = h("div", null);
    const g = h(
      "details",
      { class: "check-group", "data-check": id, "data-severity": sv },
      h("summary", null, h("span", { class: "badge sev-" + sv }, sv), " ", h("b", null, id), " ", c.title || list[0].title, " ", h("span", { class: "count", "data-testid": "check-count" }, `${objects} object(s), ${list.length} finding(s)`)),
      body,
    );
    g.addEventListener("toggle", () => {
      if (!g.open || body.firstChild) return;
      const doc = c.doc || list[0].doc;
      if (doc) body.appendChild(h("p", null, docsBase ? h("a", { href: docsBase + doc, target: "_blank", rel: "noopener noreferrer" }, `documentation of ${id}`) : h("code", null, doc)));
      for (const f of list) body.appendChild(findingView(f, extra));
    });
    return g;
  }
  function render() {
    const q = filter.value.toLowerCase();
    const match = (f) => active.has(f.severity) && (!q || JSON.stringify(f).toLowerCase().includes(q));
    clear(groups);
    for (const [id, list] of groupOf(data.findings.filter(match))) groups.appendChild(checkGroup(id, list, null));
    if (!groups.firstChild) groups.appendChild(h("p", { class: "muted" }, data.findings.length ? "no finding matches the filter" : "no findings"));
    clear(suppressed);
    const sup = (data.suppressed || []).filter(match);
    suppressed.appendChild(h("h3", null, `Suppressed (${sup.length}): by an annotation or a baseline, not counted above`));
    if (!sup.length) suppressed.appendChild(h("p", { class: "muted" }, "none: no suppression annotation or baseline matched a finding"));
    for (const kind of ["baseline", "annotation"]) {
      const list = sup.filter((f) => f.suppression && f.suppression.kind === kind);
      if (!list.length) continue;
      suppressed.appendChild(h("h4", null, kind === "baseline" ? `in the baseline (${list.length})` : `suppressed by an annotation (${list.length})`));
      for (const [id, l] of groupOf(list)) suppressed.appendChild(checkGroup(id, l, kind));
    }
  }
  filter.addEventListener("input", render);
  render();
  return h("div", null, h("p", { class: "muted" }, "Grouped by check; press a severity to hide or show it; open a check for its findings."), cards, filter, groups, suppressed);
}

function subjectText(s) {
  if (!s) return "";
  return `${s.kind} ${s.namespace ? s.namespace + "/" : ""}${s.name}`;
}

function findingView(f) {
  return h(
    "details",
    { class: "finding", "data-finding": f.id },
    h("summary", null, h("span", { class: "badge sev-" + f.severity }, f.id), " ", h("b", null, f.title), " \u2014 ", subjectText(f.subject)),
    h("p", null, f.message),
    f.location ? h("p", null, "at ", location(f.location.file, f.location.line)) : null,
    f.evidence && f.evidence.length ? [h("p", { class: "label" }, h("b", null, "evidence chain")), h("ol", { class: "evidence" }, f.evidence.map((e) => h("li", null, e)))] : null,
    f.fix ? h("p", null, h("b", null, "fix: "), f.fix) : null,
    f.suppression ? h("p", { class: "muted" }, `suppressed (${f.suppression.kind}): ${f.suppression.justification || ""}`) : null,
    h("p", { class: "muted" }, `confidence ${f.confidence}`),
  );
}

// -- network

function networkView(views, api) {
  const { data, missing } = sectionData(views, "network", "Connectivity graph");
  if (missing) return missing;
  if (!data.pods.length) return h("p", { class: "muted", "data-testid": "empty" }, "no pods in the input: give Kubernetes manifests with workloads or pods to see their connectivity");
  return connectivityView(data, window.ekstwin, api);
}

// -- identity

function stepList(steps, secure) {
  return h("ol", { class: "chain" }, (steps || []).map((s) => h("li", { class: s.ok ? "ok" : secure ? "secure" : "fail" }, h("b", null, s.ok ? "ok " : secure ? "blocked " : "FAIL "), `${s.step}: ${s.detail}`)));
}

function clientName(p, id) {
  const c = (p.clients || []).find((x) => x.client_id === id);
  if (!c) return id;
  return `${c.name || id} (${c.protocol === "saml" ? "SAML" : c.protocol === "openid-connect" ? "OIDC" : c.protocol} client ${id})`;
}

function personPanel(p) {
  if (p.error) return h("div", { class: "unavailable" }, `${p.login}: ${p.error}`);
  const row = (cls, ...kids) => h("div", { class: "chain-row " + (cls || "") }, ...kids);
  return h(
    "div",
    { class: "person", "data-testid": "person-panel" },
    h("h3", null, `GitHub ${p.github_login}`),
    h("ol", { class: "chain-steps" },
      h("li", null, p.keycloak_user ? `Keycloak user ${p.keycloak_user} in realm ${p.realm}${p.enabled ? "" : " (disabled)"}` : "no Keycloak user is linked to this GitHub login"),
      (p.clients || []).length ? h("li", null, "signs in to: ", (p.clients || []).map((c) => clientName(p, c.client_id)).join("; ")) : null,
    ),
    h("h4", null, `AWS roles (${(p.aws_roles || []).length})`),
    (p.aws_roles || []).length ? null : h("p", { class: "muted" }, "none: no SAML client maps this person to an AWS role"),
    (p.aws_roles || []).map((r) =>
      row(r.assumable ? "ok" : "fail",
        h("div", { "data-testid": "aws-role" }, `${clientName(p, r.client_id)} \u2192 ${r.role_arn}: `, h("b", null, r.assumable ? "assumable" : "NOT assumable")),
        h("div", { class: "muted" }, r.reason),
        (r.granted_by || []).length ? h("div", { class: "muted" }, "granted by " + r.granted_by.join(", ")) : null,
        (r.permissions || []).length ? h("div", null, "may: " + r.permissions.map((x) => `${x.effect} ${x.actions.join(",")}${x.conditional ? " (conditional)" : ""}`).join("; ")) : null,
      ),
    ),
    h("h4", null, `Kubernetes (${(p.kubernetes || []).length} sign-in path(s))`),
    (p.kubernetes || []).length ? null : h("p", { class: "muted" }, "none: no role or OIDC client of this person reaches the cluster"),
    (p.kubernetes || []).map((k) =>
      row(k.authentication && k.authentication.mapped === false ? "fail" : "ok",
        h("div", { "data-testid": "k8s-identity" }, k.sign_in === "oidc" ? "kubectl OIDC sign-in" : `as AWS role ${k.role_arn}`, ` \u2192 user ${k.username}, groups ${(k.groups || []).join(", ") || "none"}`),
        k.authentication ? h("ol", { class: "chain" }, (k.authentication.steps || []).map((st) => h("li", null, st)), (k.authentication.notes || []).map((n) => h("li", { class: "muted" }, n))) : null,
        (k.capabilities || []).length ? h("div", { "data-testid": "capabilities" }, h("b", null, "can: "), k.capabilities.map((c) => `${c.ability} in ${c.scope}`).join("; ")) : h("div", { class: "muted" }, "no sensitive capability (create pods, exec, secrets, escalation)"),
        h("details", null, h("summary", null, `grants (${(k.grants || []).length})`), (k.grants || []).map((g) => h("div", { class: "grant" }, h("b", null, g.scope), ` via ${g.via}`, g.source ? location(g.source) : null, h("ul", null, g.rules.map((r) => h("li", null, r)))))),
      ),
    ),
    (p.notes || []).map((n) => h("p", { class: "muted" }, n)),
  );
}

// The node role through instance metadata, refused by every node's IMDS settings
// (IMDSv2 with hop limit 1, or the endpoint disabled): the hardened outcome.
function imdsBlocked(r) {
  return r.via === "node-role" && !r.obtained && (r.chain || []).length > 0 && r.chain.every((st) => st.step === "imds" && !st.ok);
}

function identityView(views) {
  const { data, missing } = sectionData(views, "identity", "Identity chains");
  if (missing) return missing;
  const people = data.people || [];
  const out = h("div", null);
  out.appendChild(h("h3", null, `People (${people.length})`));
  if (!people.length) out.appendChild(h("p", { class: "muted", "data-testid": "empty" }, data.people_empty || "no people: give a Keycloak realm export with GitHub-linked users"));
  else {
    const pick = h("select", { id: "person", "aria-label": "person" }, h("option", { value: "" }, `\u2014 choose one of ${people.length} \u2014`), people.map((p, i) => h("option", { value: String(i) }, p.github_login || p.login)));
    const panel = h("div", null);
    pick.addEventListener("change", () => { clear(panel); if (pick.value !== "") panel.appendChild(personPanel(people[Number(pick.value)])); });
    out.appendChild(h("label", { for: "person" }, "GitHub user ", pick));
    out.appendChild(panel);
  }
  const pods = data.pods || [];
  const obtains = pods.filter((p) => (p.roles || []).some((r) => r.obtained));
  const others = pods.filter((p) => !(p.roles || []).some((r) => r.obtained));
  const podView = (p) =>
    h(
      "details",
      { class: "identity", "data-workload": p.workload },
      h("summary", null, h("b", null, p.workload), ` (pod ${p.pod}, ServiceAccount ${p.service_account})`, ` \u2014 ${(p.roles || []).filter((r) => r.obtained).map((r) => r.role_arn).join(", ") || "no role"}`),
      (p.roles || []).map((r) =>
        h(
          "div",
          { class: "chain-row " + (r.obtained ? "ok" : imdsBlocked(r) ? "secure" : "fail") },
          h("div", null, `${r.via}: ${r.role_arn || ""} \u2014 `, h("b", null, r.obtained ? "obtained" : imdsBlocked(r) ? "instance metadata blocked (secure)" : "NOT obtained"), r.failure ? ` (${r.failure})` : ""),
          stepList(r.chain, imdsBlocked(r)),
          (r.permissions || []).length ? h("div", { class: "muted" }, "may " + r.permissions.map((x) => `${x.effect} ${x.actions.join(",")}`).join("; ")) : null,
        ),
      ),
      (p.image_pulls || []).map((i) => h("div", { class: "chain-row " + (i.ok === false ? "fail" : "ok") }, `image ${i.image}: ${i.reason || ""}`)),
    );
  out.appendChild(h("h3", null, `Workloads with AWS credentials (${obtains.length})`));
  if (!pods.length) out.appendChild(h("p", { class: "muted", "data-testid": "empty" }, data.pods_empty || "no workload obtains AWS credentials or pulls from ECR"));
  out.appendChild(h("div", { "data-testid": "with-credentials" }, obtains.map(podView)));
  if (others.length) {
    out.appendChild(h("h3", null, `Workloads that obtain no role (${others.length})`));
    out.appendChild(h("p", { class: "muted" }, "They pull images from ECR or try a role and fail; a blocked instance-metadata path is the secure outcome."));
    out.appendChild(h("div", { "data-testid": "without-credentials" }, others.map(podView)));
  }
  return out;
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
    if (!alb.data.load_balancers.length) out.appendChild(h("p", { class: "muted", "data-testid": "empty" }, "no Ingress the AWS Load Balancer Controller would build an ALB for"));
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
  if (!(data.subnets || []).length) return h("p", { class: "muted", "data-testid": "empty" }, "no subnets known: give aws.json (ekstwin collect aws) or a Terraform plan with the VPC's subnets and node groups");
  const zones = Object.keys(data.lose_az || {});
  const out = h("div", null);
  const body = h("div", null);
  function show(zone) {
    const plan = zone ? data.lose_az[zone] : data;
    const which = zone ? "after" : "now";
    clear(body);
    body.appendChild(h("p", { "data-testid": "ipam-scenario" }, zone ? `If ${zone} goes down (as ekstwin ipam plan --lose-az ${zone}):` : `Zones with nodes: ${zones.join(", ") || "none"}.`));
    if ((plan.assumptions || []).length) body.appendChild(h("div", { class: "unavailable", "data-testid": "assumptions" }, h("b", null, "assumed where the input says nothing: "), h("ul", null, plan.assumptions.map((a) => h("li", null, a)))));
    const loss = plan.zone_loss;
    if (loss) {
      body.appendChild(
        h("div", { "data-testid": "ipam-zone-loss" },
          h("p", null, `losing ${loss.zone}: ${loss.lost_nodes.length} node(s) gone; ${loss.pods_rescheduled} of ${loss.pods_to_reschedule} pod(s) rescheduled, ${loss.pods_pending} pending`),
          h("table", { class: "grid" },
            h("thead", null, h("tr", null, ["node group", "lost", "replaced", "more for the pods", "max size", "subnets left", "note"].map((c) => h("th", { scope: "col" }, c)))),
            h("tbody", null, loss.groups.map((g) => h("tr", { "data-group": g.name }, h("td", null, g.name), h("td", { class: "num" }, g.lost), h("td", { class: "num" }, g.replaced), h("td", { class: "num" }, g.added_for_pods), h("td", { class: "num" }, g.max_size === null ? "-" : g.max_size), h("td", null, g.subnets_left.join(", ") || "none"), h("td", null, g.note)))))),
      );
    }
    body.appendChild(h("p", { "data-testid": "runs-out" }, plan.runs_out_first || (zone ? "no subnet runs out in this scenario" : "no subnet runs out")));
    body.appendChild(ipChart(plan.subnets || [], which));
    body.appendChild(
      h("table", { class: "grid", "data-testid": "ipam-subnets" },
        h("caption", null, zone ? `addresses per subnet after losing ${zone}` : "addresses per subnet"),
        h("thead", null, h("tr", null, ["subnet", "zone", "usable", "nodes", "pods", "warm", "ENI primaries", "other", "free", ...(zone ? ["free now"] : [])].map((c) => h("th", { scope: "col" }, c)))),
        h("tbody", null, (plan.subnets || []).map((s) => {
          const u = s[which];
          return h("tr", { "data-subnet": s.subnet_id, class: u.free < 0 ? "bad" : "" }, h("td", null, s.subnet_id), h("td", null, s.zone), h("td", { class: "num" }, s.usable), ["nodes", "pods", "warm", "eni_primaries", "other", "free"].map((k) => h("td", { class: "num" }, u[k])), zone ? h("td", { class: "num" }, s.now.free) : null);
        }))),
    );
    body.appendChild(h("h3", null, "Zones"));
    body.appendChild(
      h("table", { class: "grid", "data-testid": "ipam-zones" }, h("tr", null, h("th", null, "zone"), h("th", null, "usable"), h("th", null, "free now"), h("th", null, "free after")),
        Object.entries(plan.zones || {}).map(([z, v]) => h("tr", { "data-zone": z }, h("td", null, z), h("td", { class: "num" }, v.usable), h("td", { class: "num" }, v.free_now), h("td", { class: "num" }, v.free_after)))),
    );
  }
  if (zones.length) out.appendChild(zonePicker("ipam-zone", zones, show));
  out.appendChild(body);
  show("");
  return out;
}

function zonePicker(id, zones, onChange) {
  const sel = h("select", { id, "aria-label": "availability zone lost" }, h("option", { value: "" }, "none (as it is)"), zones.map((z) => h("option", { value: z }, `lose ${z}`)));
  sel.addEventListener("change", () => onChange(sel.value));
  return h("label", { for: id }, "scenario: ", sel);
}

function storageView(views) {
  const { data, missing } = sectionData(views, "storage", "Storage");
  if (missing) return missing;
  const zones = data.now.zones || [];
  const out = h("div", null);
  const body = h("div", null);
  function show(zone) {
    const plan = zone ? data.lose_az[zone] : data.now;
    clear(body);
    body.appendChild(h("p", { "data-testid": "storage-scenario" }, zone ? `If ${zone} goes down (as ekstwin storage plan --lose-az ${zone}):` : `Zones with nodes: ${zones.join(", ") || "none"}.`));
    if (!(plan.statefulsets || []).length) {
      body.appendChild(h("p", { class: "muted", "data-testid": "empty" }, "no StatefulSet in the input"));
      return;
    }
    const tbl = h("table", { class: "grid", "data-testid": "storage-table" },
      h("thead", null, h("tr", null, ["StatefulSet", "replicas", "can run", "quorum", "loses quorum", "replica: status, volume zone"].map((c) => h("th", { scope: "col" }, c)))));
    const tb = h("tbody", null);
    for (const st of plan.statefulsets) {
      tb.appendChild(
        h("tr", { "data-statefulset": `${st.namespace}/${st.name}`, class: st.loses_quorum ? "bad" : "" },
          h("td", null, `${st.namespace}/${st.name}`),
          h("td", { class: "num" }, st.replicas),
          h("td", { class: "num" }, st.available),
          h("td", { class: "num" }, st.quorum),
          h("td", { class: st.loses_quorum ? "v-deny" : "" }, st.loses_quorum ? "YES" : "no"),
          h("td", null, h("ul", { class: "replicas" }, (st.replicas_plan || []).map((r) =>
            h("li", null, h("b", null, r.pod), ` ${r.status}`, (r.volumes || []).map((v) => ` \u00b7 ${v.claim} in ${(v.zones || []).join(", ") || "?"} (${v.basis})`), r.status !== "ok" ? h("div", { class: "muted" }, r.reason) : null)))),
        ),
      );
    }
    tbl.appendChild(tb);
    body.appendChild(tbl);
    body.appendChild(h("details", null, h("summary", null, "assumptions"), h("ul", null, (plan.assumptions || []).map((a) => h("li", null, a)))));
  }
  if (zones.length) out.appendChild(zonePicker("storage-zone", zones, show));
  out.appendChild(body);
  show("");
  return out;
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
  if (api) tabs.push(["timeline", "Timeline", () => timelineView(api)], ["query", "Query", () => queryView(api)]);
  if (!tabs.some(([id]) => id === state.tab)) state.tab = "summary";
  const nav = h("div", { class: "tabs", role: "tablist", "aria-label": "views" });
  const main = h("main", null);
  const panes = {};
  const buttons = [];
  for (const [id, label, view] of tabs) {
    // a pane is built when first shown: the first paint needs only the summary
    const wrap = h("section", { class: "pane", id: "pane-" + id, role: "tabpanel", "aria-labelledby": "tab-" + id, tabindex: "0" }, h("h2", null, label));
    panes[id] = { wrap, view, label, pane: null };
    main.appendChild(wrap);
    const b = h("button", { class: "tab", id: "tab-" + id, "data-tab": id, role: "tab", type: "button", "aria-controls": "pane-" + id, onclick: () => select(id, false) }, label);
    buttons.push(b);
    nav.appendChild(b);
  }
  nav.addEventListener("keydown", (e) => {
    const i = buttons.indexOf(document.activeElement);
    if (i < 0) return;
    let j = null;
    if (e.key === "ArrowRight") j = (i + 1) % buttons.length;
    else if (e.key === "ArrowLeft") j = (i - 1 + buttons.length) % buttons.length;
    else if (e.key === "Home") j = 0;
    else if (e.key === "End") j = buttons.length - 1;
    if (j === null) return;
    e.preventDefault();
    select(buttons[j].getAttribute("data-tab"), true);
  });
  function select(id, focus) {
    state.tab = id;
    for (const [pid, p] of Object.entries(panes)) {
      p.wrap.hidden = pid !== id;
      if (pid === id && !p.pane) {
        try {
          p.pane = p.view(views, api);
        } catch (err) {
          p.pane = unavailable(p.label, { error: String(err) });
        }
        p.wrap.appendChild(p.pane);
        if (p.pane.ekstwinMount) p.pane.ekstwinMount();
      }
    }
    for (const b of buttons) {
      const on = b.getAttribute("data-tab") === id;
      b.setAttribute("aria-selected", on ? "true" : "false");
      b.setAttribute("tabindex", on ? "0" : "-1");
      if (on && focus) b.focus();
    }
    window.ekstwin.shown = id;
  }
  append(root, [h("header", null, h("h1", null, views.title), h("span", { class: "sub" }, api ? "live: reloads when the platform's files change" : "report")), h("nav", { "aria-label": "views" }, nav), main]);
  select(state.tab, false);
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

// The Timeline tab (serve --db): the recorded states and, for a chosen pair of
// consecutive states, what changed, as /api/timeline/diff computes it
// (ekstwin.history.compare_states, the same function as `ekstwin history`).

import { h, clear } from "./dom.js";

const SEVERITY_ORDER = ["critical", "high", "medium", "low", "info"];

const AREAS = [
  ["reachability", "Reachability"],
  ["mesh", "Mesh"],
  ["kubernetes-access", "Kubernetes access"],
  ["aws-access", "AWS access"],
  ["alb", "ALB"],
  ["dns", "DNS"],
  ["capacity", "Capacity"],
  ["storage", "Storage"],
  ["findings", "Findings"],
];

function severityText(counts) {
  const parts = SEVERITY_ORDER.filter((s) => counts && counts[s]).map((s) =>
    h("span", { class: "sev-" + s }, `${counts[s]} ${s}`),
  );
  if (!parts.length) return "none";
  return parts.flatMap((p, i) => (i ? [", ", p] : [p]));
}

function stateName(st) {
  return `state ${st.id}` + (st.label ? ` (${st.label})` : "");
}

function statesTable(states) {
  return h(
    "table",
    { class: "grid", "data-testid": "timeline-states" },
    h(
      "tr",
      null,
      h("th", { scope: "col" }, "state"),
      h("th", { scope: "col" }, "recorded (UTC)"),
      h("th", { scope: "col" }, "label"),
      h("th", { scope: "col" }, "findings"),
      h("th", { scope: "col" }, "digest"),
    ),
    states.map((st) =>
      h(
        "tr",
        { "data-state": st.id },
        h("td", { class: "num" }, st.id),
        h("td", null, st.recorded_at),
        h("td", null, st.label || "\u2014"),
        h("td", null, `${st.findings}: `, severityText(st.findings_by_severity)),
        h("td", null, h("code", { title: st.digest }, String(st.digest).slice(0, 12))),
      ),
    ),
  );
}

function findingList(title, list, testid) {
  if (!list || !list.length) return null;
  return h(
    "div",
    { "data-testid": testid },
    h("h4", null, `${title} (${list.length})`),
    h(
      "ul",
      null,
      list.map((f) =>
        h(
          "li",
          null,
          h("span", { class: "badge sev-" + f.severity }, f.severity),
          ` ${f.check_id} ${f.object}: ${f.message}`,
        ),
      ),
    ),
  );
}

export function renderTimelineDiff(body, byId) {
  const from = byId.get(body.from);
  const to = byId.get(body.to);
  const head = h(
    "h3",
    { "data-testid": "timeline-diff-title" },
    `${from ? stateName(from) : "state " + body.from} \u2192 ${to ? stateName(to) : "state " + body.to}`,
  );
  const diff = body.diff;
  if (!diff)
    return h(
      "div",
      { "data-testid": "timeline-diff" },
      head,
      h("p", null, "No change: the two states have the same digest (the same platform)."),
    );
  const changes = diff.changes || [];
  const known = new Set(AREAS.map(([id]) => id));
  const areas = [...AREAS, ...[...new Set(changes.map((c) => c.area))].filter((a) => !known.has(a)).map((a) => [a, a])];
  const sections = areas
    .map(([id, label]) => [id, label, changes.filter((c) => c.area === id)])
    .filter(([, , list]) => list.length)
    .map(([id, label, list]) =>
      h(
        "section",
        { "data-area": id },
        h("h4", null, `${label} (${list.length})`),
        h(
          "ul",
          { class: "timeline-changes" },
          list.map((c) =>
            h(
              "li",
              { "data-kind": c.kind },
              h("span", { class: "badge change-" + c.kind }, c.kind),
              " ",
              h("b", null, c.subject),
              `: ${c.summary}`,
              c.protected ? h("span", { class: "badge" }, "protected") : null,
              (c.because || []).length
                ? h(
                    "ul",
                    { class: "because" },
                    c.because.map((b) => h("li", { class: "muted" }, "because " + b)),
                  )
                : null,
            ),
          ),
        ),
      ),
    );
  const f = diff.findings || { new: [], fixed: [], unchanged: 0 };
  return h(
    "div",
    { "data-testid": "timeline-diff" },
    head,
    h(
      "p",
      null,
      changes.length
        ? `${changes.length} change(s); findings: ${(f.new || []).length} new, ${(f.fixed || []).length} fixed, ${f.unchanged} unchanged`
        : `No semantic change; findings: ${(f.new || []).length} new, ${(f.fixed || []).length} fixed, ${f.unchanged} unchanged`,
    ),
    sections,
    findingList("New findings", f.new, "timeline-new-findings"),
    findingList("Fixed findings", f.fixed, "timeline-fixed-findings"),
    (diff.notes || []).length
      ? h(
          "div",
          null,
          h("h4", null, "Notes"),
          h(
            "ul",
            null,
            diff.notes.map((n) => h("li", { class: "muted" }, n)),
          ),
        )
      : null,
  );
}

export function timelineView(api) {
  const out = h("div", { "data-testid": "timeline" }, h("p", { class: "muted" }, "\u2026"));
  async function load() {
    let doc;
    try {
      doc = await api("/api/timeline");
    } catch (err) {
      clear(out).appendChild(
        h("div", { class: "unavailable", "data-testid": "timeline-error" }, String(err.message || err)),
      );
      return;
    }
    clear(out);
    const refresh = h("button", { type: "button", onclick: () => load() }, "reload the states");
    if (doc.empty) {
      out.appendChild(h("p", { class: "unavailable", "data-testid": "timeline-empty" }, doc.empty));
      if (doc.db) out.appendChild(refresh);
      return;
    }
    const states = doc.states || [];
    const byId = new Map(states.map((s) => [s.id, s]));
    out.appendChild(h("p", null, `${states.length} state(s) recorded in ${doc.db}.`, " ", refresh));
    out.appendChild(statesTable(states));
    const result = h("div", { class: "query-result", "aria-live": "polite", "data-testid": "timeline-result" });
    const pairs = doc.changes || [];
    if (!pairs.length) {
      out.appendChild(h("p", { class: "muted" }, "One state: record another to see what changes."));
      return;
    }
    const pick = h(
      "select",
      { id: "timeline-pair", name: "pair" },
      pairs.map((p, i) => {
        const a = byId.get(p.from);
        const b = byId.get(p.to);
        const o = h(
          "option",
          { value: String(i) },
          `${stateName(a)} \u2192 ${stateName(b)}` + (p.changed ? "" : " (same digest)"),
        );
        return o;
      }),
    );
    // the latest pair whose platforms differ is chosen first
    let initial = pairs.length - 1;
    for (let i = pairs.length - 1; i >= 0; i--)
      if (pairs[i].changed) {
        initial = i;
        break;
      }
    pick.value = String(initial);
    const form = h(
      "form",
      { class: "query", id: "q-timeline" },
      h("label", { for: "timeline-pair" }, h("span", null, "consecutive states")),
      pick,
      h("button", { type: "submit" }, "show changes"),
    );
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const p = pairs[Number(pick.value)];
      clear(result).appendChild(h("p", { class: "muted" }, "comparing\u2026"));
      try {
        const body = await api("/api/timeline/diff", { from: p.from, to: p.to });
        clear(result).appendChild(renderTimelineDiff(body, byId));
      } catch (err) {
        clear(result).appendChild(
          h("div", { class: "unavailable", "data-testid": "timeline-error" }, String(err.message || err)),
        );
      }
    });
    out.appendChild(form);
    out.appendChild(result);
  }
  load();
  return out;
}

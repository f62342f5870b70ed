// The Findings tab: findings grouped by check, severity toggles, suppressed apart.

import { h, clear, location } from "./dom.js";
import { SEVERITIES, sectionData } from "./sections.js";

export function findingsView(views) {
  const { data, missing } = sectionData(views, "report", "Findings");
  if (missing) return missing;
  const docsBase = views.docs_base;
  const checks = new Map(data.checks.map((c) => [c.id, c]));
  const active = new Set(SEVERITIES);
  const filter = h("input", {
    type: "search",
    placeholder: "filter findings (id, subject, text)",
    class: "filter",
    "aria-label": "filter findings",
  });
  const counts = {};
  for (const f of data.findings) counts[f.severity] = (counts[f.severity] || 0) + 1;
  const cards = h("div", { class: "cards", role: "group", "aria-label": "severities shown" });
  for (const sv of SEVERITIES) {
    const b = h(
      "button",
      { type: "button", class: "card toggle sev-card-" + sv, "aria-pressed": "true", "data-severity": sv },
      h("span", { class: "value" }, counts[sv] || 0),
      h("span", { class: "label" }, sv),
    );
    b.addEventListener("click", () => {
      if (active.has(sv)) active.delete(sv);
      else active.add(sv);
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
    return [...by.entries()].sort(
      (x, y) =>
        SEVERITIES.indexOf(x[1][0].severity) - SEVERITIES.indexOf(y[1][0].severity) ||
        y[1].length - x[1].length ||
        (x[0] < y[0] ? -1 : 1),
    );
  }
  function checkGroup(id, list, extra) {
    const c = checks.get(id) || {};
    const sv = list[0].severity;
    const objects = new Set(list.map((f) => subjectText(f.subject))).size;
    const body = h("div", null);
    const g = h(
      "details",
      { class: "check-group", "data-check": id, "data-severity": sv },
      h(
        "summary",
        null,
        h("span", { class: "badge sev-" + sv }, sv),
        " ",
        h("b", null, id),
        " ",
        c.title || list[0].title,
        " ",
        h("span", { class: "count", "data-testid": "check-count" }, `${objects} object(s), ${list.length} finding(s)`),
      ),
      body,
    );
    g.addEventListener("toggle", () => {
      if (!g.open || body.firstChild) return;
      const doc = c.doc || list[0].doc;
      if (doc)
        body.appendChild(
          h(
            "p",
            null,
            docsBase
              ? h("a", { href: docsBase + doc, target: "_blank", rel: "noopener noreferrer" }, `documentation of ${id}`)
              : h("code", null, doc),
          ),
        );
      for (const f of list) body.appendChild(findingView(f, extra));
    });
    return g;
  }
  function render() {
    const q = filter.value.toLowerCase();
    const match = (f) => active.has(f.severity) && (!q || JSON.stringify(f).toLowerCase().includes(q));
    clear(groups);
    for (const [id, list] of groupOf(data.findings.filter(match))) groups.appendChild(checkGroup(id, list, null));
    if (!groups.firstChild)
      groups.appendChild(
        h("p", { class: "muted" }, data.findings.length ? "no finding matches the filter" : "no findings"),
      );
    clear(suppressed);
    const sup = data.suppressed.filter(match);
    suppressed.appendChild(
      h("h3", null, `Suppressed (${sup.length}): by an annotation or a baseline, not counted above`),
    );
    if (!sup.length)
      suppressed.appendChild(
        h("p", { class: "muted" }, "none: no suppression annotation or baseline matched a finding"),
      );
    for (const kind of ["baseline", "annotation"]) {
      const list = sup.filter((f) => f.suppression.kind === kind);
      if (!list.length) continue;
      suppressed.appendChild(
        h(
          "h4",
          null,
          kind === "baseline" ? `in the baseline (${list.length})` : `suppressed by an annotation (${list.length})`,
        ),
      );
      for (const [id, l] of groupOf(list)) suppressed.appendChild(checkGroup(id, l, kind));
    }
  }
  filter.addEventListener("input", render);
  render();
  return h(
    "div",
    null,
    h("p", { class: "muted" }, "Grouped by check; press a severity to hide or show it; open a check for its findings."),
    cards,
    filter,
    groups,
    suppressed,
  );
}

function subjectText(s) {
  if (!s) return "";
  return `${s.kind} ${s.namespace ? s.namespace + "/" : ""}${s.name}`;
}

// extra: the kind of suppression of a suppressed finding (null for the others)
function findingView(f, extra) {
  return h(
    "details",
    { class: "finding", "data-finding": f.id },
    h(
      "summary",
      null,
      h("span", { class: "badge sev-" + f.severity }, f.id),
      " ",
      h("b", null, f.title),
      " \u2014 ",
      subjectText(f.subject),
    ),
    h("p", null, f.message),
    f.location ? h("p", null, "at ", location(f.location.file, f.location.line)) : null,
    f.evidence.length
      ? [
          h("p", { class: "label" }, h("b", null, "evidence chain")),
          h(
            "ol",
            { class: "evidence" },
            f.evidence.map((e) => h("li", null, e)),
          ),
        ]
      : null,
    f.fix ? h("p", null, h("b", null, "fix: "), f.fix) : null,
    extra ? h("p", { class: "muted" }, `suppressed (${f.suppression.kind}): ${f.suppression.justification}`) : null,
    h("p", { class: "muted" }, `confidence ${f.confidence}`),
  );
}

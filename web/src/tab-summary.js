// The Summary tab: the report's counts, the inputs and the diagnostics.

import { h } from "./dom.js";
import { SEVERITIES, card, sectionData } from "./sections.js";

export function summaryView(views) {
  const { data, missing } = sectionData(views, "report", "Summary");
  if (missing) return missing;
  const s = data.summary;
  const p = s.platform;
  const kinds = Object.entries(p.kinds);
  return h(
    "div",
    null,
    h(
      "div",
      { class: "cards" },
      card("pods", p.pods),
      card("namespaces", p.namespaces.length),
      card("nodes", p.nodes.length),
      card("findings", s.findings.total),
      SEVERITIES.map((sv) => card(sv, s.findings[sv], "sev-" + sv)),
      card("suppressed", data.suppressed.length),
    ),
    h("h3", null, "Inputs"),
    h(
      "ul",
      null,
      views.inputs.map((i) => h("li", null, h("code", null, i))),
    ),
    h("h3", null, "AWS accounts"),
    h(
      "ul",
      null,
      p.accounts.map((a) => h("li", null, a)),
    ),
    h("h3", null, "Objects by kind"),
    h(
      "table",
      { class: "grid" },
      h("tr", null, h("th", null, "kind"), h("th", null, "count")),
      kinds.map(([k, n]) => h("tr", null, h("td", null, k), h("td", { class: "num" }, n))),
    ),
    views.diagnostics && views.diagnostics.length
      ? [
          h("h3", null, "Diagnostics"),
          h(
            "ul",
            { class: "diags" },
            views.diagnostics.map((d) => h("li", null, h("code", null, d))),
          ),
        ]
      : null,
  );
}

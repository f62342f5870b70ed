// The Diff tab (report --compare): what changed in the connectivity, and why.

import { h } from "./dom.js";
import { portsText, verdictView } from "./graph.js";
import { sectionData } from "./sections.js";

export function diffView(views) {
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

// The Diff tab (report --compare): what changed in the connectivity, and why.
// The section lists the first change_limit changes (changes_total counts
// them all) and only the first why_limit carry their explanation (why_old,
// why_new); the page says what was left out (docs/web.md).

import { h } from "./dom.js";
import { portsText, verdictView } from "./graph.js";
import { sectionData } from "./sections.js";

function explanation(c, limit) {
  if (!("why_old" in c) && !("why_new" in c)) {
    return h(
      "p",
      { class: "muted", "data-testid": "why-omitted" },
      `explanation not sent: only the first ${limit} changes carry one (ekstwin net diff --format json explains every change)`,
    );
  }
  return [
    c.why_old ? [h("h4", null, "before"), verdictView(c.why_old)] : null,
    c.why_new ? [h("h4", null, "after"), verdictView(c.why_new)] : null,
  ];
}

export function diffView(views) {
  const { data, missing } = sectionData(views, "diff", "Semantic diff");
  if (missing) return missing;
  const changes = data.changes;
  return h(
    "div",
    { "data-testid": "diff" },
    h("p", null, `compared with ${data.old.join(", ")}: ${data.changes_total} connectivity change(s)`),
    data.changes_total > changes.length
      ? h(
          "p",
          { class: "muted", "data-testid": "changes-more" },
          `the first ${changes.length} are listed; ${data.changes_total - changes.length} more are not (ekstwin net diff --format json lists every change)`,
        )
      : null,
    data.why_omitted
      ? h(
          "p",
          { class: "muted", "data-testid": "why-more" },
          `the first ${data.why_limit} changes are explained; ${data.why_omitted} more are listed without their explanation`,
        )
      : null,
    data.endpoints_added.map((e) => h("div", { class: "chain-row ok" }, "endpoint added: " + e)),
    data.endpoints_removed.map((e) => h("div", { class: "chain-row fail" }, "endpoint removed: " + e)),
    changes.map((c) =>
      h(
        "details",
        { class: "finding" },
        h("summary", null, h("span", { class: "badge change-" + c.change }, c.change), ` ${c.from} \u2192 ${c.to}`),
        h("p", null, "added: " + portsText(c.added), " \u00b7 removed: " + portsText(c.removed)),
        explanation(c, data.why_limit),
      ),
    ),
  );
}

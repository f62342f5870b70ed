// The tabs, in the order shown: [id, label, view]. A view takes the views
// document and, in serve mode, the API (null in the report file) and returns
// its pane. A new tab is a module exporting its view and one line here.

import { summaryView } from "./tab-summary.js";
import { findingsView } from "./tab-findings.js";
import { networkView } from "./tab-network.js";
import { identityView } from "./tab-identity.js";
import { ingressView } from "./tab-ingress.js";
import { ipamView } from "./tab-ipam.js";
import { storageView } from "./tab-storage.js";
import { diffView } from "./tab-diff.js";
import { timelineView } from "./tab-timeline.js";
import { queryView } from "./tab-query.js";

// Tabs of both the report and serve; "diff" only when the document has it.
export const TABS = [
  ["summary", "Summary", summaryView],
  ["findings", "Findings", findingsView],
  ["network", "Connectivity", networkView],
  ["identity", "Identity chains", identityView],
  ["ingress", "ALB & DNS", ingressView],
  ["ipam", "IP capacity", ipamView],
  ["storage", "Storage", storageView],
  ["diff", "Diff", diffView],
];

// Tabs that ask the server (serve only).
export const LIVE_TABS = [
  ["timeline", "Timeline", (views, api) => timelineView(api)],
  ["query", "Query", (views, api) => queryView(api)],
];

// The tabs a document shows: in serve mode (api given) with the live tabs.
export function tabsFor(views, api) {
  const tabs = TABS.filter(([id]) => id !== "diff" || views.sections.diff);
  return api ? [...tabs, ...LIVE_TABS] : tabs;
}

// The Storage tab: the storage plan as it is and with each zone lost.

import { h, clear } from "./dom.js";
import { sectionData, zonePicker } from "./sections.js";

export function storageView(views) {
  const { data, missing } = sectionData(views, "storage", "Storage");
  if (missing) return missing;
  const zones = data.now.zones;
  const out = h("div", null);
  const body = h("div", null);
  function show(zone) {
    const plan = zone ? data.lose_az[zone] : data.now;
    clear(body);
    body.appendChild(
      h(
        "p",
        { "data-testid": "storage-scenario" },
        zone
          ? `If ${zone} goes down (as ekstwin storage plan --lose-az ${zone}):`
          : `Zones with nodes: ${zones.join(", ") || "none"}.`,
      ),
    );
    if (!plan.statefulsets.length) {
      body.appendChild(h("p", { class: "muted", "data-testid": "empty" }, "no StatefulSet in the input"));
      return;
    }
    const tbl = h(
      "table",
      { class: "grid", "data-testid": "storage-table" },
      h(
        "thead",
        null,
        h(
          "tr",
          null,
          ["StatefulSet", "replicas", "can run", "quorum", "loses quorum", "replica: status, volume zone"].map((c) =>
            h("th", { scope: "col" }, c),
          ),
        ),
      ),
    );
    const tb = h("tbody", null);
    for (const st of plan.statefulsets) {
      tb.appendChild(
        h(
          "tr",
          { "data-statefulset": `${st.namespace}/${st.name}`, class: st.loses_quorum ? "bad" : "" },
          h("td", null, `${st.namespace}/${st.name}`),
          h("td", { class: "num" }, st.replicas),
          h("td", { class: "num" }, st.available),
          h("td", { class: "num" }, st.quorum),
          h("td", { class: st.loses_quorum ? "v-deny" : "" }, st.loses_quorum ? "YES" : "no"),
          h(
            "td",
            null,
            h(
              "ul",
              { class: "replicas" },
              st.replicas_plan.map((r) =>
                h(
                  "li",
                  null,
                  h("b", null, r.pod),
                  ` ${r.status}`,
                  r.volumes.map((v) => ` \u00b7 ${v.claim} in ${v.zones.join(", ") || "?"} (${v.basis})`),
                  r.status !== "ok" ? h("div", { class: "muted" }, r.reason) : null,
                ),
              ),
            ),
          ),
        ),
      );
    }
    tbl.appendChild(tb);
    body.appendChild(tbl);
    body.appendChild(
      h(
        "details",
        null,
        h("summary", null, "assumptions"),
        h(
          "ul",
          null,
          plan.assumptions.map((a) => h("li", null, a)),
        ),
      ),
    );
  }
  if (zones.length) out.appendChild(zonePicker("storage-zone", zones, show));
  out.appendChild(body);
  show("");
  return out;
}

// The IP capacity tab: the ipam plan as it is and with each zone lost.

import { h, clear } from "./dom.js";
import { ipChart } from "./chart.js";
import { sectionData, zonePicker } from "./sections.js";

export function ipamView(views) {
  const { data, missing } = sectionData(views, "ipam", "IP capacity");
  if (missing) return missing;
  if (!data.now.subnets.length)
    return h(
      "p",
      { class: "muted", "data-testid": "empty" },
      "no subnets known: give aws.json (ekstwin collect aws) or a Terraform plan with the VPC's subnets and node groups",
    );
  const zones = Object.keys(data.lose_az);
  const out = h("div", null);
  const body = h("div", null);
  function show(zone) {
    const plan = zone ? data.lose_az[zone] : data.now;
    const which = zone ? "after" : "now";
    clear(body);
    body.appendChild(
      h(
        "p",
        { "data-testid": "ipam-scenario" },
        zone
          ? `If ${zone} goes down (as ekstwin ipam plan --lose-az ${zone}):`
          : `Zones with nodes: ${zones.join(", ") || "none"}.`,
      ),
    );
    if (plan.assumptions.length)
      body.appendChild(
        h(
          "div",
          { class: "unavailable", "data-testid": "assumptions" },
          h("b", null, "assumed where the input says nothing: "),
          h(
            "ul",
            null,
            plan.assumptions.map((a) => h("li", null, a)),
          ),
        ),
      );
    const loss = plan.zone_loss;
    if (loss) {
      body.appendChild(
        h(
          "div",
          { "data-testid": "ipam-zone-loss" },
          h(
            "p",
            null,
            `losing ${loss.zone}: ${loss.lost_nodes.length} node(s) gone; ${loss.pods_rescheduled} of ${loss.pods_to_reschedule} pod(s) rescheduled, ${loss.pods_pending} pending`,
          ),
          h(
            "table",
            { class: "grid" },
            h(
              "thead",
              null,
              h(
                "tr",
                null,
                ["node group", "lost", "replaced", "more for the pods", "max size", "subnets left", "note"].map((c) =>
                  h("th", { scope: "col" }, c),
                ),
              ),
            ),
            h(
              "tbody",
              null,
              loss.groups.map((g) =>
                h(
                  "tr",
                  { "data-group": g.name },
                  h("td", null, g.name),
                  h("td", { class: "num" }, g.lost),
                  h("td", { class: "num" }, g.replaced),
                  h("td", { class: "num" }, g.added_for_pods),
                  h("td", { class: "num" }, g.max_size === null ? "-" : g.max_size),
                  h("td", null, g.subnets_left.join(", ") || "none"),
                  h("td", null, g.note),
                ),
              ),
            ),
          ),
        ),
      );
    }
    body.appendChild(
      h(
        "p",
        { "data-testid": "runs-out" },
        plan.runs_out_first || (zone ? "no subnet runs out in this scenario" : "no subnet runs out"),
      ),
    );
    body.appendChild(ipChart(plan.subnets, which));
    body.appendChild(
      h(
        "table",
        { class: "grid", "data-testid": "ipam-subnets" },
        h("caption", null, zone ? `addresses per subnet after losing ${zone}` : "addresses per subnet"),
        h(
          "thead",
          null,
          h(
            "tr",
            null,
            [
              "subnet",
              "zone",
              "usable",
              "nodes",
              "pods",
              "warm",
              "ENI primaries",
              "other",
              "free",
              ...(zone ? ["free now"] : []),
            ].map((c) => h("th", { scope: "col" }, c)),
          ),
        ),
        h(
          "tbody",
          null,
          plan.subnets.map((s) => {
            const u = s[which];
            return h(
              "tr",
              { "data-subnet": s.subnet_id, class: u.free < 0 ? "bad" : "" },
              h("td", null, s.subnet_id),
              h("td", null, s.zone),
              h("td", { class: "num" }, s.usable),
              ["nodes", "pods", "warm", "eni_primaries", "other", "free"].map((k) => h("td", { class: "num" }, u[k])),
              zone ? h("td", { class: "num" }, s.now.free) : null,
            );
          }),
        ),
      ),
    );
    body.appendChild(h("h3", null, "Zones"));
    body.appendChild(
      h(
        "table",
        { class: "grid", "data-testid": "ipam-zones" },
        h(
          "tr",
          null,
          h("th", null, "zone"),
          h("th", null, "usable"),
          h("th", null, "free now"),
          h("th", null, "free after"),
        ),
        Object.entries(plan.zones).map(([z, v]) =>
          h(
            "tr",
            { "data-zone": z },
            h("td", null, z),
            h("td", { class: "num" }, v.usable),
            h("td", { class: "num" }, v.free_now),
            h("td", { class: "num" }, v.free_after),
          ),
        ),
      ),
    );
  }
  if (zones.length) out.appendChild(zonePicker("ipam-zone", zones, show));
  out.appendChild(body);
  show("");
  return out;
}

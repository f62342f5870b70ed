// The ALB & DNS tab: the load balancers the controller builds and the ExternalDNS plan.

import { h } from "./dom.js";
import { sectionData } from "./sections.js";

function actionText(a) {
  if (!a) return "";
  if (a.type === "forward")
    return (
      "forward " +
      a.targets
        .map(
          (t) => `${t.service}:${t.service_port}${t.weight !== null && t.weight !== undefined ? ` (${t.weight})` : ""}`,
        )
        .join(", ")
    );
  if (a.type === "fixed-response") return `fixed-response ${a.config.statusCode}`;
  if (a.type === "redirect") return `redirect ${JSON.stringify(a.config)}`;
  return a.type;
}

export function ingressView(views) {
  const alb = sectionData(views, "ingress", "ALB routes");
  const dns = sectionData(views, "dns", "DNS plan");
  const out = h("div", null);
  out.appendChild(h("h3", null, "Load balancers"));
  if (alb.missing) out.appendChild(alb.missing);
  else {
    if (!alb.data.load_balancers.length)
      out.appendChild(
        h(
          "p",
          { class: "muted", "data-testid": "empty" },
          "no Ingress the AWS Load Balancer Controller would build an ALB for",
        ),
      );
    for (const lb of alb.data.load_balancers) {
      out.appendChild(
        h(
          "section",
          { class: "alb" },
          h(
            "h4",
            null,
            `ALB ${lb.group} (${lb.scheme || "scheme not known"}) `,
            h("code", null, lb.dns_name || lb.name || "not created yet"),
          ),
          lb.errors.map((e) => h("div", { class: "unavailable" }, "the whole group fails: " + e)),
          lb.quota.map((q) => h("div", { class: "unavailable" }, "quota: " + q)),
          h(
            "div",
            { class: "muted" },
            "members: " + lb.members.map((m) => `${m.ingress} (order ${m.order})`).join(", "),
          ),
          lb.listeners.map((ls) =>
            h(
              "table",
              { class: "grid" },
              h("caption", null, `${ls.protocol}:${ls.port}`),
              h(
                "tr",
                null,
                h("th", null, "prio"),
                h("th", null, "ingress"),
                h("th", null, "conditions"),
                h("th", null, "action"),
                h("th", null, "source"),
              ),
              ls.rules.map((r) =>
                h(
                  "tr",
                  null,
                  h("td", { class: "num" }, r.priority),
                  h("td", null, r.ingress),
                  h("td", null, r.conditions.map((c) => `${c.field} ${c.values.join(" | ")}`).join("; ")),
                  h("td", null, actionText(r.action)),
                  h("td", null, h("code", { class: "loc" }, r.source || "")),
                ),
              ),
              h(
                "tr",
                null,
                h("td", null, "default"),
                h("td", null, ls.default_from || "-"),
                h("td", null, "-"),
                h("td", null, actionText(ls.default_action)),
                h("td", null, ""),
              ),
            ),
          ),
        ),
      );
    }
    for (const ig of alb.data.ignored)
      out.appendChild(h("div", { class: "muted" }, `ignored ${ig.ingress}: ${ig.reason}`));
  }
  out.appendChild(h("h3", null, "DNS plan (ExternalDNS)"));
  if (dns.missing) out.appendChild(dns.missing);
  else {
    const plan = dns.data.plan;
    out.appendChild(
      h("p", { class: "muted" }, `owner id ${dns.data.owner_id}, annotation prefix ${dns.data.annotation_prefix}`),
    );
    out.appendChild(
      h(
        "table",
        { class: "grid", "data-testid": "dns-changes" },
        h(
          "tr",
          null,
          h("th", null, "action"),
          h("th", null, "name"),
          h("th", null, "type"),
          h("th", null, "targets"),
          h("th", null, "source"),
        ),
        plan.changes.map((c) =>
          h(
            "tr",
            null,
            h("td", null, c.action),
            h("td", null, c.name),
            h("td", null, c.type + (c.alias ? " alias" : "")),
            h("td", null, c.targets.join(", ")),
            h("td", null, c.source || "-"),
          ),
        ),
      ),
    );
    if (plan.conflicts.length) out.appendChild(h("h4", null, "conflicts"));
    for (const c of plan.conflicts)
      out.appendChild(h("div", { class: "unavailable" }, `${c.name}: ${c.claimants.join(", ")} \u2014 ${c.reason}`));
    if (plan.skipped.length) out.appendChild(h("h4", null, "skipped"));
    for (const s of plan.skipped) out.appendChild(h("div", { class: "muted" }, `${s.name}: ${s.reason}`));
  }
  return out;
}

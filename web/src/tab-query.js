// The Query tab (serve only): net can, access who-can and ingress route, asked of the server.

import { h, clear } from "./dom.js";
import { verdictView } from "./graph.js";

function field(label, input) {
  return h("label", null, h("span", null, label), input);
}

export function queryView(api) {
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
  const proto = h(
    "select",
    { name: "protocol" },
    ["TCP", "UDP", "SCTP", "ICMP"].map((p) => h("option", { value: p }, p)),
  );
  const verb = h("input", { name: "verb", placeholder: "create", size: 10 });
  const resource = h("input", { name: "resource", placeholder: "pods/exec", size: 20 });
  const ns = h("input", { name: "namespace", placeholder: "(cluster-wide)", size: 14 });
  const url = h("input", { name: "url", placeholder: "https://shop.example.com/", size: 50 });
  const form = (id, fields) => h("form", { class: "query", id }, fields, h("button", { type: "submit" }, "run"));
  const can = form("q-can", [
    h("b", null, "can "),
    field("from", from),
    field("to", to),
    field("port", port),
    field("protocol", proto),
  ]);
  can.addEventListener("submit", (e) => {
    e.preventDefault();
    run("/api/can", { from: from.value, to: to.value, port: port.value, protocol: proto.value });
  });
  const who = form("q-who-can", [
    h("b", null, "who-can "),
    field("verb", verb),
    field("resource", resource),
    field("namespace", ns),
  ]);
  who.addEventListener("submit", (e) => {
    e.preventDefault();
    run("/api/who-can", { verb: verb.value, resource: resource.value, namespace: ns.value });
  });
  const rt = form("q-route", [h("b", null, "route "), field("URL", url)]);
  rt.addEventListener("submit", (e) => {
    e.preventDefault();
    run("/api/route", { url: url.value });
  });
  return h("div", null, can, who, rt, result);
}

function renderQuery(path, body) {
  let head = null;
  if (path === "/api/can") {
    if (body.backends) {
      head = h(
        "div",
        null,
        h(
          "h3",
          null,
          `${body.from} \u2192 ${body.to} ${body.protocol}/${body.port}: ${body.allowed ? "ALLOWED (to some backend)" : "DENIED"}`,
        ),
        body.problem ? h("p", null, body.problem) : null,
        body.backends.map(verdictView),
      );
    } else {
      head = h(
        "div",
        null,
        h(
          "h3",
          { "data-testid": "can-verdict" },
          `${body.from} \u2192 ${body.to} ${body.protocol}/${body.port}: ${body.allowed ? "ALLOWED" : "DENIED"}`,
        ),
        verdictView(body),
      );
    }
  } else if (path === "/api/who-can") {
    head = h(
      "div",
      null,
      h("h3", null, `who can ${body.request}: ${(body.subjects || []).length} subject(s)`),
      (body.subjects || []).map((s) =>
        h(
          "div",
          { class: "chain-row" },
          h("b", null, `${s.kind} ${s.name}`),
          (s.chains || []).map((c) => h("div", { class: "muted" }, c.join(" \u2192 "))),
        ),
      ),
    );
  } else if (path === "/api/route") {
    head = h(
      "div",
      null,
      h("h3", null, `${body.url}: ${body.action || body.error || ""}`),
      h(
        "p",
        null,
        `load balancer ${body.load_balancer || "-"}, rule ${body.rule ? `${body.rule.priority} (${body.rule.ingress})` : "default"}, service ${body.service || "-"}, pods ${(body.pods || []).join(", ") || "-"}`,
      ),
    );
  }
  return h(
    "div",
    null,
    head,
    h("details", null, h("summary", null, "JSON"), h("pre", null, JSON.stringify(body, null, 2))),
  );
}

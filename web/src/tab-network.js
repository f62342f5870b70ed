// The Connectivity tab: a path query, the graph (scoped to a namespace or a
// workload when the platform is too large to draw whole), the panel of a
// selected endpoint and the flow table with an allowed/denied filter. The data
// is compact (netdata.js); an explanation is looked up only for the pair a
// person opens.

import { h, clear } from "./dom.js";
import { sectionData } from "./sections.js";
import { NetData, PROTOCOLS, examplePort } from "./netdata.js";
import { mountGraph, pathView, portsText, verdictView } from "./graph.js";

// Drawn whole only below these; otherwise the graph shows one scope and its peers.
const MAX_NODES = 250;
const MAX_EDGES = 1500;
const MAX_PEERS = 120;
const PAGE = 100;

let uid = 0;

function labelled(text, input) {
  const id = input.getAttribute("id") || "f" + ++uid;
  input.setAttribute("id", id);
  return h("label", { for: id }, h("span", null, text), input);
}

function datalist(id, values) {
  const dl = h("datalist", { id });
  // options as plain nodes: fast for ten thousand entries
  for (const v of values) {
    const o = document.createElement("option");
    o.value = v;
    dl.appendChild(o);
  }
  return dl;
}

function connectivityView(data, hooks, api) {
  const net = new NetData(data);
  hooks.net = net;
  // the report looks explanations up in its tables; serve answers each per request
  const explain = (from, to, protocol, port) =>
    net.explainable
      ? Promise.resolve(net.path(from, to, protocol, port))
      : api("/api/path", { from, to, port: String(port), protocol }).catch((err) => ({
          error: String(err.message || err),
        }));
  const gsel = h(
    "select",
    { id: "granularity", "aria-label": "granularity" },
    h("option", { value: "namespace" }, "namespaces"),
    h("option", { value: "workload" }, "workloads"),
  );

  // -- path query
  const names = [...net.groups.workload, ...net.services.map((s) => s.name)];
  const lists = h(
    "div",
    null,
    datalist("dl-sources", [...net.groups.workload, ...net.groups.namespace]),
    datalist("dl-targets", names),
    datalist("dl-scopes", [...net.groups.namespace, ...net.groups.workload]),
  );
  const qFrom = h("input", {
    id: "path-from",
    list: "dl-sources",
    placeholder: "workload (ns/name) or pod",
    size: 30,
    autocomplete: "off",
  });
  const qTo = h("input", {
    id: "path-to",
    list: "dl-targets",
    placeholder: "workload or ns/svc/name",
    size: 30,
    autocomplete: "off",
  });
  const qPort = h("input", { id: "path-port", placeholder: "port", size: 6, inputmode: "numeric" });
  const qProto = h(
    "select",
    { id: "path-protocol" },
    PROTOCOLS.map((p) => h("option", { value: p }, p)),
  );
  const answer = h("div", { class: "path-result", "data-testid": "path-result", "aria-live": "polite" });
  const form = h(
    "form",
    { class: "query", id: "q-path" },
    labelled("from", qFrom),
    labelled("to", qTo),
    labelled("port", qPort),
    labelled("protocol", qProto),
    h("button", { type: "submit" }, "can it reach?"),
  );
  function fillPort() {
    if (qPort.value) return;
    const p = net.defaultPort(qTo.value, qFrom.value);
    if (p) {
      qPort.placeholder = String(p[1]);
      qProto.value = p[0];
    }
  }
  qTo.addEventListener("change", fillPort);
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    let port = parseInt(qPort.value || qPort.placeholder, 10);
    if (!(port >= 0 && port <= 65535)) {
      fillPort();
      port = parseInt(qPort.placeholder, 10);
    }
    if (!(port >= 0 && port <= 65535)) {
      clear(answer).appendChild(
        h("div", { class: "unavailable", "data-testid": "path-error" }, "give a port (0-65535)"),
      );
      return;
    }
    clear(answer).appendChild(h("p", { class: "muted" }, "\u2026"));
    explain(qFrom.value, qTo.value, qProto.value, port).then((r) => clear(answer).appendChild(pathView(r)));
  });

  // -- graph and panel
  const container = h("div", {
    class: "graph",
    id: "graph",
    "data-testid": "graph",
    role: "img",
    "aria-label": "connectivity graph: use the endpoint list to select a node with the keyboard",
  });
  const panel = h("div", { class: "panel", id: "panel", "aria-live": "polite" });
  const scope = h("input", {
    id: "scope",
    list: "dl-scopes",
    placeholder: "all, or a namespace / workload",
    size: 28,
    autocomplete: "off",
  });
  const pick = h("select", { id: "endpoint-select", "aria-label": "select an endpoint" });
  const note = h("p", { class: "muted", "data-testid": "graph-note" });
  const legend = h(
    "div",
    { class: "legend", "data-testid": "legend" },
    h("span", null, h("span", { class: "dot ep" }), "workload or namespace"),
    h("span", null, h("span", { class: "box ns" }), "namespace (workload view)"),
    h("span", null, h("span", { class: "sw allowed" }), "\u2192 allowed flow (arrow: direction)"),
    h("span", null, h("span", { class: "sw out" }), "selected reaches"),
    h("span", null, h("span", { class: "sw in" }), "reaches selected"),
    h("span", null, h("span", { class: "sw denied" }), "\u22a3 selected cannot reach (all denied pairs: flow table)"),
  );

  // -- flow table
  const filter = h(
    "select",
    { id: "flow-filter", "aria-label": "flows to show" },
    h("option", { value: "all" }, "allowed and denied"),
    h("option", { value: "allowed" }, "allowed"),
    h("option", { value: "denied" }, "denied"),
  );
  const table = h("div", { "data-testid": "flow-table" });

  const state = { g: "namespace", graph: null, selected: null, drawn: null };

  function scopeIndices(g) {
    const s = scope.value.trim();
    if (!s) return null; // everything
    const ns = net.groupIndex.namespace.get(s);
    const wl = net.groupIndex.workload.get(s);
    if (g === "namespace") {
      if (ns !== undefined) return [ns];
      if (wl !== undefined) return [net.pods[net.groupPods("workload", wl)[0]].namespace];
    } else {
      if (wl !== undefined) return [wl];
      if (ns !== undefined)
        return net.groups.workload
          .map((w, i) => [w, i])
          .filter(([w]) => w.split("/")[0] === s)
          .map(([, i]) => i);
    }
    return [];
  }

  function drawGraph() {
    const g = state.g;
    const names = net.groups[g];
    const sc = scopeIndices(g);
    let nodes;
    let peers = [];
    const edges = [];
    if (!sc) {
      if (names.length > MAX_NODES || net.flowCount[g] > MAX_EDGES) {
        clear(container);
        state.graph = null;
        note.textContent = `${names.length} ${g}s and ${net.flowCount[g]} allowed flows are too many to draw: choose a namespace or workload in "scope" (the flow table and the path query cover everything).`;
        hooks.graphReady = g;
        return;
      }
      nodes = names;
      names.forEach((_, s) => {
        for (const [d] of net.outgoing(g, s)) edges.push([names[s], names[d]]);
      });
      note.textContent = `${names.length} ${g}s, ${net.flowCount[g]} allowed flows.`;
    } else {
      const inScope = new Set(sc);
      const peerSet = new Set();
      for (const s of sc) {
        for (const [d] of net.outgoing(g, s)) {
          edges.push([names[s], names[d]]);
          if (!inScope.has(d)) peerSet.add(d);
        }
        for (const [f] of net.incoming(g, s)) {
          if (!inScope.has(f)) {
            edges.push([names[f], names[s]]);
            peerSet.add(f);
          }
        }
      }
      const allPeers = [...peerSet].sort((a, b) => a - b);
      const shown = new Set(allPeers.slice(0, MAX_PEERS));
      nodes = sc.map((i) => names[i]);
      peers = [...shown].map((i) => names[i]);
      const keep = new Set([...nodes, ...peers]);
      const kept = edges.filter(([a, b]) => keep.has(a) && keep.has(b));
      edges.length = 0;
      edges.push(...kept);
      note.textContent =
        `${nodes.length} ${g}(s) in scope and ${allPeers.length} peer(s)` +
        (allPeers.length > MAX_PEERS ? `, the first ${MAX_PEERS} drawn (all are in the flow table)` : "") +
        ".";
    }
    state.graph = mountGraph(container, { granularity: g, nodes, peers, edges, scoped: !!sc }, (id) =>
      select(id, true),
    );
    hooks.graph = state.graph;
    hooks.graphReady = g;
  }

  function fillPick() {
    const names = net.groups[state.g];
    clear(pick).appendChild(h("option", { value: "" }, `\u2014 select one of ${names.length} \u2014`));
    for (const e of names) {
      const o = document.createElement("option");
      o.value = e;
      o.textContent = e;
      pick.appendChild(o);
    }
  }

  function explainItem(g, from, to, conn, head) {
    // an explanation is looked up when the item is opened
    const item = h("details", { class: "flow", "data-node": head.node });
    const body = h("div", null);
    item.appendChild(
      h(
        "summary",
        null,
        head.summary || [
          h("b", null, head.label),
          " ",
          h("span", { class: "ports" }, conn >= 0 ? portsText(net.conns[conn]) : "nothing allowed"),
        ],
      ),
    );
    item.appendChild(body);
    item.addEventListener("toggle", () => {
      if (!item.open || body.firstChild) return;
      const dst = net.groupIndex[g].get(to);
      const declared = net.declaredPorts(g, dst);
      const p = conn >= 0 ? examplePort(net.conns[conn], declared) : declared[0] || ["TCP", 443];
      body.appendChild(h("p", { class: "muted" }, "\u2026"));
      explain(from, to, p[0], p[1]).then((r) => {
        clear(body);
        if (r.error) {
          body.appendChild(h("div", { class: "unavailable" }, r.error));
          return;
        }
        body.appendChild(r.example ? verdictView(r.example) : verdictView(r.denied));
        if (r.allowed && !r.all_allowed)
          body.appendChild(
            h("p", { class: "muted" }, `${r.allowed_pairs} of ${r.pairs} pod pairs allowed on ${p[0]}/${p[1]}`),
          );
      });
    });
    return item;
  }

  function select(id, fromGraph) {
    const g = state.g;
    const i = net.groupIndex[g].get(id);
    if (i === undefined) return;
    state.selected = id;
    pick.value = id;
    if (state.graph) state.graph.select(id);
    const names = net.groups[g];
    const out = net.outgoing(g, i);
    const inc = net.incoming(g, i);
    clear(panel).appendChild(
      h(
        "div",
        { class: "node-panel", "data-testid": "node-panel" },
        h("h3", null, id),
        h(
          "p",
          { class: "muted" },
          "Open a flow to see the deciding egress and ingress rule of one pod pair on a port the flow allows.",
        ),
        h("h4", null, `reaches (${out.length})`),
        out.length
          ? h(
              "div",
              { class: "flows", "data-testid": "reaches" },
              out.slice(0, 300).map(([d, c]) => explainItem(g, id, names[d], c, { node: names[d], label: names[d] })),
            )
          : h("p", { class: "muted" }, "nothing"),
        out.length > 300 ? h("p", { class: "muted" }, `and ${out.length - 300} more: see the flow table`) : null,
        h("h4", null, `reached by (${inc.length})`),
        inc.length
          ? h(
              "div",
              { class: "flows", "data-testid": "reached-by" },
              inc.slice(0, 300).map(([s, c]) => explainItem(g, names[s], id, c, { node: names[s], label: names[s] })),
            )
          : h("p", { class: "muted" }, "nothing"),
        inc.length > 300 ? h("p", { class: "muted" }, `and ${inc.length - 300} more: see the flow table`) : null,
      ),
    );
    void fromGraph;
  }

  function flowRows() {
    const g = state.g;
    const names = net.groups[g];
    const sc = scopeIndices(g);
    const want = filter.value;
    const rows = [];
    const add = (s, d) => {
      if (s === d && net.groupPods(g, s).length < 2) return;
      const c = net.cell(g, s, d);
      if ((want === "allowed" && c < 0) || (want === "denied" && c >= 0)) return;
      rows.push([s, d, c]);
    };
    if (!sc) {
      if (names.length > 200) return null;
      for (let s = 0; s < names.length; s++) for (let d = 0; d < names.length; d++) add(s, d);
    } else {
      const inScope = new Set(sc);
      for (const s of sc) for (let d = 0; d < names.length; d++) add(s, d);
      for (let s = 0; s < names.length; s++) if (!inScope.has(s)) for (const d of sc) add(s, d);
    }
    return rows;
  }

  function drawTable() {
    const g = state.g;
    const names = net.groups[g];
    const rows = flowRows();
    clear(table);
    if (rows === null) {
      table.appendChild(
        h(
          "p",
          { class: "muted" },
          `${names.length} ${g}s: choose a namespace or workload in "scope" to list its flows.`,
        ),
      );
      return;
    }
    const allowed = rows.filter((r) => r[2] >= 0).length;
    table.appendChild(
      h(
        "p",
        { class: "muted", "data-testid": "flow-count" },
        `${rows.length} pair(s): ${allowed} allowed, ${rows.length - allowed} denied`,
      ),
    );
    const tbl = h(
      "table",
      { class: "grid flows-table" },
      h(
        "thead",
        null,
        h(
          "tr",
          null,
          h("th", { scope: "col" }, "from"),
          h("th", { scope: "col" }, "to"),
          h("th", { scope: "col" }, "verdict"),
          h("th", { scope: "col" }, "allowed connections"),
        ),
      ),
    );
    const body = h("tbody", null);
    tbl.appendChild(body);
    let shown = 0;
    const more = h("button", { type: "button", class: "more" }, "show more");
    function page() {
      for (const [s, d, c] of rows.slice(shown, shown + PAGE)) {
        const cell = h("td", null);
        const item = explainItem(g, names[s], names[d], c, {
          node: names[d],
          summary: c >= 0 ? portsText(net.conns[c]) : "nothing allowed (why?)",
        });
        cell.appendChild(item);
        body.appendChild(
          h(
            "tr",
            { class: c >= 0 ? "allowed" : "denied", "data-testid": "flow-row" },
            h("td", null, names[s]),
            h("td", null, names[d]),
            h("td", { class: c >= 0 ? "v-allow" : "v-deny" }, c >= 0 ? "allowed" : "denied"),
            cell,
          ),
        );
      }
      shown = Math.min(rows.length, shown + PAGE);
      more.hidden = shown >= rows.length;
      more.textContent = `show more (${rows.length - shown} left)`;
    }
    more.addEventListener("click", page);
    page();
    table.appendChild(tbl);
    table.appendChild(more);
  }

  function redraw() {
    // a change event repeats on blur: draw only what changed
    const key = gsel.value + "\u0000" + scope.value.trim();
    if (key === state.drawn) return;
    state.drawn = key;
    state.g = gsel.value;
    state.selected = null;
    fillPick();
    clear(panel).appendChild(
      h(
        "p",
        { class: "muted" },
        "Click a node (or choose it in the list) to see what it reaches and what reaches it; open a flow for the deciding rules.",
      ),
    );
    hooks.graphReady = null;
    drawTable();
    // draw after the container is laid out (cytoscape measures it)
    requestAnimationFrame(drawGraph);
  }
  gsel.addEventListener("change", redraw);
  scope.addEventListener("change", redraw);
  filter.addEventListener("change", drawTable);
  pick.addEventListener("change", () => {
    if (pick.value) select(pick.value, false);
  });

  const wrap = h(
    "div",
    null,
    lists,
    h("h3", null, "Can it reach? (path query)"),
    net.explainable || api ? form : h("p", { class: "muted" }, "explanations are not part of this document"),
    answer,
    h("h3", null, "Graph"),
    h("div", { class: "toolbar" }, labelled("view", gsel), labelled("scope", scope), labelled("endpoint", pick)),
    legend,
    note,
    h("div", { class: "graph-wrap" }, container, panel),
    h("h3", null, "Flows"),
    h("div", { class: "toolbar" }, labelled("show", filter), h("span", { class: "muted" }, "scoped like the graph")),
    table,
  );
  wrap.ekstwinMount = redraw;
  hooks.select = (id) => select(id, false);
  return wrap;
}

// The tab: the section, or why there is nothing to draw.
export function networkView(views, api) {
  const { data, missing } = sectionData(views, "network", "Connectivity graph");
  if (missing) return missing;
  if (!data.pods.length)
    return h(
      "p",
      { class: "muted", "data-testid": "empty" },
      "no pods in the input: give Kubernetes manifests with workloads or pods to see their connectivity",
    );
  return connectivityView(data, window.ekstwin, api);
}

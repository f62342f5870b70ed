// The connectivity graph: cytoscape over the net engine's matrix, and the
// panel that lists what a clicked node reaches and what reaches it.

import cytoscape from "cytoscape";
import { h, clear, location } from "./dom.js";

export function portsText(allow) {
  if (!allow || allow.length === 0) return "nothing";
  return allow
    .map((c) => {
      const all = c.ports.length === 1 && c.ports[0][1] === 65535 && c.ports[0][0] <= 1;
      const ports = all ? "all" : c.ports.map(([a, b]) => (a === b ? `${a}` : `${a}-${b}`)).join(", ");
      return `${c.protocol} ${ports}`;
    })
    .join("; ");
}

function decision(label, d) {
  if (!d) return null;
  return h(
    "div",
    { class: "decision " + (d.allowed ? "allow" : "deny") },
    h("span", { class: "dir" }, label),
    h("span", { class: "verdict" }, d.allowed ? "allow" : "deny"),
    h("span", { class: "msg" }, d.message),
    location(d.file, d.line),
  );
}

export function verdictView(v) {
  if (!v) return h("div", { class: "muted" }, "no pod pair to explain");
  return h(
    "div",
    { class: "why" },
    h("div", { class: "example" }, `e.g. ${v.from} \u2192 ${v.to} ${v.protocol}/${v.port}: `, h("b", null, v.allowed ? "ALLOWED" : "DENIED")),
    decision("egress", v.egress),
    decision("ingress", v.ingress),
  );
}

function flowItem(f, other) {
  return h(
    "li",
    { class: "flow", "data-node": other },
    h("div", { class: "flow-head" }, h("b", null, other), " ", h("span", { class: "ports" }, portsText(f.allow))),
    verdictView(f.why),
  );
}

export function nodePanel(graph, id) {
  const out = graph.flows.filter((f) => f.from === id);
  const inc = graph.flows.filter((f) => f.to === id);
  return h(
    "div",
    { class: "node-panel", "data-testid": "node-panel" },
    h("h3", null, id),
    h("h4", null, `reaches (${out.length})`),
    out.length ? h("ul", { class: "flows", "data-testid": "reaches" }, out.map((f) => flowItem(f, f.to))) : h("p", { class: "muted" }, "nothing"),
    h("h4", null, `reached by (${inc.length})`),
    inc.length ? h("ul", { class: "flows", "data-testid": "reached-by" }, inc.map((f) => flowItem(f, f.from))) : h("p", { class: "muted" }, "nothing"),
  );
}

function elements(graph) {
  const els = [];
  const workload = graph.granularity === "workload";
  if (workload) {
    const namespaces = new Set(graph.endpoints.map((e) => e.split("/")[0]));
    for (const ns of namespaces) els.push({ data: { id: "ns:" + ns, label: ns, kind: "namespace" } });
  }
  for (const e of graph.endpoints) {
    const data = { id: e, label: workload ? e.split("/").slice(1).join("/") : e, kind: "endpoint" };
    if (workload) data.parent = "ns:" + e.split("/")[0];
    els.push({ data });
  }
  graph.flows.forEach((f, i) => {
    if (f.from === f.to) return;
    els.push({ data: { id: "f" + i, source: f.from, target: f.to } });
  });
  return els;
}

// Namespaces on a grid, each holding its workloads on a small grid: stable
// positions that keep every namespace's box apart (force layouts overlap them).
function gridPositions(graph) {
  const byNs = new Map();
  for (const e of graph.endpoints) {
    const ns = e.split("/")[0];
    if (!byNs.has(ns)) byNs.set(ns, []);
    byNs.get(ns).push(e);
  }
  const cols = Math.ceil(Math.sqrt(byNs.size));
  const cell = 120;
  const inner = 3;
  const boxW = inner * cell + 40;
  const rowHeights = [];
  const entries = [...byNs.entries()];
  entries.forEach(([, members], i) => {
    const r = Math.floor(i / cols);
    const hgt = Math.ceil(members.length / inner) * 60 + 50;
    rowHeights[r] = Math.max(rowHeights[r] || 0, hgt);
  });
  const positions = {};
  entries.forEach(([, members], i) => {
    const r = Math.floor(i / cols);
    const c = i % cols;
    const top = rowHeights.slice(0, r).reduce((a, b) => a + b, 0);
    members.forEach((m, j) => {
      positions[m] = { x: c * boxW + (j % inner) * cell, y: top + Math.floor(j / inner) * 60 };
    });
  });
  return positions;
}

function layoutFor(graph) {
  if (graph.granularity === "workload") {
    const positions = gridPositions(graph);
    return { name: "preset", positions: (node) => positions[node.id()], padding: 20, fit: true };
  }
  return { name: "circle", padding: 30, fit: true, avoidOverlap: true };
}

export function mountGraph(container, panel, graph, onSelect) {
  clear(container);
  clear(panel).appendChild(h("p", { class: "muted" }, "Click a node to see what it reaches and what reaches it, with the deciding rules."));
  const cy = cytoscape({
    container,
    elements: elements(graph),
    wheelSensitivity: 0.3,
    style: [
      { selector: "node[kind = 'endpoint']", style: { label: "data(label)", "font-size": 11, "background-color": "#3b6ea5", width: 16, height: 16, color: "#1d2633", "text-valign": "bottom", "text-margin-y": 2 } },
      { selector: "node[kind = 'namespace']", style: { label: "data(label)", "font-size": 11, "font-weight": "bold", "background-color": "#eef2f7", "border-color": "#9fb1c7", "border-width": 1, "text-valign": "top", color: "#42526e", shape: "round-rectangle" } },
      { selector: "edge", style: { width: 1, "line-color": "#c3ccd8", "target-arrow-color": "#c3ccd8", "target-arrow-shape": "triangle", "arrow-scale": 0.6, "curve-style": "bezier", opacity: 0.25 } },
      { selector: "node.selected", style: { "background-color": "#d9822b", width: 20, height: 20 } },
      { selector: "edge.out", style: { "line-color": "#d9822b", "target-arrow-color": "#d9822b", opacity: 1, width: 2, "z-index": 10 } },
      { selector: "edge.in", style: { "line-color": "#2b8a3e", "target-arrow-color": "#2b8a3e", opacity: 1, width: 2, "z-index": 10 } },
      { selector: "node.faded", style: { opacity: 0.35 } },
      { selector: "edge.faded", style: { opacity: 0.06 } },
    ],
    layout: layoutFor(graph),
  });
  function select(id) {
    cy.elements().removeClass("selected out in faded");
    const node = cy.getElementById(id);
    if (node.empty()) return;
    node.addClass("selected");
    cy.elements().addClass("faded");
    node.removeClass("faded");
    node.outgoers("edge").removeClass("faded").addClass("out");
    node.incomers("edge").removeClass("faded").addClass("in");
    node.neighborhood("node").removeClass("faded");
    node.ancestors().removeClass("faded");
    clear(panel).appendChild(nodePanel(graph, id));
    if (onSelect) onSelect(id);
  }
  cy.on("tap", "node[kind = 'endpoint']", (ev) => select(ev.target.id()));
  container.ekstwinSelect = select;
  container.ekstwinCy = cy;
  return { cy, select };
}

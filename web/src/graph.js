// The connectivity graph (cytoscape) and the explanation views shared by the
// graph panel, the flow table, the path query and the diff.

import cytoscape from "cytoscape";
import { h, clear, location } from "./dom.js";

export function portsText(allow) {
  if (!allow || allow.length === 0) return "nothing";
  const whole = (c) => c.ports.length === 1 && c.ports[0][1] === 65535 && c.ports[0][0] <= 1;
  if (allow.length === 4 && allow.every(whole)) return "all traffic";
  return allow
    .map((c) => {
      const all = c.ports.length === 1 && c.ports[0][1] === 65535 && c.ports[0][0] <= 1;
      const ports = all ? "all ports" : c.ports.map(([a, b]) => (a === b ? `${a}` : `${a}-${b}`)).join(", ");
      return `${c.protocol} ${ports}`;
    })
    .join("; ");
}

// Calico and Kubernetes terms a newcomer meets in a decision, explained on hover.
const TERMS = [
  [
    "namespace profile",
    "Calico's per-namespace profile: after every tier passes, traffic is allowed (Kubernetes' default when no policy selects the pod)",
  ],
  [
    "end of tier",
    "a tier whose policies select the pod but have no matching rule denies the traffic (Calico's implicit end-of-tier deny)",
  ],
  ["tier", "Calico evaluates policy tiers in order; a Pass rule skips to the next tier"],
  [
    "no policy selects",
    "no NetworkPolicy or Calico policy selects this pod for this direction, so Kubernetes allows the traffic",
  ],
];

function termHint(message) {
  const hits = TERMS.filter(([t]) => (message || "").includes(t));
  return hits.length ? hits.map(([t, d]) => `${t}: ${d}`).join("\n") : null;
}

function decision(label, d) {
  if (!d)
    return h(
      "div",
      { class: "decision unknown" },
      h("span", { class: "dir" }, label),
      h("span", { class: "verdict" }, "unknown"),
    );
  return h(
    "div",
    { class: "decision " + (d.allowed ? "allow" : "deny"), "data-testid": "decision-" + label },
    h("span", { class: "dir" }, label),
    h("span", { class: "verdict" }, d.allowed ? "allow" : "deny"),
    h("span", { class: "msg", title: termHint(d.message) }, d.message),
    location(d.file, d.line),
  );
}

export function verdictView(v) {
  if (!v) return h("div", { class: "muted" }, "no pod pair to explain");
  return h(
    "div",
    { class: "why" },
    h(
      "div",
      { class: "example" },
      `e.g. pod ${v.from} \u2192 pod ${v.to} ${v.protocol}/${v.port}: `,
      h("b", null, v.allowed ? "ALLOWED" : "DENIED"),
    ),
    decision("egress", v.egress),
    decision("ingress", v.ingress),
    v.enforcer
      ? h(
          "div",
          { class: "muted" },
          `policies enforced by ${v.enforcer.name}${v.enforcer.assumed ? " (assumed)" : ""}`,
          v.enforcer.evidence.length ? ` \u2014 ${v.enforcer.evidence.join(", ")}` : "",
        )
      : null,
  );
}

// The answer of a path query (NetData.path).
export function pathView(r) {
  if (r.error) return h("div", { class: "unavailable", "data-testid": "path-error" }, r.error);
  const word = r.allowed ? (r.all_allowed ? "ALLOWED" : "PARTLY ALLOWED") : "DENIED";
  return h(
    "div",
    { class: "path-answer " + (r.allowed ? "allow" : "deny") },
    h("h4", { "data-testid": "path-verdict" }, `${r.from} \u2192 ${r.to} ${r.protocol}/${r.port}: ${word}`),
    h(
      "p",
      { class: "muted" },
      `${r.allowed_pairs} of ${r.pairs} pod pair(s) allowed`,
      r.problem ? ` \u2014 ${r.problem}` : "",
    ),
    r.example ? verdictView(r.example) : null,
    r.denied && r.example ? [h("p", { class: "muted" }, "a pair that is denied:"), verdictView(r.denied)] : null,
    r.denied && !r.example ? verdictView(r.denied) : null,
  );
}

const STYLE = [
  {
    selector: "node[kind = 'endpoint']",
    style: {
      label: "data(label)",
      "font-size": 11,
      "min-zoomed-font-size": 6,
      "background-color": "#2f5f8f",
      width: 16,
      height: 16,
      color: "#1d2633",
      "text-valign": "bottom",
      "text-margin-y": 2,
      "text-wrap": "ellipsis",
      "text-max-width": 110,
    },
  },
  {
    selector: "node[kind = 'namespace']",
    style: {
      label: "data(label)",
      "font-size": 11,
      "min-zoomed-font-size": 5,
      "font-weight": "bold",
      "background-color": "#eef2f7",
      "border-color": "#8193a8",
      "border-width": 1,
      "text-valign": "top",
      color: "#33415c",
      shape: "round-rectangle",
    },
  },
  {
    selector: "node[kind = 'peer']",
    style: {
      label: "data(label)",
      "font-size": 10,
      "min-zoomed-font-size": 9,
      "background-color": "#8193a8",
      shape: "diamond",
      width: 12,
      height: 12,
      color: "#33415c",
      "text-valign": "bottom",
    },
  },
  {
    selector: "edge",
    style: {
      width: 1,
      "line-color": "#9aa7b8",
      "target-arrow-color": "#9aa7b8",
      "target-arrow-shape": "triangle",
      "arrow-scale": 0.8,
      "curve-style": "bezier",
      opacity: 0.45,
    },
  },
  {
    selector: "edge.denied",
    style: {
      "line-style": "dashed",
      "line-color": "#c0392b",
      "target-arrow-color": "#c0392b",
      "target-arrow-shape": "tee",
      opacity: 0.9,
    },
  },
  { selector: "node.selected", style: { "background-color": "#b35c00", width: 20, height: 20 } },
  {
    selector: "edge.out",
    style: { "line-color": "#b35c00", "target-arrow-color": "#b35c00", opacity: 1, width: 2, "z-index": 10 },
  },
  {
    selector: "edge.in",
    style: { "line-color": "#1e7a34", "target-arrow-color": "#1e7a34", opacity: 1, width: 2, "z-index": 10 },
  },
  { selector: "node.faded", style: { opacity: 0.35 } },
  { selector: "edge.faded", style: { opacity: 0.06 } },
];

// Namespaces on a grid, each holding its workloads on a small grid: stable
// positions that keep every namespace's box apart (force layouts overlap them).
function gridPositions(ids) {
  const byNs = new Map();
  for (const e of ids) {
    const ns = e.split("/")[0];
    if (!byNs.has(ns)) byNs.set(ns, []);
    byNs.get(ns).push(e);
  }
  const cols = Math.ceil(Math.sqrt(byNs.size));
  const cell = 130;
  const inner = 3;
  const boxW = inner * cell + 50;
  const rowHeights = [];
  const entries = [...byNs.entries()];
  entries.forEach(([, members], i) => {
    const r = Math.floor(i / cols);
    rowHeights[r] = Math.max(rowHeights[r] || 0, Math.ceil(members.length / inner) * 60 + 60);
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

// spec: {granularity, nodes: [id], peers: [id] (drawn apart), edges: [[from, to]]}
export function mountGraph(container, spec, onSelect) {
  clear(container);
  // namespaces as boxes only for a whole workload view: a scoped view draws its
  // workloads in the middle and their peers around them (compounds are slow)
  const scoped = !!(spec.peers && spec.peers.length) || !!spec.scoped;
  const workload = spec.granularity === "workload" && !scoped;
  const els = [];
  const ids = [...spec.nodes, ...(spec.peers || [])];
  const peerSet = new Set(spec.peers || []);
  if (workload) {
    for (const ns of new Set(ids.map((e) => e.split("/")[0])))
      els.push({ data: { id: "ns:" + ns, label: ns, kind: "namespace" } });
  }
  for (const e of ids) {
    const data = {
      id: e,
      label: workload ? e.split("/").slice(1).join("/") : e,
      kind: peerSet.has(e) ? "peer" : "endpoint",
    };
    if (workload) data.parent = "ns:" + e.split("/")[0];
    els.push({ data });
  }
  spec.edges.forEach(([a, b], i) => {
    if (a !== b) els.push({ data: { id: "f" + i, source: a, target: b } });
  });
  const layout = workload
    ? (() => {
        const pos = gridPositions(ids);
        return { name: "preset", positions: (n) => pos[n.id()], padding: 20, fit: true };
      })()
    : scoped
      ? {
          name: "concentric",
          padding: 30,
          fit: true,
          avoidOverlap: true,
          minNodeSpacing: 12,
          concentric: (n) => (n.data("kind") === "peer" ? 1 : 2),
          levelWidth: () => 1,
        }
      : { name: "circle", padding: 30, fit: true, avoidOverlap: true };
  // many edges: straight lines draw much faster than curves
  const style =
    spec.edges.length > 300 ? [...STYLE, { selector: "edge", style: { "curve-style": "straight" } }] : STYLE;
  const cy = cytoscape({
    container,
    elements: els,
    wheelSensitivity: 0.3,
    style,
    layout,
    textureOnViewport: true,
    hideEdgesOnViewport: spec.edges.length > 300,
  });
  function select(id) {
    cy.remove("edge.denied");
    cy.elements().removeClass("selected out in faded");
    const node = cy.getElementById(id);
    if (node.empty()) return false;
    // what the selected node cannot reach: dashed red edges ending in a bar
    const reached = new Set(node.outgoers("node").map((n) => n.id()));
    const denied = cy
      .nodes("[kind = 'endpoint'], [kind = 'peer']")
      .filter((n) => n.id() !== id && !reached.has(n.id()));
    cy.add(
      denied
        .slice(0, 200)
        .map((n) => ({ group: "edges", data: { id: "x" + n.id(), source: id, target: n.id() }, classes: "denied" })),
    );
    node.addClass("selected");
    cy.elements().addClass("faded");
    node.removeClass("faded");
    node.outgoers("edge").not(".denied").removeClass("faded").addClass("out");
    node.incomers("edge").not(".denied").removeClass("faded").addClass("in");
    node.neighborhood("node").removeClass("faded");
    cy.edges(".denied").removeClass("faded");
    node.ancestors().removeClass("faded");
    return true;
  }
  cy.on("tap", "node[kind = 'endpoint'], node[kind = 'peer']", (ev) => onSelect(ev.target.id()));
  return { cy, select };
}

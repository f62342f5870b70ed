// IP capacity per subnet: one horizontal stacked bar per subnet (SVG).

import { h, svg } from "./dom.js";

const PARTS = [
  ["pods", "pods", "#3b6ea5"],
  ["warm", "warm pool", "#8fb3d9"],
  ["eni_primaries", "ENI primaries", "#6c7a89"],
  ["other", "other", "#b9a06b"],
  ["free", "free", "#e3e8ee"],
];

// `which`: "now" or "after" (the plan after its scenario).
export function ipChart(subnets, which = "now") {
  const rowH = 34;
  const labelW = 330;
  const barW = 520;
  const height = subnets.length * rowH + 30;
  const chart = svg("svg", {
    class: "ipchart",
    width: labelW + barW + 90,
    height,
    viewBox: `0 0 ${labelW + barW + 90} ${height}`,
    role: "img",
    "aria-label": "IP capacity per subnet",
  });
  subnets.forEach((s, i) => {
    const y = i * rowH + 6;
    const total = Math.max(1, s.usable);
    const use = s[which] || s.now;
    const used = s.usable - use.free;
    chart.appendChild(svg("text", { x: 0, y: y + 13, class: "lbl" }, `${s.subnet_id} ${s.zone}`));
    chart.appendChild(svg("text", { x: 0, y: y + 26, class: "sub" }, `${s.cidr}, ${s.usable} usable`));
    let x = labelW;
    for (const [key, label, color] of PARTS) {
      const n = use[key] || 0;
      const w = (Math.max(0, n) / total) * barW;
      if (w <= 0) continue;
      chart.appendChild(
        svg("rect", { x, y: y + 2, width: w, height: 22, fill: color }, svg("title", {}, `${label}: ${n}`)),
      );
      x += w;
    }
    const pct = Math.round((used / total) * 100);
    chart.appendChild(
      svg("text", { x: labelW + barW + 6, y: y + 18, class: pct >= 80 ? "lbl hot" : "lbl" }, `${pct}% used`),
    );
  });
  const legend = h(
    "div",
    { class: "legend" },
    PARTS.map(([, label, color]) =>
      h(
        "span",
        null,
        svg("svg", { width: 12, height: 12 }, svg("rect", { width: 12, height: 12, fill: color })),
        " ",
        label,
        " ",
      ),
    ),
  );
  return h("div", { class: "chart", "data-testid": "ip-chart" }, chart, legend);
}

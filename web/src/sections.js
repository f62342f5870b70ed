// What every tab shares: reading a section of the views document (docs/web.md),
// "not available" for a section whose engine failed, and small widgets.

import { h } from "./dom.js";

export const SEVERITIES = ["critical", "high", "medium", "low", "info"];

export function unavailable(name, sec) {
  return h(
    "div",
    { class: "unavailable", "data-testid": "unavailable" },
    `${name}: not available`,
    sec && sec.error ? ` (${sec.error})` : "",
  );
}

export function sectionData(views, name, label) {
  const sec = views.sections[name];
  if (!sec) return { missing: unavailable(label, null) };
  if (!sec.available) return { missing: unavailable(label, sec) };
  return { data: sec.data };
}

export function card(label, value, cls) {
  return h(
    "div",
    { class: "card " + (cls || "") },
    h("div", { class: "value" }, value),
    h("div", { class: "label" }, label),
  );
}

export function zonePicker(id, zones, onChange) {
  const sel = h(
    "select",
    { id, "aria-label": "availability zone lost" },
    h("option", { value: "" }, "none (as it is)"),
    zones.map((z) => h("option", { value: z }, `lose ${z}`)),
  );
  sel.addEventListener("change", () => onChange(sel.value));
  return h("label", { for: id }, "scenario: ", sel);
}

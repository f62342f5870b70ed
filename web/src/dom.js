// DOM helpers. Every string from the platform goes through createTextNode or
// setAttribute on a fixed attribute name (or a data-* one, which never runs
// anything): nothing is ever parsed as HTML.

const SAFE_ATTRS = new Set([
  "class",
  "id",
  "title",
  "type",
  "name",
  "placeholder",
  "value",
  "for",
  "role",
  "data-tab",
  "data-severity",
  "data-node",
  "data-testid",
  "aria-label",
  "aria-selected",
  "open",
  "colspan",
  "min",
  "max",
  "size",
  "autocomplete",
  "spellcheck",
  "list",
  "inputmode",
  "scope",
  "tabindex",
  "hidden",
  "rel",
  "target",
  "aria-live",
  "aria-controls",
  "aria-labelledby",
  "aria-pressed",
  "aria-expanded",
  "aria-describedby",
]);

// Links only to the project's documentation (https) or within the page.
function safeHref(v) {
  const s = String(v);
  return /^https:\/\/[^\s]+$/.test(s) || /^#[\w-]+$/.test(s);
}

export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === null || v === undefined || v === false) continue;
      if (k.startsWith("on") && typeof v === "function") {
        el.addEventListener(k.slice(2), v);
      } else if (k === "href") {
        if (!safeHref(v)) throw new Error("link not allowed: " + v);
        el.setAttribute(k, String(v));
      } else if (SAFE_ATTRS.has(k) || /^data-[a-z]+(-[a-z]+)*$/.test(k)) {
        el.setAttribute(k, v === true ? "" : String(v));
      } else {
        throw new Error("attribute not allowed: " + k);
      }
    }
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.appendChild(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

const SVG = "http://www.w3.org/2000/svg";

export function svg(tag, attrs, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (!/^[a-zA-Z-]+$/.test(k) || k.startsWith("on") || k === "href") {
      throw new Error("svg attribute not allowed: " + k);
    }
    el.setAttribute(k, String(v));
  }
  append(el, children);
  return el;
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

export function location(file, line) {
  if (!file) return null;
  return h("code", { class: "loc" }, line ? `${file}:${line}` : file);
}

// ekstwin web UI: renders the JSON the engines produced (report mode: embedded
// in the page; serve mode: fetched from /api/views) and runs the queries.
// Each tab is a module (tabs.js lists them); this is the shell around them.

import { h, append, clear } from "./dom.js";
import { makeApi, poll, statusBanner } from "./api.js";
import { unavailable } from "./sections.js";
import { tabsFor } from "./tabs.js";

function render(root, views, state, api) {
  clear(root);
  const tabs = tabsFor(views, api);
  if (!tabs.some(([id]) => id === state.tab)) state.tab = "summary";
  const nav = h("div", { class: "tabs", role: "tablist", "aria-label": "views" });
  const main = h("main", null);
  const panes = {};
  const buttons = [];
  for (const [id, label, view] of tabs) {
    // a pane is built when first shown: the first paint needs only the summary
    const wrap = h(
      "section",
      { class: "pane", id: "pane-" + id, role: "tabpanel", "aria-labelledby": "tab-" + id, tabindex: "0" },
      h("h2", null, label),
    );
    panes[id] = { wrap, view, label, pane: null };
    main.appendChild(wrap);
    const b = h(
      "button",
      {
        class: "tab",
        id: "tab-" + id,
        "data-tab": id,
        role: "tab",
        type: "button",
        "aria-controls": "pane-" + id,
        onclick: () => select(id, false),
      },
      label,
    );
    buttons.push(b);
    nav.appendChild(b);
  }
  nav.addEventListener("keydown", (e) => {
    const i = buttons.indexOf(document.activeElement);
    if (i < 0) return;
    let j = null;
    if (e.key === "ArrowRight") j = (i + 1) % buttons.length;
    else if (e.key === "ArrowLeft") j = (i - 1 + buttons.length) % buttons.length;
    else if (e.key === "Home") j = 0;
    else if (e.key === "End") j = buttons.length - 1;
    if (j === null) return;
    e.preventDefault();
    select(buttons[j].getAttribute("data-tab"), true);
  });
  function select(id, focus) {
    state.tab = id;
    for (const [pid, p] of Object.entries(panes)) {
      p.wrap.hidden = pid !== id;
      if (pid === id && !p.pane) {
        try {
          p.pane = p.view(views, api);
        } catch (err) {
          p.pane = unavailable(p.label, { error: String(err) });
        }
        p.wrap.appendChild(p.pane);
        if (p.pane.ekstwinMount) p.pane.ekstwinMount();
      }
    }
    for (const b of buttons) {
      const on = b.getAttribute("data-tab") === id;
      b.setAttribute("aria-selected", on ? "true" : "false");
      b.setAttribute("tabindex", on ? "0" : "-1");
      if (on && focus) b.focus();
    }
    window.ekstwin.shown = id;
  }
  append(root, [
    h(
      "header",
      null,
      h("h1", null, views.title),
      h("span", { class: "sub" }, api ? "live: reloads when the platform's files change" : "report"),
    ),
    h("nav", { "aria-label": "views" }, nav),
    main,
  ]);
  select(state.tab, false);
}

async function start() {
  const root = document.getElementById("app");
  const state = { tab: "summary" };
  window.ekstwin = { state };
  const embedded = document.getElementById("ekstwin-data");
  const raw = embedded ? embedded.textContent : "";
  if (raw && raw.trim() !== "null") {
    render(root, JSON.parse(raw), state, null);
    window.ekstwin.ready = true;
    return;
  }
  const api = makeApi();
  const banner = statusBanner(() => poller.refresh());
  document.body.insertBefore(banner.el, root);
  const poller = poll(api, {
    onViews(views, generation) {
      render(root, views, state, api);
      window.ekstwin.generation = generation;
      window.ekstwin.ready = true;
    },
    onStatus(status) {
      banner.show(status);
      window.ekstwin.pollStatus = status;
    },
  });
  await poller.first;
}

start().catch((err) => {
  const root = document.getElementById("app");
  clear(root).appendChild(h("div", { class: "unavailable" }, "could not start: " + String(err)));
});

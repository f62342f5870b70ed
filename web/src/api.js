// Talking to `ekstwin serve`: the API call (with the page's token) and the
// polling of /api/state that re-renders the page when the platform changes.
// A failed poll is shown, never swallowed: a banner names the error, says the
// page keeps what it last received, and offers to retry now (docs/web.md).

import { h, clear } from "./dom.js";

function tokenFromLocation() {
  const params = new URLSearchParams(window.location.search);
  return params.get("token") || "";
}

// api(path, params) -> the JSON body; a failed request or a non-2xx answer
// throws an Error whose message says which request and why.
export function makeApi() {
  const token = tokenFromLocation();
  return async (path, params) => {
    const q = new URLSearchParams(params || {});
    let res;
    try {
      res = await fetch(path + (q.toString() ? "?" + q : ""), { headers: token ? { "X-Ekstwin-Token": token } : {} });
    } catch (err) {
      throw new Error(`${path}: the server did not answer (${err.message || err})`);
    }
    let body = null;
    try {
      body = await res.json();
    } catch {
      if (res.ok) throw new Error(`${path}: the answer is not JSON`);
    }
    if (!res.ok) throw new Error((body && body.error) || `${path}: HTTP ${res.status} ${res.statusText}`);
    return body;
  };
}

// The banner above the page: a poll that failed (with a retry button), or a
// reload of the platform's files that failed on the server (/api/state's
// "error"; the server keeps the last good platform). Hidden when all is well.
export function statusBanner(retry) {
  const el = h("div", { id: "poll-status", class: "poll-status", role: "alert", "data-testid": "poll-status" });
  el.hidden = true;
  return {
    el,
    show({ error, reloadError }) {
      clear(el);
      el.hidden = !error && !reloadError;
      el.className = "poll-status" + (error ? " poll-error" : reloadError ? " reload-error" : "");
      if (error) {
        el.append(
          h("b", null, "Lost contact with the server: "),
          h("span", { "data-testid": "poll-error" }, error),
          h("span", null, " \u2014 the page shows what it last received and retries every 2 seconds. "),
          h("button", { type: "button", "data-testid": "poll-retry", onclick: retry }, "retry now"),
        );
      } else if (reloadError) {
        el.append(
          h("b", null, "The platform's files changed but could not be reloaded: "),
          h("span", { "data-testid": "reload-error" }, reloadError),
          h("span", null, " \u2014 the page shows the last platform that loaded."),
        );
      }
    },
  };
}

// Render the views document now and again whenever the server's generation
// grows; polls every `interval` milliseconds. onStatus gets {error,
// reloadError} after every poll (both null when it went well).
export function poll(api, { onViews, onStatus }, interval = 2000) {
  let generation = null;
  let running = null;
  async function once() {
    let st;
    let views = null;
    try {
      st = await api("/api/state");
      if (st.generation !== generation) views = await api("/api/views");
    } catch (err) {
      onStatus({ error: String(err.message || err), reloadError: null });
      return;
    }
    if (views) {
      generation = st.generation;
      onViews(views, generation);
    }
    onStatus({ error: null, reloadError: st.error || null });
  }
  // one poll at a time: a retry while one is under way waits for it
  function refresh() {
    if (!running) running = once().finally(() => (running = null));
    return running;
  }
  setInterval(refresh, interval);
  return { refresh, first: refresh() };
}

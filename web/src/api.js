// Talking to `ekstwin serve`: the API call (with the page's token) and the
// polling of /api/state that re-renders the page when the platform changes.

function tokenFromLocation() {
  const params = new URLSearchParams(window.location.search);
  return params.get("token") || "";
}

// api(path, params) -> the JSON body; a non-2xx answer throws its "error".
export function makeApi() {
  const token = tokenFromLocation();
  return async (path, params) => {
    const q = new URLSearchParams(params || {});
    const res = await fetch(path + (q.toString() ? "?" + q : ""), {
      headers: token ? { "X-Ekstwin-Token": token } : {},
    });
    const body = await res.json();
    if (!res.ok) throw new Error(body.error || res.statusText);
    return body;
  };
}

// Render the views document now and again whenever the server's generation
// grows; polls every `interval` milliseconds.
export async function poll(api, onViews, interval = 2000) {
  let generation = null;
  async function refresh() {
    const st = await api("/api/state");
    if (st.generation !== generation) {
      generation = st.generation;
      onViews(await api("/api/views"), generation);
    }
  }
  await refresh();
  setInterval(() => refresh().catch(() => {}), interval);
}

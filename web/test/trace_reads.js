(() => {
  // Records every property of the views document the page reads, as a path of
  // steps: a key, "[]" (an array element) or "{}" (a map's keys listed).
  const reads = new Set();
  let paused = 0;
  const parse = JSON.parse;
  const stringify = JSON.stringify;
  // the findings filter searches a finding's whole JSON text: not a field read
  JSON.stringify = function (...args) {
    paused++;
    try {
      return stringify.apply(this, args);
    } finally {
      paused--;
    }
  };
  const note = (steps) => {
    if (!paused) reads.add(stringify(steps));
  };
  const proxies = new WeakMap();
  function wrap(value, steps) {
    if (value === null || typeof value !== "object") return value;
    if (proxies.has(value)) return proxies.get(value);
    const isArray = Array.isArray(value);
    const proxy = new Proxy(value, {
      get(target, key, receiver) {
        const got = Reflect.get(target, key, receiver);
        if (typeof key === "symbol") return got;
        if (isArray) {
          if (!/^\d+$/.test(key)) return got;
          note([...steps, "[]"]);
          return wrap(got, [...steps, "[]"]);
        }
        if (typeof got === "function" && !Object.prototype.hasOwnProperty.call(target, key)) return got;
        note([...steps, key]);
        return wrap(got, [...steps, key]);
      },
      has(target, key) {
        if (typeof key !== "symbol" && !isArray) note([...steps, key]);
        return Reflect.has(target, key);
      },
      ownKeys(target) {
        if (!isArray) note([...steps, "{}"]);
        return Reflect.ownKeys(target);
      },
    });
    proxies.set(value, proxy);
    return proxy;
  }
  JSON.parse = function (text, reviver) {
    const value = parse(text, reviver);
    if (value && value.schema === "ekstwin-web" && !window.__ekstwinTraced) {
      window.__ekstwinTraced = true;
      return wrap(value, []);
    }
    return value;
  };
  const json = Response.prototype.json;
  Response.prototype.json = async function () {
    const value = await json.call(this);
    return new URL(this.url).pathname === "/api/views" ? wrap(value, []) : value;
  };
  window.__ekstwinReads = () => [...reads].sort();
})();

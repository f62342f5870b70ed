// The compact connectivity of the views document (docs/web.md, network.data):
// pods with their workload, namespace and class; the engine's namespace and
// workload matrices as rows of index ranges; each class's egress and ingress
// decision tables. Everything here is lookup: the engine decided every region.

const PROTOCOLS = ["TCP", "UDP", "SCTP", "ICMP"];

function inRanges(r, i) {
  // flat inclusive ranges [a0, b0, a1, b1, ...], sorted: binary search
  let lo = 0;
  let hi = r.length / 2 - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (i < r[2 * mid]) hi = mid - 1;
    else if (i > r[2 * mid + 1]) lo = mid + 1;
    else return true;
  }
  return false;
}

function* rangeItems(r) {
  for (let k = 0; k < r.length; k += 2) for (let i = r[k]; i <= r[k + 1]; i++) yield i;
}

function rangeCount(r) {
  let n = 0;
  for (let k = 0; k < r.length; k += 2) n += r[k + 1] - r[k] + 1;
  return n;
}

export function connsContain(conns, protocol, port) {
  for (const c of conns) if (c.protocol === protocol) return c.ports.some(([a, b]) => a <= port && port <= b);
  return false;
}

// A port worth showing in an example: a port the destination declares, then the
// usual web ports, then the first allowed one (never "TCP/1" for "all ports").
export function examplePort(conns, declared) {
  for (const [proto, port] of declared || []) if (connsContain(conns, proto, port)) return [proto, port];
  for (const [proto, port] of [
    ["TCP", 443],
    ["TCP", 80],
    ["TCP", 8080],
  ])
    if (connsContain(conns, proto, port)) return [proto, port];
  for (const c of conns) if (c.ports.length) return [c.protocol, c.ports[0][0]];
  return null;
}

// A decision that names its pod names the class representative; name this pod.
function named(d, pod) {
  if (!d || !d.subject) return d;
  const { subject, ...rest } = d;
  return { ...rest, message: rest.message.split(subject).join(pod) };
}

export class NetData {
  constructor(data) {
    this.data = data;
    this.pods = data.pods.map(([name, workload, namespace, cls, port]) => ({ name, workload, namespace, cls, port }));
    this.podIndex = new Map(this.pods.map((p, i) => [p.name, i]));
    this.conns = data.conns;
    this.groups = { namespace: data.namespaces, workload: data.workloads };
    this.groupIndex = {
      namespace: new Map(data.namespaces.map((n, i) => [n, i])),
      workload: new Map(data.workloads.map((n, i) => [n, i])),
    };
    this.rows = {};
    this.flowCount = {};
    for (const g of ["namespace", "workload"]) {
      const rows = new Array(this.groups[g].length).fill(null);
      let n = 0;
      for (const [src, cells] of data.matrix[g]) {
        rows[src] = cells;
        for (const [, r] of cells) n += rangeCount(r);
      }
      this.rows[g] = rows;
      this.flowCount[g] = n;
    }
    this.services = data.services;
    this.serviceIndex = new Map(this.services.map((s, i) => [s.name, i]));
    this._members = null;
  }

  // pods (indices) of a group, and classes -> member pods
  groupPods(g, i) {
    const key = g === "workload" ? "workload" : "namespace";
    if (!this._byGroup) this._byGroup = {};
    if (!this._byGroup[key]) {
      const out = this.groups[key].map(() => []);
      this.pods.forEach((p, pi) => {
        if (p[key] !== null && p[key] !== undefined) out[p[key]].push(pi);
      });
      this._byGroup[key] = out;
    }
    return this._byGroup[key][i];
  }

  classMembers() {
    if (!this._members) {
      this._members = [];
      this.pods.forEach((p, pi) => {
        (this._members[p.cls] = this._members[p.cls] || []).push(pi);
      });
    }
    return this._members;
  }

  // the allowed connection set of a group pair (index of conns) or -1
  cell(g, src, dst) {
    const cells = this.rows[g][src];
    if (!cells) return -1;
    for (const [c, r] of cells) if (inRanges(r, dst)) return c;
    return -1;
  }

  // [[dst, conn], ...] of a source group, destinations in order
  outgoing(g, src) {
    const out = [];
    for (const [c, r] of this.rows[g][src] || []) for (const d of rangeItems(r)) out.push([d, c]);
    return out.sort((a, b) => a[0] - b[0]);
  }

  incoming(g, dst) {
    const out = [];
    this.rows[g].forEach((cells, src) => {
      if (!cells) return;
      for (const [c, r] of cells)
        if (inRanges(r, dst)) {
          out.push([src, c]);
          break;
        }
    });
    return out;
  }

  declaredPorts(g, i) {
    const seen = new Set();
    const out = [];
    for (const pi of this.groupPods(g, i)) {
      const p = this.pods[pi].port;
      if (p && !seen.has(p.join("/"))) {
        seen.add(p.join("/"));
        out.push(p);
      }
    }
    return out;
  }

  // -- explanations by lookup in the decision tables

  get explainable() {
    return !!this.data.explain;
  }

  decision(sideIdx, peerClass, protocol, port) {
    const ex = this.data.explain;
    for (const [bits, regions] of ex.sides[sideIdx]) {
      if (!inRanges(bits, peerClass)) continue;
      for (const [c, d] of regions) if (connsContain(this.conns[c], protocol, port)) return ex.decisions[d];
    }
    return null;
  }

  // the verdict of pod srcPod -> pod dstPod (indices), as `net can` JSON
  podVerdict(si, di, protocol, port) {
    const a = this.pods[si];
    const b = this.pods[di];
    if (si === di) {
      const loop = {
        allowed: true,
        reason: "loopback",
        message: "a pod reaching itself is never filtered",
        tier: null,
        policy: null,
        rule: null,
        action: null,
        file: null,
        line: null,
        passed_tiers: [],
        logged_by: [],
      };
      return {
        from: a.name,
        to: b.name,
        protocol,
        port,
        allowed: true,
        egress: loop,
        ingress: { ...loop },
        enforcer: this.data.enforcer,
      };
    }
    const [eg] = this.data.explain.class_sides[a.cls];
    const [, ing] = this.data.explain.class_sides[b.cls];
    const egress = named(this.decision(eg, b.cls, protocol, port), a.name);
    const ingress = named(this.decision(ing, a.cls, protocol, port), b.name);
    return {
      from: a.name,
      to: b.name,
      protocol,
      port,
      allowed: !!(egress && ingress && egress.allowed && ingress.allowed),
      egress,
      ingress,
      enforcer: this.data.enforcer,
    };
  }

  // What a name in the path query means: a workload, a namespace, a pod or a Service.
  resolve(spec) {
    let text = (spec || "").trim();
    if (!text.includes("/") && !this.groupIndex.namespace.has(text)) {
      // a workload as the graph labels it (without its namespace), when unique
      const named = this.groups.workload.filter((w) => w.slice(w.indexOf("/") + 1) === text);
      if (named.length === 1) text = named[0];
    }
    if (this.serviceIndex.has(text))
      return { kind: "service", name: text, service: this.services[this.serviceIndex.get(text)] };
    if (this.groupIndex.workload.has(text))
      return { kind: "workload", name: text, pods: this.groupPods("workload", this.groupIndex.workload.get(text)) };
    if (this.podIndex.has(text)) return { kind: "pod", name: text, pods: [this.podIndex.get(text)] };
    if (this.groupIndex.namespace.has(text))
      return { kind: "namespace", name: text, pods: this.groupPods("namespace", this.groupIndex.namespace.get(text)) };
    return null;
  }

  // one representative pod per class of a pod list, with the class's size
  _byClass(pods) {
    const out = new Map();
    for (const pi of pods) {
      const c = this.pods[pi].cls;
      if (!out.has(c)) out.set(c, { pod: pi, n: 0 });
      out.get(c).n++;
    }
    return [...out.values()];
  }

  // Can `from` reach `to` on protocol/port? Over the pod pairs of the two sides:
  // how many pod pairs are allowed, and one allowed pair (or one denied pair)
  // explained with the deciding rule of each side.
  path(fromSpec, toSpec, protocol, port) {
    const src = this.resolve(fromSpec);
    const dst = this.resolve(toSpec);
    if (!src) return { error: `no workload, pod, namespace or Service named ${fromSpec}` };
    if (!dst) return { error: `no workload, pod, namespace or Service named ${toSpec}` };
    if (src.kind === "service") return { error: "a Service cannot be the source of a flow" };
    const targets = [];
    let problem = null;
    if (dst.kind === "service") {
      const sp = dst.service.ports.find((p) => p.port === port && p.protocol === protocol);
      if (!sp) problem = `Service has no ${protocol} port ${port}`;
      else {
        problem = sp.problem;
        for (const [pi, tport] of sp.backends) targets.push([pi, tport]);
      }
    } else for (const pi of dst.pods) targets.push([pi, port]);
    const sources = this._byClass(src.pods);
    let pairs = 0;
    let allowedPairs = 0;
    let example = null;
    let denied = null;
    // group the targets by (class, port): every pod of a class is decided alike
    const tgroups = new Map();
    for (const [pi, tport] of targets) {
      const key = this.pods[pi].cls + "/" + tport;
      if (!tgroups.has(key)) tgroups.set(key, { pod: pi, port: tport, pods: [] });
      tgroups.get(key).pods.push(pi);
    }
    for (const s of sources) {
      const srcPods = src.pods.filter((pi) => this.pods[pi].cls === this.pods[s.pod].cls);
      const srcSet = new Set(srcPods);
      for (const t of tgroups.values()) {
        const self = t.pods.filter((pi) => srcSet.has(pi)).length; // a pod to itself: never filtered
        const total = srcPods.length * t.pods.length;
        const distinct = total - self;
        pairs += total;
        allowedPairs += self;
        let a = srcPods[0];
        let b = t.pods.find((pi) => pi !== a);
        if (b === undefined) {
          b = t.pods[0];
          a = srcPods.find((pi) => pi !== b);
          if (a === undefined) a = b;
        }
        const v = this.podVerdict(a, b, protocol, t.port);
        if (v.allowed) {
          allowedPairs += distinct;
          if (!example) example = v;
        } else if (!denied) denied = v;
      }
    }
    return {
      from: src.name,
      to: dst.name,
      from_kind: src.kind,
      to_kind: dst.kind,
      protocol,
      port,
      allowed: allowedPairs > 0,
      all_allowed: pairs > 0 && allowedPairs === pairs,
      pairs,
      allowed_pairs: allowedPairs,
      problem,
      example,
      denied,
    };
  }

  defaultPort(toSpec, fromSpec) {
    const dst = this.resolve(toSpec);
    if (!dst) return null;
    if (dst.kind === "service") {
      const p = dst.service.ports[0];
      return p ? [p.protocol, p.port] : null;
    }
    const declared = [];
    for (const pi of dst.pods) {
      const p = this.pods[pi].port;
      if (p) {
        declared.push(p);
        break;
      }
    }
    if (declared.length) return declared[0];
    const src = this.resolve(fromSpec);
    if (src && src.kind === "workload" && dst.kind === "workload") {
      const c = this.cell("workload", this.groupIndex.workload.get(src.name), this.groupIndex.workload.get(dst.name));
      if (c >= 0) return examplePort(this.conns[c], []);
    }
    return ["TCP", 443];
  }
}

export { PROTOCOLS, inRanges, rangeCount };

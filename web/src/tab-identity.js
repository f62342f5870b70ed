// The Identity chains tab: people from GitHub to AWS and Kubernetes, and the
// workloads' AWS credentials.

import { h, clear, location } from "./dom.js";
import { sectionData } from "./sections.js";

function stepList(steps, secure) {
  return h(
    "ol",
    { class: "chain" },
    steps.map((s) =>
      h(
        "li",
        { class: s.ok ? "ok" : secure ? "secure" : "fail" },
        h("b", null, s.ok ? "ok " : secure ? "blocked " : "FAIL "),
        `${s.step}: ${s.detail}`,
      ),
    ),
  );
}

function clientName(p, id) {
  const c = p.clients.find((x) => x.client_id === id);
  if (!c) return id;
  return `${c.name || id} (${c.protocol === "saml" ? "SAML" : c.protocol === "openid-connect" ? "OIDC" : c.protocol} client ${id})`;
}

function personPanel(p) {
  if (p.error) return h("div", { class: "unavailable" }, `${p.login}: ${p.error}`);
  const row = (cls, ...kids) => h("div", { class: "chain-row " + (cls || "") }, ...kids);
  return h(
    "div",
    { class: "person", "data-testid": "person-panel" },
    h("h3", null, `GitHub ${p.github_login}`),
    h(
      "ol",
      { class: "chain-steps" },
      h(
        "li",
        null,
        p.keycloak_user
          ? `Keycloak user ${p.keycloak_user} in realm ${p.realm}${p.enabled ? "" : " (disabled)"}`
          : "no Keycloak user is linked to this GitHub login",
      ),
      p.clients.length
        ? h("li", null, "signs in to: ", p.clients.map((c) => clientName(p, c.client_id)).join("; "))
        : null,
    ),
    h("h4", null, `AWS roles (${p.aws_roles.length})`),
    p.aws_roles.length ? null : h("p", { class: "muted" }, "none: no SAML client maps this person to an AWS role"),
    p.aws_roles.map((r) =>
      row(
        r.assumable ? "ok" : "fail",
        h(
          "div",
          { "data-testid": "aws-role" },
          `${clientName(p, r.client_id)} \u2192 ${r.role_arn}: `,
          h("b", null, r.assumable ? "assumable" : "NOT assumable"),
        ),
        h("div", { class: "muted" }, r.reason),
        r.granted_by.length ? h("div", { class: "muted" }, "granted by " + r.granted_by.join(", ")) : null,
        r.permissions.length
          ? h(
              "div",
              null,
              "may: " +
                r.permissions
                  .map((x) => `${x.effect} ${x.actions.join(",")}${x.conditional ? " (conditional)" : ""}`)
                  .join("; "),
            )
          : null,
      ),
    ),
    h("h4", null, `Kubernetes (${p.kubernetes.length} sign-in path(s))`),
    p.kubernetes.length
      ? null
      : h("p", { class: "muted" }, "none: no role or OIDC client of this person reaches the cluster"),
    p.kubernetes.map((k) =>
      row(
        k.authentication && k.authentication.mapped === false ? "fail" : "ok",
        h(
          "div",
          { "data-testid": "k8s-identity" },
          k.sign_in === "oidc" ? "kubectl OIDC sign-in" : `as AWS role ${k.role_arn}`,
          ` \u2192 user ${k.username}, groups ${k.groups.join(", ") || "none"}`,
        ),
        k.authentication
          ? h(
              "ol",
              { class: "chain" },
              k.authentication.steps.map((st) => h("li", null, st)),
              k.authentication.notes.map((n) => h("li", { class: "muted" }, n)),
            )
          : null,
        k.capabilities.length
          ? h(
              "div",
              { "data-testid": "capabilities" },
              h("b", null, "can: "),
              k.capabilities.map((c) => `${c.ability} in ${c.scope}`).join("; "),
            )
          : h("div", { class: "muted" }, "no sensitive capability (create pods, exec, secrets, escalation)"),
        h(
          "details",
          null,
          h("summary", null, `grants (${k.grants.length})`),
          k.grants.map((g) =>
            h(
              "div",
              { class: "grant" },
              h("b", null, g.scope),
              ` via ${g.via}`,
              g.source ? location(g.source) : null,
              h(
                "ul",
                null,
                g.rules.map((r) => h("li", null, r)),
              ),
            ),
          ),
        ),
      ),
    ),
    p.notes.map((n) => h("p", { class: "muted" }, n)),
  );
}

// The node role through instance metadata, refused by every node's IMDS settings
// (IMDSv2 with hop limit 1, or the endpoint disabled): the hardened outcome.
function imdsBlocked(r) {
  return (
    r.via === "node-role" && !r.obtained && r.chain.length > 0 && r.chain.every((st) => st.step === "imds" && !st.ok)
  );
}

export function identityView(views) {
  const { data, missing } = sectionData(views, "identity", "Identity chains");
  if (missing) return missing;
  const people = data.people;
  const out = h("div", null);
  out.appendChild(h("h3", null, `People (${people.length})`));
  if (!people.length)
    out.appendChild(
      h(
        "p",
        { class: "muted", "data-testid": "empty" },
        data.people_empty || "no people: give a Keycloak realm export with GitHub-linked users",
      ),
    );
  else {
    const pick = h(
      "select",
      { id: "person", "aria-label": "person" },
      h("option", { value: "" }, `\u2014 choose one of ${people.length} \u2014`),
      people.map((p, i) => h("option", { value: String(i) }, p.github_login || p.login)),
    );
    const panel = h("div", null);
    pick.addEventListener("change", () => {
      clear(panel);
      if (pick.value !== "") panel.appendChild(personPanel(people[Number(pick.value)]));
    });
    out.appendChild(h("label", { for: "person" }, "GitHub user ", pick));
    out.appendChild(panel);
  }
  const pods = data.pods;
  const obtains = pods.filter((p) => p.roles.some((r) => r.obtained));
  const others = pods.filter((p) => !p.roles.some((r) => r.obtained));
  const podView = (p) =>
    h(
      "details",
      { class: "identity", "data-workload": p.workload },
      h(
        "summary",
        null,
        h("b", null, p.workload),
        ` (pod ${p.pod}, ServiceAccount ${p.service_account})`,
        ` \u2014 ${
          p.roles
            .filter((r) => r.obtained)
            .map((r) => r.role_arn)
            .join(", ") || "no role"
        }`,
      ),
      p.roles.map((r) =>
        h(
          "div",
          { class: "chain-row " + (r.obtained ? "ok" : imdsBlocked(r) ? "secure" : "fail") },
          h(
            "div",
            null,
            `${r.via}: ${r.role_arn} \u2014 `,
            h(
              "b",
              null,
              r.obtained ? "obtained" : imdsBlocked(r) ? "instance metadata blocked (secure)" : "NOT obtained",
            ),
            r.failure ? ` (${r.failure})` : "",
          ),
          stepList(r.chain, imdsBlocked(r)),
          r.permissions.length
            ? h(
                "div",
                { class: "muted" },
                "may " + r.permissions.map((x) => `${x.effect} ${x.actions.join(",")}`).join("; "),
              )
            : null,
        ),
      ),
      p.image_pulls.map((i) =>
        h("div", { class: "chain-row " + (i.ok === false ? "fail" : "ok") }, `image ${i.image}: ${i.reason}`),
      ),
    );
  out.appendChild(h("h3", null, `Workloads with AWS credentials (${obtains.length})`));
  if (!pods.length)
    out.appendChild(
      h(
        "p",
        { class: "muted", "data-testid": "empty" },
        data.pods_empty || "no workload obtains AWS credentials or pulls from ECR",
      ),
    );
  out.appendChild(h("div", { "data-testid": "with-credentials" }, obtains.map(podView)));
  if (others.length) {
    out.appendChild(h("h3", null, `Workloads that obtain no role (${others.length})`));
    out.appendChild(
      h(
        "p",
        { class: "muted" },
        "They pull images from ECR or try a role and fail; a blocked instance-metadata path is the secure outcome.",
      ),
    );
    out.appendChild(h("div", { "data-testid": "without-credentials" }, others.map(podView)));
  }
  return out;
}

// Bundle the front end into the Python package's static files:
//   src/ekstwin/web/static/app.js, app.css and BUILD_INPUTS (a hash of what
//   went in, checked by tests/web/test_static_bundle.py).
// Run: cd web && npm ci && node build.mjs
import { build } from "esbuild";
import { createHash } from "node:crypto";
import { readFileSync, readdirSync, writeFileSync, mkdirSync, copyFileSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
// EKSTWIN_WEB_OUT builds elsewhere (the staleness test compares the two).
const out = process.env.EKSTWIN_WEB_OUT || join(here, "..", "src", "ekstwin", "web", "static");
mkdirSync(out, { recursive: true });

await build({
  entryPoints: [join(here, "src", "app.js")],
  bundle: true,
  minify: true,
  format: "iife",
  target: ["es2020"],
  legalComments: "eof",
  outfile: join(out, "app.js"),
  logLevel: "warning",
});
copyFileSync(join(here, "src", "app.css"), join(out, "app.css"));

// The inputs' hash: every source file and the lock file, in name order.
const hash = createHash("sha256");
const files = [
  "package-lock.json",
  "build.mjs",
  ...readdirSync(join(here, "src"))
    .sort()
    .map((f) => "src/" + f),
];
for (const f of files) {
  hash.update(f + "\0");
  hash.update(readFileSync(join(here, f)));
  hash.update("\0");
}
writeFileSync(join(out, "BUILD_INPUTS"), hash.digest("hex") + "\n");

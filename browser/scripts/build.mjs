// Bundle the ballot page's script: `node scripts/build.mjs OUT` (npm run build).
//
// Reproducible: the same sources and lock file give the same bytes (esbuild
// is deterministic; no timestamps, no source map, no minification, paths
// relative to browser/). scripts/check-browser-bundle rebuilds and compares
// with the committed static/js/teller-ballot.js.

import { build } from "esbuild";
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const out = process.argv[2];
if (!out) {
  console.error("usage: node scripts/build.mjs OUT.js");
  process.exit(2);
}
const lock = JSON.parse(readFileSync(resolve(here, "package-lock.json"), "utf8"));
const version = (name) => lock.packages[`node_modules/${name}`].version;

await build({
  absWorkingDir: here,
  entryPoints: ["src/booth.js"],
  outfile: resolve(process.cwd(), out),
  bundle: true,
  format: "iife",
  platform: "browser",
  target: "es2020",
  minify: false,
  sourcemap: false,
  legalComments: "inline",
  charset: "ascii",
  logLevel: "warning",
  banner: {
    js: [
      "// Teller: encrypted ballots on the member's device (audit/FORMAT.md, sections 14 to 16.10).",
      "// Generated from browser/src by `npm run build` in browser/ (esbuild " + version("esbuild") + ",",
      "// @noble/curves " + version("@noble/curves") + ", @noble/hashes " + version("@noble/hashes") + "). Do not edit: edit browser/src.",
    ].join("\n"),
  },
});

// How long the member's device takes to encrypt and prove the example
// ballot (issue 13: under 300 ms in Node on this machine, and the figure
// per option). `node bench.mjs [RUNS] [WINDOW]` (npm run bench); WINDOW
// replaces the tables' window (src/group.js TABLE_WINDOW) for comparison.
//
// Three figures:
// - cold: a fresh Node process encrypts one ballot, building the window
//   tables of g and h (§D: `h.precompute(8)`) and warming the JIT on the
//   way; the worst case, as on a page that did nothing before the submit;
// - page: booth.js's warm-up first (the tables and a throwaway proof, done
//   while the member reads the ballot), then one ballot, in a fresh process;
// - warm: the same process encrypting ballot after ballot.
// Each with the work split into encryption, selection proofs and contest
// proofs, and divided by the 12 options of the example.

import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { cpus, loadavg } from "node:os";
import { createBallot, warmUp } from "./src/ballot.js";
import { combine, encrypt } from "./src/elgamal.js";
import { Fn, G, TABLE_WINDOW, elementBytes } from "./src/group.js";
import { proveContest, proveSelection } from "./src/proofs.js";
import { exampleElection, seeded } from "./fixtures/example.mjs";

const choices = { directors: ["amara-okafor", "priya-raman"], treasurer: [], "bylaw-amendment-7": ["yes"] };
const OPTIONS = 12;

const window = Number(process.argv[process.argv[2] === "--child" ? 4 : 3] ?? TABLE_WINDOW);
G.precompute(window); // before any use: the table is built lazily
const example = () => {
  const e = exampleElection();
  e.params.h.precompute(window);
  return e;
};

/** One ballot in this process; prints JSON {tables, ballot} in ms. */
function once(buildTablesFirst) {
  const t0 = performance.now();
  const { params } = example();
  let tables = 0;
  if (buildTablesFirst) {
    warmUp(params, seeded("bench-warm-up"));
    tables = performance.now() - t0;
  }
  const t1 = performance.now();
  createBallot(params, choices, seeded("bench-once"));
  return { tables, ballot: performance.now() - t1 };
}

if (process.argv[2] === "--child") {
  console.log(JSON.stringify(once(process.argv[3] === "page")));
  process.exit(0);
}

const runs = Number(process.argv[2] ?? 15);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const p90 = (xs) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * 0.9))];
const fmt = (ms) => `${ms.toFixed(1)} ms`;
const child = (mode) =>
  JSON.parse(execFileSync(process.execPath, [fileURLToPath(import.meta.url), "--child", mode, String(window)], { encoding: "utf8" }));

console.log(`node ${process.version}, ${cpus().length} cores (${cpus()[0]?.model ?? "?"}), load average ${loadavg().map((l) => l.toFixed(2)).join(" ")}`);
console.log(`example ballot: ${OPTIONS} options in 3 contests (7 + 2 + 3; L = 3, 1, 1), tables of window ${window}, ${runs} runs each\n`);

const cold = Array.from({ length: Math.min(runs, 7) }, () => child("cold").ballot);
console.log(`cold (fresh process, tables built during the ballot): median ${fmt(median(cold))}, ${fmt(median(cold) / OPTIONS)} per option`);

const page = Array.from({ length: Math.min(runs, 7) }, () => child("page"));
console.log(
  `page (fresh process, warm-up first: median ${fmt(median(page.map((x) => x.tables)))}): ` +
    `ballot median ${fmt(median(page.map((x) => x.ballot)))}, ${fmt(median(page.map((x) => x.ballot)) / OPTIONS)} per option`,
);

// Warm: the same process, after a few ballots.
const { params } = example();
for (let i = 0; i < 3; i++) createBallot(params, choices, seeded(`warmup-${i}`));
const warm = [];
const parts = { encrypt: [], selections: [], contests: [] };
for (let i = 0; i < runs; i++) {
  const random = seeded(`warm-${i}`);
  let t = performance.now();
  createBallot(params, choices, random);
  warm.push(performance.now() - t);

  // The same work, split: 15 encryptions (12 options, 3 indicators), 12
  // selection proofs, 3 contest proofs.
  const withBytes = (point) => ({ point, bytes: elementBytes(point) });
  const fp = params.fp;
  const nonce = random(16);
  t = performance.now();
  const enc = params.limits.map(({ options }) => {
    const rs = options.map(() => Fn.create(BigInt(i + 7) * 1000003n + BigInt(options.length)));
    const counts = options.map((_, k) => (k === 0 ? 1 : 0));
    const cts = options.map((_, k) => encrypt(params.h, counts[k], rs[k]));
    const rx = Fn.create(BigInt(i + 11) * 7919n);
    const ind = encrypt(params.h, 1, rx);
    const all = cts.map((ct) => ({ alpha: withBytes(ct.alpha), beta: withBytes(ct.beta) }));
    return { rs, counts, cts, all, rx, ind: { alpha: withBytes(ind.alpha), beta: withBytes(ind.beta) } };
  });
  parts.encrypt.push(performance.now() - t);
  t = performance.now();
  params.limits.forEach(({ id, options, p }, ci) => {
    options.forEach((option, k) => {
      const { all, counts, rs } = enc[ci];
      proveSelection({ fp, nonce, contest: id, option, p, h: params.h, alpha: all[k].alpha, beta: all[k].beta, m: counts[k], r: rs[k], random });
    });
  });
  parts.selections.push(performance.now() - t);
  t = performance.now();
  params.limits.forEach(({ id, L }, ci) => {
    const { cts, rs, rx, ind } = enc[ci];
    const sum = cts.reduce(combine);
    proveContest({
      fp, nonce, contest: id, L, h: params.h,
      indicator: [ind.alpha, ind.beta],
      sum: [withBytes(sum.alpha), withBytes(sum.beta)],
      b: 1, total: 1, rx, R: rs.reduce((a, b) => Fn.add(a, b), 0n), random,
    });
  });
  parts.contests.push(performance.now() - t);
}
console.log(`warm (same process): median ${fmt(median(warm))}, p90 ${fmt(p90(warm))}, min ${fmt(Math.min(...warm))}; ${fmt(median(warm) / OPTIONS)} per option`);
console.log(
  `  of which (medians): 15 encryptions ${fmt(median(parts.encrypt))}, ` +
    `12 selection proofs ${fmt(median(parts.selections))} (${fmt(median(parts.selections) / OPTIONS)} each), ` +
    `3 contest proofs ${fmt(median(parts.contests))} (8 branches in all)`,
);
const target = 300;
const worst = Math.max(median(cold), median(warm));
console.log(`\ntarget < ${target} ms: ${worst < target ? "met" : "NOT met"} (worst median ${fmt(worst)})`);

// Ballots made by the browser code, for the Rust verifier to check
// (issue 13: "ballots produced by the browser code … are accepted by the
// Rust verifier"). Every value is fixed: trustees' secrets from labels (§B),
// each ballot's randomness from a seeded stream, so the file is the same on
// every run.
//
//   node scripts/make-fixture.mjs OUT.json           write it
//   node scripts/make-fixture.mjs --check OUT.json   fail if OUT.json is not what this makes
//
// npm run fixture writes ../audit/tests/fixtures/js-ballots.json.

import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { auditedBallot, createBallot } from "../src/ballot.js";
import { encodeScalar, toHex } from "../src/group.js";
import { verifyAudited, verifyBallot } from "../src/verify.js";
import { copy, exampleDefinition, exampleElection, seeded } from "../fixtures/example.mjs";

const args = process.argv.slice(2);
const check = args[0] === "--check";
const out = check ? args[1] : args[0];
if (!out) {
  console.error("usage: node scripts/make-fixture.mjs [--check] OUT.json");
  process.exit(2);
}

const cumulative = copy(exampleDefinition);
cumulative.contests[0].method = { kind: "cumulative", points: 3 };
cumulative.contests[1].method = { kind: "approval" };

const elections = [
  {
    name: "example",
    election: "2a6f16d2-c738-4ef1-8402-71c1bfa25a25",
    definition: exampleDefinition,
    ballots: [
      { name: "example", weight: "1", choices: { directors: ["amara-okafor", "priya-raman"], treasurer: [], "bylaw-amendment-7": ["yes"] } },
      { name: "blank", weight: "1", choices: { directors: [], treasurer: [], "bylaw-amendment-7": [] } },
      { name: "full", weight: "2.5", choices: { directors: ["daniel-brooks", "rosa-delgado", "samuel-adeyemi"], treasurer: ["omar-haddad"], "bylaw-amendment-7": ["abstain"] } },
    ],
    audited: ["example"],
  },
  {
    name: "cumulative-and-approval",
    election: "6f1c3c9e-5d1b-4a4e-9d9e-2f3b8c7a1e05",
    definition: cumulative,
    ballots: [
      { name: "points", weight: "1", choices: { directors: ["amara-okafor", "amara-okafor", "tomasz-nowak"], treasurer: ["grace-whitfield", "omar-haddad"], "bylaw-amendment-7": ["no"] } },
      { name: "all-points-on-one", weight: "1", choices: { directors: ["priya-raman", "priya-raman", "priya-raman"], treasurer: [], "bylaw-amendment-7": [] } },
    ],
    audited: ["points"],
  },
];

const fixture = {
  about:
    "Encrypted ballots made by the browser code (browser/src, under Node), for the Rust verifier to accept. " +
    "Made by browser/scripts/make-fixture.mjs with fixed randomness; do not edit, regenerate with `npm run fixture` in browser/. " +
    "Trustee secrets are test labels: joint_secret = HS(\"teller/test-vector/v1\"; str(\"joint-secret\")).",
  elections: elections.map(({ name, election, definition, ballots, audited }) => {
    const { x, params } = exampleElection({ definition, election });
    const made = ballots.map(({ name: ballotName, weight, choices }) => {
      const p = { ...params, weight };
      const { ballot, tracker, seed } = createBallot(p, choices, seeded(`js-fixture/${name}/${ballotName}`));
      if (verifyBallot(ballot, p) !== tracker) throw new Error(`${name}/${ballotName} does not verify`);
      return { name: ballotName, weight, choices, seed: toHex(seed), ballot, tracker, params: p, seedBytes: seed };
    });
    return {
      name,
      election,
      definition,
      encryption: params.encryption,
      fingerprint: toHex(params.fp),
      joint_secret: encodeScalar(x),
      ballots: made.map(({ name: n, weight, choices, seed, ballot, tracker }) => ({ name: n, weight, choices, seed, ballot, tracker })),
      audited: made
        .filter((b) => audited.includes(b.name))
        .map((b) => {
          const file = auditedBallot(b.params, b.ballot, b.tracker, b.seedBytes, b.choices);
          verifyAudited(copy(file));
          return file;
        }),
    };
  }),
};

const text = JSON.stringify(fixture, null, 2) + "\n";
if (check) {
  if (readFileSync(out, "utf8") !== text) {
    console.error(`${out} is not what browser/scripts/make-fixture.mjs makes: run it again and commit the file`);
    process.exit(1);
  }
  console.log(`${out}: as browser/scripts/make-fixture.mjs makes it`);
} else {
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, text);
  console.log(`wrote ${out}: ${fixture.elections.map((e) => `${e.name} (${e.ballots.length} ballots, ${e.audited.length} audited)`).join(", ")}`);
}

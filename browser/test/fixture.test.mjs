// audit/tests/fixtures/js-ballots.json (the browser's ballots for the Rust
// verifier) is exactly what browser/scripts/make-fixture.mjs makes, and
// each of its ballots verifies here too.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { electionParams } from "../src/ballot.js";
import { verifyAudited, verifyBallot } from "../src/verify.js";

const file = fileURLToPath(new URL("../../audit/tests/fixtures/js-ballots.json", import.meta.url));
const script = fileURLToPath(new URL("../scripts/make-fixture.mjs", import.meta.url));

test("the committed fixture is what make-fixture.mjs makes (fixed randomness)", () => {
  execFileSync(process.execPath, [script, "--check", file], { stdio: "pipe" });
});

test("every ballot and audited ballot of the fixture verifies", () => {
  const fixture = JSON.parse(readFileSync(file, "utf8"));
  for (const e of fixture.elections) {
    for (const b of e.ballots) {
      const params = electionParams({ election: e.election, definition: e.definition, encryption: e.encryption, weight: b.weight });
      assert.equal(verifyBallot(b.ballot, params), b.tracker, `${e.name}/${b.name}`);
    }
    for (const a of e.audited) assert.deepEqual(verifyAudited(a).choices, e.ballots.find((b) => b.tracker === a.tracker).choices);
  }
});

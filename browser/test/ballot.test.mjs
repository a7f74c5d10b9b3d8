// §14.11 the encrypted ballot and its tracker, §15.7 what is refused at
// casting, §16.10 the audited ballot: encrypt → verify round trips and each
// refusal, on the example election.

import assert from "node:assert/strict";
import { test } from "node:test";
import { auditedBallot, createBallot, electionParams, encryptBallot, trackerOf } from "../src/ballot.js";
import { canonical } from "../src/canonical.js";
import { contestLimits, countsFromChoices } from "../src/contests.js";
import { toHex } from "../src/group.js";
import { openBallot, readBallot, verifyAudited, verifyBallot } from "../src/verify.js";
import { EXAMPLE_ELECTION, copy, exampleDefinition, exampleElection, refusal, seeded } from "../fixtures/example.mjs";

const { params } = exampleElection();
const choices = { directors: ["amara-okafor", "priya-raman"], treasurer: [], "bylaw-amendment-7": ["yes"] };
const made = createBallot(params, choices, seeded("example"));

test("§14.8: the example's limits (12 options in 3 contests)", () => {
  assert.deepEqual(
    params.limits.map(({ id, options, p, L }) => [id, options.length, p, L]),
    [["directors", 7, 1, 3], ["treasurer", 2, 1, 1], ["bylaw-amendment-7", 3, 1, 1]],
  );
});

test("§14.11: the ballot has the spec's shape, and its tracker is SHA-256 of its canonical JSON", () => {
  const { ballot, tracker } = made;
  assert.deepEqual(Object.keys(ballot).sort(), ["contests", "election", "fingerprint", "format", "nonce", "weight"]);
  assert.equal(ballot.format, "teller-encrypted-ballot/1");
  assert.equal(ballot.election, EXAMPLE_ELECTION);
  assert.equal(ballot.fingerprint, toHex(params.fp));
  assert.match(ballot.nonce, /^[0-9a-f]{32}$/);
  assert.deepEqual(ballot.contests.map((c) => [c.contest, c.selections.length, c.proof.length]), [
    ["directors", 7, 4], ["treasurer", 2, 2], ["bylaw-amendment-7", 3, 2],
  ]);
  assert.ok(ballot.contests.every((c) => c.selections.every((s) => s.proof.length === 2)));
  assert.equal(tracker, trackerOf(ballot));
  assert.match(tracker, /^[0-9a-f]{64}$/);
  const size = canonical(ballot).length;
  assert.ok(size > 12000 && size < 16000, `about 14 KB (§14.11): ${size}`);
});

test("§15.7: the ballot verifies, as sent and as the record publishes it (without election)", () => {
  assert.equal(verifyBallot(made.ballot, params), made.tracker);
  const published = copy(made.ballot);
  delete published.election;
  verifyBallot(published, params, { withElection: false });
});

test("every choice the example allows round-trips through encrypt → verify → open", () => {
  const cases = [
    { directors: [], treasurer: [], "bylaw-amendment-7": [] },
    { directors: ["daniel-brooks", "rosa-delgado", "samuel-adeyemi"], treasurer: ["omar-haddad"], "bylaw-amendment-7": ["abstain"] },
    { directors: ["mei-ling-chen"], treasurer: ["grace-whitfield"], "bylaw-amendment-7": ["no"] },
  ];
  cases.forEach((c, i) => {
    const { ballot, seed } = createBallot(params, c, seeded(`case-${i}`));
    verifyBallot(ballot, params);
    const counts = openBallot(readBallot(ballot), seed, params);
    assert.deepEqual(counts, countsFromChoices(params.limits, c));
  });
});

test("cumulative and approval contests (p > 1, L = p; L = options)", () => {
  const definition = copy(exampleDefinition);
  definition.contests[0].method = { kind: "cumulative", points: 3 };
  definition.contests[1].method = { kind: "approval" };
  const { params: p2 } = exampleElection({ definition });
  assert.deepEqual(p2.limits.map(({ p, L }) => [p, L]), [[3, 3], [1, 2], [1, 1]]);
  const c = { directors: ["amara-okafor", "amara-okafor", "tomasz-nowak"], treasurer: ["grace-whitfield", "omar-haddad"], "bylaw-amendment-7": [] };
  const { ballot, seed, tracker } = createBallot(p2, c, seeded("cumulative"));
  assert.equal(ballot.contests[0].selections[0].proof.length, 4);
  assert.equal(verifyBallot(ballot, p2), tracker);
  const file = copy(auditedBallot(p2, ballot, tracker, seed, c));
  assert.deepEqual(verifyAudited(file).choices, c);
});

test("§14.8: choices that are not valid are refused before anything is encrypted", () => {
  const bad = [
    [{ ...choices, directors: ["amara-okafor", "amara-okafor"] }, "choices.directors"],
    [{ ...choices, directors: ["amara-okafor", "priya-raman", "rosa-delgado", "tomasz-nowak"] }, "choices.directors"],
    [{ ...choices, treasurer: ["write-in:Jo Bloggs"] }, "choices.treasurer"],
    [{ directors: [], treasurer: [] }, "choices.bylaw-amendment-7"],
    [{ ...choices, board: [] }, "choices.board"],
  ];
  for (const [c, path] of bad) {
    const e = refusal(() => createBallot(params, c, seeded("bad")));
    assert.deepEqual([e.check, e.path], ["ballot-validity", path]);
  }
});

test("§14.8: a definition with write-ins, a ranked method or a cumulative contest over 500 branches cannot be encrypted", () => {
  const ok = copy(exampleDefinition);
  ok.contests[1].method = { kind: "cumulative", points: 250 }; // 250 × 2 = 500
  assert.equal(contestLimits(ok)[1].p, 250);
  for (const method of [{ kind: "plurality", majority_required: true, write_ins: true }, { kind: "irv", skipped_ranks: "refuse" }, { kind: "cumulative", points: 251 }]) {
    const definition = copy(exampleDefinition);
    definition.contests[1].method = method;
    const e = refusal(() => contestLimits(definition));
    assert.deepEqual([e.check, e.path], ["definition", "definition.contests[1]"]);
  }
});

test("§15.7 and §16.11: each malformed or foreign ballot is refused, naming the check and the path", () => {
  const tamper = (f) => {
    const b = copy(made.ballot);
    f(b);
    return refusal(() => verifyBallot(b, params));
  };
  const cases = [
    [(b) => (b.extra = 1), "format", "extra"],
    [(b) => delete b.nonce, "format", "nonce"],
    [(b) => (b.election = "2A6F16D2-C738-4EF1-8402-71C1BFA25A25"), "format", "election"],
    [(b) => (b.nonce = b.nonce.toUpperCase()), "format", "nonce"],
    [(b) => (b.weight = "1.0"), "format", "weight"],
    [(b) => (b.contests[0].selections[1].beta = "01" + "00".repeat(31)), "format", "contests[0].selections[1].beta"],
    [(b) => (b.contests[0].proof[2].v2 = "ff".repeat(32)), "format", "contests[0].proof[2].v2"],
    [(b) => (b.contests[1].selections[0].proof[0].extra = "x"), "format", "contests[1].selections[0].proof[0].extra"],
    [(b) => (b.format = "teller-encrypted-ballot/2"), "format", "format"],
    [(b) => b.contests.pop(), "ballot-shape", "contests"],
    [(b) => b.contests.reverse(), "ballot-shape", "contests[0].contest"],
    [(b) => b.contests[0].selections.reverse(), "ballot-shape", "contests[0].selections[0].option"],
    [(b) => b.contests[0].selections.pop(), "ballot-shape", "contests[0].selections"],
    [(b) => b.contests[0].proof.pop(), "ballot-shape", "contests[0].proof"],
    [(b) => b.contests[1].selections[0].proof.push(b.contests[1].selections[0].proof[0]), "ballot-shape", "contests[1].selections[0].proof"],
    [(b) => (b.election = "00000000-0000-4000-8000-000000000000"), "ballot-election", "election"],
    [(b) => (b.fingerprint = "00".repeat(32)), "ballot-fingerprint", "fingerprint"],
    [(b) => (b.weight = "2"), "ballot-weight", "weight"],
    [(b) => (b.contests[0].selections[2].alpha = "00".repeat(32)), "ballot-elements", "contests[0].selections[2].alpha"],
    [(b) => (b.contests[2].indicator.alpha = "00".repeat(32)), "ballot-elements", "contests[2].indicator.alpha"],
    // A selection copied within the ballot: the same alpha twice.
    [(b) => (b.contests[0].selections[3] = { ...b.contests[0].selections[4], option: b.contests[0].selections[3].option }), "ballot-duplicates", "contests[0].selections[4].alpha"],
    [(b) => ([b.contests[0].selections[0].beta, b.contests[0].selections[1].beta] = [b.contests[0].selections[1].beta, b.contests[0].selections[0].beta]), "ballot-proofs", "contests[0].selections[0].proof"],
    [(b) => (b.nonce = "00".repeat(16)), "ballot-proofs", "contests[0].selections[0].proof"],
    [(b) => (b.contests[2].proof[1].c = b.contests[2].proof[0].c), "ballot-proofs", "contests[2].proof"],
  ];
  for (const [f, check, path] of cases) {
    const e = tamper(f);
    assert.deepEqual([e.check, e.path], [check, path], e.message);
  }
});

test("§15.7 rule 4: a selection replayed from another ballot is refused by its proof (bound to the nonce)", () => {
  const other = createBallot(params, choices, seeded("other"));
  const b = copy(made.ballot);
  b.contests[0].selections[0] = other.ballot.contests[0].selections[0];
  const e = refusal(() => verifyBallot(b, params));
  assert.deepEqual([e.check, e.path, e.code], ["ballot-proofs", "contests[0].selections[0].proof", "challenge"]);
});

test("a ballot over the limit (4 directors of 3) cannot be proved: the contest proof fails", () => {
  const counts = new Map([["directors", [1, 1, 1, 1, 0, 0, 0]], ["treasurer", [0, 0]], ["bylaw-amendment-7", [0, 0, 0]]]);
  assert.throws(() => encryptBallot(params, counts, new Uint8Array(32), new Uint8Array(16), seeded("over")), RangeError);
});

test("§14.7: a ballot for the same election under another definition or key is refused", () => {
  const definition = copy(exampleDefinition);
  definition.title += " (amended)";
  const other = exampleElection({ definition }).params;
  assert.equal(refusal(() => verifyBallot(made.ballot, other)).check, "ballot-fingerprint");
  // Even with the fingerprint rewritten to the other's, the proofs fail.
  const b = copy(made.ballot);
  b.fingerprint = toHex(other.fp);
  assert.equal(refusal(() => verifyBallot(b, other)).check, "ballot-proofs");
});

test("§16.10: an audited ballot verifies and decrypts to its choices; each audit check refuses its fault", () => {
  const file = copy(auditedBallot(params, made.ballot, made.tracker, made.seed, choices));
  assert.deepEqual(Object.keys(file).sort(), ["ballot", "choices", "definition", "encryption", "format", "seed", "tracker"]);
  const result = verifyAudited(file);
  assert.deepEqual(result.choices, choices);
  assert.equal(result.tracker, made.tracker);
  assert.equal(result.fingerprint, toHex(params.fp));
  const tamper = (f) => {
    const x = copy(file);
    f(x);
    return refusal(() => verifyAudited(x));
  };
  const cases = [
    [(x) => (x.extra = true), "format", "extra"],
    [(x) => (x.seed = x.seed.slice(2)), "format", "seed"],
    [(x) => (x.definition.title = "Another"), "audit-fingerprint", "ballot.fingerprint"],
    [(x) => (x.encryption.threshold = 3), "audit-fingerprint", "ballot.fingerprint"],
    [(x) => (x.tracker = "00".repeat(32)), "audit-tracker", "tracker"],
    [(x) => (x.ballot.contests[0].proof[0].v1 = x.ballot.contests[0].proof[1].v1), "audit-tracker", "tracker"],
    [(x) => (x.choices = { ...choices, "bylaw-amendment-7": ["no"] }), "audit-opening", "choices.bylaw-amendment-7"],
    [(x) => (x.choices = { ...choices, directors: ["amara-okafor"] }), "audit-opening", "choices.directors"],
    [(x) => (x.choices = { ...choices, treasurer: ["nobody"] }), "audit-opening", "choices.treasurer"],
    [(x) => (x.seed = "00".repeat(32)), "audit-opening", "ballot.contests[0].selections[0].alpha"],
  ];
  for (const [f, check, path] of cases) {
    const e = tamper(f);
    assert.deepEqual([e.check, e.path], [check, path], e.message);
  }
  // A proof tampered with and the tracker recomputed: audit-proofs.
  const x = copy(file);
  x.ballot.contests[0].proof[0].v1 = x.ballot.contests[0].proof[1].v1;
  x.tracker = trackerOf(x.ballot);
  assert.equal(refusal(() => verifyAudited(x)).check, "audit-proofs");
});

test("electionParams refuses an identity joint key or verification key", () => {
  const { params: base } = exampleElection();
  const bad = copy(base.encryption);
  bad.joint_key = "00".repeat(32);
  let e = refusal(() => electionParams({ election: EXAMPLE_ELECTION, definition: exampleDefinition, encryption: bad }));
  assert.deepEqual([e.check, e.path, e.code], ["format", "encryption.joint_key", "identity"]);
  const bad2 = copy(base.encryption);
  bad2.verification_keys[1].key = "00".repeat(32);
  e = refusal(() => electionParams({ election: EXAMPLE_ELECTION, definition: exampleDefinition, encryption: bad2 }));
  assert.deepEqual([e.check, e.path], ["format", "encryption.verification_keys[1].key"]);
});

// §15.2 selection proofs and §15.3 contest proofs: round trips for every
// real branch, the prover's draws, and each refusal of the verifier.

import assert from "node:assert/strict";
import { test } from "node:test";
import { combine, encrypt, prepareKey } from "../src/elgamal.js";
import { Fn, G, IDENTITY, elementBytes, encodeElement, mul } from "../src/group.js";
import { proveContest, proveSelection, verifyContest, verifySelection } from "../src/proofs.js";
import { copy, drawOf, labelScalar, refusal, scripted, seeded } from "../fixtures/example.mjs";

const h = prepareKey(mul(G, labelScalar("joint-secret")));
const fp = new Uint8Array(32).fill(7);
const nonce = new Uint8Array(16).fill(9);
const withBytes = (point) => ({ point, bytes: elementBytes(point) });
const ct = (m, r) => {
  const { alpha, beta } = encrypt(h, m, r);
  return { alpha: withBytes(alpha), beta: withBytes(beta) };
};

function selection({ p, m, r = labelScalar(`r-${p}-${m}`), random = seeded(`sel-${p}-${m}`) }) {
  const c = ct(m, r);
  const statement = { fp, nonce, contest: "directors", option: "amara-okafor", p, h, alpha: c.alpha, beta: c.beta };
  return { statement, proof: proveSelection({ ...statement, m, r, random }) };
}

test("§15.2: a selection proof verifies for every m in 0…p (p = 1 and p = 3)", () => {
  for (const p of [1, 3]) {
    for (let m = 0; m <= p; m++) {
      const { statement, proof } = selection({ p, m });
      assert.equal(proof.length, p + 1);
      verifySelection({ ...statement, proof, path: "proof" });
    }
  }
});

test("§15.2: the prover draws c_j, v_j for j = 0…p in order (the real branch's v is u, its c discarded); its output follows from them", () => {
  const p = 3;
  const m = 2;
  const r = labelScalar("r");
  const draws = { c: [11n, 12n, 13n, 14n], v: [21n, 22n, 33n, 24n], u: 33n };
  const script = [];
  for (let j = 0; j <= p; j++) script.push(drawOf(draws.c[j]), drawOf(draws.v[j]));
  const random = scripted(script);
  const { statement, proof } = selection({ p, m, r, random });
  assert.equal(random.used(), 2 * (p + 1));
  assert.notEqual(proof[m].c, encodeElementScalar(draws.c[m]), "the real branch's drawn c is replaced");
  verifySelection({ ...statement, proof, path: "proof" });
  // Simulated branches carry the drawn c_j and v_j; the real one a_m = g^u, b_m = h^u.
  for (let j = 0; j <= p; j++) {
    if (j === m) continue;
    assert.equal(proof[j].c, encodeElementScalar(draws.c[j]));
    assert.equal(proof[j].v, encodeElementScalar(draws.v[j]));
    const a = mul(G, draws.v[j]).subtract(statement.alpha.point.multiply(draws.c[j]));
    assert.equal(proof[j].a, encodeElement(a), `a_${j} = g^v · α^-c`);
  }
  assert.equal(proof[m].a, encodeElement(mul(G, draws.u)));
  assert.equal(proof[m].b, encodeElement(mul(h, draws.u)));
});

const encodeElementScalar = (s) => Buffer.from(Fn.toBytes(s)).toString("hex");

test("§15.2: the same number of draws whatever the vote (decision 11)", () => {
  for (const p of [1, 3]) {
    const used = [];
    for (let m = 0; m <= p; m++) {
      const random = seeded(`draws-${m}`);
      selection({ p, m, random });
      used.push(random.calls());
    }
    assert.equal(new Set(used).size, 1, `p = ${p}: ${used}`);
  }
});

test("§15.2: refusals — another election, ballot, contest, option, bound, ciphertext; tampered c, v, a; branch count; decoding; identity alpha", () => {
  const { statement, proof } = selection({ p: 1, m: 1 });
  const check = (s, pr) => refusal(() => verifySelection({ ...s, proof: pr, path: "proof" }));
  const other = ct(1, labelScalar("other"));
  for (const changed of [
    { fp: new Uint8Array(32).fill(8) },
    { nonce: new Uint8Array(16).fill(1) },
    { contest: "treasurer" },
    { option: "priya-raman" },
    { alpha: other.alpha, beta: other.beta },
    { beta: other.beta },
  ]) {
    assert.equal(check({ ...statement, ...changed }, proof).check, "ballot-proofs", JSON.stringify(Object.keys(changed)));
  }
  const bad = (f) => {
    const pr = copy(proof);
    f(pr);
    return check(statement, pr);
  };
  assert.equal(bad((pr) => (pr[0].c = encodeElementScalar(Fn.add(Fn.fromBytes(Buffer.from(pr[0].c, "hex")), 1n)))).check, "ballot-proofs");
  assert.equal(bad((pr) => (pr[1].v = encodeElementScalar(1n))).check, "ballot-proofs");
  assert.equal(bad((pr) => ([pr[0].a, pr[1].a] = [pr[1].a, pr[0].a])).check, "ballot-proofs");
  let e = bad((pr) => pr.pop());
  assert.deepEqual([e.check, e.path, e.code], ["ballot-proofs", "proof", "branch-count"]);
  e = bad((pr) => pr.push(pr[0]));
  assert.deepEqual([e.check, e.code], ["ballot-proofs", "branch-count"]);
  e = bad((pr) => (pr[1].b = "ed" + "ff".repeat(30) + "7f"));
  assert.deepEqual([e.check, e.path, e.code], ["format", "proof[1].b", "non-canonical"]);
  e = bad((pr) => (pr[0].v = "edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010"));
  assert.deepEqual([e.check, e.path, e.code], ["format", "proof[0].v", "non-canonical"]);
  e = bad((pr) => (pr[0].extra = "x"));
  assert.deepEqual([e.check, e.path], ["format", "proof[0].extra"]);
  e = bad((pr) => delete pr[0].v);
  assert.deepEqual([e.check, e.path], ["format", "proof[0].v"]);
  const identity = { point: IDENTITY, bytes: new Uint8Array(32) };
  e = check({ ...statement, alpha: identity }, proof);
  assert.deepEqual([e.check, e.code], ["ballot-proofs", "identity"]);
  // An equation: a consistent-looking branch with a wrong v (challenge kept).
  const pr = copy(proof);
  pr[1].v = encodeElementScalar(Fn.add(Fn.fromBytes(Buffer.from(pr[1].v, "hex")), 1n));
  e = check(statement, pr);
  assert.deepEqual([e.check, e.path, e.code, e.branch], ["ballot-proofs", "proof", "equation", 1]);
});

test("§15.2: no valid proof for m outside 0…p", () => {
  const r = labelScalar("r-out");
  const c = ct(2, r);
  const statement = { fp, nonce, contest: "c", option: "o", p: 1, h, alpha: c.alpha, beta: c.beta };
  for (const m of [0, 1]) {
    const proof = proveSelection({ ...statement, m, r, random: seeded(`out-${m}`) });
    assert.equal(refusal(() => verifySelection({ ...statement, proof, path: "p" })).check, "ballot-proofs");
  }
});

function contest({ counts, L, p = 1, b, random, prefix = "k" }) {
  const rs = counts.map((_, i) => labelScalar(`${prefix}-r-${i}`));
  const rx = labelScalar(`${prefix}-rx`);
  const cts = counts.map((m, i) => encrypt(h, m, rs[i]));
  const total = counts.reduce((x, y) => x + y, 0);
  const indicator = ct(b ?? (total >= 1 ? 1 : 0), rx);
  const sum = cts.reduce(combine);
  const R = rs.reduce((x, y) => Fn.add(x, y), 0n);
  const statement = {
    fp, nonce, contest: "directors", L, h,
    indicator: [indicator.alpha, indicator.beta],
    sum: [withBytes(sum.alpha), withBytes(sum.beta)],
  };
  const proof = proveContest({
    ...statement, b: b ?? (total >= 1 ? 1 : 0), total, rx, R, random: random ?? seeded(`${prefix}-${counts}`),
  });
  return { statement, proof, p };
}

test("§15.3: a contest proof verifies, blank (k = 0), partly filled, and full (k = L)", () => {
  for (const counts of [[0, 0, 0, 0], [1, 0, 0, 0], [1, 0, 1, 0], [1, 1, 1, 0]]) {
    const { statement, proof } = contest({ counts, L: 3 });
    assert.equal(proof.length, 4);
    verifyContest({ ...statement, proof, path: "proof" });
  }
  // Cumulative: L = p = 5, with points spread.
  const { statement, proof } = contest({ counts: [2, 0, 3], L: 5, p: 5 });
  verifyContest({ ...statement, proof, path: "proof" });
});

test("§15.3: the prover draws c_j, v1_j, v2_j for j = 0…L (the real branch's v1, v2 are u1, u2); the same count whatever k", () => {
  const used = [];
  for (const counts of [[0, 0, 0], [1, 0, 0], [1, 1, 0]]) {
    const random = seeded(`k-draws-${counts}`);
    contest({ counts, L: 2, random });
    used.push(random.calls());
  }
  assert.equal(new Set(used).size, 1);
  const script = [];
  for (let j = 0; j <= 2; j++) script.push(drawOf(BigInt(10 + j)), drawOf(BigInt(20 + j)), drawOf(BigInt(30 + j)));
  const random = scripted(script);
  const { statement, proof } = contest({ counts: [0, 0, 0], L: 2, random });
  assert.equal(random.used(), 9);
  verifyContest({ ...statement, proof, path: "proof" });
  assert.equal(proof[0].a1, encodeElement(mul(G, 20n)), "a1_0 = g^u1");
  assert.equal(proof[0].b2, encodeElement(mul(h, 30n)), "b2_0 = h^u2");
  assert.equal(proof[2].c, encodeElementScalar(12n));
  assert.equal(proof[2].v2, encodeElementScalar(32n));
});

test("§15.3: refusals — over the limit, a lying indicator, another contest or bound, tampered branches", () => {
  // The prover refuses a false statement: Σ = 3 over L = 2, a lying indicator.
  assert.throws(() => contest({ counts: [1, 1, 1], L: 2 }), RangeError);
  assert.throws(() => contest({ counts: [1, 0], L: 2, b: 0 }), RangeError);
  // A proof made for another statement fails: the prover told Σ = 2 (and
  // its R) while the ciphertexts hold 3, or b = 0 while Σ = 1.
  for (const [counts, L, told] of [[[1, 1, 1], 2, { total: 2 }], [[1, 0], 2, { b: 0, total: 0 }]]) {
    const { statement } = contest({ counts: counts.map(() => 0), L, prefix: "lie" });
    const rs = counts.map((_, i) => labelScalar(`lie-r-${i}`));
    const sum = counts.map((m, i) => encrypt(h, m, rs[i])).reduce(combine);
    const lying = { ...statement, sum: [withBytes(sum.alpha), withBytes(sum.beta)] };
    const proof = proveContest({
      ...lying, b: told.b ?? 1, total: told.total, rx: labelScalar("lie-rx"),
      R: rs.reduce((x, y) => Fn.add(x, y), 0n), random: seeded("lie"),
    });
    assert.equal(refusal(() => verifyContest({ ...lying, proof, path: "p" })).check, "ballot-proofs");
  }
  const { statement, proof } = contest({ counts: [1, 0], L: 2 });
  const check = (s, pr) => refusal(() => verifyContest({ ...s, proof: pr, path: "p" }));
  assert.equal(check({ ...statement, contest: "treasurer" }, proof).check, "ballot-proofs");
  assert.equal(check({ ...statement, sum: [statement.sum[1], statement.sum[0]] }, proof).check, "ballot-proofs");
  const pr = copy(proof);
  pr[1].v1 = pr[0].v1;
  assert.equal(check(statement, pr).check, "ballot-proofs");
  const short = copy(proof).slice(0, 2);
  assert.equal(check(statement, short).code, "branch-count");
  const identity = { point: IDENTITY, bytes: new Uint8Array(32) };
  assert.equal(check({ ...statement, indicator: [identity, statement.indicator[1]] }, proof).code, "identity");
});

// The ballot's proofs, §15.1–§15.3: disjunctive Chaum–Pedersen proofs made
// non-interactive by the strong Fiat–Shamir transform (the challenge hashes
// the tag, the fingerprint, the ids, the whole statement and every
// commitment).
//
// Provers take their randomness from `random(n)` (n bytes), so a test vector
// can fix every drawn value. Every branch draws, for j = 0 … p in order, c_j
// then v_j (c_j, v1_j, v2_j in a contest proof); in the real branch the
// drawn v is the nonce u (v1, v2 are u1, u2) and the drawn c is discarded.
// So the draws are the same whatever the vote, as in the Rust prover
// (audit/src/encrypted/proofs.rs). Each draw is 64 bytes reduced mod ℓ,
// drawn again if 0 (§14.4).
//
// Decision 11 of issue 13: every branch does identical operations, so the
// timing of the page does not tell the real branch from the simulated ones.
// The prover knows r and m, so it computes the spec's commitments
//   a_j = g^{v_j} · α^{−c_j}           = g^{t_j}
//   b_j = h^{v_j} · (β / g^j)^{−c_j}  = h^{t_j} · g^{(j−m)·c_j}
// with t_j = v_j − r·c_j, which is the same for the real branch once its c
// is taken as 0 (t_m = u, and (j − m)·0 = 0). Every branch then makes the
// same three fixed-base multiplications (g and h have window-8 tables) on
// scalars that are uniformly random in every branch, and the same scalar
// arithmetic, with the real branch selected by multiplying by 0 or 1. BigInt
// arithmetic is not constant time; this is best effort, as §15.2 accepts.

import { Fn, G, decodeElement, decodeScalar, elementBytes, encodeScalar, gPow, hexBytes, mul, randomScalar, toHex } from "./group.js";
import { HS, TAGS, elt, raw, str, u32 } from "./hash.js";
import { Refused } from "./refused.js";

/** 1n when j is the real branch, else 0n: the selector every branch computes. */
const isReal = (j, real) => BigInt(j === real);

/** A point and its 32 bytes, kept together so nothing is encoded twice. */
function withBytes(point) {
  return { point, bytes: elementBytes(point) };
}

// ---------------------------------------------------------------------------
// §15.2 Selection proof: m ∈ {0, …, p}

/**
 * c = HS("teller/selection-proof/v1"; raw(fp), raw(nonce), str(contest id),
 *        str(option id), u32(p), elt(α), elt(β), elt(a₀), elt(b₀), …, elt(a_p), elt(b_p))
 * Elements are given as their 32 bytes (as received, or as encoded).
 */
export function selectionChallenge(statement) {
  return HS(TAGS.selectionProof, selectionChallengeItems(statement));
}

/** The items `selectionChallenge` hashes after its tag (for test vectors). */
export function selectionChallengeItems({ fp, nonce, contest, option, p, alpha, beta, commitments }) {
  return [
    raw(fp),
    raw(nonce),
    str(contest),
    str(option),
    u32(p),
    elt(alpha),
    elt(beta),
    ...commitments.flatMap(([a, b]) => [elt(a), elt(b)]),
  ];
}

/**
 * Prove that (α, β) = Enc_h(m; r) with m ∈ {0, …, p}. Returns the proof's
 * JSON: p + 1 branches `{a, b, c, v}`, in order.
 *
 * @param {object} s
 * @param {Uint8Array} s.fp the election fingerprint
 * @param {Uint8Array} s.nonce the ballot nonce (16 bytes)
 * @param {string} s.contest @param {string} s.option ids
 * @param {number} s.p the most this option can receive
 * @param {Point} s.h the joint key
 * @param {{point: Point, bytes: Uint8Array}} s.alpha @param {{point: Point, bytes: Uint8Array}} s.beta
 * @param {number} s.m the count encrypted @param {bigint} s.r its randomness
 * @param {(n: number) => Uint8Array} s.random
 */
export function proveSelection({ fp, nonce, contest, option, p, h, alpha, beta, m, r, random }) {
  if (!Number.isInteger(m) || m < 0 || m > p) throw new RangeError(`no proof that ${m} is in 0…${p}: it is not`);
  const draws = [];
  for (let j = 0; j <= p; j++) draws.push([randomScalar(random), randomScalar(random)]);
  const M = BigInt(m);
  const branches = draws.map(([x, y], j) => {
    const real = isReal(j, m);
    const c = Fn.mul(x, 1n - real); // c_j, or 0 in the real branch
    const t = Fn.sub(y, Fn.mul(r, c)); // v_j − r·c_j, or u
    const d = Fn.mul(Fn.create(BigInt(j) - M), c); // (j − m)·c_j, or 0
    const a = withBytes(mul(G, t));
    const b = withBytes(mul(h, t).add(mul(G, d)));
    return { real, c, y, a, b };
  });
  const challenge = selectionChallenge({
    fp, nonce, contest, option, p,
    alpha: alpha.bytes,
    beta: beta.bytes,
    commitments: branches.map(({ a, b }) => [a.bytes, b.bytes]),
  });
  let rest = challenge; // c − Σ_{j≠m} c_j
  for (const { c } of branches) rest = Fn.sub(rest, c);
  return branches.map(({ real, c, y, a, b }) => ({
    a: toHex(a.bytes),
    b: toHex(b.bytes),
    c: encodeScalar(Fn.add(c, Fn.mul(real, rest))),
    v: encodeScalar(Fn.add(y, Fn.mul(real, Fn.mul(rest, r)))),
  }));
}

/**
 * Read a selection proof strictly (FORMAT.md §1): an array of branches,
 * each exactly `{a, b, c, v}`, every element and scalar decoded (check
 * `format`). The branch count is the statement's business.
 */
export function readSelectionProof(json, path) {
  return readBranches(json, path, ["a", "b", "c", "v"], (br, at) => ({
    a: decodeWithBytes(br.a, `${at}.a`),
    b: decodeWithBytes(br.b, `${at}.b`),
    c: decodeScalar(br.c, `${at}.c`),
    v: decodeScalar(br.v, `${at}.v`),
  }));
}

/**
 * §15.2's verifier, on a proof as received (JSON): reads it, then checks
 * it against the statement. `alpha`, `beta` are decoded with their bytes.
 */
export function verifySelection(statement) {
  checkSelection({ ...statement, proof: readSelectionProof(statement.proof, statement.path) });
}

/**
 * §15.2's verifier on a proof already read. Refuses in `ballot-proofs`,
 * at the proof's path, with the reason's name as the Rust verifier gives
 * it: `branch-count` (not p + 1 branches), `identity` (α is the
 * identity), `challenge` (the hash is not Σ c_j), `equation` (a branch's
 * equations fail; the reason names the branch).
 */
export function checkSelection({ fp, nonce, contest, option, p, h, alpha, beta, proof, path }) {
  branchCount(proof, p + 1, path);
  if (alpha.point.is0()) throw new Refused("ballot-proofs", path, "alpha is the identity element", "identity");
  const challenge = selectionChallenge({
    fp, nonce, contest, option, p,
    alpha: alpha.bytes,
    beta: beta.bytes,
    commitments: proof.map(({ a, b }) => [a.bytes, b.bytes]),
  });
  sumOfChallenges(challenge, proof, path);
  proof.forEach(({ a, b, c, v }, j) => {
    const ok =
      G.multiplyUnsafe(v).equals(a.point.add(alpha.point.multiplyUnsafe(c))) &&
      h.multiplyUnsafe(v).equals(b.point.add(beta.point.subtract(gPow(j)).multiplyUnsafe(c)));
    if (!ok) equationFails(path, j);
  });
}

// ---------------------------------------------------------------------------
// §15.3 Contest proof: the indicator and the limit

/** Branch j's pair (b_j, s_j): (0, 0) for j = 0, else (1, j). */
const branchPair = (j) => (j === 0 ? [0n, 0n] : [1n, BigInt(j)]);

/**
 * c = HS("teller/contest-proof/v1"; raw(fp), raw(nonce), str(contest id), u32(L),
 *        elt(α_x), elt(β_x), elt(α_Σ), elt(β_Σ),
 *        for j = 0 … L: elt(a1_j), elt(b1_j), elt(a2_j), elt(b2_j))
 */
export function contestChallenge(statement) {
  return HS(TAGS.contestProof, contestChallengeItems(statement));
}

/** The items `contestChallenge` hashes after its tag (for test vectors). */
export function contestChallengeItems({ fp, nonce, contest, L, indicator, sum, commitments }) {
  return [
    raw(fp),
    raw(nonce),
    str(contest),
    u32(L),
    elt(indicator[0]),
    elt(indicator[1]),
    elt(sum[0]),
    elt(sum[1]),
    ...commitments.flatMap((four) => four.map(elt)),
  ];
}

/**
 * Prove that the indicator (α_x, β_x) = Enc(b; r_x) and the sum
 * (α_Σ, β_Σ) = Enc(Σ; R) satisfy (b, Σ) ∈ {(0, 0), (1, 1), …, (1, L)}.
 * Returns L + 1 branches `{a1, b1, a2, b2, c, v1, v2}`.
 *
 * @param {object} s as for `proveSelection`, and
 * @param {number} s.L the most the contest can receive
 * @param {{point, bytes}[]} s.indicator [α_x, β_x] @param {{point, bytes}[]} s.sum [α_Σ, β_Σ]
 * @param {number} s.b the indicator (0 or 1) @param {number} s.total Σ m_o
 * @param {bigint} s.rx the indicator's randomness @param {bigint} s.R Σ r_o
 */
export function proveContest({ fp, nonce, contest, L, h, indicator, sum, b, total, rx, R, random }) {
  if (!Number.isInteger(total) || total < 0 || total > L || b !== (total >= 1 ? 1 : 0)) {
    throw new RangeError(`no proof for (b, Σ) = (${b}, ${total}) with L = ${L}: it is not true`);
  }
  const k = total; // the real branch: 0 when blank (b = 0), else Σ (b = 1)
  const draws = [];
  for (let j = 0; j <= L; j++) draws.push([randomScalar(random), randomScalar(random), randomScalar(random)]);
  const B = BigInt(b);
  const S = BigInt(total);
  const branches = draws.map(([x, y1, y2], j) => {
    const real = isReal(j, k);
    const [bj, sj] = branchPair(j);
    const c = Fn.mul(x, 1n - real);
    const t1 = Fn.sub(y1, Fn.mul(rx, c));
    const t2 = Fn.sub(y2, Fn.mul(R, c));
    const d1 = Fn.mul(Fn.create(bj - B), c);
    const d2 = Fn.mul(Fn.create(sj - S), c);
    const four = [
      withBytes(mul(G, t1)),
      withBytes(mul(h, t1).add(mul(G, d1))),
      withBytes(mul(G, t2)),
      withBytes(mul(h, t2).add(mul(G, d2))),
    ];
    return { real, c, y1, y2, four };
  });
  const challenge = contestChallenge({
    fp, nonce, contest, L,
    indicator: indicator.map((e) => e.bytes),
    sum: sum.map((e) => e.bytes),
    commitments: branches.map(({ four }) => four.map((e) => e.bytes)),
  });
  let rest = challenge;
  for (const { c } of branches) rest = Fn.sub(rest, c);
  return branches.map(({ real, c, y1, y2, four }) => ({
    a1: toHex(four[0].bytes),
    b1: toHex(four[1].bytes),
    a2: toHex(four[2].bytes),
    b2: toHex(four[3].bytes),
    c: encodeScalar(Fn.add(c, Fn.mul(real, rest))),
    v1: encodeScalar(Fn.add(y1, Fn.mul(real, Fn.mul(rest, rx)))),
    v2: encodeScalar(Fn.add(y2, Fn.mul(real, Fn.mul(rest, R)))),
  }));
}

/** Read a contest proof strictly: branches of exactly `{a1, b1, a2, b2, c, v1, v2}`, decoded. */
export function readContestProof(json, path) {
  return readBranches(json, path, ["a1", "b1", "a2", "b2", "c", "v1", "v2"], (br, at) => ({
    four: ["a1", "b1", "a2", "b2"].map((key) => decodeWithBytes(br[key], `${at}.${key}`)),
    c: decodeScalar(br.c, `${at}.c`),
    v1: decodeScalar(br.v1, `${at}.v1`),
    v2: decodeScalar(br.v2, `${at}.v2`),
  }));
}

/** §15.3's verifier, on a proof as received (JSON). */
export function verifyContest(statement) {
  checkContest({ ...statement, proof: readContestProof(statement.proof, statement.path) });
}

/**
 * §15.3's verifier on a proof already read; `indicator` and `sum` are
 * [α, β] decoded with their bytes. Refuses as `checkSelection` does.
 */
export function checkContest({ fp, nonce, contest, L, h, indicator, sum, proof, path }) {
  branchCount(proof, L + 1, path);
  if (indicator[0].point.is0()) throw new Refused("ballot-proofs", path, "the indicator's alpha is the identity element", "identity");
  const challenge = contestChallenge({
    fp, nonce, contest, L,
    indicator: indicator.map((e) => e.bytes),
    sum: sum.map((e) => e.bytes),
    commitments: proof.map(({ four }) => four.map((e) => e.bytes)),
  });
  sumOfChallenges(challenge, proof, path);
  const [ax, bx] = indicator.map((e) => e.point);
  const [as, bs] = sum.map((e) => e.point);
  proof.forEach(({ four, c, v1, v2 }, j) => {
    const [bj, sj] = branchPair(j);
    const [a1, b1, a2, b2] = four.map((e) => e.point);
    const ok =
      G.multiplyUnsafe(v1).equals(a1.add(ax.multiplyUnsafe(c))) &&
      h.multiplyUnsafe(v1).equals(b1.add(bx.subtract(gPow(bj)).multiplyUnsafe(c))) &&
      G.multiplyUnsafe(v2).equals(a2.add(as.multiplyUnsafe(c))) &&
      h.multiplyUnsafe(v2).equals(b2.add(bs.subtract(gPow(sj)).multiplyUnsafe(c)));
    if (!ok) equationFails(path, j);
  });
}

// ---------------------------------------------------------------------------

/** A point and the bytes it was read from (its encoding: E(D(b)) = b, §14.2). */
function decodeWithBytes(hex, path) {
  return { point: decodeElement(hex, path), bytes: hexBytes(hex, 32, path) };
}

/** The recomputed challenge must equal Σ_j c_j mod ℓ. */
function sumOfChallenges(challenge, branches, path) {
  let sum = 0n;
  for (const { c } of branches) sum = Fn.add(sum, c);
  if (sum !== challenge) {
    throw new Refused(
      "ballot-proofs", path,
      "the challenge recomputed from the statement and commitments is not the sum of the branch challenges",
      "challenge",
    );
  }
}

function branchCount(proof, count, path) {
  if (proof.length !== count) {
    throw new Refused("ballot-proofs", path, `the proof has ${proof.length} branches where ${count} are required`, "branch-count");
  }
}

function equationFails(path, j) {
  const e = new Refused("ballot-proofs", path, `the verification equation of branch ${j} does not hold`, "equation");
  e.branch = j;
  throw e;
}

/** An array of branches, each a plain object with exactly `keys`, each read by `read`. */
function readBranches(json, path, keys, read) {
  if (!Array.isArray(json)) throw new Refused("format", path, "expected an array of branches");
  return json.map((br, j) => {
    exactKeys(br, keys, `${path}[${j}]`);
    return read(br, `${path}[${j}]`);
  });
}

/** Refuses (in `format`) anything but a plain object with exactly `keys`. */
export function exactKeys(obj, keys, path) {
  if (obj === null || typeof obj !== "object" || Array.isArray(obj)) {
    throw new Refused("format", path, "expected an object");
  }
  for (const key of Object.keys(obj)) {
    if (!keys.includes(key)) throw new Refused("format", join(path, key), "a member the format does not define");
  }
  for (const key of keys) {
    if (!(key in obj)) throw new Refused("format", join(path, key), "missing");
  }
}

/** A JSON path and a member: "contests[0]" + "proof", or just "proof" at the top. */
export function join(path, key) {
  return path ? `${path}.${key}` : key;
}

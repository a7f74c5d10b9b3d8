// The verifier of encrypted ballots: what the page's "Check my encryption"
// runs, and what the tests hold the prover to.
//
// `verifyBallot` is §15.7's steps 1–5 for one ballot (strict reading and
// shape, this election's ids, decoding, no repeated alpha within the
// ballot, every proof). `openBallot` and `verifyAudited` are §16.10's
// `verify-audit` checks, in order: format, audit-fingerprint,
// audit-tracker, audit-proofs, audit-opening.

import { AUDITED_FORMAT, BALLOT_FORMAT, electionParams, trackerOf } from "./ballot.js";
import { choicesFromCounts, countsFromChoices } from "./contests.js";
import { combine, encrypt } from "./elgamal.js";
import { decodeElement, elementBytes, gPow, hexBytes, toHex } from "./group.js";
import { indicatorNonce, optionNonce } from "./nonces.js";
import { exactKeys, verifyContest, verifySelection } from "./proofs.js";
import { Refused } from "./refused.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const WEIGHT = /^(0|[1-9][0-9]{0,12})(\.[0-9]{0,5}[1-9])?$/;

function string(v, path) {
  if (typeof v !== "string") throw new Refused("format", path, "expected a string");
  return v;
}

/** A weight spelled as FORMAT.md §4 says: "1", "2.5", at most 10¹², six decimals. */
export function isCanonicalWeight(w) {
  if (typeof w !== "string" || !WEIGHT.test(w)) return false;
  const [whole, fraction] = w.split(".");
  return BigInt(whole) < 10n ** 12n || (BigInt(whole) === 10n ** 12n && fraction === undefined);
}

/** A point and the bytes it was read from (which are its encoding: E(D(b)) = b, §14.2). */
function decoded(hex, path, options) {
  return { point: decodeElement(hex, path, options), bytes: hexBytes(hex, 32, path) };
}

/**
 * Read an encrypted ballot strictly (§14.11, FORMAT.md §1) against the
 * election's parameters: members, types and hex in `format`; the shape
 * against the definition, the election, fingerprint and weight in
 * `ballot-elements`. Every element is decoded; no alpha may be the identity.
 *
 * @param {object} json the ballot as parsed
 * @param {ReturnType<typeof electionParams>} params
 * @param {{withElection?: boolean, path?: string, weight?: boolean}} [opts]
 *   `withElection: false` for a record's ballot (published without
 *   `election`, §14.11); `weight: false` when the weight is not known (an
 *   audited ballot: the record's roll is not at hand).
 */
export function readBallot(json, params, { withElection = true, path = "ballot", weight = true } = {}) {
  const keys = ["format", "fingerprint", "nonce", "weight", "contests"];
  exactKeys(json, withElection ? ["election", ...keys] : keys, path);
  if (string(json.format, `${path}.format`) !== BALLOT_FORMAT) {
    throw new Refused("format", `${path}.format`, `expected "${BALLOT_FORMAT}"`);
  }
  if (withElection) {
    if (!UUID.test(string(json.election, `${path}.election`))) {
      throw new Refused("format", `${path}.election`, "not an election id in its canonical form");
    }
    if (json.election !== params.election) {
      throw new Refused("ballot-elements", `${path}.election`, "a ballot for another election");
    }
  }
  const fp = hexBytes(json.fingerprint, 32, `${path}.fingerprint`);
  if (toHex(fp) !== toHex(params.fp)) {
    throw new Refused("ballot-elements", `${path}.fingerprint`, "not this election's fingerprint");
  }
  const nonce = hexBytes(json.nonce, 16, `${path}.nonce`);
  if (!isCanonicalWeight(json.weight)) throw new Refused("format", `${path}.weight`, "not a weight as FORMAT.md §4 spells it");
  if (weight && json.weight !== params.weight) {
    throw new Refused("ballot-elements", `${path}.weight`, `expected the member's weight ${params.weight}`);
  }
  if (!Array.isArray(json.contests)) throw new Refused("format", `${path}.contests`, "expected an array");
  if (json.contests.length !== params.limits.length) {
    throw new Refused("ballot-elements", `${path}.contests`, `expected ${params.limits.length} contests, found ${json.contests.length}`);
  }
  const contests = params.limits.map((limit, ci) => {
    const cpath = `${path}.contests[${ci}]`;
    const c = json.contests[ci];
    exactKeys(c, ["contest", "selections", "indicator", "proof"], cpath);
    if (string(c.contest, `${cpath}.contest`) !== limit.id) {
      throw new Refused("ballot-elements", `${cpath}.contest`, `expected contest "${limit.id}"`);
    }
    if (!Array.isArray(c.selections)) throw new Refused("format", `${cpath}.selections`, "expected an array");
    if (c.selections.length !== limit.options.length) {
      throw new Refused("ballot-elements", `${cpath}.selections`, `expected ${limit.options.length} selections, found ${c.selections.length}`);
    }
    const selections = limit.options.map((option, i) => {
      const spath = `${cpath}.selections[${i}]`;
      const s = c.selections[i];
      exactKeys(s, ["option", "alpha", "beta", "proof"], spath);
      if (string(s.option, `${spath}.option`) !== option) {
        throw new Refused("ballot-elements", `${spath}.option`, `expected option "${option}"`);
      }
      return {
        option,
        alphaHex: s.alpha,
        alpha: decoded(s.alpha, `${spath}.alpha`, { nonIdentity: true }),
        beta: decoded(s.beta, `${spath}.beta`),
        proof: s.proof,
        path: spath,
      };
    });
    exactKeys(c.indicator, ["alpha", "beta"], `${cpath}.indicator`);
    const indicator = {
      alphaHex: c.indicator.alpha,
      alpha: decoded(c.indicator.alpha, `${cpath}.indicator.alpha`, { nonIdentity: true }),
      beta: decoded(c.indicator.beta, `${cpath}.indicator.beta`),
    };
    return { ...limit, selections, indicator, proof: c.proof, path: cpath };
  });
  return { fp, nonce, weight: json.weight, contests };
}

/**
 * §15.7 steps 1–5 for one ballot. Throws a `Refused` naming the first check
 * that fails; returns the ballot's tracker.
 */
export function verifyBallot(json, params, opts = {}) {
  const ballot = readBallot(json, params, opts);
  // Step 4 within the ballot: a repeated alpha is reused randomness.
  const seen = new Map();
  ballot.contests.forEach((c) => {
    const alphas = [
      ...c.selections.map((s) => [s.alphaHex, `${s.path}.alpha`]),
      [c.indicator.alphaHex, `${c.path}.indicator.alpha`],
    ];
    for (const [hex, at] of alphas) {
      if (seen.has(hex)) throw new Refused("ballot-duplicates", at, `the same alpha as ${seen.get(hex)}`);
      seen.set(hex, at);
    }
  });
  verifyProofs(ballot, params);
  return trackerOf(json);
}

/** Every selection proof (§15.2) and contest proof (§15.3) of a ballot read by `readBallot`. */
export function verifyProofs(ballot, params) {
  const { fp, nonce } = ballot;
  const { h } = params;
  for (const c of ballot.contests) {
    for (const s of c.selections) {
      verifySelection({
        fp, nonce, contest: c.id, option: s.option, p: c.p, h,
        alpha: s.alpha, beta: s.beta, proof: s.proof, path: `${s.path}.proof`,
      });
    }
    // The sum is not transmitted: the verifier computes it (§15.3).
    const sum = c.selections.map((s) => ({ alpha: s.alpha.point, beta: s.beta.point })).reduce(combine);
    verifyContest({
      fp, nonce, contest: c.id, L: c.L, h,
      indicator: [c.indicator.alpha, c.indicator.beta],
      sum: [sum.alpha, sum.beta].map((point) => ({ point, bytes: elementBytes(point) })),
      proof: c.proof,
      path: `${c.path}.proof`,
    });
  }
}

/**
 * Open a ballot with its seed (§16.10 `audit-opening`): derive every r
 * (§14.10), check α = g^r, and find the m ∈ {0, …, p} with β = h^r · g^m,
 * and the indicator's b ∈ {0, 1} with b = 1 exactly when the contest is not
 * blank. Returns the counts (contest id → counts in option order).
 */
export function openBallot(ballot, seed, params) {
  const { fp, nonce } = ballot;
  const counts = new Map();
  for (const c of ballot.contests) {
    const m = c.selections.map((s) => opened(params.h, optionNonce(fp, nonce, seed, c.id, s.option), s, c.p, s.path));
    const total = m.reduce((x, y) => x + y, 0);
    const rx = indicatorNonce(fp, nonce, seed, c.id);
    const b = opened(params.h, rx, c.indicator, 1, `${c.path}.indicator`);
    if (b !== (total >= 1 ? 1 : 0)) {
      throw new Refused("audit-opening", `${c.path}.indicator`, "the indicator does not match the selections");
    }
    if (total > c.L) throw new Refused("audit-opening", c.path, `more than ${c.L} in the contest`);
    counts.set(c.id, m);
  }
  return counts;
}

/** The m in {0 … max} with (α, β) = Enc_h(m; r), or a refusal. */
function opened(h, r, ct, max, path) {
  const expected = encrypt(h, 0, r); // (g^r, h^r)
  if (!expected.alpha.equals(ct.alpha.point)) {
    throw new Refused("audit-opening", `${path}.alpha`, "not g^r for the r the seed gives");
  }
  const gm = ct.beta.point.subtract(expected.beta);
  for (let m = 0; m <= max; m++) if (gm.equals(gPow(m))) return m;
  throw new Refused("audit-opening", `${path}.beta`, `does not open to a count from 0 to ${max}`);
}

/**
 * §16.10's `verify-audit`, on the device: the checks in order, each named.
 * Returns the fingerprint, the tracker and the choices the ballot opens to.
 * @param {object} file the audited ballot, as parsed
 */
export function verifyAudited(file) {
  exactKeys(file, ["format", "definition", "encryption", "ballot", "tracker", "seed", "choices"], "");
  if (file.format !== AUDITED_FORMAT) throw new Refused("format", "format", `expected "${AUDITED_FORMAT}"`);
  exactKeys(file.encryption, ["threshold", "joint_key", "verification_keys"], "encryption");
  exactKeys(file.ballot, ["format", "election", "fingerprint", "nonce", "weight", "contests"], "ballot");
  const seed = hexBytes(file.seed, 32, "seed");
  const tracker = hexBytes(file.tracker, 32, "tracker");
  if (!UUID.test(string(file.ballot.election, "ballot.election"))) {
    throw new Refused("format", "ballot.election", "not an election id in its canonical form");
  }
  const params = electionParams({
    election: file.ballot.election,
    definition: file.definition,
    encryption: file.encryption,
    weight: file.ballot.weight,
  });
  if (file.ballot.fingerprint !== toHex(params.fp)) {
    throw new Refused("audit-fingerprint", "ballot.fingerprint", `the fingerprint recomputed from the file is ${toHex(params.fp)}`);
  }
  const ballot = readBallot(file.ballot, params, { weight: false });
  if (toHex(tracker) !== trackerOf(file.ballot)) {
    throw new Refused("audit-tracker", "tracker", "not SHA-256 of the canonical ballot");
  }
  try {
    verifyProofs(ballot, params);
  } catch (e) {
    if (e instanceof Refused && e.check === "ballot-proofs") throw new Refused("audit-proofs", e.path, e.reason);
    throw e;
  }
  const counts = openBallot(ballot, seed, params);
  const choices = file.choices;
  if (choices === null || typeof choices !== "object" || Array.isArray(choices)) {
    throw new Refused("format", "choices", "expected an object");
  }
  let claimed;
  try {
    claimed = countsFromChoices(params.limits, choices);
  } catch (e) {
    if (e instanceof Refused) throw new Refused("audit-opening", e.path, e.reason);
    throw e;
  }
  for (const { id } of params.limits) {
    if (claimed.get(id).join() !== counts.get(id).join()) {
      throw new Refused("audit-opening", `choices.${id}`, "the ballot does not encrypt these choices");
    }
  }
  return {
    fingerprint: toHex(params.fp),
    tracker: toHex(tracker),
    counts,
    choices: choicesFromCounts(params.limits, counts),
  };
}

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
import { checkContest, checkSelection, exactKeys, join, readContestProof, readSelectionProof } from "./proofs.js";
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
function decoded(hex, path) {
  return { point: decodeElement(hex, path), bytes: hexBytes(hex, 32, path) };
}

/**
 * Read an encrypted ballot strictly (§14.11, FORMAT.md §1; check `format`):
 * exactly the members of §14.11 at every depth, the right JSON types, an
 * election id in its canonical form, canonical hex and weight, and every
 * element and scalar decoded (§14.2–§14.3). Nothing is compared with the
 * election yet. `withElection: false` reads a ballot as the record
 * publishes it (without `election`, §14.11); `path` prefixes every path.
 */
export function readBallot(json, { withElection = true, path = "" } = {}) {
  const at = (key) => join(path, key);
  const keys = ["format", "fingerprint", "nonce", "weight", "contests"];
  exactKeys(json, withElection ? ["election", ...keys] : keys, path);
  const format = string(json.format, at("format"));
  if (withElection && !UUID.test(string(json.election, at("election")))) {
    throw new Refused("format", at("election"), "not an election id in its canonical form");
  }
  const fp = hexBytes(json.fingerprint, 32, at("fingerprint"));
  const nonce = hexBytes(json.nonce, 16, at("nonce"));
  if (!isCanonicalWeight(json.weight)) throw new Refused("format", at("weight"), "not a weight as FORMAT.md §4 spells it");
  if (!Array.isArray(json.contests)) throw new Refused("format", at("contests"), "expected an array");
  const contests = json.contests.map((c, i) => {
    const cpath = `${at("contests")}[${i}]`;
    exactKeys(c, ["contest", "selections", "indicator", "proof"], cpath);
    const id = string(c.contest, `${cpath}.contest`);
    if (!Array.isArray(c.selections)) throw new Refused("format", `${cpath}.selections`, "expected an array");
    const selections = c.selections.map((s, j) => {
      const spath = `${cpath}.selections[${j}]`;
      exactKeys(s, ["option", "alpha", "beta", "proof"], spath);
      return {
        option: string(s.option, `${spath}.option`),
        alpha: decoded(s.alpha, `${spath}.alpha`),
        beta: decoded(s.beta, `${spath}.beta`),
        proof: readSelectionProof(s.proof, `${spath}.proof`),
        path: spath,
      };
    });
    exactKeys(c.indicator, ["alpha", "beta"], `${cpath}.indicator`);
    const indicator = {
      alpha: decoded(c.indicator.alpha, `${cpath}.indicator.alpha`),
      beta: decoded(c.indicator.beta, `${cpath}.indicator.beta`),
    };
    return { id, selections, indicator, proof: readContestProof(c.proof, `${cpath}.proof`), path: cpath };
  });
  return { format, election: json.election, fp, nonce, weight: json.weight, contests, path };
}

/**
 * §14.11's shape for the election's definition (check `ballot-shape`; the
 * format string, first, is `format`): one contest per contest in definition order, one
 * selection per option in option order, p + 1 and L + 1 branches. Adds each
 * contest's limits to the ballot read.
 */
export function checkShape(ballot, params) {
  const at = (key) => join(ballot.path, key);
  if (ballot.format !== BALLOT_FORMAT) {
    // An enumerated string that is not one of its values: strict reading
    // (FORMAT.md §1, rule 6), so `format`, checked first here as in Rust.
    throw new Refused("format", at("format"), `expected "${BALLOT_FORMAT}", found ${JSON.stringify(ballot.format)}`);
  }
  if (ballot.contests.length !== params.limits.length) {
    throw new Refused("ballot-shape", at("contests"), `expected ${params.limits.length} contests, found ${ballot.contests.length}`);
  }
  params.limits.forEach((limit, i) => {
    const c = ballot.contests[i];
    if (c.id !== limit.id) throw new Refused("ballot-shape", `${c.path}.contest`, `expected "${limit.id}", found ${JSON.stringify(c.id)}`);
    if (c.selections.length !== limit.options.length) {
      throw new Refused("ballot-shape", `${c.path}.selections`, `expected ${limit.options.length} options, found ${c.selections.length}`);
    }
    limit.options.forEach((option, j) => {
      const s = c.selections[j];
      if (s.option !== option) throw new Refused("ballot-shape", `${s.path}.option`, `expected "${option}", found ${JSON.stringify(s.option)}`);
      if (s.proof.length !== limit.p + 1) {
        throw new Refused("ballot-shape", `${s.path}.proof`, `expected ${limit.p + 1} branches, found ${s.proof.length}`);
      }
    });
    if (c.proof.length !== limit.L + 1) {
      throw new Refused("ballot-shape", `${c.path}.proof`, `expected ${limit.L + 1} branches, found ${c.proof.length}`);
    }
    Object.assign(c, { p: limit.p, L: limit.L });
  });
}

/** Every alpha of a ballot read, with its path: each selection's, then the indicator's, contest by contest. */
function alphas(ballot) {
  return ballot.contests.flatMap((c) => [
    ...c.selections.map((s) => [s.alpha, `${s.path}.alpha`]),
    [c.indicator.alpha, `${c.path}.indicator.alpha`],
  ]);
}

/**
 * §15.7 rules 1–5 for one ballot, in the Rust verifier's order
 * (audit/src/encrypted/cast.rs), each refusal named as it names it:
 * `format` (strict reading), `ballot-shape`, `ballot-election`,
 * `ballot-fingerprint`, `ballot-weight`, `ballot-elements` (an identity
 * alpha), `ballot-duplicates` (an alpha twice in the ballot),
 * `ballot-proofs`, and with what the server's database knows (the alphas
 * of stored cast and audited ballots, the audited trackers, as hex sets in
 * `opts.storedAlphas` and `opts.auditedTrackers`) rule 4 against stored
 * ballots and rule 6 (`ballot-audited`). Returns the ballot's tracker.
 *
 * @param {object} json the ballot, as parsed
 * @param {ReturnType<typeof electionParams>} params the election (and the member's weight)
 * @param {{withElection?: boolean, path?: string, weight?: boolean,
 *   storedAlphas?: Set<string>, auditedTrackers?: Set<string>}} [opts] as `readBallot`;
 *   `weight: false` when the weight is not known (an audited ballot)
 */
export function verifyBallot(json, params, opts = {}) {
  const ballot = readBallot(json, opts);
  checkBallot(ballot, params, opts);
  const { storedAlphas, auditedTrackers } = opts;
  if (storedAlphas) {
    for (const [alpha, path] of alphas(ballot)) {
      if (storedAlphas.has(toHex(alpha.bytes))) {
        throw new Refused("ballot-duplicates", path, `${path} is an alpha already used (by a stored ballot)`);
      }
    }
  }
  verifyProofs(ballot, params);
  const tracker = trackerOf(json);
  if (auditedTrackers?.has(tracker)) {
    throw new Refused("ballot-audited", "", `this ballot (${tracker}) was audited, so it cannot be cast; encrypt again`);
  }
  return tracker;
}

/** Rules 1 (shape), 2, 3 and 4 within the ballot, on a ballot read. */
export function checkBallot(ballot, params, { withElection = true, weight = true } = {}) {
  const at = (key) => join(ballot.path, key);
  checkShape(ballot, params);
  if (withElection && ballot.election !== params.election) {
    throw new Refused("ballot-election", at("election"), `the ballot is for election ${ballot.election}, not this one`);
  }
  if (toHex(ballot.fp) !== toHex(params.fp)) {
    throw new Refused("ballot-fingerprint", at("fingerprint"), `the ballot's fingerprint ${toHex(ballot.fp)} is not this election's (${toHex(params.fp)})`);
  }
  if (weight && ballot.weight !== params.weight) {
    throw new Refused("ballot-weight", at("weight"), `the ballot's weight ${ballot.weight} is not the member's weight ${params.weight}`);
  }
  const all = alphas(ballot);
  for (const [alpha, path] of all) {
    if (alpha.point.is0()) throw new Refused("ballot-elements", path, `${path} is the identity element`, "identity");
  }
  const seen = new Set();
  for (const [alpha, path] of all) {
    const hex = toHex(alpha.bytes);
    if (seen.has(hex)) throw new Refused("ballot-duplicates", path, `${path} is an alpha already used (in this ballot)`);
    seen.add(hex);
  }
}

/** Every selection proof (§15.2) and contest proof (§15.3) of a ballot read and shaped, in ballot order. */
export function verifyProofs(ballot, params) {
  const { fp, nonce } = ballot;
  const { h } = params;
  for (const c of ballot.contests) {
    for (const s of c.selections) {
      checkSelection({
        fp, nonce, contest: c.id, option: s.option, p: c.p, h,
        alpha: s.alpha, beta: s.beta, proof: s.proof, path: `${s.path}.proof`,
      });
    }
    // The sum is not transmitted: the verifier computes it (§15.3).
    const sum = c.selections.map((s) => ({ alpha: s.alpha.point, beta: s.beta.point })).reduce(combine);
    checkContest({
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
  checkShape(ballot, params);
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
  const ballot = readBallot(file.ballot, { path: "ballot" });
  asFormat(() => checkShape(ballot, params)); // §16.10: the shape of §14.11 for its definition is `format`
  if (file.ballot.fingerprint !== toHex(params.fp)) {
    throw new Refused("audit-fingerprint", "ballot.fingerprint", `the fingerprint recomputed from the file is ${toHex(params.fp)}`);
  }
  asFormat(() => checkBallot(ballot, params, { weight: false }));
  if (toHex(tracker) !== trackerOf(file.ballot)) {
    throw new Refused("audit-tracker", "tracker", "not SHA-256 of the canonical ballot");
  }
  try {
    verifyProofs(ballot, params);
  } catch (e) {
    if (e instanceof Refused && e.check === "ballot-proofs") throw new Refused("audit-proofs", e.path, e.reason, e.code);
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

/** Run `f`, reporting any refusal of the ballot's own checks as `format`. */
function asFormat(f) {
  try {
    f();
  } catch (e) {
    if (e instanceof Refused && e.check.startsWith("ballot-")) throw new Refused("format", e.path, e.reason, e.code);
    throw e;
  }
}

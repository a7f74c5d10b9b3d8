// The encrypted ballot and its tracker, §14.10–§14.11, and the audited
// ballot of cast-or-audit, §16.10.
//
// Order of the random draws, so that a test vector can fix each one: the
// seed (32 bytes), the ballot nonce (16 bytes); then, contest by contest in
// definition order, each selection's proof in option order (§15.2: 2(p + 1)
// scalars of 64 bytes) and then the contest's proof (§15.3: 3(L + 1)), each
// in the order proofs.js states. If a derived r is 0 (probability 2^-252), the
// seed and nonce are drawn again (§14.10).

import { sha256 } from "@noble/hashes/sha2.js";
import { canonicalBytes } from "./canonical.js";
import { countsFromChoices, contestLimits } from "./contests.js";
import { combine, encrypt, prepareKey } from "./elgamal.js";
import { definitionHash, fingerprint } from "./fingerprint.js";
import { Fn, decodeElement, elementBytes, randomScalar, toHex } from "./group.js";
import { indicatorNonce, optionNonce } from "./nonces.js";
import { proveContest, proveSelection } from "./proofs.js";

export const BALLOT_FORMAT = "teller-encrypted-ballot/1";
export const AUDITED_FORMAT = "teller-audited-ballot/1";

/**
 * The election's public parameters, decoded and checked: what the page is
 * given (README.md, "The page contract") and what an audited ballot carries.
 *
 * @param {object} a
 * @param {string} a.election the election id
 * @param {object} a.definition the definition (FORMAT.md §3), as the record has it
 * @param {{threshold: number, joint_key: string, verification_keys: {trustee: number, key: string}[]}} a.encryption
 * @param {string} [a.weight] the member's weight (FORMAT.md §4), for casting
 */
export function electionParams({ election, definition, encryption, weight = "1" }) {
  const limits = contestLimits(definition);
  const h = prepareKey(decodeElement(encryption.joint_key, "encryption.joint_key", { nonIdentity: true }));
  const verificationKeys = encryption.verification_keys.map(({ trustee, key }, i) => ({
    trustee,
    key: decodeElement(key, `encryption.verification_keys[${i}].key`, { nonIdentity: true }),
  }));
  const fp = fingerprint({
    election,
    definitionHash: definitionHash(definition),
    threshold: encryption.threshold,
    jointKey: h,
    verificationKeys,
  });
  return { election, definition, encryption, weight, limits, h, fp };
}

/** SHA-256(canonical(ballot)) as 64 hex digits: the tracker (§14.11). */
export function trackerOf(ballot) {
  return toHex(sha256(canonicalBytes(ballot)));
}

/** Thrown when a seed derives a zero r; the caller draws another seed. */
class UnusableSeed extends Error {}

/**
 * Encrypt and prove a ballot with a given seed and nonce (§14.10, §14.11).
 * @param {ReturnType<typeof electionParams>} params
 * @param {Map<string, number[]>} counts contest id → counts in option order
 * @param {Uint8Array} seed 32 bytes @param {Uint8Array} nonce 16 bytes
 * @param {(n: number) => Uint8Array} random for the proofs
 * @returns {{ballot: object, tracker: string}}
 */
export function encryptBallot(params, counts, seed, nonce, random) {
  const { fp, h } = params;
  // Every r first, so that a zero r is found before any proof is drawn.
  const contests = params.limits.map(({ id, options }) => {
    const rs = options.map((option) => optionNonce(fp, nonce, seed, id, option));
    const rx = indicatorNonce(fp, nonce, seed, id);
    if (rs.includes(0n) || rx === 0n) throw new UnusableSeed();
    return { rs, rx };
  });
  const out = params.limits.map(({ id, options, p, L }, ci) => {
    const { rs, rx } = contests[ci];
    const m = counts.get(id);
    const total = m.reduce((s, x) => s + x, 0);
    const b = total >= 1 ? 1 : 0;
    const cts = options.map((_, i) => withBytes(encrypt(h, m[i], rs[i])));
    const ind = withBytes(encrypt(h, b, rx));
    const selections = options.map((option, i) => ({
      option,
      alpha: toHex(cts[i].alpha.bytes),
      beta: toHex(cts[i].beta.bytes),
      proof: proveSelection({
        fp, nonce, contest: id, option, p, h,
        alpha: cts[i].alpha,
        beta: cts[i].beta,
        m: m[i],
        r: rs[i],
        random,
      }),
    }));
    const sum = withBytes(cts.map(({ raw }) => raw).reduce(combine));
    const R = rs.reduce((s, r) => Fn.add(s, r), 0n);
    const proof = proveContest({
      fp, nonce, contest: id, L, h,
      indicator: [ind.alpha, ind.beta],
      sum: [sum.alpha, sum.beta],
      b, total, rx, R, random,
    });
    return {
      contest: id,
      selections,
      indicator: { alpha: toHex(ind.alpha.bytes), beta: toHex(ind.beta.bytes) },
      proof,
    };
  });
  const ballot = {
    format: BALLOT_FORMAT,
    election: params.election,
    fingerprint: toHex(fp),
    nonce: toHex(nonce),
    weight: params.weight,
    contests: out,
  };
  return { ballot, tracker: trackerOf(ballot) };
}

/**
 * The device's whole step: check the choices (§14.8), draw a seed and a
 * nonce, encrypt and prove. Keep the seed: it opens the ballot if the member
 * checks it, and must be forgotten if they cast it.
 * @returns {{ballot: object, tracker: string, seed: Uint8Array}}
 */
export function createBallot(params, choices, random) {
  const counts = countsFromChoices(params.limits, choices);
  for (;;) {
    const seed = random(32);
    const nonce = random(16);
    try {
      return { ...encryptBallot(params, counts, seed, nonce, random), seed };
    } catch (e) {
      if (!(e instanceof UnusableSeed)) throw e;
    }
  }
}

/**
 * What the page does while the member reads the ballot (§A: nobody should
 * wait at the encryption step): build the tables of g and h, and run one
 * throwaway encryption, selection proof and contest proof so that the
 * engine has compiled the code before the member submits. Nothing of it is
 * kept or sent.
 */
export function warmUp(params, random) {
  const { fp, h } = params;
  const nonce = random(16);
  const r = randomScalar(random);
  const ct = withBytes(encrypt(h, 1, r));
  proveSelection({ fp, nonce, contest: "warm-up", option: "warm-up", p: 1, h, alpha: ct.alpha, beta: ct.beta, m: 1, r, random });
  proveContest({
    fp, nonce, contest: "warm-up", L: 1, h,
    indicator: [ct.alpha, ct.beta],
    sum: [ct.alpha, ct.beta],
    b: 1, total: 1, rx: r, R: r, random,
  });
}

/**
 * The audited ballot of §16.10: everything a verifier needs to check, on
 * another device, that the ballot encrypts `choices`.
 */
export function auditedBallot(params, ballot, tracker, seed, choices) {
  return {
    format: AUDITED_FORMAT,
    definition: params.definition,
    encryption: params.encryption,
    ballot,
    tracker,
    seed: toHex(seed),
    choices,
  };
}

function withBytes(ct) {
  return {
    raw: ct,
    alpha: { point: ct.alpha, bytes: elementBytes(ct.alpha) },
    beta: { point: ct.beta, bytes: elementBytes(ct.beta) },
  };
}

// Encryption randomness from a ballot seed, §14.10.
//
// Every r of a ballot is derived from its 32-byte seed, so revealing the
// seed of an audited ballot opens its ciphertexts and nothing else (proof
// nonces are drawn fresh, never from the seed).

import { HS, TAGS, raw, str } from "./hash.js";

/**
 * r(contest c, option o) = HS("teller/encryption-nonce/v1"; raw(fp), raw(nonce),
 *                             raw(seed), str(c), str("option"), str(o))
 */
export function optionNonce(fp, nonce, seed, contest, option) {
  return HS(TAGS.encryptionNonce, nonceItems(fp, nonce, seed, contest, "option", option));
}

/**
 * r(contest c, indicator) = HS("teller/encryption-nonce/v1"; raw(fp), raw(nonce),
 *                              raw(seed), str(c), str("indicator"), str(""))
 */
export function indicatorNonce(fp, nonce, seed, contest) {
  return HS(TAGS.encryptionNonce, nonceItems(fp, nonce, seed, contest, "indicator", ""));
}

/** The items both derivations hash after their tag; `kind` is "option" or "indicator". */
export function nonceItems(fp, nonce, seed, contest, kind, option) {
  return [raw(fp), raw(nonce), raw(seed), str(contest), str(kind), str(option)];
}

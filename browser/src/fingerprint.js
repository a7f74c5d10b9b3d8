// The election fingerprint, §14.7: binds every proof to one election, one
// definition, one joint key and one set of trustees.

import { sha256 } from "@noble/hashes/sha2.js";
import { canonicalBytes } from "./canonical.js";
import { H256, TAGS, elt, list, raw, str, u32 } from "./hash.js";

/** definition_hash = SHA-256(canonical(definition)), FORMAT.md §3. */
export function definitionHash(definition) {
  return sha256(canonicalBytes(definition));
}

/**
 * fp = H256("teller/election-fingerprint/v1"; str(election id),
 *           raw(definition_hash), str("ristretto255"), u32(K), elt(h),
 *           list((u32(j), elt(K_j)) by increasing j))
 *
 * @param {object} a
 * @param {string} a.election the election id (36 characters)
 * @param {Uint8Array} a.definitionHash 32 bytes
 * @param {number} a.threshold K
 * @param {Point} a.jointKey h
 * @param {{trustee: number, key: Point}[]} a.verificationKeys K_j, by increasing j
 * @returns {Uint8Array} 32 bytes
 */
export function fingerprint(input) {
  return H256(TAGS.fingerprint, fingerprintItems(input));
}

/** The items the fingerprint hashes after its tag (for test vectors). */
export function fingerprintItems({ election, definitionHash, threshold, jointKey, verificationKeys }) {
  for (let i = 1; i < verificationKeys.length; i++) {
    if (verificationKeys[i].trustee <= verificationKeys[i - 1].trustee) {
      throw new Error("verification keys must be listed by increasing trustee index");
    }
  }
  return [
    str(election),
    raw(definitionHash),
    str("ristretto255"),
    u32(threshold),
    elt(jointKey),
    list(verificationKeys.map(({ trustee, key }) => [u32(trustee), elt(key)])),
  ];
}

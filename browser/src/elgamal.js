// Exponential ElGamal, §14.9: Enc_h(m; r) = (g^r, h^r · g^m).

import { G, TABLE_WINDOW, encodeElement, mul } from "./group.js";

/**
 * The joint key h made ready for many multiplications: a fixed-base table
 * like g's, built on first use (§D: `h.precompute(W)`). Returns the same point.
 */
export function prepareKey(h) {
  return h.precompute(TABLE_WINDOW);
}

/**
 * Enc_h(m; r). `m` is a count (0 ≤ m ≤ p), `r` a non-zero secret scalar.
 * g^m is computed by the same operations for every m, 0 included (§14.9's
 * note for the browser), through `mul`.
 * @returns {{alpha: Point, beta: Point}}
 */
export function encrypt(h, m, r) {
  return { alpha: mul(G, r), beta: mul(h, r).add(mul(G, BigInt(m))) };
}

/** Componentwise product: Enc(m₁; r₁) · Enc(m₂; r₂) = Enc(m₁ + m₂; r₁ + r₂). */
export function combine(x, y) {
  return { alpha: x.alpha.add(y.alpha), beta: x.beta.add(y.beta) };
}

/** g^m = β / α^x, for tests and the trustees' side (x is the secret key). */
export function decryptToPoint(x, { alpha, beta }) {
  return beta.subtract(alpha.multiplyUnsafe(x));
}

/** A ciphertext's JSON: {"alpha": E(α), "beta": E(β)}. */
export function ciphertextJson({ alpha, beta }) {
  return { alpha: encodeElement(alpha), beta: encodeElement(beta) };
}

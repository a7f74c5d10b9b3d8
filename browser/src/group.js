// The group: ristretto255 (RFC 9496), its elements and scalars.
// audit/FORMAT.md §14.1–§14.4.
//
// Every element and scalar that comes from outside is decoded here, at the
// edge, into a @noble/curves point or a bigint in [0, ℓ); nothing else in
// these modules does arithmetic on bytes it has not decoded.

import { ristretto255 } from "@noble/curves/ed25519.js";
import { bytesToNumberLE } from "@noble/curves/utils.js";
import { Refused } from "./refused.js";

/** The ristretto255 point class of @noble/curves. */
export const Point = ristretto255.Point;

/** Scalars mod ℓ (little-endian for Edwards curves). */
export const Fn = Point.Fn;

/** ℓ = 2^252 + 27742317777372353535851937790883648493, the group order (§14.1). */
export const ELL = Fn.ORDER;

/** The identity, encoded as 32 zero bytes. */
export const IDENTITY = Point.ZERO;

/**
 * The window of the fixed-base tables of g and h (@noble/curves'
 * `precompute(W)`): 2^(W−1)·(⌈256/W⌉ + 1) points each, built on first use.
 */
export const TABLE_WINDOW = 8;

/**
 * The generator g of RFC 9496 §4.4, the only one ever used (§14.1). A copy
 * of `Point.BASE` of our own, so that its table (built lazily on first use)
 * is ours and does not change the library's shared BASE.
 */
export const G = Point.fromBytes(Point.BASE.toBytes()).precompute(TABLE_WINDOW);

const HEX = /^[0-9a-f]*$/;

/**
 * Strict hex (FORMAT.md §1): lower case, exactly `bytes` bytes long.
 * Upper case is refused, never lower-cased.
 * @returns {Uint8Array}
 */
export function hexBytes(hex, bytes, path) {
  if (typeof hex !== "string" || hex.length !== 2 * bytes || !HEX.test(hex)) {
    throw new Refused("format", path, `expected ${2 * bytes} lower-case hex digits`, "hex");
  }
  const out = new Uint8Array(bytes);
  for (let i = 0; i < bytes; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Lower-case hex of `bytes`. */
export function toHex(bytes) {
  let s = "";
  for (const b of bytes) s += b.toString(16).padStart(2, "0");
  return s;
}

/** p = 2^255 − 19, the field of Curve25519. */
const P = 2n ** 255n - 19n;

/**
 * D(b), §14.2: decode 64 hex digits into a group element. The checks run
 * in this order, and the first that fails names the reason (as the Rust
 * verifier names it): `hex` (not 64 lower-case hex digits),
 * `non-canonical` (the field element s ≥ p, which includes the top bit
 * set), `negative` (s odd), `not-in-group` (RFC 9496 §4.3.1 Decode fails
 * otherwise). With `nonIdentity`, the identity (32 zero bytes) is refused
 * too, as `identity` (§14.2's list: the joint key, every alpha, …).
 */
export function decodeElement(hex, path, { nonIdentity = false } = {}) {
  const bytes = hexBytes(hex, 32, path);
  const s = bytesToNumberLE(bytes);
  if (s >= P) throw new Refused("format", path, "not a canonical encoding (the field element is at least 2^255 - 19)", "non-canonical");
  if (s & 1n) throw new Refused("format", path, "not a canonical encoding (the field element is negative)", "negative");
  let point;
  try {
    point = Point.fromBytes(bytes);
  } catch {
    throw new Refused("format", path, "not an element of ristretto255 (RFC 9496 decoding fails)", "not-in-group");
  }
  if (nonIdentity && point.is0()) {
    throw new Refused("format", path, "the identity element is not allowed here", "identity");
  }
  return point;
}

/** E(P), §14.2: the 32 bytes of RFC 9496 §4.3.2 Encode. */
export function elementBytes(point) {
  return point.toBytes();
}

/** E(P) as 64 lower-case hex digits. */
export function encodeElement(point) {
  return toHex(point.toBytes());
}

/**
 * §14.3: 32 bytes little-endian, refused unless below ℓ (no silent
 * reduction: ℓ, ℓ + 1 and anything with the top bit set are refused).
 * @returns {bigint}
 */
export function decodeScalar(hex, path) {
  const bytes = hexBytes(hex, 32, path);
  const s = bytesToNumberLE(bytes);
  if (s >= ELL) throw new Refused("format", path, "not a canonical scalar (at least the group order)", "non-canonical");
  return s;
}

/** The 32-byte little-endian encoding of a scalar in [0, ℓ). */
export function scalarBytes(s) {
  return Fn.toBytes(s);
}

/** A scalar as 64 lower-case hex digits. */
export function encodeScalar(s) {
  return toHex(Fn.toBytes(s));
}

/** Wide reduction (§14.4, §14.5): 64 bytes as a 512-bit little-endian integer, mod ℓ. */
export function scalarFromWide(bytes64) {
  if (bytes64.length !== 64) throw new Error("wide reduction takes exactly 64 bytes");
  return Fn.create(bytesToNumberLE(bytes64));
}

/**
 * A random non-zero scalar (§14.4): 64 bytes from `random`, reduced mod ℓ,
 * drawn again if 0. `random(n)` returns n bytes: the CSPRNG in the page,
 * fixed values in test vectors.
 */
export function randomScalar(random) {
  for (;;) {
    const s = scalarFromWide(random(64));
    if (s !== 0n) return s;
  }
}

/**
 * P^s for any scalar s in [0, ℓ), with @noble/curves' secret-scalar
 * `multiply` (which refuses 0): P^s = P^(s+1) / P. So s = 0 takes the same
 * path as any other s (§14.9's note: no branch on a vote of 0). The one
 * branch is on s = ℓ − 1, where s + 1 wraps to 0: for the random and derived
 * scalars used here that happens with probability 2^-252.
 */
export function mul(point, s) {
  const s1 = Fn.add(s, 1n);
  if (s1 === 0n) return point.negate();
  return point.multiply(s1).subtract(point);
}

/** g^m for a small public integer m (a branch index, a count). */
export function gPow(m) {
  return G.multiplyUnsafe(BigInt(m));
}

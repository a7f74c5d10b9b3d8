// Framed, domain-separated hashing: §14.5 and the tags of §14.6.
//
// Every hash input is a sequence of typed items; each item is written as
// F(x) = u32be(len(x)) ‖ x. H256 is SHA-256 of the tag and the items, HS is
// SHA-512 of the same, reduced mod ℓ as a 512-bit little-endian integer.

import { sha256, sha512 } from "@noble/hashes/sha2.js";
import { elementBytes, scalarBytes, scalarFromWide } from "./group.js";

/** §14.6: every tag the ballot code uses (the ceremony's are Rust-only). */
export const TAGS = Object.freeze({
  fingerprint: "teller/election-fingerprint/v1",
  encryptionNonce: "teller/encryption-nonce/v1",
  selectionProof: "teller/selection-proof/v1",
  contestProof: "teller/contest-proof/v1",
});

const utf8 = new TextEncoder();

function u32be(n) {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new Error(`not a u32: ${n}`);
  return Uint8Array.of(n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
}

function u64be(n) {
  const v = BigInt(n);
  if (v < 0n || v >= 1n << 64n) throw new Error(`not a u64: ${n}`);
  const out = new Uint8Array(8);
  for (let i = 0; i < 8; i++) out[i] = Number((v >> BigInt(56 - 8 * i)) & 0xffn);
  return out;
}

/** F(x): the length of `bytes` as 4 bytes big-endian, then the bytes. */
function frame(bytes) {
  const out = new Uint8Array(4 + bytes.length);
  out.set(u32be(bytes.length), 0);
  out.set(bytes, 4);
  return out;
}

// An item is the list of framed byte strings it contributes, in order.

/** str(s): the UTF-8 bytes of s (a domain tag, an id). */
export const str = (s) => [frame(utf8.encode(s))];
/** u32(n): n as 4 bytes big-endian. */
export const u32 = (n) => [frame(u32be(n))];
/** u64(n): n as 8 bytes big-endian. */
export const u64 = (n) => [frame(u64be(n))];
/** raw(b): the bytes themselves (a digest, a nonce, a seed). */
export const raw = (b) => [frame(Uint8Array.from(b))];
/** elt(P): E(P), 32 bytes. Takes a point or its 32 bytes as received. */
export const elt = (p) => [frame(p instanceof Uint8Array ? p : elementBytes(p))];
/** sc(s): the 32-byte encoding of scalar s. */
export const sc = (s) => [frame(scalarBytes(s))];
/**
 * list(x₁…xₙ): u32(n) followed by the items, each framed by its own type.
 * Each `entries[i]` is one item or an array of items (a tuple such as
 * `[u32(j), elt(K_j)]`), written one after the other.
 */
export const list = (entries) => [
  ...u32(entries.length),
  ...entries.flatMap((e) => (Array.isArray(e[0]) ? e.flat() : e)),
];

/** The bytes str(tag) ‖ x₁ ‖ … ‖ xₙ that H256 and HS hash. */
export function framed(tag, items) {
  const parts = [...str(tag), ...items.flat()];
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** H256(tag; items): 32 bytes. */
export function H256(tag, items) {
  return sha256(framed(tag, items));
}

/** HS(tag; items): a scalar, SHA-512 reduced mod ℓ (wide reduction). */
export function HS(tag, items) {
  return scalarFromWide(sha512(framed(tag, items)));
}

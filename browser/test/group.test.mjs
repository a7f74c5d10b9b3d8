// Elements and scalars beyond the RFC's vectors: §14.2–§14.4 and §B's
// `ristretto.refused` and `scalars` groups.

import assert from "node:assert/strict";
import { test } from "node:test";
import {
  ELL, Fn, G, IDENTITY, decodeElement, decodeScalar, encodeElement, encodeScalar, gPow, mul, randomScalar, scalarFromWide,
} from "../src/group.js";
import { drawOf, refusal, scripted } from "../fixtures/example.mjs";

const leHex = (n) => {
  let s = "";
  for (let i = 0; i < 32; i++) s += Number((n >> BigInt(8 * i)) & 0xffn).toString(16).padStart(2, "0");
  return s;
};

test("§14.2: the spec's own refusals (negative 0100…00, p = edff…7f, upper case, 63 and 65 digits, not a string)", () => {
  const cases = [
    ["01" + "00".repeat(31), "negative"],
    ["ed" + "ff".repeat(30) + "7f", "non-canonical"],
    [encodeElement(G).toUpperCase(), "hex"],
    [encodeElement(G).slice(0, 63), "hex"],
    [encodeElement(G) + "0", "hex"],
    [42, "hex"],
  ];
  for (const [input, code] of cases) {
    const e = refusal(() => decodeElement(input, "a"));
    assert.deepEqual([e.check, e.code], ["format", code], String(input));
  }
});

test("§14.3: 0, 1 and ℓ − 1 are scalars; ℓ, ℓ + 1, 2^255 − 1 and the top bit set are refused", () => {
  for (const s of [0n, 1n, ELL - 1n]) assert.equal(decodeScalar(leHex(s), "c"), s);
  assert.equal(leHex(ELL), "edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010");
  for (const s of [ELL, ELL + 1n, 2n ** 255n - 1n, 2n ** 255n]) {
    const e = refusal(() => decodeScalar(leHex(s % 2n ** 256n), "c"));
    assert.deepEqual([e.check, e.code], ["format", "non-canonical"]);
  }
  assert.equal(refusal(() => decodeScalar("AB".repeat(32), "c")).code, "hex");
  assert.equal(encodeScalar(ELL - 1n), leHex(ELL - 1n));
});

test("§14.4: wide reduction is the 512-bit little-endian integer mod ℓ", () => {
  const bytes = Uint8Array.from({ length: 64 }, (_, i) => (i * 37 + 11) & 0xff);
  let n = 0n;
  for (let i = 63; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i]);
  assert.equal(scalarFromWide(bytes), n % ELL);
  assert.equal(scalarFromWide(new Uint8Array(64).fill(0xff)), (2n ** 512n - 1n) % ELL);
});

test("§14.4: a draw that reduces to 0 is drawn again", () => {
  const zero = new Uint8Array(64);
  const ell = drawOf(0n);
  ell.set(Fn.toBytes(ELL - 1n));
  ell[0] += 1; // ℓ itself, little-endian: reduces to 0 too
  const random = scripted([zero, ell, drawOf(5n)]);
  assert.equal(randomScalar(random), 5n);
  assert.equal(random.used(), 3);
});

test("mul: P^s for every s, 0 and ℓ − 1 included, as multiplyUnsafe gives it", () => {
  const P = G.multiply(1234567n);
  for (const s of [0n, 1n, 2n, 3n, ELL - 2n, ELL - 1n, 2n ** 200n + 17n]) {
    assert.ok(mul(P, s).equals(P.multiplyUnsafe(s)), String(s));
  }
  assert.ok(mul(P, 0n).equals(IDENTITY));
  assert.ok(gPow(0).equals(IDENTITY) && gPow(3).equals(G.add(G).add(G)));
});

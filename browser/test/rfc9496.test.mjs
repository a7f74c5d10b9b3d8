// RFC 9496 Appendix A.1 and A.2, read from the RFC's own text
// (test/rfc9496-appendix-a.txt), never from the code under test.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { G, IDENTITY, Point, decodeElement, encodeElement } from "../src/group.js";
import { refusal } from "../fixtures/example.mjs";

const text = readFileSync(new URL("./rfc9496-appendix-a.txt", import.meta.url), "utf8");
const a1 = text.slice(text.indexOf("A.1."), text.indexOf("A.2."));
const a2 = text.slice(text.indexOf("A.2."));

/** B[ i]: eight groups of 8 hex digits. */
const multiples = [...a1.matchAll(/^B\[\s*(\d+)\]:((?: [0-9a-f]{8}){8})$/gm)].map((m) => ({
  i: Number(m[1]),
  hex: m[2].replaceAll(" ", ""),
}));

/** A.2: each "# class" heading, then lines of eight groups. */
const invalid = [];
let kind = null;
for (const line of a2.split("\n")) {
  const heading = line.match(/^ # (.+)$/);
  if (heading) kind = heading[1];
  const enc = line.match(/^ ((?:[0-9a-f]{8} ){7}[0-9a-f]{8})$/);
  if (enc) invalid.push({ kind, hex: enc[1].replaceAll(" ", "") });
}

test("the RFC text parses into 16 multiples and 29 invalid encodings in 5 classes", () => {
  assert.deepEqual(multiples.map((m) => m.i), [...Array(16).keys()]);
  const count = (k) => invalid.filter((v) => v.kind === k).length;
  assert.equal(count("Non-canonical field encodings."), 4);
  assert.equal(count("Negative field elements."), 8);
  assert.equal(count("Non-square x^2."), 8);
  assert.equal(count("Negative xy value."), 8);
  assert.equal(count("s = -1, which causes y = 0."), 1);
  assert.equal(invalid.length, 29);
});

test("A.1: B[i] is the encoding of i·g, and decodes to it", () => {
  let P = IDENTITY;
  for (const { i, hex } of multiples) {
    assert.equal(encodeElement(P), hex, `B[${i}]`);
    assert.ok(decodeElement(hex, "b").equals(P), `B[${i}] decodes to ${i}·g`);
    assert.equal(encodeElement(decodeElement(hex, "b")), hex, `E(D(B[${i}])) = B[${i}]`);
    P = P.add(G);
  }
  assert.equal(multiples[1].hex, encodeElement(Point.BASE), "g is RFC 9496's generator");
});

test("A.1: B[0], the identity, is refused where §14.2 forbids it", () => {
  const e = refusal(() => decodeElement(multiples[0].hex, "ballot.alpha", { nonIdentity: true }));
  assert.equal(e.check, "format");
  assert.equal(e.code, "identity");
  assert.equal(e.path, "ballot.alpha");
});

test("A.2: every invalid encoding is refused, with the reason of its class", () => {
  const reasons = {
    "Non-canonical field encodings.": "non-canonical",
    "Negative field elements.": "negative",
    "Non-square x^2.": "not-in-group",
    "Negative xy value.": "not-in-group",
    "s = -1, which causes y = 0.": "not-in-group",
  };
  for (const { kind, hex } of invalid) {
    const e = refusal(() => decodeElement(hex, "x"));
    assert.equal(e.check, "format", hex);
    assert.equal(e.code, reasons[kind], `${kind} ${hex}`);
  }
});

// §14.5 framing, H256 and HS; FORMAT.md §2 canonical JSON; §14.7 fingerprint;
// §14.10 nonces. Expected bytes are written out by hand from the spec.

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { test } from "node:test";
import { canonical } from "../src/canonical.js";
import { fingerprint } from "../src/fingerprint.js";
import { ELL, G, mul, scalarFromWide, toHex } from "../src/group.js";
import { H256, HS, TAGS, elt, framed, list, raw, sc, str, u32, u64 } from "../src/hash.js";
import { indicatorNonce, optionNonce } from "../src/nonces.js";

const hex = (items) => toHex(framed("t", items)).slice(toHex(framed("t", [])).length);

test("§14.5: each item type frames as the spec says", () => {
  assert.equal(hex([str("ab")]), "00000002" + "6162");
  assert.equal(hex([u32(3)]), "00000004" + "00000003");
  assert.equal(hex([u64(2n ** 40n + 1n)]), "00000008" + "0000010000000001");
  assert.equal(hex([raw(Uint8Array.of(1, 2, 3))]), "00000003" + "010203");
  assert.equal(hex([elt(G)]), "00000020" + "e2f2ae0a6abc4e71a884a961c500515f58e30b6aa582dd8db6a65945e08d2d76");
  assert.equal(hex([sc(1n)]), "00000020" + "01" + "00".repeat(31));
  assert.equal(hex([str("")]), "00000000");
  assert.equal(hex([str("é")]), "00000002" + "c3a9");
  // list: u32(n), then each entry's items, with no frame around the whole.
  assert.equal(
    hex([list([[u32(1), str("a")], [u32(2), str("b")]])]),
    "00000004" + "00000002" + "00000004" + "00000001" + "00000001" + "61" + "00000004" + "00000002" + "00000001" + "62",
  );
  assert.equal(hex([list([])]), "00000004" + "00000000");
});

test("§14.5: H256 is SHA-256 and HS is SHA-512 mod ℓ, over str(tag) and the items", () => {
  const bytes = framed("teller/x", [str("ab"), u32(3)]);
  assert.equal(toHex(bytes), "00000008" + Buffer.from("teller/x").toString("hex") + "00000002616200000004" + "00000003");
  assert.equal(toHex(H256("teller/x", [str("ab"), u32(3)])), createHash("sha256").update(bytes).digest("hex"));
  const wide = createHash("sha512").update(bytes).digest();
  let n = 0n;
  for (let i = 63; i >= 0; i--) n = (n << 8n) | BigInt(wide[i]);
  assert.equal(HS("teller/x", [str("ab"), u32(3)]), n % ELL);
  assert.equal(HS("teller/x", [str("ab"), u32(3)]), scalarFromWide(new Uint8Array(wide)));
});

test("§14.6: the ballot's tags", () => {
  assert.deepEqual(Object.values(TAGS), [
    "teller/election-fingerprint/v1",
    "teller/encryption-nonce/v1",
    "teller/selection-proof/v1",
    "teller/contest-proof/v1",
  ]);
});

test("FORMAT.md §2: canonical JSON sorts keys by UTF-8 bytes and escapes only what it must", () => {
  assert.equal(canonical({ b: 1, a: [true, null, "x"], "": 0 }), '{"":0,"a":[true,null,"x"],"b":1}');
  assert.equal(canonical("a\"b\\c\n\u0001/é\u007f"), '"a\\"b\\\\c\\u000a\\u0001/é\u007f"');
  assert.equal(canonical({ é: 1, z: 2, ab: 3, a: 4 }), '{"a":4,"ab":3,"z":2,"é":1}');
  assert.equal(canonical(18446744073709551615n), "18446744073709551615");
  assert.throws(() => canonical(1.5));
  assert.throws(() => canonical("\ud800"));
});

test("§14.7: the fingerprint's hash input, byte for byte", () => {
  const h = mul(G, 7n);
  const K = [mul(G, 11n), mul(G, 13n)];
  const definitionHash = new Uint8Array(32).fill(0xab);
  const election = "2a6f16d2-c738-4ef1-8402-71c1bfa25a25";
  const fp = fingerprint({
    election, definitionHash, threshold: 2, jointKey: h,
    verificationKeys: [{ trustee: 1, key: K[0] }, { trustee: 3, key: K[1] }],
  });
  const f = (b) => Buffer.concat([Buffer.from([0, 0, 0, b.length]), Buffer.from(b)]);
  const u = (n) => f(Buffer.from([0, 0, 0, n]));
  const expected = createHash("sha256")
    .update(Buffer.concat([
      f(Buffer.from("teller/election-fingerprint/v1")), f(Buffer.from(election)), f(definitionHash),
      f(Buffer.from("ristretto255")), u(2), f(h.toBytes()), u(2), u(1), f(K[0].toBytes()), u(3), f(K[1].toBytes()),
    ]))
    .digest("hex");
  assert.equal(toHex(fp), expected);
  assert.throws(() => fingerprint({ election, definitionHash, threshold: 2, jointKey: h, verificationKeys: [{ trustee: 3, key: K[1] }, { trustee: 1, key: K[0] }] }));
});

test("§14.10: the nonces are HS over fp, nonce, seed, contest and option (or the indicator)", () => {
  const fp = new Uint8Array(32).fill(1);
  const nonce = new Uint8Array(16).fill(2);
  const seed = new Uint8Array(32).fill(3);
  assert.equal(
    optionNonce(fp, nonce, seed, "directors", "amara-okafor"),
    HS("teller/encryption-nonce/v1", [raw(fp), raw(nonce), raw(seed), str("directors"), str("option"), str("amara-okafor")]),
  );
  assert.equal(
    indicatorNonce(fp, nonce, seed, "directors"),
    HS("teller/encryption-nonce/v1", [raw(fp), raw(nonce), raw(seed), str("directors"), str("indicator"), str("")]),
  );
  assert.notEqual(optionNonce(fp, nonce, seed, "directors", ""), indicatorNonce(fp, nonce, seed, "directors"));
});

// Shared by the tests: the example election, secrets from labels, and
// random sources that fix every drawn value.

import { readFileSync } from "node:fs";
import { sha512 } from "@noble/hashes/sha2.js";
import { electionParams } from "../src/ballot.js";
import { Fn, G, encodeElement, mul } from "../src/group.js";
import { HS, str } from "../src/hash.js";

/** The example election's definition (examples/board-election.toml, the treasurer's write-ins off, §14.11). */
export const exampleDefinition = JSON.parse(readFileSync(new URL("./example-definition.json", import.meta.url), "utf8"));

export const EXAMPLE_ELECTION = "2a6f16d2-c738-4ef1-8402-71c1bfa25a25";

/** §B: a secret from its label, HS("teller/test-vector/v1"; str(label)). */
export function labelScalar(label) {
  return HS("teller/test-vector/v1", [str(label)]);
}

/**
 * The 64 bytes that a prover's draw reduces to `s` (§14.4): s in 32 bytes
 * little-endian, then 32 zero bytes.
 */
export function drawOf(s) {
  const out = new Uint8Array(64);
  out.set(Fn.toBytes(s), 0);
  return out;
}

/** A `random(n)` that hands out `chunks` in order, each of exactly the length asked for. */
export function scripted(chunks) {
  let i = 0;
  const random = (n) => {
    if (i >= chunks.length) throw new Error(`the script has no draw ${i} (asked for ${n} bytes)`);
    const chunk = chunks[i++];
    if (chunk.length !== n) throw new Error(`draw ${i - 1}: asked for ${n} bytes, the script has ${chunk.length}`);
    return Uint8Array.from(chunk);
  };
  random.used = () => i;
  return random;
}

/** A deterministic `random(n)`: SHA-512 of the label and a counter, cut to n bytes. */
export function seeded(label) {
  let counter = 0;
  const random = (n) => {
    const out = new Uint8Array(n);
    for (let at = 0; at < n; at += 64) {
      const block = sha512(new TextEncoder().encode(`${label}/${counter++}`));
      out.set(block.subarray(0, Math.min(64, n - at)), at);
    }
    return out;
  };
  random.calls = () => counter;
  return random;
}

/** Trustees' secrets by label, their keys, and the example election's parameters. */
export function exampleElection({ definition = exampleDefinition, weight = "1", election = EXAMPLE_ELECTION } = {}) {
  const x = labelScalar("joint-secret");
  const verificationKeys = [1, 2, 3].map((j) => ({ trustee: j, key: encodeElement(mul(G, labelScalar(`trustee-${j}-share`))) }));
  const encryption = { threshold: 2, joint_key: encodeElement(mul(G, x)), verification_keys: verificationKeys };
  return { x, params: electionParams({ election, definition, encryption, weight }) };
}

/** Deep copy of a JSON value, to tamper with. */
export const copy = (v) => JSON.parse(JSON.stringify(v));

/** Run `f`, which must throw a `Refused`; returns it for the test to inspect. */
export function refusal(f) {
  try {
    f();
  } catch (e) {
    if (e?.name === "Refused") return e;
    throw e;
  }
  throw new Error("expected a refusal, and nothing was refused");
}

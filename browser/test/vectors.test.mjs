// The Rust implementation's known-answer vectors
// (audit/conformance/encrypted-vectors.json, made by
// `cargo run -p teller-audit --example encrypted_vectors`), recomputed here
// independently: every deterministic value byte for byte, every refusal
// with its check, path and reason (the plan of docs/design/encrypted-ballots.md §B).

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { auditedBallot, createBallot, electionParams } from "../src/ballot.js";
import { canonical } from "../src/canonical.js";
import { combine, decryptToPoint, encrypt } from "../src/elgamal.js";
import { definitionHash, fingerprint, fingerprintItems } from "../src/fingerprint.js";
import {
  Fn, G, IDENTITY, decodeElement, decodeScalar, encodeElement, encodeScalar, mul, scalarFromWide, toHex,
} from "../src/group.js";
import { H256, HS, TAGS, elt, framed, list, raw, sc, str, u32, u64 } from "../src/hash.js";
import { indicatorNonce, nonceItems, optionNonce } from "../src/nonces.js";
import {
  contestChallenge, contestChallengeItems, proveContest, proveSelection, selectionChallenge, selectionChallengeItems,
  verifyContest, verifySelection,
} from "../src/proofs.js";
import { verifyAudited, verifyBallot } from "../src/verify.js";
import { refusal, scripted } from "../fixtures/example.mjs";

const V = JSON.parse(readFileSync(new URL("../../audit/conformance/encrypted-vectors.json", import.meta.url), "utf8"));

const bytes = (hex) => Uint8Array.from(Buffer.from(hex, "hex"));
const label = (name) => HS("teller/test-vector/v1", [str(name)]);
/** A vector's secret: `{label, scalar}`, whose scalar must be the label's. */
const secret = ({ label: name, scalar }) => {
  assert.equal(encodeScalar(label(name)), scalar, `the scalar of label ${name}`);
  return decodeScalar(scalar, name);
};
const point = (hex) => decodeElement(hex, "vector");
const withBytes = (p) => ({ point: p, bytes: p.toBytes() });
const random = (draws) => scripted(draws.map(bytes));

/** A vector's typed hash item, as hash.js writes it. */
function item({ type, value, hex, items }) {
  switch (type) {
    case "str": return str(value);
    case "u32": return u32(value);
    case "u64": return u64(BigInt(value));
    case "raw": return raw(bytes(hex));
    case "elt": return elt(bytes(hex));
    case "sc": return sc(decodeScalar(hex, "sc"));
    case "list": return list(items.map(item));
    default: throw new Error(`unknown item type ${type}`);
  }
}

test("the file is teller-encrypted-vectors/1 with every group of the plan (§B)", () => {
  assert.equal(V.format, "teller-encrypted-vectors/1");
  for (const group of ["ristretto.encodings", "ristretto.refused", "ristretto.identity", "scalars", "hash", "fingerprint", "elgamal", "nonces", "selection-proof", "contest-proof", "encrypted-ballot", "audited-ballot", "refusals"]) {
    assert.ok(group in V, group);
  }
});

test("ristretto.encodings: i·g for i = 0…15 (RFC 9496 A.1)", () => {
  assert.equal(V["ristretto.encodings"].length, 16);
  for (const { multiple, scalar, encoding } of V["ristretto.encodings"]) {
    const s = decodeScalar(scalar, "scalar");
    assert.equal(s, BigInt(multiple));
    assert.equal(encodeElement(G.multiplyUnsafe(s)), encoding, `${multiple}·g`);
    assert.equal(encodeElement(decodeElement(encoding, "e")), encoding);
  }
});

test("ristretto.refused: each refused with the reason named", () => {
  for (const { input, reason, source } of V["ristretto.refused"]) {
    const e = refusal(() => decodeElement(input, "x"));
    assert.deepEqual([e.check, e.code], ["format", reason], `${source}: ${input}`);
  }
});

test("ristretto.identity: it decodes, and is refused only where §14.2 says", () => {
  const id = V["ristretto.identity"];
  assert.equal(id.decodes, true);
  assert.ok(decodeElement(id.encoding, "x").equals(IDENTITY));
  const cases = new Set(V.refusals.cases.map((c) => c.name));
  for (const r of id.refused) {
    if (r.field === "joint_key") {
      const e = refusal(() => electionParams({
        election: V["encrypted-ballot"][0].election,
        definition: V["encrypted-ballot"][0].definition,
        encryption: { threshold: 2, joint_key: id.encoding, verification_keys: [] },
      }));
      assert.deepEqual([e.check, e.path, e.code], ["format", "encryption.joint_key", "identity"]);
    } else {
      assert.ok(cases.has(r.refusal), `${r.field}: refusal case ${r.refusal} is in refusals (checked there)`);
    }
  }
});

test("scalars: accepted, refused with the reason, wide reduction", () => {
  for (const { input, what } of V.scalars.accepted) assert.equal(encodeScalar(decodeScalar(input, what)), input, what);
  for (const { input, reason, what } of V.scalars.refused) {
    const e = refusal(() => decodeScalar(input, "s"));
    assert.deepEqual([e.check, e.code], ["format", reason], what);
  }
  for (const { input, reduced, what } of V.scalars.wide_reduction) {
    assert.equal(encodeScalar(scalarFromWide(bytes(input))), reduced, what);
  }
});

test("hash: every item framed, every tag's H256 and HS, the test labels", () => {
  for (const { item: it, framed: expected } of V.hash.items) {
    const empty = toHex(framed("", []));
    assert.equal(toHex(framed("", [item(it)])).slice(empty.length), expected, JSON.stringify(it));
  }
  assert.deepEqual(V.hash.tags.map((t) => t.tag).slice(0, 4), Object.values(TAGS));
  assert.equal(V.hash.tags.length, 13);
  for (const { tag, items, input, h256, hs } of V.hash.tags) {
    const its = items.map(item);
    assert.equal(toHex(framed(tag, its)), input, tag);
    assert.equal(toHex(H256(tag, its)), h256, tag);
    assert.equal(encodeScalar(HS(tag, its)), hs, tag);
  }
  for (const { label: name, bytes: b, scalar } of V.hash.test_labels) {
    assert.equal(toHex(H256("teller/test-vector/v1", [str(name)])), b, name);
    assert.equal(encodeScalar(label(name)), scalar, name);
  }
});

/** The election parameters of a vector's fingerprint input. */
function paramsOf({ election, definition, input, weight = "1" }) {
  return electionParams({
    election,
    definition,
    encryption: { threshold: input.threshold, joint_key: input.joint_key, verification_keys: input.verification_keys },
    weight,
  });
}

test("fingerprint: the definition hash, the framed input and fp (§14.7)", () => {
  const f = V.fingerprint;
  assert.equal(toHex(definitionHash(f.definition)), f.input.definition_hash);
  assert.equal(f.input.group, "ristretto255");
  const x = secret(f.joint_secret);
  assert.equal(encodeElement(mul(G, x)), f.input.joint_key, "h = g^x");
  const a1 = label("election/a1");
  for (const { trustee, key } of f.input.verification_keys) {
    assert.equal(encodeElement(mul(G, Fn.add(x, Fn.mul(a1, BigInt(trustee))))), key, `K_${trustee} (${f.sharing})`);
  }
  const input = {
    election: f.input.election,
    definitionHash: bytes(f.input.definition_hash),
    threshold: f.input.threshold,
    jointKey: point(f.input.joint_key),
    verificationKeys: f.input.verification_keys.map(({ trustee, key }) => ({ trustee, key: point(key) })),
  };
  assert.equal(toHex(framed(TAGS.fingerprint, fingerprintItems(input))), f.framed);
  assert.equal(toHex(fingerprint(input)), f.fingerprint);
  assert.equal(f.short, f.fingerprint.slice(0, 16));
  const params = paramsOf({ election: f.input.election, definition: f.definition, input: f.input });
  assert.equal(toHex(params.fp), f.fingerprint, "electionParams computes the same fp");
});

test("elgamal: encryptions, decryptions, the product", () => {
  const e = V.elgamal;
  const x = secret(e.x);
  const h = mul(G, x);
  assert.equal(encodeElement(h), e.h);
  const cts = e.encryptions.map(({ m, r, alpha, beta, decrypted }) => {
    const ct = encrypt(h, m, secret(r));
    assert.deepEqual([encodeElement(ct.alpha), encodeElement(ct.beta)], [alpha, beta], `m = ${m}`);
    assert.equal(encodeElement(decryptToPoint(x, ct)), decrypted);
    assert.equal(decrypted, encodeElement(G.multiplyUnsafe(BigInt(m))));
    return ct;
  });
  const product = cts.reduce(combine);
  assert.deepEqual([encodeElement(product.alpha), encodeElement(product.beta)], [e.product.alpha, e.product.beta]);
  assert.equal(encodeElement(decryptToPoint(x, product)), e.product.decrypted);
  assert.equal(e.product.m, e.encryptions.reduce((s, { m }) => s + m, 0));
});

test("nonces: the seed, the nonce, and each derived r with its hash input (§14.10)", () => {
  const n = V.nonces;
  const fixed = ({ label: name, hex }) => {
    assert.equal(toHex(H256("teller/test-vector/v1", [str(name)])).slice(0, hex.length), hex, name);
    return bytes(hex);
  };
  const seed = fixed(n.seed);
  const nonce = fixed(n.nonce);
  const fp = bytes(n.fingerprint);
  for (const { contest, kind, option, input, r } of n.derivations) {
    assert.equal(toHex(framed(TAGS.encryptionNonce, nonceItems(fp, nonce, seed, contest, kind, option))), input, `${contest}/${kind}/${option}`);
    const derived = kind === "option" ? optionNonce(fp, nonce, seed, contest, option) : indicatorNonce(fp, nonce, seed, contest);
    assert.equal(encodeScalar(derived), r, `${contest}/${kind}/${option}`);
  }
});

test("selection-proof: each proof from its draws, byte for byte, and it verifies (§15.2)", () => {
  for (const v of V["selection-proof"]) {
    const { statement: s } = v;
    const h = point(s.h);
    const r = secret(v.r);
    const ct = encrypt(h, v.m, r);
    assert.deepEqual([encodeElement(ct.alpha), encodeElement(ct.beta)], [v.ciphertext.alpha, v.ciphertext.beta], v.name);
    assert.deepEqual(v.draws, v.drawn.map(({ scalar }) => scalar + "00".repeat(32)), `${v.name}: draws are the drawn scalars`);
    const statement = {
      fp: bytes(s.fingerprint), nonce: bytes(s.nonce), contest: s.contest, option: s.option, p: s.p, h,
      alpha: withBytes(ct.alpha), beta: withBytes(ct.beta),
    };
    const rnd = random(v.draws);
    const proof = proveSelection({ ...statement, m: v.m, r, random: rnd });
    assert.equal(rnd.used(), v.draws.length, `${v.name}: every draw used`);
    assert.deepEqual(proof, v.proof, v.name);
    const commitments = proof.map(({ a, b }) => [bytes(a), bytes(b)]);
    const items = selectionChallengeItems({ ...statement, alpha: statement.alpha.bytes, beta: statement.beta.bytes, commitments });
    assert.equal(toHex(framed(TAGS.selectionProof, items)), v.challenge_input, v.name);
    assert.equal(encodeScalar(selectionChallenge({ ...statement, alpha: statement.alpha.bytes, beta: statement.beta.bytes, commitments })), v.challenge);
    verifySelection({ ...statement, proof: v.proof, path: "proof" });
  }
});

test("contest-proof: the sum, each proof from its draws, byte for byte, and it verifies (§15.3)", () => {
  for (const v of V["contest-proof"]) {
    const { statement: s } = v;
    const h = point(s.h);
    const rs = v.selections.map(({ r }) => secret(r));
    const cts = v.selections.map(({ m, alpha, beta }, i) => {
      const ct = encrypt(h, m, rs[i]);
      assert.deepEqual([encodeElement(ct.alpha), encodeElement(ct.beta)], [alpha, beta], `${v.name}: selection ${i}`);
      return ct;
    });
    assert.deepEqual(v.selections.map(({ m }) => m), v.counts);
    const sum = cts.reduce(combine);
    assert.deepEqual([encodeElement(sum.alpha), encodeElement(sum.beta)], [v.sum.alpha, v.sum.beta], `${v.name}: sum`);
    const R = rs.reduce((a, b) => Fn.add(a, b), 0n);
    assert.equal(encodeScalar(R), v.r_sum);
    const rx = secret(v.indicator.r);
    const ind = encrypt(h, v.indicator.b, rx);
    assert.deepEqual([encodeElement(ind.alpha), encodeElement(ind.beta)], [v.indicator.alpha, v.indicator.beta]);
    const total = v.counts.reduce((a, b) => a + b, 0);
    assert.equal(v.k, total, `${v.name}: k`);
    const statement = {
      fp: bytes(s.fingerprint), nonce: bytes(s.nonce), contest: s.contest, L: s.L, h,
      indicator: [withBytes(ind.alpha), withBytes(ind.beta)],
      sum: [withBytes(sum.alpha), withBytes(sum.beta)],
    };
    const rnd = random(v.draws);
    const proof = proveContest({ ...statement, b: v.indicator.b, total, rx, R, random: rnd });
    assert.equal(rnd.used(), v.draws.length);
    assert.deepEqual(proof, v.proof, v.name);
    const its = {
      ...statement,
      indicator: statement.indicator.map((e) => e.bytes),
      sum: statement.sum.map((e) => e.bytes),
      commitments: proof.map((br) => [br.a1, br.b1, br.a2, br.b2].map(bytes)),
    };
    assert.equal(toHex(framed(TAGS.contestProof, contestChallengeItems(its))), v.challenge_input, v.name);
    assert.equal(encodeScalar(contestChallenge(its)), v.challenge);
    verifyContest({ ...statement, proof: v.proof, path: "proof" });
  }
});

test("encrypted-ballot: the whole ballot from its random bytes, its canonical JSON and tracker (§14.11)", () => {
  for (const v of V["encrypted-ballot"]) {
    const params = paramsOf({ election: v.election, definition: v.definition, input: v.fingerprint_input, weight: v.weight });
    assert.equal(toHex(definitionHash(v.definition)), v.fingerprint_input.definition_hash);
    assert.equal(toHex(params.fp), v.fingerprint, v.name);
    assert.deepEqual(params.limits.map(({ id, options, p, L }) => ({ contest: id, options, p, L })), v.shape, v.name);
    assert.deepEqual([v.random[0], v.random[1]], [v.seed, v.nonce]);
    const rnd = random(v.random);
    const made = createBallot(params, v.choices, rnd);
    assert.equal(rnd.used(), v.random.length, `${v.name}: every draw used`);
    assert.equal(toHex(made.seed), v.seed);
    assert.deepEqual(made.ballot, v.ballot, v.name);
    assert.equal(canonical(made.ballot), v.canonical, v.name);
    assert.equal(v.canonical.length, v.size);
    assert.equal(made.tracker, v.tracker, v.name);
    assert.equal(verifyBallot(v.ballot, params), v.tracker);
  }
});

test("audited-ballot: the device makes the same file, verify-audit opens it to its choices, and each change fails its check (§16.10)", () => {
  assert.ok(V["audited-ballot"].length > 0);
  for (const v of V["audited-ballot"]) {
    const b = V["encrypted-ballot"].find((x) => x.name === v.name);
    const params = paramsOf({ election: b.election, definition: b.definition, input: b.fingerprint_input, weight: b.weight });
    const made = createBallot(params, b.choices, random(b.random));
    const file = auditedBallot(params, made.ballot, made.tracker, made.seed, b.choices);
    assert.equal(canonical(file), canonical(v.file), `${v.name}: the device's audited ballot is the vector's`);
    const out = verifyAudited(JSON.parse(JSON.stringify(v.file)));
    assert.equal(out.fingerprint, b.fingerprint);
    assert.equal(out.tracker, b.tracker);
    assert.deepEqual(out.choices, v.choices);
    assert.deepEqual(v.counts.map(({ contest, counts }) => [contest, counts]), [...out.counts]);
    for (const r of v.refused) {
      const changed = { ...structuredClone(v.file), [r.member]: structuredClone(r.replacement) };
      const e = refusal(() => verifyAudited(changed));
      assert.equal(e.check, r.check, `${r.name}: ${e.message}`);
    }
  }
});

test("refusals: each case refused by the check, at the path, for the reason the Rust verifier names (§15.7)", () => {
  const { context, cases } = V.refusals;
  const example = V["encrypted-ballot"][0];
  assert.deepEqual([context.election, context.fingerprint, context.joint_key], [example.election, example.fingerprint, example.fingerprint_input.joint_key]);
  for (const c of cases) {
    const params = paramsOf({ election: example.election, definition: example.definition, input: example.fingerprint_input, weight: c.weight });
    const json = JSON.parse(c.ballot_text);
    const e = refusal(() =>
      verifyBallot(json, params, { storedAlphas: new Set(c.stored_alphas), auditedTrackers: new Set(c.audited_trackers) }),
    );
    const x = c.expected;
    assert.equal(e.check, x.check, `${c.name}: ${e.message}`);
    assert.equal(e.path || null, x.path, `${c.name}: ${e.message}`);
    if (x.proof_error) assert.equal(e.code, x.proof_error, c.name);
    if (x.branch !== undefined) assert.equal(e.branch, x.branch, c.name);
  }
});

// The page glue in real Chromium, under the strict CSP the ballot page will
// have (same-origin script file only): a page built to the contract of
// browser/README.md, served from loopback with the committed bundle.
// JavaScript on: encrypt, check (the audited ballot is posted, and decrypts
// to the marks; Cast is gone), encrypt again, cast with the confirmation box
// ticked (only the encrypted ballot and `confirm=yes` are posted).
// JavaScript off: the form posts the marks, as today.
//
// Uses Debian's Chromium and tests/browser's playwright-core (both set up
// by .ci/run); skipped, saying so, where either is missing.

import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { createServer } from "node:http";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { sha256 } from "@noble/hashes/sha2.js";
import { toHex } from "../src/group.js";
import { verifyAudited, verifyBallot } from "../src/verify.js";
import { exampleElection } from "../fixtures/example.mjs";

const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
const PLAYWRIGHT = fileURLToPath(new URL("../../tests/browser/node_modules/playwright-core/index.mjs", import.meta.url));
const BUNDLE = fileURLToPath(new URL("../../static/js/teller-ballot.js", import.meta.url));
const missing = !existsSync(CHROMIUM)
  ? `no Chromium at ${CHROMIUM}`
  : !existsSync(PLAYWRIGHT)
    ? "tests/browser's playwright-core is not installed (npm ci --prefix tests/browser)"
    : null;

const CSP =
  "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self'; " +
  "form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

const { params } = exampleElection();
const given = {
  election: params.election,
  weight: params.weight,
  definition: params.definition,
  encryption: params.encryption,
  fingerprint: toHex(params.fp),
};

const escape = (s) => s.replaceAll("&", "&amp;").replaceAll('"', "&quot;").replaceAll("<", "&lt;");

function ballotPage() {
  const contests = params.definition.contests
    .map((c) => {
      const options = c.method.kind === "referendum" ? ["yes", "no", "abstain"].map((id) => ({ id, name: id })) : c.candidates;
      const type = c.method.kind === "referendum" || c.seats === 1 ? "radio" : "checkbox";
      return `<fieldset id="contest-${c.id}"><legend>${escape(c.title)}</legend>${options
        .map((o) => `<input type="${type}" name="c.${c.id}" id="${c.id}-${o.id}" value="${o.id}"><label for="${c.id}-${o.id}">${escape(o.name)}</label>`)
        .join("")}</fieldset>`;
    })
    .join("\n");
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Ballot</title></head><body>
<form method="post" action="/review" data-teller-encrypt="${escape(JSON.stringify(given))}"
      data-teller-cast-action="/cast" data-teller-audit-action="/audited">
<input type="hidden" name="csrf" value="token-123">
${contests}
<button type="submit" id="review">Review</button>
<p data-teller-status role="status" aria-live="polite"></p>
</form>
<div data-teller-booth hidden data-msg-encrypting="Encrypting" data-msg-ready="Ready" data-msg-checking="Checking"
     data-msg-audit-sent="Audit recorded" data-msg-audit-unsent="Audit not recorded" data-msg-invalid="Invalid"
     data-msg-failed="Failed" data-msg-mismatch="Mismatch" data-msg-blank="Blank">
  <p>Tracker <code data-teller-tracker></code> fingerprint <code data-teller-fingerprint></code></p>
  <div data-teller-cast-only><input type="checkbox" id="confirm" name="confirm" value="yes" data-teller-confirm><label for="confirm">E-mail me</label></div>
  <button type="button" data-teller-cast>Cast</button>
  <button type="button" data-teller-check>Check my encryption</button>
  <button type="button" data-teller-change>Change</button>
  <section data-teller-audit hidden><ul data-teller-audit-choices></ul>
    <a data-teller-audit-download>Download</a><button type="button" data-teller-again>Encrypt again</button></section>
</div>
<script src="/static/js/teller-ballot.js" defer></script>
</body></html>`;
}

/** The loopback server: the page, the bundle, and what the page posts. */
async function serve() {
  const posts = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => (body += chunk));
    req.on("end", () => {
      const headers = { "Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff" };
      if (req.method === "GET" && req.url === "/") {
        res.writeHead(200, { ...headers, "Content-Type": "text/html; charset=utf-8" }).end(ballotPage());
      } else if (req.method === "GET" && req.url === "/static/js/teller-ballot.js") {
        res.writeHead(200, { ...headers, "Content-Type": "text/javascript; charset=utf-8" }).end(readFileSync(BUNDLE));
      } else if (req.method === "POST") {
        posts.push({ url: req.url, type: req.headers["content-type"], body });
        const status = req.url === "/audited" ? 201 : 200;
        res.writeHead(status, { ...headers, "Content-Type": "text/html; charset=utf-8" }).end(`<!doctype html><title>${req.url}</title><p id="done">${req.url}</p>`);
      } else {
        res.writeHead(404, headers).end();
      }
    });
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, posts, origin: `http://127.0.0.1:${server.address().port}` };
}

test("booth.js in Chromium: encrypt, check, encrypt again, cast; and the form without JavaScript", { skip: missing ?? false, timeout: 120000 }, async (t) => {
  const { chromium } = await import(PLAYWRIGHT);
  const { server, posts, origin } = await serve();
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run", "--disable-sync"],
  });
  try {
    const context = await browser.newContext();
    await context.route("**/*", (route) => (route.request().url().startsWith(origin) ? route.continue() : route.abort()));
    const page = await context.newPage();
    const problems = [];
    page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
    page.on("console", (m) => m.type() === "error" && problems.push(`console: ${m.text()}`));
    await page.goto(origin + "/");
    await page.check("#directors-amara-okafor");
    await page.check("#directors-priya-raman");
    await page.check("#bylaw-amendment-7-yes");
    await page.waitForTimeout(1000); // the warm-up, while a member would be reading
    const started = Date.now();
    await page.click("#review");
    await page.waitForFunction(() => /^[0-9a-f]{64}$/.test(document.querySelector("[data-teller-tracker]").textContent));
    t.diagnostic(`Chromium: submit to tracker shown in ${Date.now() - started} ms (the example ballot, after the warm-up)`);
    assert.equal(await page.textContent("[data-teller-fingerprint]"), toHex(params.fp).slice(0, 16));
    assert.equal(await page.textContent("[data-teller-status]"), "Ready");
    const first = await page.textContent("[data-teller-tracker]");

    // Check my encryption: the audited ballot is posted and lists the marks.
    await page.click("[data-teller-check]");
    await page.waitForFunction(() => document.querySelector("[data-teller-status]").textContent === "Audit recorded");
    const audit = posts.find((p) => p.url === "/audited");
    assert.equal(audit.type, "application/json");
    const file = JSON.parse(audit.body);
    assert.equal(file.tracker, first);
    assert.deepEqual(verifyAudited(file).choices, { directors: ["amara-okafor", "priya-raman"], treasurer: [], "bylaw-amendment-7": ["yes"] });
    const listed = await page.textContent("[data-teller-audit-choices]");
    assert.match(listed, /Amara Okafor, Priya Raman/);
    assert.match(listed, /Treasurer: Blank/);
    assert.match(await page.getAttribute("[data-teller-audit-download]", "href"), /^blob:/);
    assert.ok(await page.isHidden("[data-teller-cast]"), "a checked ballot is not offered for casting");
    assert.ok(await page.isHidden("[data-teller-check]"), "nor checked twice");
    assert.ok(await page.isHidden("#confirm"), "nor a confirmation of its cast offered");

    // Encrypt again, then cast: a new tracker, and only the encrypted ballot leaves.
    await page.click("[data-teller-again]");
    await page.click("#review");
    await page.waitForFunction((t) => {
      const now = document.querySelector("[data-teller-tracker]").textContent;
      return /^[0-9a-f]{64}$/.test(now) && now !== t && !document.querySelector("[data-teller-booth]").hidden;
    }, first);
    const second = await page.textContent("[data-teller-tracker]");
    assert.ok(await page.isVisible("[data-teller-cast]"), "the new encryption can be cast");
    await page.check("#confirm"); // ask for a confirmation e-mail
    await Promise.all([page.waitForURL(origin + "/cast"), page.click("[data-teller-cast]")]);
    const cast = posts.find((p) => p.url === "/cast");
    const fields = new URLSearchParams(cast.body);
    assert.deepEqual([...fields.keys()].sort(), ["confirm", "csrf", "encrypted_ballot"]);
    assert.equal(fields.get("confirm"), "yes");
    assert.equal(fields.get("csrf"), "token-123");
    const text = fields.get("encrypted_ballot");
    assert.equal(toHex(sha256(new TextEncoder().encode(text))), second, "the tracker is SHA-256 of the posted bytes");
    assert.equal(verifyBallot(JSON.parse(text), params), second);
    assert.ok(!posts.some((p) => p.url === "/review"), "the marks were never posted");
    assert.deepEqual(problems, []);

    // Without JavaScript the form posts the marks, as today.
    const plain = await browser.newContext({ javaScriptEnabled: false });
    const p2 = await plain.newPage();
    await p2.goto(origin + "/");
    await p2.check("#directors-amara-okafor");
    await Promise.all([p2.waitForURL(origin + "/review"), p2.click("#review")]);
    const review = new URLSearchParams(posts.find((p) => p.url === "/review").body);
    assert.deepEqual(review.getAll("c.directors"), ["amara-okafor"]);
  } finally {
    await browser.close();
    server.close();
  }
});

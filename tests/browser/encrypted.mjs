// An encrypted election's ballot in real Chromium, JavaScript on: the page
// Teller serves (browser/README.md's page contract, under its own CSP) and
// the committed bundle static/js/teller-ballot.js. A member opens the
// ballot, marks it, presses the submit button and sees the tracker; checks
// the encryption and sees the decrypted choices, with the file, and no
// Cast button any more (a checked ballot can never be cast); encrypts
// again, ticks the box asking for a confirmation e-mail, then casts and
// gets the receipt page. Every POST the page sends is
// recorded (written to OUT/posts.json for tests/browser.rs): no mark field
// may ever leave the device. axe-core checks the ballot with the booth
// shown, the checked encryption and the receipt.
//
//   node tests/browser/encrypted.mjs FIXTURE.json
//
// The fixture: `base` (the server), `link` (a member's voting link),
// `election`, `out` (a directory for posts.json and, on failure, the page).

import { chromium } from 'playwright-core';
import { readFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'];
const CHROMIUM = process.env.TELLER_CHROMIUM || '/usr/bin/chromium';
const TIME_LIMIT_MS = 120_000;

const fixture = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const ORIGIN = new URL(fixture.base).origin;
setTimeout(() => {
  console.error(`FAILED: the encrypted ballot flow took longer than ${TIME_LIMIT_MS / 1000} s`);
  process.exit(1);
}, TIME_LIMIT_MS).unref();

const problems = []; // console errors (CSP refusals), page errors, other origins
const posts = [];    // every POST the page sent: { url, type, body }

function expect(ok, message) {
  if (!ok) throw new Error(message);
}

async function axe(page, label) {
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.evaluate(AXE_SOURCE);
  const result = await page.evaluate(tags => window.axe.run(document, {
    runOnly: { type: 'tag', values: tags },
    resultTypes: ['violations'],
  }), AXE_TAGS);
  for (const v of result.violations) {
    problems.push(`${label}: axe ${v.id}: ${v.help} (${v.nodes.map(n => n.target.join(' ')).join('; ')})`);
  }
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth);
  if (overflow) problems.push(`${label}: the page is wider than the window`);
  console.log(`  checked ${label}: ${result.violations.length} axe violation(s)${overflow ? ', OVERFLOWS' : ''}`);
}

const browser = await chromium.launch({
  executablePath: CHROMIUM,
  headless: true,
  args: [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
    '--disable-component-update', '--no-first-run', '--disable-sync',
  ],
});
let page = null;
let failed = null;
try {
  const context = await browser.newContext({
    javaScriptEnabled: true,
    viewport: { width: 360, height: 740 },
    locale: 'en-GB',
    timezoneId: 'UTC',
    reducedMotion: 'reduce',
    acceptDownloads: true,
  });
  await context.route('**/*', route => {
    const url = route.request().url();
    if (url.startsWith('data:') || url.startsWith('blob:') || new URL(url).origin === ORIGIN) return route.continue();
    problems.push(`requested from another origin: ${url}`);
    return route.abort('blockedbyclient');
  });
  page = await context.newPage();
  page.on('console', msg => msg.type() === 'error' && problems.push(`console: ${msg.text()}`));
  page.on('pageerror', err => problems.push(`page error: ${err.message}`));
  page.on('request', req => {
    if (req.method() === 'POST') posts.push({ url: new URL(req.url()).pathname, type: req.headers()['content-type'] ?? '', body: req.postData() ?? '' });
  });

  console.log('Member: an encrypted ballot, JavaScript on, 360 px');
  await page.goto(fixture.link);
  expect(new URL(page.url()).pathname === '/ballot', `the link did not open the ballot: ${page.url()}`);
  expect(/Your ballot/.test(await page.textContent('h1')), 'not the ballot page');
  // The script has taken over once it shows the fingerprint.
  await page.waitForFunction(() => /^[0-9a-f]{16}$/.test(document.querySelector('[data-teller-fingerprint]')?.textContent ?? ''));
  expect(await page.isHidden('[data-teller-booth]'), 'the booth shows before the ballot is encrypted');

  await page.getByLabel('Helen Achterberg').check();
  await page.getByLabel('Lucia Ferreira').check();
  await page.getByLabel('Chicago').check();
  await page.getByLabel('Denver').check();
  await page.locator('input[name="c.dues-2027"][value="yes"]').check();

  const encrypt = async () => {
    await page.getByRole('button', { name: 'Review my choices' }).click();
    await page.waitForSelector('[data-teller-booth]', { state: 'visible' });
    const tracker = (await page.textContent('[data-teller-tracker]')).trim();
    expect(/^[0-9a-f]{64}$/.test(tracker), `the booth shows no tracker: "${tracker}"`);
    expect(await page.evaluate(() => document.querySelector('form[data-teller-encrypt]').inert), 'the form is not inert while the booth shows');
    expect(await page.getByRole('button', { name: 'Cast my ballot' }).isVisible(), 'a new encryption offers no Cast button');
    expect(await page.getByRole('button', { name: 'Check my encryption' }).isVisible(), 'a new encryption offers no Check button');
    return tracker;
  };
  const first = await encrypt();
  console.log(`  encrypted, tracker ${first}`);
  expect(new URL(page.url()).pathname === '/ballot', 'the submit button left the page');
  await axe(page, 'ballot, encrypted, the booth shown');

  // Check my encryption: the ballot is opened on the device and listed.
  await page.getByRole('button', { name: 'Check my encryption' }).click();
  await page.waitForSelector('[data-teller-audit]', { state: 'visible' });
  await page.waitForFunction(() => /election service has kept/.test(document.querySelector('[data-teller-status]')?.textContent ?? ''));
  // A checked ballot can never be cast: Cast (and Check) are gone; the
  // member can only encrypt again (or change their choices).
  expect(await page.isHidden('[data-teller-cast]'), 'Cast is still offered after the encryption was checked');
  expect(await page.isHidden('[data-teller-check]'), 'Check is still offered after the encryption was checked');
  expect(await page.isHidden('[data-teller-confirm]'), 'the confirmation box is still offered after the encryption was checked');
  expect(await page.getByRole('button', { name: 'Encrypt again' }).isVisible(), 'no Encrypt again after the check');
  expect(await page.evaluate(() => document.activeElement?.matches('[data-teller-again]')), 'the focus is not on Encrypt again after the check');
  const listed = await page.$$eval('[data-teller-audit-choices] li', lis => lis.map(li => li.textContent.trim()));
  console.log(`  decrypted: ${listed.join(' | ')}`);
  const wanted = ['Ethics Committee: Helen Achterberg, Lucia Ferreira', 'Conference cities: Chicago, Denver', 'Dues for 2027: Yes'];
  expect(JSON.stringify(listed) === JSON.stringify(wanted), `the decrypted choices are ${JSON.stringify(listed)}, not ${JSON.stringify(wanted)}`);
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('link', { name: 'Download the checked ballot' }).click(),
  ]);
  const file = JSON.parse(readFileSync(await download.path(), 'utf8'));
  expect(file.format === 'teller-audited-ballot/1' && file.tracker === first, `the downloaded file is not the checked ballot: ${file.format} ${file.tracker}`);
  expect(download.suggestedFilename() === `audited-ballot-${first.slice(0, 16)}.json`, `the file is named ${download.suggestedFilename()}`);
  await axe(page, 'ballot, encryption checked');

  // Encrypt again, then cast: a new encryption, cast by the device.
  await page.getByRole('button', { name: 'Encrypt again' }).click();
  await page.waitForSelector('[data-teller-booth]', { state: 'hidden' });
  const second = await encrypt();
  expect(second !== first, 'encrypting again gave the same tracker');
  console.log(`  encrypted again, tracker ${second}`);
  // The box asking for a confirmation e-mail, beside Cast (the election
  // sends confirmations, the server has mail, the member an address).
  const box = page.getByLabel('E-mail me a confirmation when my ballot is in the public record');
  expect(await box.isVisible() && !(await box.isChecked()), 'the booth offers no (unticked) confirmation box');
  await box.check();
  await Promise.all([
    page.waitForNavigation({ waitUntil: 'load' }),
    page.getByRole('button', { name: 'Cast my ballot' }).click(),
  ]);
  expect(/ballot has been cast/.test(await page.textContent('h1')), `no receipt: ${await page.textContent('main')}`);
  const shown = (await page.textContent('.tracker code')).replace(/\s+/g, '');
  expect(shown === second, `the receipt's tracker ${shown} is not the cast one ${second}`);
  expect((await page.textContent('main')).includes('Your receipt shows no choices'), 'the receipt does not say why it shows no choices');
  await axe(page, 'receipt of an encrypted ballot');

  // What left the device: the audited ballot (JSON), then the encrypted
  // ballot alone; never the marks.
  const urls = posts.map(p => p.url);
  expect(JSON.stringify(urls) === JSON.stringify([`/api/v1/elections/${fixture.election}/audited`, '/ballot/cast']), `the page posted ${urls}`);
  const cast = new URLSearchParams(posts[1].body);
  expect(JSON.stringify([...cast.keys()]) === '["encrypted_ballot","confirm"]' && cast.get('confirm') === 'yes', `the cast posted fields ${[...cast.keys()]}`);
  // No form field of a mark in any POST. The audited ballot is JSON and,
  // by design, opens the spoiled ballot (its seed and choices): that one
  // is never cast. The cast names no candidate.
  for (const p of posts) {
    expect(!/(^|&)[cwrp]\./.test(p.body), `${p.url} carried a mark field: ${p.body.slice(0, 200)}`);
  }
  expect(posts[0].type.startsWith('application/json') && JSON.parse(posts[0].body).tracker === first, 'the audit did not post the checked ballot');
  expect(!/Helen|Lucia|Kofi|Chicago|Denver|Boston|Atlanta|"choices"|"seed"/.test(posts[1].body), `the cast carried a choice: ${posts[1].body.slice(0, 200)}`);
  console.log(`  posted: ${posts.map(p => `${p.url} (${p.type}, ${p.body.length} bytes)`).join(', ')}`);
} catch (e) {
  failed = e;
  if (page && fixture.out) {
    try {
      mkdirSync(fixture.out, { recursive: true });
      const html = path.join(fixture.out, 'encrypted-stopped-at.html');
      writeFileSync(html, await page.content());
      console.error(`the flow stopped at ${page.url()}; its HTML is in ${html}`);
    } catch { /* the page may be gone */ }
  }
} finally {
  await browser.close();
}

mkdirSync(fixture.out, { recursive: true });
writeFileSync(path.join(fixture.out, 'posts.json'), JSON.stringify(posts, null, 2));
if (failed) {
  console.error(`FAILED: ${failed.stack || failed}`);
  for (const p of problems) console.error(`  also: ${p}`);
  process.exit(1);
}
if (problems.length) {
  console.error(`FAILED: ${problems.length} problem(s):\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log('the encrypted ballot passed in Chromium');

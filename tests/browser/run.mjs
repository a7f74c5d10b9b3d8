// Teller in real Chromium: the member flow by keyboard alone with JavaScript
// off at 360 px and on at 1,280 px, and the staff flow from sign-in to the
// tellers' report. On every page: axe-core (WCAG 2.1 A/AA and best practice)
// with zero violations, no horizontal overflow, and nothing requested from
// another origin.
//
//   node tests/browser/run.mjs FIXTURE.json
//
// tests/browser.rs starts Teller, prepares the elections and accounts, writes
// the fixture and runs this script. The fixture names the server (`base`),
// the elections, voting codes, staff accounts, and `screenshots`: a directory
// to write the docs' screenshots to, or null.

import { chromium } from 'playwright-core';
import { readFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'];
const CHROMIUM = process.env.TELLER_CHROMIUM || '/usr/bin/chromium';
const TIME_LIMIT_MS = 180_000;

// Failures known today in files this suite does not own, each named by page,
// check and rule, so that everything else stays strict. An entry that no
// longer fails is reported, so the list shrinks as pages are fixed.
//   page:  the label the flows below give the page
//   check: 'axe' (id: the axe rule), 'overflow', 'tracker-groups', 'code-fits',
//          'focus-visible' (id: what had the focus)
// e.g. { page: 'review (JS off, 360 px)', check: 'axe', id: 'color-contrast' }
// None today: every check passes.
const KNOWN_FAILURES = [
];

const fixture = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const ORIGIN = new URL(fixture.base).origin;
const started = Date.now();
const failures = [];        // { page, check, id, detail }
const expectedSeen = new Set();
const pages = [];           // { label, url, width, js, violations, overflow }
const offOrigin = [];       // requests to another origin (blocked)
const consoleProblems = []; // CSP violations and the like
const counts = { focus: 0, codeFits: 0, trackerGroups: 0 };

setTimeout(() => {
  console.error(`FAILED: the browser flows took longer than ${TIME_LIMIT_MS / 1000} s`);
  process.exit(1);
}, TIME_LIMIT_MS).unref();

function known(page, check, id) {
  const i = KNOWN_FAILURES.findIndex(k => k.page === page && k.check === check && (k.id ?? null) === (id ?? null));
  if (i >= 0) expectedSeen.add(i);
  return i >= 0;
}

function fail(page, check, id, detail) {
  if (known(page, check, id)) {
    console.log(`  expected failure (KNOWN_FAILURES): ${page}: ${check}${id ? ` ${id}` : ''}`);
    return;
  }
  failures.push({ page, check, id, detail });
  console.log(`  FAIL ${page}: ${check}${id ? ` ${id}` : ''}\n${detail.replace(/^/gm, '      ')}`);
}

// ---------------------------------------------------------------------------
// The browser: loopback only, every other origin blocked and recorded.

const browser = await chromium.launch({
  executablePath: CHROMIUM,
  headless: true,
  // Playwright gives each launch a fresh temporary --user-data-dir of its own
  // and removes it afterwards.
  args: [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
    '--disable-component-update', '--no-first-run', '--disable-sync',
  ],
});

async function newContext({ js, width, height }) {
  const context = await browser.newContext({
    javaScriptEnabled: js,
    viewport: { width, height },
    deviceScaleFactor: 1,
    locale: 'en-GB',
    timezoneId: 'UTC',
    reducedMotion: 'reduce',
  });
  await context.route('**/*', route => {
    const url = route.request().url();
    if (url.startsWith('data:') || new URL(url).origin === ORIGIN) return route.continue();
    offOrigin.push(url);
    return route.abort('blockedbyclient');
  });
  context.on('page', watch);
  return context;
}

function watch(page) {
  page.on('console', msg => {
    if (msg.type() === 'error' && /Content Security Policy|Refused to/i.test(msg.text())) {
      consoleProblems.push(`${page.url()}: ${msg.text()}`);
    }
  });
  page.on('pageerror', err => consoleProblems.push(`${page.url()}: ${err.message}`));
}

// The guard itself: a page asking another origin is stopped and recorded.
{
  const context = await newContext({ js: true, width: 360, height: 740 });
  const page = await context.newPage();
  await page.goto('http://192.0.2.1/teller-browser-test').catch(() => {});
  if (offOrigin.length !== 1) throw new Error(`the other-origin guard did not see a request to 192.0.2.1: ${offOrigin}`);
  offOrigin.length = 0;
  await context.close();
}

// Pages seen with JavaScript off are checked by axe in a second page with
// JavaScript on, loaded with the very same HTML at the same address (axe needs
// script, and the pages have none: the CSP forbids it).
const auditContext = await newContext({ js: true, width: 360, height: 740 });
const auditPage = await auditContext.newPage();

async function runAxe(page) {
  // Not addScriptTag: the CSP (default-src 'none') refuses inline script,
  // while evaluation from the test is not subject to it.
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.evaluate(AXE_SOURCE);
  return page.evaluate(tags => window.axe.run(document, {
    runOnly: { type: 'tag', values: tags },
    resultTypes: ['violations'],
  }), AXE_TAGS);
}

async function axeOf(page, js) {
  if (js) return runAxe(page);
  const html = await page.content();
  const url = page.url();
  const viewport = page.viewportSize();
  await auditPage.setViewportSize(viewport);
  const handler = route => route.request().isNavigationRequest() && route.request().url() === url
    ? route.fulfill({ status: 200, contentType: 'text/html; charset=utf-8', body: html })
    : route.fallback();
  await auditPage.route('**/*', handler);
  try {
    await auditPage.goto(url, { waitUntil: 'load' });
  } finally {
    await auditPage.unroute('**/*', handler);
  }
  return runAxe(auditPage);
}

// ---------------------------------------------------------------------------
// The checks every page gets.

let current = null; // the page in use, saved for the report if a flow stops

async function checkPage(page, label, { js, screenshot } = {}) {
  current = page;
  await page.waitForLoadState('load');
  const { width } = page.viewportSize();
  const result = await axeOf(page, js);
  for (const v of result.violations) {
    const targets = v.nodes.map(n => `${n.target.join(' ')}${n.failureSummary ? `\n        ${n.failureSummary.replace(/\n/g, ' ')}` : ''}`);
    fail(label, 'axe', v.id, `${v.id} (${v.impact}): ${v.help}\n  ${v.helpUrl}\n  ${targets.join('\n  ')}`);
  }
  const overflow = await page.evaluate(() => {
    const limit = window.innerWidth;
    const wide = document.documentElement.scrollWidth;
    if (wide <= limit) return null;
    // The outermost elements reaching past the window's right edge.
    const culprits = [];
    const describe = el => `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}${typeof el.className === 'string' && el.className.trim() ? `.${el.className.trim().split(/\s+/).join('.')}` : ''}`;
    for (const el of document.body.querySelectorAll('*')) {
      const r = el.getBoundingClientRect();
      const parent = el.parentElement;
      if (r.right > limit + 0.5 && (!parent || parent.getBoundingClientRect().right <= limit + 0.5 || getComputedStyle(parent).overflowX !== 'visible')) {
        let cells = '';
        if (el.tagName === 'TABLE' && el.rows.length) {
          cells = `; its columns: ${[...el.rows[0].cells].map(c => `"${c.textContent.trim().slice(0, 30)}" ${Math.round(c.getBoundingClientRect().width)} px`).join(', ')}`;
        }
        culprits.push(`${describe(el)} in ${parent ? describe(parent) : 'nothing'} (right edge ${Math.round(r.right)} px)${cells}`);
      }
      if (culprits.length >= 6) break;
    }
    if (culprits.length === 0) {
      // Nothing is too wide itself: a long unbreakable word runs out of its box.
      for (const el of document.body.querySelectorAll('*')) {
        if (el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).overflowX === 'visible' && el.clientWidth > 0) {
          culprits.push(`text running out of ${describe(el)}: "${el.textContent.trim().replace(/\s+/g, ' ').slice(0, 80)}…"`);
          break;
        }
      }
    }
    return { wide, limit, culprits };
  });
  if (overflow) {
    fail(label, 'overflow', null,
      `the page is ${overflow.wide} px wide in a ${overflow.limit} px window; widest elements:\n  ${overflow.culprits.join('\n  ')}`);
  }
  pages.push({ label, url: page.url(), width, js, violations: result.violations.length, overflow: !!overflow });
  console.log(`  checked ${label}: ${result.violations.length} axe violation(s)${overflow ? ', OVERFLOWS' : ''}`);
  if (screenshot) await shoot(page, screenshot);
}

/** The docs' screenshots (docs/screenshots), when the fixture asks for them. */
async function shoot(page, name) {
  if (!fixture.screenshots) return;
  mkdirSync(fixture.screenshots, { recursive: true });
  const file = path.join(fixture.screenshots, name);
  await page.screenshot({ path: file, fullPage: true });
  console.log(`  wrote ${file}`);
}

// ---------------------------------------------------------------------------
// The keyboard: Tab / Shift+Tab to a field, then Space, Enter, arrows, typing.

/** Press Tab (or Shift+Tab) until the focused element matches; returns it. */
async function tabTo(page, selector, { text = null, back = false, max = 250 } = {}) {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press(back ? 'Shift+Tab' : 'Tab');
    const hit = await page.evaluate(([sel, re]) => {
      const el = document.activeElement;
      if (!el || el === document.body || !el.matches(sel)) return false;
      return !re || new RegExp(re, 'i').test(el.textContent || el.value || '');
    }, [selector, text]);
    if (hit) {
      await expectFocusVisible(page, selector);
      return;
    }
  }
  throw new Error(`keyboard: ${back ? 'Shift+Tab' : 'Tab'} never reached ${selector}${text ? ` /${text}/` : ''} on ${page.url()}`);
}

/** The focused element must show that it has focus (WCAG 2.4.7). */
async function expectFocusVisible(page, what) {
  counts.focus++;
  const style = await page.evaluate(() => {
    const s = getComputedStyle(document.activeElement);
    return { outline: s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0, shadow: s.boxShadow !== 'none' };
  });
  if (!style.outline && !style.shadow) {
    const where = new URL(page.url()).pathname.replace(/[0-9a-f]{8}-[0-9a-f-]{27}/g, 'ID');
    fail(where, 'focus-visible', what, `${what} shows no focus outline when reached by Tab`);
  }
}

/** Activate the focused link or button and wait for the next page. */
async function enter(page) {
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.keyboard.press('Enter')]);
}

async function typeInto(page, selector, text) {
  await tabTo(page, selector);
  await page.keyboard.press('Control+A');
  await page.keyboard.press('Delete');
  await page.keyboard.type(text);
}

/**
 * Make a contest's choices exactly `values` by keyboard: boxes are ticked or
 * unticked with Space, in page order from the focus onwards; a radio group is
 * entered with Tab and the arrows move the choice within it.
 */
async function choose(page, contest, values) {
  const selector = `input[name="c.${contest}"]`;
  const inputs = await page.$$eval(selector, els => els.map(el => ({ value: el.value, type: el.type, checked: el.checked })));
  if (inputs.length === 0) throw new Error(`no contest ${contest} on ${page.url()}`);
  if (inputs[0].type === 'checkbox') {
    for (const input of inputs) {
      if (input.checked === values.includes(input.value)) continue;
      await tabTo(page, `${selector}[value="${input.value}"]`);
      await page.keyboard.press('Space');
    }
  } else if (values.length) {
    await tabTo(page, selector);
    const target = `${selector}[value="${values[0]}"]`;
    for (let i = 0; i <= inputs.length && !(await page.$eval(target, el => el.checked)); i++) {
      await page.keyboard.press('ArrowDown');
    }
  }
  const now = await page.$$eval(`${selector}:checked`, els => els.map(el => el.value));
  if (now.sort().join() !== [...values].sort().join()) {
    throw new Error(`keyboard: ${contest} holds [${now}] instead of [${values}]`);
  }
}

/** Set a ranking or points list to `value` by keyboard (Tab, then arrows). */
async function pick(page, name, value) {
  const selector = `select[name="${name}"]`;
  await tabTo(page, selector);
  const [from, to] = await page.$eval(selector, (el, v) => [el.selectedIndex, [...el.options].findIndex(o => o.value === v)], value);
  for (let i = 0; i < Math.abs(to - from); i++) await page.keyboard.press(to > from ? 'ArrowDown' : 'ArrowUp');
  const now = await page.$eval(selector, el => el.value);
  if (now !== value) throw new Error(`keyboard: ${name} holds "${now}" instead of "${value}"`);
}

/** The page must be the one expected (its h1), or the flow stops here. */
async function expectHeading(page, pattern) {
  const h1 = (await page.textContent('h1')) || '';
  if (!pattern.test(h1)) {
    const summary = await page.$eval('.error-summary', el => el.textContent.replace(/\s+/g, ' ')).catch(() => '');
    throw new Error(`expected the page "${pattern.source}" at ${page.url()}, got "${h1.trim()}" ${summary}`);
  }
}

// ---------------------------------------------------------------------------
// Checks specific to the voting pages.

/** The voting code must fit its field, all 34 characters visible. */
async function expectCodeFits(page, label) {
  counts.codeFits++;
  const fit = await page.$eval('#code', el => ({ scroll: el.scrollWidth, client: el.clientWidth, length: el.value.length }));
  if (fit.scroll > fit.client) {
    fail(label, 'code-fits', null, `the ${fit.length}-character code needs ${fit.scroll} px in a field showing ${fit.client} px`);
  }
}

/** The tracker on the receipt: 64 hex digits in groups, no group split across lines. */
async function receiptTracker(page, label) {
  counts.trackerGroups++;
  const { text, split } = await page.$eval('.tracker code', code => {
    const node = code.firstChild;
    const text = code.textContent;
    const split = [];
    const re = /\S+/g;
    let m;
    while ((m = re.exec(text))) {
      const range = document.createRange();
      range.setStart(node, m.index);
      range.setEnd(node, m.index + m[0].length);
      const tops = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
      if (tops.size > 1) split.push(m[0]);
    }
    return { text, split };
  });
  const hex = text.replace(/\s+/g, '');
  if (!/^[0-9a-f]{64}$/.test(hex)) throw new Error(`${label}: the receipt's tracker is not 64 hex digits: ${text}`);
  if (split.length) fail(label, 'tracker-groups', null, `tracker groups broken across lines: ${split.join(', ')}`);
  return hex;
}

// ---------------------------------------------------------------------------
// The flows.

const DIRECTORS = ['amara-okafor', 'daniel-brooks', 'mei-ling-chen', 'rosa-delgado', 'tomasz-nowak', 'priya-raman', 'samuel-adeyemi'];

async function memberFlow({ name, js, width, height, code, shots, choices, writeIn, detours }) {
  console.log(`\n${name}`);
  const context = await newContext({ js, width, height });
  const page = await context.newPage();
  const at = label => `${label} (${js ? 'JS on' : 'JS off'}, ${width} px)`;
  const shot = file => (shots ? file : undefined);

  await page.goto(`${fixture.base}/`);
  await checkPage(page, at('home'), { js });

  await page.goto(`${fixture.base}/e/${fixture.member_election}`);
  await checkPage(page, at('election page'), { js });

  await page.goto(`${fixture.base}/vote`);
  await checkPage(page, at('code entry'), { js });
  if (detours) {
    // A mistyped code: its own page, the field marked, the summary first.
    await typeInto(page, '#code', 'AAAA-BBBB-CCCC-DDDD-EEEE-FFFF-GGGG');
    await tabTo(page, 'button[type=submit]');
    await enter(page);
    if (!(await page.$('.error-summary'))) throw new Error('a wrong code did not give an error summary');
    await checkPage(page, at('code entry, wrong code'), { js });
  }
  await typeInto(page, '#code', code);
  await expectCodeFits(page, at(detours ? 'code entry, after a wrong code' : 'code entry'));
  await tabTo(page, 'button[type=submit]');
  await enter(page);
  if (!new URL(page.url()).pathname.startsWith('/ballot')) throw new Error(`the code did not open the ballot: ${page.url()}`);
  await checkPage(page, at('ballot'), { js, screenshot: shot('ballot-phone.png') });

  if (detours) {
    // An over-vote: four directors for three seats, refused with a summary
    // linking to the contest; the link takes the keyboard there.
    await choose(page, 'directors', DIRECTORS.slice(0, 4));
    await tabTo(page, 'button[type=submit]', { text: 'Review' });
    await enter(page);
    if (!(await page.$('.error-summary a[href="#contest-directors"]'))) throw new Error('an over-vote was not refused with a link to the contest');
    await checkPage(page, at('ballot with an over-vote'), { js });
    // From the summary's link the next Tab lands in the contest at fault.
    await page.evaluate(() => document.activeElement?.blur());
    await tabTo(page, '.error-summary a[href="#contest-directors"]');
    await page.keyboard.press('Enter');
    await page.keyboard.press('Tab');
    const landed = await page.evaluate(() => document.activeElement?.name);
    if (landed !== 'c.directors') throw new Error(`the error summary's link did not lead to the contest (Tab went to ${landed})`);
    await page.keyboard.press('Shift+Tab');
  }
  for (const [contest, values] of Object.entries(choices)) await choose(page, contest, values);
  if (writeIn) await typeInto(page, 'input[name="w.treasurer"]', writeIn);

  await tabTo(page, 'button[type=submit]', { text: 'Review' });
  await enter(page);
  await expectHeading(page, /Check your choices/);
  await checkPage(page, at('review'), { js, screenshot: shot('member-review.png') });
  const reviewed = await page.$$eval('.chosen li', lis => lis.map(li => li.textContent.trim()));
  if (reviewed.length === 0) throw new Error('the review page lists no choices');

  // Shift+Tab back to "Change my choices" and forward again to cast.
  await tabTo(page, 'button', { text: 'Cast my ballot' });
  await tabTo(page, 'button', { text: 'Change my choices', back: true });
  await tabTo(page, 'button', { text: 'Cast my ballot' });
  await enter(page);
  await expectHeading(page, /ballot has been cast/);
  await checkPage(page, at('receipt'), { js, screenshot: shot('member-receipt.png') });
  const tracker = await receiptTracker(page, at('receipt'));
  console.log(`  receipt tracker ${tracker}`);

  await tabTo(page, 'a', { text: 'Check the public log' });
  await enter(page);
  await checkPage(page, at('tracker lookup'), { js });
  // Back: the receipt again, not a browser error (it is a page of its own).
  await page.goBack();
  await expectHeading(page, /ballot has been cast/);
  if ((await receiptTracker(page, at('receipt, after Back'))) !== tracker) throw new Error('Back showed another receipt');
  await page.goForward();
  await expectHeading(page, /Check the public log/);
  await typeInto(page, '#tracker', tracker);
  await tabTo(page, 'button[type=submit]');
  await enter(page);
  await checkPage(page, at('tracker lookup, waiting for a seal'), { js });
  await typeInto(page, '#tracker', fixture.sealed_tracker);
  await tabTo(page, 'button[type=submit]');
  await enter(page);
  const answer = await page.$eval('.answer', el => el.textContent);
  // The tracker is shown in groups of four.
  if (!answer.replace(/\s+/g, '').includes(fixture.sealed_tracker)) throw new Error(`a sealed tracker was not found: ${answer}`);
  await checkPage(page, at('tracker lookup, sealed'), { js, screenshot: shot('member-track-found.png') });
  await context.close();
}

/**
 * A member who reads Spanish, JavaScript off at 360 px, keyboard only: the
 * switcher on the home page, the election page with the candidates' photos,
 * a candidate's profile, the ballot with the election's own texts in
 * Spanish, a problem named in Spanish, the review, the receipt.
 */
async function spanishFlow() {
  const [js, width] = [false, 360];
  console.log('\nMember in Spanish: the language switcher, photos and profiles (JS off, 360 px, keyboard only)');
  const context = await newContext({ js, width, height: 740 });
  const page = await context.newPage();
  const at = label => `${label} (Spanish, JS off, ${width} px)`;
  await page.goto(`${fixture.base}/`);
  await tabTo(page, 'a[hreflang="es"]');
  await enter(page);
  await expectHeading(page, /Elecciones/);
  if ((await page.getAttribute('html', 'lang')) !== 'es') throw new Error('the switcher did not switch the page to Spanish');
  await checkPage(page, at('home'), { js });

  await page.goto(`${fixture.base}/e/${fixture.member_election}`);
  await expectHeading(page, /Elección de la Junta/);
  const thumbs = await page.$$eval('img.thumb', imgs => imgs.map(i => i.alt));
  if (!thumbs.includes('Amara Okafor')) throw new Error(`the election page shows no photo named for its candidate: ${thumbs}`);
  await checkPage(page, at('election page'), { js, screenshot: 'member-election-es.png' });
  const profile = await page.$eval('a[href*="/candidates/directors/amara-okafor"]', a => a.getAttribute('href'));
  await page.goto(`${fixture.base}${profile}`);
  await expectHeading(page, /Amara Okafor/);
  if (!(await page.textContent('main')).includes('Junta Directiva')) throw new Error("the profile does not name the contest in Spanish");
  await checkPage(page, at('candidate profile'), { js, screenshot: 'member-candidate-es.png' });

  await page.goto(`${fixture.base}/e/${fixture.member_election}/board`);
  await checkPage(page, at('bulletin board'), { js });

  await page.goto(`${fixture.base}/vote`);
  await expectHeading(page, /Introduzca su código/);
  await typeInto(page, '#code', fixture.codes[3]);
  await expectCodeFits(page, at('code entry'));
  await tabTo(page, 'button[type=submit]');
  await enter(page);
  await expectHeading(page, /Su papeleta/);
  if (!(await page.textContent('main')).includes('Junta Directiva')) throw new Error("the ballot does not show the election's Spanish texts");
  await checkPage(page, at('ballot'), { js, screenshot: 'member-ballot-es.png' });
  await choose(page, 'directors', DIRECTORS.slice(0, 4));
  await tabTo(page, 'button[type=submit]', { text: 'Revisar' });
  await enter(page);
  const summary = await page.$eval('.error-summary', el => el.textContent);
  if (!/puede elegir como máximo 3/.test(summary)) throw new Error(`the over-vote is not named in Spanish: ${summary}`);
  await checkPage(page, at('ballot with an over-vote'), { js });
  await page.evaluate(() => document.activeElement?.blur());
  await choose(page, 'directors', [DIRECTORS[3]]);
  await tabTo(page, 'button[type=submit]', { text: 'Revisar' });
  await enter(page);
  await expectHeading(page, /Revise sus opciones/);
  await checkPage(page, at('review'), { js });
  await tabTo(page, 'button', { text: 'Emitir mi papeleta' });
  await enter(page);
  await expectHeading(page, /Su papeleta se ha emitido/);
  await checkPage(page, at('receipt'), { js, screenshot: 'member-receipt-es.png' });
  await receiptTracker(page, at('receipt'));
  await context.close();
}

/** The console pages of the society's look and the election's presentation. */
async function presentationPages() {
  const width = 1280;
  console.log(`\nStaff: the organisation's look, the Spanish texts, a candidate's photo and profile (JS on, ${width} px)`);
  const context = await newContext({ js: true, width, height: 800 });
  const page = await context.newPage();
  const at = label => `staff: ${label} (${width} px)`;
  await signIn(page, fixture.admin);
  await page.goto(`${fixture.base}/staff/organisation`);
  await checkPage(page, at('organisation'), { js: true, screenshot: 'console-organisation.png' });
  await page.goto(`${fixture.base}/staff/elections/${fixture.member_election}/texts/es`);
  await checkPage(page, at('texts in Spanish'), { js: true });
  await page.goto(`${fixture.base}/staff/elections/${fixture.member_election}/candidates/directors/amara-okafor`);
  await checkPage(page, at("a candidate's photo and profile"), { js: true });
  // The results the staff flow counted, in Spanish.
  await page.goto(`${fixture.base}/lang/es?back=${encodeURIComponent(`/e/${fixture.staff_election}/results`)}`);
  await expectHeading(page, /Resultados/);
  if (!(await page.textContent('main')).includes('Elegidos')) throw new Error('the results are not in Spanish');
  await checkPage(page, 'results (Spanish, JS on, 1280 px)', { js: true, screenshot: 'member-results-es.png' });
  await context.close();
}

/** Ranked, approval, cumulative and Schulze contests, by keyboard. */
async function rankedFlow() {
  const [js, width] = [false, 360];
  console.log('\nMember: ranked, approval, cumulative and Schulze contests (JS off, 360 px, keyboard only)');
  const context = await newContext({ js, width, height: 740 });
  const page = await context.newPage();
  const at = label => `${label} (ranked election, JS off, ${width} px)`;
  await page.goto(`${fixture.base}/vote`);
  await checkPage(page, at('code entry'), { js });
  await typeInto(page, '#code', fixture.ranked_code);
  await expectCodeFits(page, at('code entry'));
  await shoot(page, 'member-code-entry.png');
  await tabTo(page, 'button[type=submit]');
  await enter(page);
  await expectHeading(page, /Your ballot/);
  await checkPage(page, at('ballot'), { js, screenshot: 'member-ballot-ranked.png' });

  // A skipped rank (1 then 3) where the contest refuses it: named, linked.
  await pick(page, 'r.council.ann', '1');
  await pick(page, 'r.council.bo', '3');
  await tabTo(page, 'button[type=submit]', { text: 'Review' });
  await enter(page);
  if (!(await page.$('.error-summary a[href="#contest-council"]'))) throw new Error('a skipped rank was not refused with a link to the contest');
  await checkPage(page, at('ballot with a skipped rank'), { js });
  await page.evaluate(() => document.activeElement?.blur());

  const marks = [
    ['r.council.ann', '1'], ['r.council.bo', '2'], ['r.council.cy', '3'],
    ['r.chair.gus', '2'], ['r.chair.hal', '1'],
    ['p.shares.max', '2'], ['p.shares.ned', '1'],
    ['r.motto.onward', '2'], ['r.motto.upward', '1'], ['r.motto.forward', '3'],
  ];
  for (const [name, value] of marks.slice(0, 5)) await pick(page, name, value);
  await choose(page, 'panel', ['jo', 'lee']);
  for (const [name, value] of marks.slice(5)) await pick(page, name, value);
  await tabTo(page, 'button[type=submit]', { text: 'Review' });
  await enter(page);
  await expectHeading(page, /Check your choices/);
  await checkPage(page, at('review'), { js });
  await tabTo(page, 'button', { text: 'Cast my ballot' });
  await enter(page);
  await expectHeading(page, /ballot has been cast/);
  await checkPage(page, at('receipt'), { js });
  await receiptTracker(page, at('receipt'));
  await context.close();
}

async function signIn(page, who) {
  await page.goto(`${fixture.base}/staff/login`);
  await typeInto(page, '#username', who.username);
  await typeInto(page, '#password', who.password);
  await tabTo(page, 'button[type=submit]', { text: 'Sign in' });
  await enter(page);
  if (new URL(page.url()).pathname !== '/staff') throw new Error(`sign-in as ${who.username} failed: ${page.url()}`);
}

/**
 * Press a console button by keyboard, first ticking (Space) any box its form
 * requires ("Yes, close the polls now"). If the election's state (`.state`)
 * does not then match `done`, the console is taken to be asking for
 * confirmation on a page of its own: that page is checked too, and its button
 * matching /confirm|yes|TEXT/ is pressed.
 */
async function pressAndConfirm(page, label, text, done) {
  const state = () => page.$eval('.state', el => el.textContent).catch(() => '');
  const boxes = await page.$$eval('form', (forms, src) => {
    const form = forms.find(f => [...f.querySelectorAll('button')].some(b => new RegExp(src, 'i').test(b.textContent)));
    return form ? [...form.querySelectorAll('input[type=checkbox][required]')].filter(i => !i.checked).map(i => i.id) : [];
  }, text);
  for (const id of boxes) {
    await tabTo(page, `#${id}`);
    await page.keyboard.press('Space');
  }
  await tabTo(page, 'button', { text });
  await enter(page);
  if (done.test(await state())) return;
  await checkPage(page, `${label}: confirmation`, { js: true });
  await page.evaluate(() => document.activeElement?.blur());
  await tabTo(page, 'button', { text: `confirm|yes|${text}` });
  await enter(page);
  const now = await state();
  if (!done.test(now)) throw new Error(`"${text}" left the election "${now}", not /${done.source}/, at ${page.url()}`);
}

async function staffFlow() {
  const width = 360;
  console.log(`\nStaff: sign in, close the polls, count, the tellers' report (JS on, ${width} px)`);
  const context = await newContext({ js: true, width, height: 740 });
  const page = await context.newPage();
  const id = fixture.staff_election;
  const at = label => `staff: ${label} (${width} px)`;


  await page.goto(`${fixture.base}/staff`);
  await checkPage(page, at('sign-in'), { js: true });
  await signIn(page, fixture.officer);
  await checkPage(page, at('dashboard'), { js: true });

  await tabTo(page, `a[href="/staff/elections/${id}"]`);
  await enter(page);
  await checkPage(page, at('election, polls open'), { js: true, screenshot: 'staff-election-phone.png' });

  await tabTo(page, `a[href="/staff/elections/${id}/delivery"]`);
  await enter(page);
  await checkPage(page, at('delivery'), { js: true });
  await tabTo(page, `a[href="/staff/elections/${id}"]`, { text: 'Back' });
  await enter(page);

  // The date-time field of "Change the closing time": every stop inside it,
  // its calendar button too, shows the focus.
  await tabTo(page, '#closes_at');
  for (let stop = 1; stop < 12; stop++) {
    await page.keyboard.press('Tab');
    if (!(await page.evaluate(() => document.activeElement?.id === 'closes_at'))) break;
    await expectFocusVisible(page, `#closes_at, Tab stop ${stop + 1} inside the field`);
  }

  await typeInto(page, '#close-reason', 'The committee closed the ballot at 17:00.');
  await pressAndConfirm(page, at('close the polls'), 'Close the polls', /Closed/);
  await checkPage(page, at('election, polls closed'), { js: true });

  await pressAndConfirm(page, at('count the ballots'), 'Count the ballots', /Results/);
  await checkPage(page, at('election, counted'), { js: true });

  await tabTo(page, `a[href="/staff/elections/${id}/report"]`);
  await enter(page);
  await checkPage(page, at("tellers' report"), { js: true, screenshot: 'staff-report-phone.png' });
  if (!(await page.textContent('main')).match(/Amara Okafor/)) throw new Error("the tellers' report names no candidate");

  await page.goto(`${fixture.base}/e/${id}/results`);
  await checkPage(page, at('public results'), { js: true });

  // The public bulletin board: checkpoint, log entries and sealed trackers.
  await page.goto(`${fixture.base}/e/${id}/board`);
  await expectHeading(page, /board/i);
  await checkPage(page, at('bulletin board'), { js: true });
  await page.goto(`${fixture.base}/e/${id}/board/log`);
  await checkPage(page, at('bulletin board: log'), { js: true });
  await page.goto(`${fixture.base}/e/${id}/board/trackers`);
  await checkPage(page, at('bulletin board: trackers'), { js: true });

  await page.goto(`${fixture.base}/staff/account`);
  await checkPage(page, at('your account'), { js: true });
  await page.goto(`${fixture.base}/staff/elections/new`);
  await checkPage(page, at('election builder'), { js: true });

  // The administrator's accounts page (the officer may not see it).
  await tabTo(page, 'button', { text: 'Sign out' });
  await enter(page);
  await signIn(page, fixture.admin);
  await page.goto(`${fixture.base}/staff/accounts`);
  await checkPage(page, at('accounts'), { js: true, screenshot: 'staff-accounts-phone.png' });
  await context.close();
}

// ---------------------------------------------------------------------------

let crashed = null;
try {
  await memberFlow({
    name: 'Member: JavaScript off, 360 px, keyboard only',
    js: false, width: 360, height: 740, code: fixture.codes[0], shots: true, detours: true,
    choices: { directors: [DIRECTORS[0], DIRECTORS[2], DIRECTORS[4]], 'bylaw-amendment-7': ['yes'] },
    writeIn: 'Jo Bloggs',
  });
  await memberFlow({
    name: 'Member: JavaScript on, 1,280 px, keyboard only',
    js: true, width: 1280, height: 800, code: fixture.codes[1], shots: false, detours: false,
    choices: { directors: [DIRECTORS[1], DIRECTORS[5]], treasurer: ['grace-whitfield'], 'bylaw-amendment-7': ['no'] },
  });
  await rankedFlow();
  await spanishFlow();
  await staffFlow();
  await presentationPages();
} catch (e) {
  crashed = e;
  if (current && fixture.out) {
    try {
      mkdirSync(fixture.out, { recursive: true });
      const html = path.join(fixture.out, 'stopped-at.html');
      (await import('node:fs')).writeFileSync(html, await current.content());
      console.error(`the flow stopped at ${current.url()}; its HTML is in ${html}:\n${(await current.textContent('main')).replace(/\s+/g, ' ').slice(0, 1500)}`);
    } catch { /* the page may be gone */ }
  }
} finally {
  await browser.close();
}

const seconds = ((Date.now() - started) / 1000).toFixed(1);
const violations = pages.reduce((n, p) => n + p.violations, 0);
const narrow = pages.filter(p => p.width <= 360).length;
console.log(`\nSummary: ${pages.length} page checks in ${seconds} s`);
console.log(`  axe-core (${AXE_TAGS.join(', ')}): ${violations} violation(s)`);
console.log(`  horizontal overflow: ${pages.filter(p => p.overflow).length} of ${pages.length} pages (${narrow} at 360 px)`);
console.log(`  focus visible at ${counts.focus} keyboard stops; the whole voting code in its field: ${counts.codeFits} checks; receipt tracker groups unbroken: ${counts.trackerGroups} checks`);
console.log(`  requests to another origin: ${offOrigin.length}${offOrigin.length ? `\n    ${offOrigin.join('\n    ')}` : ''}`);
if (consoleProblems.length) console.log(`  console errors:\n    ${consoleProblems.join('\n    ')}`);
KNOWN_FAILURES.forEach((k, i) => {
  if (!expectedSeen.has(i)) console.log(`  NOTE: known failure no longer seen, remove it from KNOWN_FAILURES: ${JSON.stringify(k)}`);
});
for (const url of offOrigin) failures.push({ page: url, check: 'origin', detail: 'requested from another origin' });
for (const c of consoleProblems) failures.push({ page: c, check: 'console', detail: c });
if (crashed) {
  console.error(`FAILED: ${crashed.stack || crashed}`);
  process.exit(1);
}
if (failures.length) {
  console.error(`FAILED: ${failures.length} check(s):`);
  for (const f of failures) console.error(`  ${f.page}: ${f.check}${f.id ? ` ${f.id}` : ''}`);
  process.exit(1);
}
console.log('all browser checks passed');

// Browser check of the query API's page (/ui/) against a running stack, with the system Chromium.
//
//   UI_URL=http://127.0.0.1:17080/ui/ UI_TOKEN=$(./dbm token --user alice --tenant acme/shop) \
//   UI_DOMAIN=acme UI_PROJECT=shop UI_EXPECT_IDS=pg-demo-1,redis-demo-1 UI_WATCH_ID=pg-demo-1 \
//   UI_SCREENSHOT_DIR=/tmp/ui-shots node ui-test.mjs
//
// Prints `READY baseline=<n>` once the watched card shows a connections value (so a caller can now raise it), then
// `ROSE <old> -> <new>` when the page shows a higher one without reloading. Exit 0 on success, 1 on any failure,
// including any console error/warning, page error, failed request or HTTP status >= 400 seen by the page.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const env = process.env;
const URL_ = env.UI_URL;
const TOKEN = env.UI_TOKEN;
const DOMAIN = env.UI_DOMAIN || '';
const PROJECT = env.UI_PROJECT || '';
const EXPECT_IDS = (env.UI_EXPECT_IDS || '').split(',').map((s) => s.trim()).filter(Boolean);
const WATCH_ID = env.UI_WATCH_ID || EXPECT_IDS[0];
const SHOTS = env.UI_SCREENSHOT_DIR || 'screenshots';
const OVERALL_MS = 150_000;
const RISE_MS = 90_000;

const problems = [];   // console errors/warnings, page errors, failed requests: any fails the test
let collecting = true; // off while closing the browser (closing aborts the open stream)
let browser;

const log = (msg) => process.stderr.write(`ui-test: ${msg}\n`);
const out = (line) => new Promise((resolve) => process.stdout.write(`${line}\n`, resolve));

async function finish(code, message) {
  collecting = false;
  if (message) log(message);
  try { await browser?.close(); } catch { /* already gone */ }
  await out(`ui-test: ${code === 0 ? '1 passed, 0 failed' : '0 passed, 1 failed'}`);
  process.exit(code);
}

function fail(message) {
  const err = new Error(message);
  err.expected = true;
  throw err;
}

const overall = setTimeout(() => {
  finish(1, `FAIL: timed out after ${OVERALL_MS / 1000} s`);
}, OVERALL_MS);

async function main() {
  if (!URL_ || !TOKEN) fail('UI_URL and UI_TOKEN are required');
  if (!WATCH_ID) fail('UI_WATCH_ID (or UI_EXPECT_IDS) is required');
  if (!EXPECT_IDS.includes(WATCH_ID)) EXPECT_IDS.push(WATCH_ID);
  mkdirSync(SHOTS, { recursive: true });

  browser = await chromium.launch({
    executablePath: env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--headless=new'],
  });
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();

  // 1. Everything that would show in the browser's console or network panel as a problem
  page.on('console', (m) => {
    if (collecting && (m.type() === 'error' || m.type() === 'warning')) problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => { if (collecting) problems.push(`page error: ${e.message}`); });
  page.on('requestfailed', (r) => {
    if (collecting) problems.push(`request failed: ${r.method()} ${r.url()} (${r.failure()?.errorText})`);
  });
  page.on('response', (r) => {
    if (collecting && r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.request().method()} ${r.url()}`);
  });

  // 2. Sign in, open the project, wait for every expected card and the live stream
  log(`opening ${URL_}`);
  await page.goto(URL_, { waitUntil: 'load' });
  await page.locator('#token').waitFor({ state: 'visible', timeout: 15_000 });
  await page.screenshot({ path: join(SHOTS, 'sign-in.png'), fullPage: true });
  await page.fill('#token', TOKEN);
  await page.click('#sign-in');
  await page.locator('#domain').waitFor({ state: 'visible', timeout: 10_000 })
    .catch(async () => fail(`sign-in did not reach the project form: ${await textOf(page, '#message')}`));
  if (DOMAIN) await page.fill('#domain', DOMAIN);
  if (PROJECT) await page.fill('#project', PROJECT);
  await page.click('#open-project');
  // A marker that a reload would wipe: the rise must come from live updates
  await page.evaluate(() => { window.__uiTestNoReload = true; });

  log(`waiting for cards ${EXPECT_IDS.join(', ')} and a live stream`);
  try {
    await page.waitForFunction((ids) => {
      const ready = ids.every((id) => {
        const el = document.querySelector(`article.card[data-database-id="${CSS.escape(id)}"] [data-metric="connections"]`);
        return el && el.dataset.value !== '' && Number.isFinite(Number(el.dataset.value));
      });
      return ready && document.querySelector('#live-status[data-mode="stream"]') !== null;
    }, EXPECT_IDS, { timeout: 60_000, polling: 250 });
  } catch {
    const state = await page.evaluate(() => ({
      cards: [...document.querySelectorAll('article.card')].map((c) => c.dataset.databaseId),
      mode: document.querySelector('#live-status')?.dataset.mode,
      message: document.querySelector('#message')?.textContent,
    }));
    fail(`cards/stream not ready in 60 s: cards=[${state.cards}] mode=${state.mode} message=${state.message || '-'}`);
  }

  // 3. Baseline, then wait for the watched database's connections to rise without a reload
  const read = () => page.evaluate((id) => {
    const el = document.querySelector(`article.card[data-database-id="${CSS.escape(id)}"] [data-metric="connections"]`);
    return { value: el && el.dataset.value !== '' ? Number(el.dataset.value) : null, marker: window.__uiTestNoReload === true };
  }, WATCH_ID);
  const baseline = (await read()).value;
  await out(`READY baseline=${baseline}`);
  const until = Date.now() + RISE_MS;
  let now = baseline;
  for (;;) {
    const r = await read();
    if (!r.marker) fail('the page reloaded while waiting for the rise');
    if (r.value !== null) now = r.value;
    if (now > baseline) break;
    if (Date.now() > until) fail(`connections of ${WATCH_ID} stayed at ${now} (baseline ${baseline}) for ${RISE_MS / 1000} s`);
    await page.waitForTimeout(500);
  }
  await out(`ROSE ${baseline} -> ${now}`);
  log(`live mode at the rise: ${await page.getAttribute('#live-status', 'data-mode')}`);

  // 4. Screenshots, desktop then phone; no horizontal scroll on a phone
  await page.screenshot({ path: join(SHOTS, 'project-desktop.png'), fullPage: true });
  for (const width of [375, 390]) {
    await page.setViewportSize({ width, height: 844 });
    await page.waitForTimeout(300);
    const scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth);
    if (scrollWidth > width) fail(`horizontal scroll at ${width} px: scrollWidth ${scrollWidth}`);
  }
  await page.screenshot({ path: join(SHOTS, 'project-phone.png'), fullPage: true });

  // 5. Basic accessibility
  const a11y = await page.evaluate(() => {
    const issues = [];
    for (const el of document.querySelectorAll('input, textarea, select')) {
      const labelled = (el.labels && el.labels.length > 0) || el.getAttribute('aria-label') || el.getAttribute('aria-labelledby');
      if (!labelled) issues.push(`${el.tagName.toLowerCase()}#${el.id || '?'} has no label`);
    }
    const cards = document.querySelectorAll('article.card');
    if (!cards.length) issues.push('no cards');
    for (const card of cards) {
      const id = card.dataset.databaseId;
      const h = card.querySelector('h1, h2, h3, h4, h5, h6');
      if (!h || !h.textContent.trim()) issues.push(`card ${id} has no heading`);
      const sparks = card.querySelectorAll('svg');
      if (!sparks.length) issues.push(`card ${id} has no sparkline`);
      for (const svg of sparks) {
        if (svg.getAttribute('role') !== 'img' || !(svg.getAttribute('aria-label') || '').trim()) {
          issues.push(`card ${id}: a sparkline lacks role="img" or an aria-label`);
        }
      }
      const banner = card.querySelector('.stale-banner');
      if (banner && !['status', 'alert'].includes(banner.getAttribute('role'))) issues.push(`card ${id}: stale banner has no role`);
    }
    const live = document.querySelector('#live-status');
    if (!live || live.getAttribute('aria-live') !== 'polite') issues.push('#live-status is not aria-live="polite"');
    if (!document.querySelector('main')) issues.push('no <main>');
    return issues;
  });
  if (a11y.length) fail(`accessibility: ${a11y.join('; ')}`);

  // 6. Verdict
  collecting = false;
  if (problems.length) fail(`the page reported ${problems.length} problem(s):\n  ${problems.join('\n  ')}`);
  clearTimeout(overall);
  await finish(0, `PASS (screenshots in ${SHOTS})`);
}

async function textOf(page, selector) {
  try { return (await page.textContent(selector)) || '-'; } catch { return '-'; }
}

main().catch(async (e) => {
  clearTimeout(overall);
  const listed = e.expected && e.message.includes('problem(s)');
  const extra = !listed && problems.length ? `\n  page problems so far:\n  ${problems.join('\n  ')}` : '';
  await finish(1, `FAIL: ${e.expected ? e.message : (e.stack || e)}${extra}`);
});

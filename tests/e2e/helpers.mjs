// Shared helpers for the end-to-end tests and the browser benchmark: launching the system
// Chromium through playwright-core, opening the page against BASE_URL and collecting every
// console error, page error and failed request.

import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

export const BASE_URL = process.env.BASE_URL || 'http://127.0.0.1:8080/';
export const ARTIFACTS_DIR = process.env.ARTIFACTS_DIR || 'target/e2e-artifacts';
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export const DESKTOP = { width: 1440, height: 900 };
export const PHONE = { width: 390, height: 844 };

/** Launches headless Chromium. */
export function launch() {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}

/** Absolute URL of the page with an optional query string ("?seed=7"). */
export function pageUrl(query = '') {
  return new URL(query, BASE_URL).toString();
}

/**
 * Opens a fresh context + page and starts recording problems.
 * @returns {Promise<{context, page, problems: {console: string[], page: string[], requests: string[]}}>}
 */
export async function openPage(browser, opts = {}) {
  const context = await browser.newContext({
    viewport: opts.viewport || DESKTOP,
    hasTouch: !!opts.hasTouch,
    isMobile: !!opts.isMobile,
    deviceScaleFactor: opts.deviceScaleFactor || 1,
  });
  const page = await context.newPage();
  const problems = { console: [], page: [], requests: [] };
  page.on('console', (m) => {
    if (m.type() === 'error') problems.console.push(m.text());
  });
  page.on('pageerror', (e) => problems.page.push(String(e && e.message ? e.message : e)));
  page.on('requestfailed', (r) => problems.requests.push(`${r.url()}: ${r.failure() ? r.failure().errorText : 'failed'}`));
  page.on('response', (r) => {
    if (r.status() >= 400) problems.requests.push(`${r.url()}: HTTP ${r.status()}`);
  });
  return { context, page, problems };
}

/**
 * `openPage` on a same-origin document without the app (a stylesheet), for tests that import
 * the modules or talk to the Worker themselves; the browser's favicon request is answered.
 */
export async function openBare(browser, opts = {}) {
  const opened = await openPage(browser, opts);
  await opened.context.route('**/favicon.ico', (r) => r.fulfill({ status: 204, body: '' }));
  await opened.page.goto(pageUrl('www/style.css'));
  return opened;
}

/** Navigates and waits until the app has built its first Playground. */
export async function gotoReady(page, query = '', timeout = 30000) {
  await page.goto(pageUrl(query), { waitUntil: 'load' });
  await page.waitForSelector('body.is-ready', { timeout });
}

/** Throws with a readable list if any problem was recorded. */
export function assertNoProblems(problems, what = 'page') {
  const all = [
    ...problems.console.map((t) => `console error: ${t}`),
    ...problems.page.map((t) => `page error: ${t}`),
    ...problems.requests.map((t) => `request failed: ${t}`),
  ];
  if (all.length) throw new Error(`${what} reported problems:\n  ${all.join('\n  ')}`);
}

/**
 * Fails if the page's message area shows an "Unexpected error" (the page's own handler for
 * uncaught errors, which also stops training): some browser errors reach that handler
 * without counting as a page error for Playwright.
 */
export async function assertNoUnexpectedError(page, what = 'page') {
  const texts = await page.locator('[data-testid="message"] .msg-error').allInnerTexts();
  const unexpected = texts.filter((t) => t.includes('Unexpected error'));
  if (unexpected.length) throw new Error(`${what} showed: ${unexpected.join(' | ')}`);
}

/** Text content of a data-testid element. */
export function testidText(page, id) {
  return page.locator(`[data-testid="${id}"]`).first().innerText();
}

/**
 * Scrolls the element into view, as a reader does, and waits until the browser renders it:
 * the explain area skips its rendering while far from the viewport (content-visibility:
 * auto), and text that is not rendered reads as empty through innerText.
 */
export async function reveal(page, selector) {
  await page.locator(selector).first().scrollIntoViewIfNeeded();
  await page.waitForFunction(
    (s) => document.querySelector(s)?.checkVisibility({ contentVisibilityAuto: true }),
    selector,
    { timeout: 10000 },
  );
}

/** The feed card's sequence number (increments on every new card). */
export async function feedSeq(page) {
  return Number(await page.locator('[data-testid="feed-card"]').getAttribute('data-seq')) || 0;
}

/** Numeric value of the episode counter (thousands separators removed). */
export async function episodeCount(page) {
  return Number((await testidText(page, 'episode-count')).replace(/[^0-9]/g, ''));
}

/** Saves a screenshot into ARTIFACTS_DIR and returns its path. */
export async function screenshot(page, name, fullPage = true) {
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  const path = join(ARTIFACTS_DIR, name);
  // The explain area renders only near the viewport (content-visibility: auto), and a
  // full-page capture does not bring it near: render it for the capture, as a reader who
  // scrolls there sees it.
  const whole = (on) => page.evaluate((v) => {
    for (const el of document.querySelectorAll('.explain-area')) el.style.contentVisibility = v;
  }, on ? 'visible' : '');
  if (fullPage) await whole(true);
  await page.screenshot({ path, fullPage });
  if (fullPage) await whole(false);
  return path;
}

/** Polls `fn` until it returns a truthy value or the timeout passes. */
export async function until(fn, timeout = 10000, interval = 100) {
  const end = Date.now() + timeout;
  let last;
  while (Date.now() < end) {
    last = await fn();
    if (last) return last;
    await new Promise((r) => setTimeout(r, interval));
  }
  return last;
}

/** Drags upward across the feed card with the mouse (a swipe). */
export async function mouseSwipeUp(page, distance = 220) {
  const box = await page.locator('[data-testid="feed-card"]').boundingBox();
  const x = box.x + box.width / 2;
  const y = box.y + box.height * 0.7;
  await page.mouse.move(x, y);
  await page.mouse.down();
  for (let i = 1; i <= 8; i++) await page.mouse.move(x, y - (distance * i) / 8);
  await page.mouse.up();
}

/** A real touch swipe upward on the feed card, sent through the DevTools protocol. */
export async function touchSwipeUp(page, distance = 220) {
  const box = await page.locator('[data-testid="feed-card"]').boundingBox();
  const x = box.x + box.width / 2;
  const y = box.y + box.height * 0.7;
  const cdp = await page.context().newCDPSession(page);
  const point = (yy) => [{ x, y: yy, id: 1, radiusX: 4, radiusY: 4, force: 1 }];
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: point(y) });
  for (let i = 1; i <= 8; i++) {
    await cdp.send('Input.dispatchTouchEvent', { type: 'touchMove', touchPoints: point(y - (distance * i) / 8) });
  }
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
  await cdp.detach();
}

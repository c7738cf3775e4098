// 1. The page loads with no console errors, no page errors and no failed requests.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, openPage, gotoReady, assertNoProblems, until } from './helpers.mjs';

const TESTIDS = ['feed-card', 'train-toggle', 'train-step', 'reset', 'mode', 'like', 'plot-skill', 'plot-return', 'plot-loss',
  'plot-epsilon', 'plot-session', 'episode-count', 'message'];

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test('page loads cleanly and the wasm module initialises within a few seconds', async () => {
  const { page, problems, context } = await openPage(browser);
  const t0 = Date.now();
  await gotoReady(page);
  const readyMs = Date.now() - t0;
  assert.ok(readyMs < 15000, `page took ${readyMs} ms to become ready`);
  // Give late errors (deferred work, plot resizes) a moment to surface.
  await page.waitForTimeout(1500);
  assertNoProblems(problems);

  for (const id of TESTIDS) {
    assert.equal(await page.locator(`[data-testid="${id}"]`).count(), 1, `exactly one [data-testid="${id}"]`);
  }
  for (const id of TESTIDS.filter((i) => i !== 'message' && i !== 'like')) {
    assert.ok(await page.locator(`[data-testid="${id}"]`).isVisible(), `${id} is visible`);
  }
  // Nothing to like before the first video: the button shows with it, not under the notice.
  assert.equal(await page.locator('[data-testid="like"]').isVisible(), false, 'no Like under the start notice');
  // The message area is a live region and empty on a clean load.
  const msg = page.locator('[data-testid="message"]');
  assert.equal(await msg.getAttribute('aria-live'), 'polite');
  assert.equal((await msg.innerText()).trim(), '', 'no message on a clean load');
  // Four uPlot charts were created.
  for (const id of ['plot-return', 'plot-loss', 'plot-epsilon', 'plot-session']) {
    assert.equal(await page.locator(`[data-testid="${id}"] canvas`).count(), 1, `${id} has a canvas`);
  }
  assert.equal(await page.locator('[data-testid="episode-count"]').innerText(), '0');
  await page.click('[data-testid="train-step"]');
  await until(() => page.locator('[data-testid="like"]').isVisible(), 5000, 50);
  await context.close();
});

test('the wasm module (not a stand-in) answers and the intro links to the blog and notebook', async () => {
  const { page, problems, context } = await openPage(browser);
  const wasm = [];
  page.on('response', (r) => { if (r.url().endsWith('.wasm')) wasm.push(r.status()); });
  await gotoReady(page);
  await page.waitForTimeout(300);
  assert.deepEqual(wasm, [200], 'exactly one .wasm file was fetched');
  assert.equal(await page.locator('a[href="https://thebayesianbandit.github.io/"]').count() > 0, true);
  assert.equal(await page.locator('a[href*="doom_alg.ipynb"]').count() > 0, true);
  // Every diagram box links to something on the page.
  const spots = await page.$$eval('.dg-box', (as) => as.map((a) => a.getAttribute('href')));
  assert.equal(spots.length, 6);
  assertNoProblems(problems);
  await context.close();
});

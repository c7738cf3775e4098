// 1. The page loads with no console errors, no page errors and no failed requests.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, openPage, openBare, gotoReady, assertNoProblems, until, episodeCount, pageUrl } from './helpers.mjs';

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
  page.on('response', (r) => { if (r.url().endsWith('.wasm')) wasm.push(`${r.url().split('/').pop()} ${r.status()}`); });
  await gotoReady(page);
  await page.waitForTimeout(300);
  // Chromium has relaxed SIMD: the page runs the module built with it.
  assert.deepEqual(wasm, ['instatok_relaxed_bg.wasm 200'], 'exactly one .wasm file was fetched, the relaxed-SIMD one');
  assert.equal(await page.locator('a[href="https://thebayesianbandit.github.io/"]').count() > 0, true);
  assert.equal(await page.locator('a[href*="doom_alg.ipynb"]').count() > 0, true);
  // Every diagram box links to something on the page.
  const spots = await page.$$eval('.dg-box', (as) => as.map((a) => a.getAttribute('href')));
  assert.equal(spots.length, 6);
  assertNoProblems(problems);
  await context.close();
});

test('a browser without relaxed SIMD gets the SIMD128 module, and the page trains on it', async () => {
  const { page, problems, context } = await openPage(browser);
  // Such a browser: WebAssembly.validate refuses the probe of www/wasm.js (any module using
  // the relaxed-SIMD prefix 0xfd 0x85 0x02 ... is refused; other modules are validated).
  await page.addInitScript(() => {
    const validate = WebAssembly.validate;
    WebAssembly.validate = (bytes) => {
      const b = new Uint8Array(bytes.buffer ? bytes.buffer : bytes);
      for (let i = 0; i + 2 < b.length; i++) if (b[i] === 0xfd && b[i + 1] === 0x85 && b[i + 2] === 0x02) return false;
      return validate(bytes);
    };
  });
  const wasm = [];
  page.on('response', (r) => { if (r.url().endsWith('.wasm')) wasm.push(`${r.url().split('/').pop()} ${r.status()}`); });
  await gotoReady(page);
  assert.deepEqual(wasm, ['instatok_bg.wasm 200'], 'the SIMD128 module, alone');
  await page.click('[data-testid="train-toggle"]');
  await until(async () => (await episodeCount(page)) >= 20, 20000, 100);
  await page.click('[data-testid="train-toggle"]');
  assertNoProblems(problems);
  await context.close();
});

test('the matrix kernel of each module equals a plain product (relaxed SIMD\u2019s multiply-add included)', async () => {
  const { page, problems, context } = await openBare(browser);
  const errors = await page.evaluate(async (base) => {
    const out = {};
    for (const file of ['instatok_relaxed_bg.wasm', 'instatok_bg.wasm']) {
      // The glue initialises once per instance of it: one instance per module.
      const glue = await import(`${base}pkg/instatok.js?${file}`);
      await glue.default({ module_or_path: `${base}pkg/${file}` });
      out[file] = glue.kernelMaxError();
    }
    return out;
  }, pageUrl(''));
  for (const [file, err] of Object.entries(errors)) assert.ok(err < 1e-4, `${file}: max error ${err}`);
  assertNoProblems(problems);
  await context.close();
});

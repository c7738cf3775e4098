// 2. Training advances the episode counter and redraws the plots; Step runs one step; Reset
//    during training starts over cleanly.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, openPage, gotoReady, assertNoProblems, assertNoUnexpectedError, episodeCount, feedSeq, reveal, until, screenshot } from './helpers.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const canvasData = (page, id) => page.$eval(`[data-testid="${id}"] canvas`, (c) => c.toDataURL());
const points = async (page, id) => Number(await page.locator(`[data-testid="${id}"]`).getAttribute('data-points')) || 0;

test('Train advances episodes and redraws all four plots; Pause stops it', async () => {
  const { page, problems, context } = await openPage(browser);
  await gotoReady(page);
  const plots = ['plot-return', 'plot-loss', 'plot-epsilon', 'plot-session'];
  const before = {};
  for (const id of plots) before[id] = await canvasData(page, id);
  assert.equal(await episodeCount(page), 0);

  await page.click('[data-testid="train-toggle"]');
  assert.equal(await page.getAttribute('[data-testid="train-toggle"]', 'aria-pressed'), 'true');
  const reached = await until(async () => (await episodeCount(page)) >= 20, 60000, 200);
  assert.ok(reached, `episode-count reached ${await episodeCount(page)} (< 20) within 60 s`);
  const mid = await episodeCount(page);
  await until(async () => (await episodeCount(page)) > mid, 30000, 200);
  assert.ok((await episodeCount(page)) > mid, 'episode-count keeps increasing');

  // Plots catch up within a few frames: they redraw one per frame, in turn, so wait for all four.
  const allCaughtUp = async () => {
    for (const id of plots) if ((await points(page, id)) < 20) return false;
    return true;
  };
  await until(allCaughtUp, 5000, 100);
  for (const id of plots) {
    assert.ok((await points(page, id)) >= 20, `${id} holds the episodes`);
    assert.notEqual(await canvasData(page, id), before[id], `${id} canvas was redrawn`);
  }
  // Read the point count and the pixels together (a redraw could land between two reads).
  const [p1, img1] = await page.$eval('[data-testid="plot-return"]', (el) => [Number(el.dataset.points), el.querySelector('canvas').toDataURL()]);
  await until(async () => (await points(page, 'plot-return')) > p1, 20000, 100);
  assert.ok((await points(page, 'plot-return')) > p1, 'plot-return keeps growing while training');
  assert.notEqual(await canvasData(page, 'plot-return'), img1, 'plot-return redrawn again');

  // The feed shows sampled steps while training fast.
  assert.ok((await feedSeq(page)) > 0, 'the feed showed at least one step');
  assert.ok((await page.locator('#candidates tbody tr').count()) >= 2, 'candidate list rendered');

  await page.click('[data-testid="train-toggle"]');
  assert.equal(await page.getAttribute('[data-testid="train-toggle"]', 'aria-pressed'), 'false');
  await page.waitForTimeout(300);
  const paused = await episodeCount(page);
  await page.waitForTimeout(800);
  assert.equal(await episodeCount(page), paused, 'no episodes while paused');
  // The sampled step shown after the pause carries its session's return so far (the page sees
  // only some steps at full speed, so it cannot add them up itself).
  await until(async () => /return [+−-]?\d/.test(await page.locator('#session-line').innerText()), 3000, 100);
  assert.match(await page.locator('#session-line').innerText(), /return [+−-]?\d/);
  assert.notEqual((await page.locator('#feed-return').innerText()).trim(), '\u2013', 'the strip shows the session return');

  await screenshot(page, 'desktop-trained.png');
  await page.screenshot({ path: `${process.env.ARTIFACTS_DIR || 'target/e2e-artifacts'}/desktop-viewport.png` });
  assertNoProblems(problems);
  await context.close();
});

test('while training, the candidate table and why panel out of view keep a step; in view or paused, they follow the card', async () => {
  const { page, problems, context } = await openPage(browser);
  await gotoReady(page);
  const signature = () => page.getAttribute('[data-testid="candidates"]', 'data-signature');
  const why = () => page.textContent('#why-panel');
  await page.click('[data-testid="train-toggle"]');
  // Each has drawn a step of this world (so it has its size before the reader scrolls there).
  assert.ok(await until(async () => (await feedSeq(page)) >= 3 && !!(await signature()), 30000, 100), 'the card moved on and the table drew a step');
  const [s0, w0, seq0] = [await signature(), await why(), await feedSeq(page)];
  await page.waitForTimeout(2000);
  assert.ok((await feedSeq(page)) >= seq0 + 3, `the card kept sampling steps (${seq0} -> ${await feedSeq(page)})`);
  assert.equal(await signature(), s0, 'out of view, the table kept its step');
  assert.equal(await why(), w0, 'out of view, the why panel kept its step');
  await reveal(page, '#candidates');
  assert.ok(await until(async () => (await signature()) !== s0, 5000, 50), 'scrolled to, the table follows the card again');
  const s1 = await signature();
  assert.ok(await until(async () => (await signature()) !== s1, 5000, 50), 'and keeps following it');
  // Back to the top: a pause draws the newest step wherever the reader is.
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.waitForTimeout(500);
  const w1 = await why();
  await page.click('[data-testid="train-toggle"]');
  assert.ok(await until(async () => (await why()) !== w1, 5000, 50), 'paused, the why panel draws the newest step');
  const slot = Number((await page.locator('#session-line').innerText()).match(/video (\d+)/)?.[1]);
  assert.ok(slot >= 1, 'the card says which video of the session it is');
  assert.equal(await page.locator('#candidates tr.chosen').count(), 1, 'paused, the table marks the chosen slot');
  assertNoProblems(problems);
  await context.close();
});

test('Step runs exactly one simulated step and shows it in the feed', async () => {
  const { page, problems, context } = await openPage(browser);
  await gotoReady(page);
  const steps = async () => Number((await page.locator('#stat-steps').innerText()).replace(/[^0-9]/g, ''));
  const s0 = await steps();
  const q0 = await feedSeq(page);
  await page.click('[data-testid="train-step"]');
  await until(async () => (await steps()) === s0 + 1, 3000);
  assert.equal(await steps(), s0 + 1);
  assert.equal(await feedSeq(page), q0 + 1);
  // After the animation the card carries the simulated user's action and reward.
  const action = await until(async () => {
    const t = (await page.locator('[data-testid="feed-action"]').innerText()).trim();
    return t !== '–' && t;
  }, 3000);
  assert.match(action, /Watched|Liked|Skipped|Left the app/);
  assert.match(await page.locator('[data-testid="feed-reward"]').innerText(), /^[+\u2212]\d/);
  await until(() => page.locator('#badge').isVisible(), 3000);
  assert.ok(await page.locator('#badge').isVisible(), 'action badge on the card');
  assert.equal(await page.locator('#candidates tr.chosen').count(), 1, 'the chosen slot is highlighted');
  assertNoProblems(problems);
  await context.close();
});

test('Reset while training starts a fresh world without an error, and training resumes', async () => {
  const { page, problems, context } = await openPage(browser);
  await gotoReady(page);
  for (let round = 0; round < 3; round++) {
    await page.click('[data-testid="train-toggle"]');
    await until(async () => (await episodeCount(page)) >= 3, 60000, 50);
    // Straight from a training frame, the moment a sampled step is waiting to be drawn.
    await page.click('[data-testid="reset"]');
    await until(async () => (await episodeCount(page)) === 0, 10000, 50);
    await page.waitForTimeout(600);
    const errors = await page.locator('[data-testid="message"] .msg-error').allInnerTexts();
    assert.deepEqual(errors, [], `round ${round}: no error after reset`);
    assert.equal(await episodeCount(page), 0, 'the counter starts over');
    if (await page.getAttribute('[data-testid="train-toggle"]', 'aria-pressed') === 'true') {
      await page.click('[data-testid="train-toggle"]');
    }
  }
  await page.click('[data-testid="train-toggle"]');
  assert.ok(await until(async () => (await episodeCount(page)) >= 2, 60000, 100), 'training resumes after reset');
  await page.click('[data-testid="train-toggle"]');
  await assertNoUnexpectedError(page, 'reset');
  assertNoProblems(problems);
  await context.close();
});

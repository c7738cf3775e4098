// 7. Phone width (390 x 844): the feed is visible, comes before the controls and nothing scrolls sideways;
//    resizing the window while training (a phone rotating) raises no error.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, openPage, gotoReady, assertNoProblems, assertNoUnexpectedError, episodeCount, until, screenshot, PHONE } from './helpers.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const noSideScroll = (page) => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 0.5
  && document.body.scrollWidth <= window.innerWidth + 0.5);

test('phone layout: feed first, fully on screen horizontally, no horizontal scroll', async () => {
  const { page, problems, context } = await openPage(browser, { viewport: PHONE, hasTouch: true, isMobile: true, deviceScaleFactor: 2 });
  await gotoReady(page);
  assert.equal(await page.evaluate(() => window.innerWidth), 390);
  assert.ok(await noSideScroll(page), 'no horizontal scroll on load');

  const card = await page.locator('[data-testid="feed-card"]').boundingBox();
  assert.ok(card.width > 250 && card.x >= 0 && card.x + card.width <= 390, `feed card within the width (${JSON.stringify(card)})`);
  const controlsTop = (await page.locator('#controls').boundingBox()).y;
  const plotsTop = (await page.locator('[data-testid="plot-return"]').boundingBox()).y;
  assert.ok(card.y < plotsTop && card.y < controlsTop, 'feed comes before plots and controls');
  assert.ok(card.y < 844 * 1.6, `feed reachable within about a screen and a half (top at ${card.y})`);
  await page.locator('[data-testid="feed-card"]').scrollIntoViewIfNeeded();
  assert.ok(await page.locator('[data-testid="feed-card"]').isVisible());

  await page.click('[data-testid="train-toggle"]');
  await until(async () => (await episodeCount(page)) >= 30, 60000, 200);
  await page.click('[data-testid="train-toggle"]');
  await page.waitForTimeout(500);
  await assertNoUnexpectedError(page, 'phone layout while training');
  assert.ok(await noSideScroll(page), 'no horizontal scroll after training (tables, plots, legends)');
  for (const id of ['plot-return', 'plot-loss', 'plot-epsilon', 'plot-session']) {
    const b = await page.locator(`[data-testid="${id}"]`).boundingBox();
    assert.ok(b.x >= 0 && b.x + b.width <= 390, `${id} fits`);
  }
  await page.evaluate(() => window.scrollTo(0, 0));
  await screenshot(page, 'phone-trained.png', true);
  await page.locator('[data-testid="feed-card"]').scrollIntoViewIfNeeded();
  await screenshot(page, 'phone-feed.png', false);

  await page.click('label[for="mode-user"]');
  await page.locator('[data-testid="feed-card"]').scrollIntoViewIfNeeded();
  assert.ok(await noSideScroll(page), 'no horizontal scroll in user mode');
  await page.tap('[data-testid="user-start"]');
  await page.waitForTimeout(600);
  await screenshot(page, 'phone-user.png', false);
  assertNoProblems(problems);
  await assertNoUnexpectedError(page, 'phone layout');
  await context.close();
});

test('on a phone, a reader below the why panel while training stays put: the panel only grows, the page does not scroll by itself', async () => {
  const { page, problems, context } = await openPage(browser, { viewport: PHONE, hasTouch: true, isMobile: true });
  await gotoReady(page);
  await page.click('[data-testid="train-toggle"]');
  await until(async () => (await episodeCount(page)) >= 20, 60000, 100);
  // The inspector right below the why panel, in the middle of the screen.
  await page.evaluate(() => window.scrollBy(0, document.getElementById('state-inspector').getBoundingClientRect().top - 420));
  await page.waitForTimeout(1000);
  const samples = await page.evaluate(async () => {
    const out = [];
    for (let i = 0; i < 40; i++) {
      await new Promise((r) => setTimeout(r, 100));
      out.push([Math.round(scrollY), Math.round(document.getElementById('state-inspector').getBoundingClientRect().top + scrollY),
        document.getElementById('why-panel').textContent.length]);
    }
    return out;
  });
  assert.ok(new Set(samples.map((s) => s[2])).size >= 3, 'the why panel followed the card meanwhile');
  assert.equal(new Set(samples.map((s) => s[0])).size, 1, `the page did not scroll by itself: ${samples.map((s) => s[0]).join(' ')}`);
  const tops = samples.map((s) => s[1]);
  assert.ok(tops.every((t, i) => i === 0 || t >= tops[i - 1]), `what follows the panel never moves up: ${tops.join(' ')}`);
  assertNoProblems(problems);
  await context.close();
});

test('resizing the window (a phone rotating) while training raises no error', async () => {
  const { page, problems, context } = await openPage(browser, { viewport: PHONE, hasTouch: true, isMobile: true });
  // Every window error, including the ones the page's handler deliberately only logs.
  await page.addInitScript(() => {
    window.__windowErrors = [];
    window.addEventListener('error', (e) => window.__windowErrors.push(String(e.message)));
  });
  await gotoReady(page);
  await page.click('[data-testid="train-toggle"]');
  for (let i = 0; i < 16; i++) {
    await page.setViewportSize(i % 2 ? PHONE : { width: 844, height: 390 });
    await page.waitForTimeout(120);
  }
  assert.ok((await episodeCount(page)) > 0, 'training ran');
  assert.deepEqual(await page.evaluate(() => window.__windowErrors), []);
  await assertNoUnexpectedError(page, 'resizing');
  assertNoProblems(problems);
  await context.close();
});

test('on a phone, quick controls follow once the toolbar scrolls away: Train/Pause, Top, Settings', async () => {
  const { page, problems, context } = await openPage(browser, { viewport: PHONE, hasTouch: true, isMobile: true, deviceScaleFactor: 2 });
  await gotoReady(page);
  const dock = page.locator('#dock');
  assert.equal(await dock.isVisible(), false, 'not while the toolbar is on screen');
  await page.evaluate(() => document.querySelector('[data-testid="plot-return"]').scrollIntoView());
  await until(() => dock.isVisible(), 3000, 50);
  await page.tap('[data-testid="dock-train"]');
  await until(async () => (await episodeCount(page)) > 5, 30000, 100);
  assert.equal(await page.getAttribute('[data-testid="train-toggle"]', 'aria-pressed'), 'true', 'the toolbar shows it training');
  await page.tap('[data-testid="dock-train"]');
  await until(async () => (await page.locator('#dock-train .btn-label').innerText()) === 'Train', 3000, 50);
  // The steps already under way arrive with the Worker's reply; then nothing moves.
  await page.waitForTimeout(500);
  const n = await episodeCount(page);
  await page.waitForTimeout(600);
  assert.equal(await episodeCount(page), n, 'paused');
  await page.tap('#dock a[href="#controls"]');
  await until(async () => Math.abs((await page.locator('#controls').boundingBox()).y) < 100, 3000, 50);
  await page.tap('#dock a[href="#toolbar"]');
  await until(() => page.locator('[data-testid="train-toggle"]').isVisible(), 3000, 50);
  await until(async () => !(await dock.isVisible()), 3000, 50);
  // Not on a laptop.
  await page.setViewportSize({ width: 1366, height: 900 });
  await page.evaluate(() => document.querySelector('[data-testid="plot-return"]').scrollIntoView());
  await page.waitForTimeout(300);
  assert.equal(await dock.isVisible(), false, 'no dock on a wide screen');
  assertNoProblems(problems);
  await context.close();
});

test('on a phone, the toolbar keeps its height when training starts, a list of link problems is folded, the pending bar sits above the dock', async () => {
  const { page, problems, context } = await openPage(browser, { viewport: PHONE, hasTouch: true, isMobile: true, deviceScaleFactor: 2 });
  const warnings = [];
  page.on('console', (m) => { if (/ResizeObserver/.test(m.text())) warnings.push(m.text()); });
  await gotoReady(page, '?world=huge&lr=abc');
  // The two problems behind one line, opened on request.
  const msg = page.locator('[data-testid="message"] .msg');
  assert.match(await msg.innerText(), /2 problems in the link/);
  assert.ok((await msg.boundingBox()).height < 90, `folded: ${(await msg.boundingBox()).height} px`);
  assert.doesNotMatch(await msg.innerText(), /got "huge"/);
  await page.click('.msg-details summary');
  assert.match(await msg.innerText(), /World size: must be one of small, medium, large \(got "huge"\)/);
  assert.match(await msg.innerText(), /Learning rate: must be a number \(got "abc"\)/);
  await page.click('.msg-close');

  // "max · 3,110 steps/s" wraps on a phone: its two lines are reserved before it does.
  const statsTop = async () => (await page.locator('[data-testid="episode-count"]').boundingBox()).y;
  const before = await statsTop();
  await page.click('[data-testid="train-toggle"]');
  await until(async () => /steps\/s/.test(await page.textContent('#speed-value')), 20000, 100);
  assert.equal(await statsTop(), before, `the stats did not move: ${await page.textContent('#speed-value')}`);

  // A pending change while the dock shows: its buttons are not under the dock.
  await page.selectOption('[data-testid="ctl-world"]', 'medium');
  await page.locator('[data-testid="ctl-world"]').scrollIntoViewIfNeeded();
  await page.evaluate(() => window.scrollBy(0, -200));
  await page.waitForTimeout(300);
  const dock = await page.locator('#dock').boundingBox();
  assert.ok(dock, 'the dock shows');
  for (const name of ['Apply & reset', 'Cancel']) {
    const b = await page.locator('#pending').getByRole('button', { name }).boundingBox();
    assert.ok(b.y + b.height <= dock.y || b.x + b.width <= dock.x, `${name} (${JSON.stringify(b)}) clear of the dock (${JSON.stringify(dock)})`);
  }
  // Scrolled past the panels and applied while training: the panels kept from shrinking take
  // their new height without a "ResizeObserver loop" (the page logs it as a warning).
  await page.click('[data-testid="apply-reset"]');
  await page.waitForSelector('body.is-ready:not(.is-building)', { timeout: 60000 });
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.click('[data-testid="train-toggle"]');
  await until(async () => (await episodeCount(page)) >= 20, 60000, 200);
  await page.waitForTimeout(500);
  assert.deepEqual(warnings, []);
  assertNoProblems(problems);
  await context.close();
});

test('a panel kept from shrinking takes a new width without a "ResizeObserver loop"', async () => {
  const { page, problems, context } = await openPage(browser, { viewport: PHONE, hasTouch: true, isMobile: true });
  const warnings = [];
  page.on('console', (m) => { if (/ResizeObserver/.test(m.text())) warnings.push(m.text()); });
  await gotoReady(page);
  const heights = await page.evaluate(async () => {
    const { steadyHeight } = await import(new URL('www/dom.js', document.baseURI).href);
    const frame = () => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
    // Styles set through the CSSOM: the page's Content-Security-Policy refuses style attributes.
    const el = document.createElement('div');
    const inner = document.createElement('div');
    el.style.width = '300px';
    inner.style.height = '400px';
    el.append(inner);
    document.body.append(el);
    steadyHeight(el);
    await frame();
    await frame();
    inner.style.height = '100px';
    await frame();
    const kept = el.offsetHeight;
    el.style.width = '200px';
    await frame();
    await frame();
    const after = el.offsetHeight;
    el.remove();
    return { kept, after };
  });
  assert.deepEqual(heights, { kept: 400, after: 100 }, 'kept while the width stays, released when it changes');
  assert.deepEqual(warnings, []);
  assertNoProblems(problems);
  await context.close();
});

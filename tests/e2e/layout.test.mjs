// Layout for working (issue 9): at 1366x900 the toolbar, the feed card, the headline plot and
// the live controls are on screen together; on a phone a vertical swipe or the wheel over the
// card scrolls the page while watching the agent. Messages beside their field, "Copy link" with
// pending changes, preset preview, the presets explanation in plain words first.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, openPage, gotoReady, assertNoProblems, feedSeq, until, touchSwipeUp, screenshot, PHONE } from './helpers.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const LAPTOP = { width: 1366, height: 900 };

/** Whether the element's whole box lies inside the viewport. */
async function inViewport(page, selector) {
  const b = await page.locator(selector).first().boundingBox();
  const v = page.viewportSize();
  return !!b && b.width > 0 && b.height > 0 && b.x >= 0 && b.y >= 0 && b.x + b.width <= v.width + 0.5 && b.y + b.height <= v.height + 0.5;
}

const WORKING = ['#toolbar', '[data-testid="feed-card"]', '[data-testid="plot-skill"]', '#ctl-w1', '#ctl-w3', '[data-testid="value-w1"]'];

test('1366x900: toolbar, feed card, headline plot and live controls on screen together, also while scrolled', async () => {
  const { page, problems, context } = await openPage(browser, { viewport: LAPTOP });
  await gotoReady(page);
  for (const sel of WORKING) assert.ok(await inViewport(page, sel), `${sel} in the viewport on load`);
  assert.ok(await inViewport(page, '[data-testid="train-toggle"]'));
  // The agent's live controls are in the same panel, reachable without moving the plots away.
  const panel = await page.locator('#controls').boundingBox();
  assert.ok(panel.y + panel.height <= LAPTOP.height + 0.5, `settings panel fits the viewport height (${panel.y} + ${panel.height})`);
  // The "Apply & reset" bar of a pending World change shows at the panel's bottom, on screen.
  await page.fill('[data-testid="value-n_users"]', '300');
  await page.press('[data-testid="value-n_users"]', 'Enter');
  assert.ok(await inViewport(page, '[data-testid="apply-reset"]'), 'Apply & reset on screen');
  assert.ok(await inViewport(page, '[data-testid="plot-skill"]'), 'and the plot still in view');
  await page.click('#cancel-pending');
  await page.locator('#ctl-gamma').scrollIntoViewIfNeeded();
  for (const sel of ['#ctl-gamma', '[data-testid="plot-skill"]', '[data-testid="feed-card"]', '#toolbar']) {
    assert.ok(await inViewport(page, sel), `${sel} in view with the agent controls`);
  }
  // Scrolled down to the other plots, the toolbar and the settings stay (sticky).
  await page.locator('[data-testid="plot-session"]').scrollIntoViewIfNeeded();
  assert.ok((await page.evaluate(() => window.scrollY)) > 100, 'the page scrolled');
  for (const sel of ['#toolbar', '#ctl-gamma', '[data-testid="plot-session"]']) {
    assert.ok(await inViewport(page, sel), `${sel} in view while scrolled`);
  }
  await page.evaluate(() => window.scrollTo(0, 0));
  await screenshot(page, 'layout-1366.png', false);
  assertNoProblems(problems);
  await context.close();
});

test('phone: the card and the skill plot within the first screen and a half; hints speak of swiping and tapping', async () => {
  const { page, problems, context } = await openPage(browser, { viewport: PHONE, hasTouch: true, isMobile: true });
  await gotoReady(page);
  const limit = 1.5 * PHONE.height;
  const card = await page.locator('[data-testid="feed-card"]').boundingBox();
  const plot = await page.locator('[data-testid="plot-skill"]').boundingBox();
  const canvas = await page.locator('[data-testid="plot-skill"] canvas').boundingBox();
  assert.ok(card.y + card.height <= limit, `card ends at ${card.y + card.height} <= ${limit}`);
  assert.ok(plot.y >= card.y + card.height, 'the skill plot follows the card');
  assert.ok(canvas.y + canvas.height <= limit, `skill plot's chart ends at ${canvas.y + canvas.height} <= ${limit}`);
  const hint = await page.locator('#feed-hint').innerText();
  assert.equal(await page.locator('#feed-hint kbd').count(), 0, `no keys in the phone's hint (${hint})`);
  assert.match(hint, /\b[Tt]ap\b/);
  assert.doesNotMatch(hint, /\bL\b|↑|↓|mouse|press/i);
  await page.locator('label[for="mode-user"]').tap();
  await until(async () => /swipe up on the card to skip/.test(await page.locator('#feed-hint').innerText()), 3000, 50);
  const userHint = await page.locator('#feed-hint').innerText();
  assert.match(userHint, /double-tap to like/);
  assert.equal(await page.locator('#feed-hint kbd').count(), 0, `no keys as the user either (${userHint})`);
  await screenshot(page, 'layout-phone-top.png', false);
  assertNoProblems(problems);
  await context.close();
});

test('desktop: the hints name the keys', async () => {
  const { page, problems, context } = await openPage(browser, { viewport: LAPTOP });
  await gotoReady(page);
  assert.ok((await page.locator('#feed-hint kbd').count()) >= 2, 'arrow keys in the hint');
  assertNoProblems(problems);
  await context.close();
});

test('1366x900: a section scrolled into view or reached by an in-page link is not hidden under the sticky toolbar', async () => {
  const { page, problems, context } = await openPage(browser, { viewport: LAPTOP });
  await gotoReady(page);
  const toolbarBottom = async () => {
    const b = await page.locator('#toolbar').boundingBox();
    return b.y + b.height;
  };
  const titles = ['#plot-skill figcaption', '#plot-return-fig figcaption', '#plots-section figure:nth-child(1) figcaption',
    '#plots-section figure:nth-child(3) figcaption', '#cand-title', '#explain-title'];
  for (const sel of titles) {
    // Scrolled to the top of the page first, then the section brought to the viewport's top.
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.evaluate((s) => document.querySelector(s).closest('figure, section').scrollIntoView({ block: 'start' }), sel);
    await page.waitForTimeout(100);
    const t = await page.locator(sel).boundingBox();
    assert.ok(t.y >= (await toolbarBottom()) - 0.5, `${sel} at ${t.y}, below the toolbar's bottom ${await toolbarBottom()}`);
  }
  // The system diagram's link to the agent's plots.
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.click('.dg-agent');
  await until(async () => (await page.evaluate(() => window.scrollY)) > 100, 3000, 50);
  await page.waitForTimeout(800);
  const first = await page.locator('#plots-section figure figcaption').first().boundingBox();
  assert.ok(first.y >= (await toolbarBottom()) - 0.5, `plot title at ${first.y} below the toolbar ${await toolbarBottom()}`);
  assertNoProblems(problems);
  await context.close();
});

test('phone, watching the agent: a swipe on the card and the wheel over it scroll the page, not the feed', async () => {
  const { page, problems, context } = await openPage(browser, { viewport: PHONE, hasTouch: true, isMobile: true });
  await gotoReady(page);
  const card = await page.locator('[data-testid="feed-card"]').boundingBox();
  assert.ok(card.x >= 0 && card.x + card.width <= PHONE.width, 'card within the width');
  await page.evaluate((y) => window.scrollTo(0, y), Math.max(0, card.y - 60));
  await page.waitForTimeout(200);
  const seq = await feedSeq(page);
  const y0 = await page.evaluate(() => window.scrollY);
  await touchSwipeUp(page, 250);
  await until(async () => (await page.evaluate(() => window.scrollY)) > y0 + 50, 5000, 50);
  // Let the fling settle before the next gesture.
  await page.waitForTimeout(1000);
  const y1 = await page.evaluate(() => window.scrollY);
  assert.ok(y1 > y0 + 50, `the swipe scrolled the page (${y0} -> ${y1})`);
  assert.equal(await feedSeq(page), seq, 'the feed did not advance');

  // The mouse wheel over the phone scrolls the page too.
  await page.evaluate((y) => window.scrollTo(0, y), Math.max(0, card.y - 60));
  await page.waitForTimeout(200);
  const b = await page.locator('[data-testid="feed-card"]').boundingBox();
  const y2 = await page.evaluate(() => window.scrollY);
  await page.mouse.move(b.x + b.width / 2, b.y + b.height / 2);
  await page.mouse.wheel(0, 300);
  await until(async () => (await page.evaluate(() => window.scrollY)) > y2 + 50, 5000, 50);
  assert.ok((await page.evaluate(() => window.scrollY)) > y2 + 50, 'the wheel scrolled the page');
  await page.waitForTimeout(300);
  assert.equal(await feedSeq(page), seq, 'the wheel did not advance the feed');

  // The Step button still steps.
  await page.locator('[data-testid="train-step"]').scrollIntoViewIfNeeded();
  await page.tap('[data-testid="train-step"]');
  assert.ok(await until(async () => (await feedSeq(page)) > seq, 4000, 50), 'Step advances the feed');
  assertNoProblems(problems);
  await context.close();
});

test('phone, the reader is the user: a swipe on the card skips the video and does not scroll', async () => {
  const { page, problems, context } = await openPage(browser, { viewport: PHONE, hasTouch: true, isMobile: true });
  await gotoReady(page, '?mode=user');
  await page.locator('[data-testid="feed-card"]').scrollIntoViewIfNeeded();
  await page.tap('[data-testid="user-start"]');
  await until(async () => (await feedSeq(page)) > 0, 5000);
  await page.waitForTimeout(500);
  const seq = await feedSeq(page);
  const y0 = await page.evaluate(() => window.scrollY);
  await touchSwipeUp(page, 220);
  assert.ok(await until(async () => (await feedSeq(page)) > seq, 4000, 50), 'the swipe skipped to the next video');
  assert.equal(await page.locator('[data-testid="feed-action"]').innerText(), 'Skipped');
  assert.ok(Math.abs((await page.evaluate(() => window.scrollY)) - y0) < 5, 'the page did not scroll');
  assertNoProblems(problems);
  await context.close();
});

test('a refused typed value is explained beside its field, and a second one replaces the first', async () => {
  const { page, problems, context } = await openPage(browser, { viewport: LAPTOP });
  await gotoReady(page);
  await page.fill('[data-testid="value-gamma"]', '1.5');
  await page.press('[data-testid="value-gamma"]', 'Enter');
  const err = page.locator('[data-testid="error-gamma"]');
  await until(() => err.isVisible(), 3000, 50);
  assert.match(await err.innerText(), /γ discount \(gamma\): must be between 0 and 1 \(got "1\.5"\)/);
  const field = await page.locator('[data-testid="value-gamma"]').boundingBox();
  const box = await err.boundingBox();
  assert.ok(box.y >= field.y && box.y - (field.y + field.height) < 60, `the message sits right under its field (${field.y} / ${box.y})`);
  assert.equal((await page.locator('[data-testid="message"]').innerText()).trim(), '', 'not in the far-away message area');
  await page.fill('[data-testid="value-gamma"]', 'abc');
  await page.press('[data-testid="value-gamma"]', 'Enter');
  await until(async () => /abc/.test(await err.innerText()), 3000, 50);
  assert.equal(await page.locator('.ctl-error:visible').count(), 1, 'one message, not two');
  assert.doesNotMatch(await err.innerText(), /1\.5/, 'the new one replaced the old one');
  // Typing a value that parses clears it at once, before Enter.
  await page.fill('[data-testid="value-gamma"]', '0.9');
  assert.equal(await err.isVisible(), false, 'gone as soon as the field holds a valid value');
  assert.equal(await page.getAttribute('[data-testid="value-gamma"]', 'aria-invalid'), null);
  await page.press('[data-testid="value-gamma"]', 'Enter');
  await until(async () => !(await err.isVisible()), 3000, 50);
  assert.equal(await err.isVisible(), false);
  assertNoProblems(problems);
  await context.close();
});

test('a World value refused for another field\u2019s sake says so in the reader\u2019s words; the badge shows only accepted pending changes', async () => {
  const { page, problems, context } = await openPage(browser, { viewport: LAPTOP });
  await gotoReady(page);
  const tag = page.locator('[data-testid="world-reset-tag"]');
  assert.equal(await tag.getAttribute('data-state'), 'off', 'nothing pending on a fresh page');
  await page.fill('[data-testid="value-n_videos"]', '5');
  await page.press('[data-testid="value-n_videos"]', 'Enter');
  const err = page.locator('[data-testid="error-n_videos"]');
  await until(() => err.isVisible(), 3000, 50);
  const text = await err.innerText();
  assert.match(text, /^Videos: at least 10 \(Candidates per step is 10\)/, text);
  assert.doesNotMatch(text, /cf\.|world\.|n_candidates|n_videos/, 'no config paths');
  assert.equal(await tag.getAttribute('data-state'), 'off', 'a refused value is not pending');
  assert.equal(await page.locator('#pending').isVisible(), false);
  // An accepted one is.
  await page.fill('[data-testid="value-n_videos"]', '2000');
  await page.press('[data-testid="value-n_videos"]', 'Enter');
  await until(async () => (await tag.getAttribute('data-state')) === 'on', 3000, 50);
  assert.match(await tag.innerText(), /needs reset/i);
  await page.click('#cancel-pending');
  await until(async () => (await tag.getAttribute('data-state')) === 'off', 3000, 50);
  assertNoProblems(problems);
  await context.close();
});

test('field messages go on Reset, on Apply & reset and on Escape', async () => {
  const { page, problems, context } = await openPage(browser, { viewport: LAPTOP });
  await gotoReady(page);
  const refuse = async (key, text) => {
    await page.fill(`[data-testid="value-${key}"]`, text);
    await page.press(`[data-testid="value-${key}"]`, 'Enter');
    await until(() => page.locator(`[data-testid="error-${key}"]`).isVisible(), 3000, 50);
  };
  const visible = () => page.locator('.ctl-error:visible').count();
  await refuse('gamma', '1.5');
  await refuse('w1', 'abc');
  assert.equal(await visible(), 2);
  const ep = await page.getAttribute('body', 'class');
  await page.click('[data-testid="reset"]');
  await page.waitForSelector('body.is-ready:not(.is-building)');
  await until(async () => (await visible()) === 0, 20000, 100);
  assert.equal(await visible(), 0, `no message after Reset (${ep})`);
  // Apply & reset of a pending World change, with a refused value beside another field.
  await refuse('gamma', '7');
  await page.fill('[data-testid="value-n_users"]', '300');
  await page.press('[data-testid="value-n_users"]', 'Enter');
  await page.click('[data-testid="apply-reset"]');
  await until(async () => (await visible()) === 0, 30000, 100);
  assert.equal(await visible(), 0, 'no message after Apply & reset');
  await refuse('gamma', 'x');
  await page.press('[data-testid="value-gamma"]', 'Escape');
  assert.equal(await visible(), 0, 'Escape puts the applied value back and the message goes');
  assertNoProblems(problems);
  await context.close();
});

test('"Copy link" includes pending changes and says they are not applied', async () => {
  const { page, problems, context } = await openPage(browser, { viewport: LAPTOP });
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  await gotoReady(page, '?seed=5');
  await page.click('[data-testid="copy-link"]');
  await until(async () => /Link copied/.test(await page.locator('[data-testid="message"]').innerText()), 3000, 50);
  let copied = new URL(await page.evaluate(() => navigator.clipboard.readText()));
  assert.equal(copied.searchParams.get('seed'), '5');
  assert.match(await page.locator('[data-testid="message"]').innerText(), /reproduces this experiment/);

  await page.fill('[data-testid="value-n_videos"]', '1500');
  await page.press('[data-testid="value-n_videos"]', 'Enter');
  await page.click('[data-testid="copy-link"]');
  await until(async () => /pending/.test(await page.locator('[data-testid="message"]').innerText()), 3000, 50);
  copied = new URL(await page.evaluate(() => navigator.clipboard.readText()));
  assert.equal(copied.searchParams.get('n_videos'), '1500', 'the link has the pending change');
  assert.equal(new URL(page.url()).searchParams.get('n_videos'), null, 'the page itself does not run it yet');
  assert.match(await page.locator('[data-testid="message"]').innerText(), /not applied on this page yet/);
  assertNoProblems(problems);
  await context.close();
});

test('choosing a preset previews its values; Cancel puts the applied ones back', async () => {
  const { page, problems, context } = await openPage(browser, { viewport: LAPTOP });
  await gotoReady(page, '?preset=default&seed=3');
  const value = (k) => page.inputValue(`[data-testid="value-${k}"]`);
  assert.equal(await value('replay'), '10000');
  assert.equal(await value('lr'), '1e-4');
  await page.selectOption('[data-testid="ctl-preset"]', 'seed');
  assert.equal(await value('replay'), '\u221e', 'replay shows the seed preset\u2019s unbounded memory');
  assert.equal(await value('target_sync'), 'off');
  assert.equal(await value('lr'), '0.001');
  for (const k of ['replay', 'target_sync', 'lr']) {
    assert.ok(await page.locator(`.ctl[data-key="${k}"].is-pending`).count(), `${k} marked pending`);
  }
  assert.match(await page.locator('#pending').innerText(), /Preset \u201cseed\u201d/);
  await page.click('#cancel-pending');
  assert.equal(await value('replay'), '10000');
  assert.equal(await value('lr'), '1e-4');
  assert.equal(await page.locator('.ctl.is-pending').count(), 0);
  assertNoProblems(problems);
  await context.close();
});

test('the presets explanation starts in plain words, details folded', async () => {
  const { page, problems, context } = await openPage(browser, { viewport: LAPTOP });
  await gotoReady(page);
  await page.click('a[href="#presets"]');
  assert.equal(await page.locator('#presets').getAttribute('open'), '', 'the link unfolds it');
  const plain = await page.locator('#presets .presets-plain').innerText();
  assert.match(plain, /notebook/);
  assert.doesNotMatch(plain, /target network|replay|Adam|Q-value|1e-4/, 'no jargon in the first words');
  assert.equal(await page.locator('#presets .about-more').getAttribute('open'), null, 'details folded');
  assert.equal(await page.locator('#presets .presets').isVisible(), false);
  assertNoProblems(problems);
  await context.close();
});

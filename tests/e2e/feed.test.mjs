// 3. Swipes (mouse and touch), ArrowUp/ArrowDown and likes (button, L key, double-tap).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  launch, openPage, gotoReady, assertNoProblems, feedSeq, until, mouseSwipeUp, touchSwipeUp, PHONE,
} from './helpers.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const text = async (page, id) => (await page.locator(`[data-testid="${id}"]`).innerText()).trim();
const advanced = (page, from) => until(async () => (await feedSeq(page)) > from, 4000, 50);

test('agent mode: mouse swipe, ArrowUp and ArrowDown each advance the feed; a short drag does not; arrows scroll the page once the feed is out of view', async () => {
  const { page, problems, context } = await openPage(browser);
  await gotoReady(page);
  await page.locator('[data-testid="feed-card"]').scrollIntoViewIfNeeded();

  let seq = await feedSeq(page);
  await mouseSwipeUp(page);
  assert.ok(await advanced(page, seq), 'mouse swipe advanced the feed');

  await page.waitForTimeout(400);
  seq = await feedSeq(page);
  await mouseSwipeUp(page, 15);
  await page.waitForTimeout(500);
  assert.equal(await feedSeq(page), seq, 'a 15 px drag is not a swipe');

  await page.locator('[data-testid="feed-card"]').focus();
  seq = await feedSeq(page);
  await page.keyboard.press('ArrowUp');
  assert.ok(await advanced(page, seq), 'ArrowUp advanced the feed');
  seq = await feedSeq(page);
  await page.keyboard.press('ArrowDown');
  assert.ok(await advanced(page, seq), 'ArrowDown advanced the feed');

  // Arrow keys inside a settings slider move the slider, not the feed.
  seq = await feedSeq(page);
  await page.focus('#ctl-w1');
  await page.keyboard.press('ArrowUp');
  await page.waitForTimeout(300);
  assert.equal(await feedSeq(page), seq, 'arrows in a slider do not advance the feed');

  // Scrolled down to the plots, with the feed out of view, ArrowDown scrolls the page.
  await page.evaluate(() => document.activeElement && document.activeElement.blur());
  await page.setViewportSize({ width: 1280, height: 500 });
  const y = await page.evaluate(() => {
    const r = document.getElementById('screen').getBoundingClientRect();
    window.scrollTo(0, window.scrollY + r.bottom + 10);
    return window.scrollY;
  });
  assert.ok((await page.evaluate(() => document.documentElement.scrollHeight - window.innerHeight)) > y + 40, 'room to scroll further');
  seq = await feedSeq(page);
  await page.keyboard.press('ArrowDown');
  await page.waitForTimeout(400);
  assert.equal(await feedSeq(page), seq, 'the feed out of view: ArrowDown does not advance it');
  assert.ok((await page.evaluate(() => window.scrollY)) > y, 'ArrowDown scrolled the page');
  assertNoProblems(problems);
  await context.close();
});

test('touch: as the user, a finger swipe advances the feed (pointer events, pointerType touch)', async () => {
  // Watching the agent, a swipe scrolls the page instead (layout.test.mjs).
  const { page, problems, context } = await openPage(browser, { viewport: PHONE, hasTouch: true, isMobile: true });
  await gotoReady(page, '?mode=user');
  await page.locator('[data-testid="feed-card"]').scrollIntoViewIfNeeded();
  await page.tap('[data-testid="user-start"]');
  await until(async () => (await feedSeq(page)) > 0, 5000);
  await page.waitForTimeout(400);
  const types = [];
  await page.exposeFunction('__ptr', (t) => types.push(t));
  await page.evaluate(() => document.querySelector('[data-testid="feed-card"]').addEventListener('pointerdown', (e) => window.__ptr(e.pointerType)));
  const seq = await feedSeq(page);
  await touchSwipeUp(page);
  assert.ok(await advanced(page, seq), 'touch swipe advanced the feed');
  assert.ok(types.includes('touch'), `pointer events came from touch (${types.join(',')})`);
  assertNoProblems(problems);
  await context.close();
});

test('user mode: like button, L key and double-tap register a like worth +2; a swipe is a skip worth -2', async () => {
  const { page, problems, context } = await openPage(browser);
  await gotoReady(page, '?mode=user');
  await page.locator('[data-testid="feed-card"]').scrollIntoViewIfNeeded();
  await page.click('[data-testid="user-start"]');
  await until(async () => (await feedSeq(page)) > 0, 4000);
  await page.waitForTimeout(400);

  // Like button.
  let seq = await feedSeq(page);
  await page.click('[data-testid="like"]');
  await until(async () => (await text(page, 'feed-reward')) === '+2', 3000);
  assert.equal(await text(page, 'feed-reward'), '+2', 'like button: reward +2');
  assert.equal(await text(page, 'feed-action'), 'Liked');
  assert.equal(await page.getAttribute('[data-testid="like"]', 'aria-pressed'), 'true', 'heart is lit');
  assert.ok(await page.locator('[data-testid="feed-card"].is-liked').count(), 'card shows the like');
  // The card's session line counts the like at once, like the panel below the phone.
  assert.match(await page.locator('#session-line').innerText(), /video 1 · \d+ s · return \+2/);
  assert.ok(await advanced(page, seq), 'a liked video moves on to the next one');
  await page.waitForTimeout(400);
  assert.equal(await page.getAttribute('[data-testid="like"]', 'aria-pressed'), 'false', 'new card starts unliked');

  // Swipe = skip.
  seq = await feedSeq(page);
  await mouseSwipeUp(page);
  await until(async () => (await text(page, 'feed-action')) === 'Skipped', 3000);
  assert.equal(await text(page, 'feed-reward'), '\u22122', 'skip: reward -2');
  assert.ok(await advanced(page, seq));
  await page.waitForTimeout(400);

  // L key.
  seq = await feedSeq(page);
  await page.locator('body').press('l');
  await until(async () => (await text(page, 'feed-action')) === 'Liked', 3000);
  assert.equal(await text(page, 'feed-reward'), '+2', 'L key: reward +2');
  assert.ok(await advanced(page, seq));
  await page.waitForTimeout(400);

  // ArrowDown = skip as well.
  await page.locator('body').press('ArrowDown');
  await until(async () => (await text(page, 'feed-action')) === 'Skipped', 3000);
  await page.waitForTimeout(400);

  // Double-tap on the card.
  const box = await page.locator('[data-testid="feed-card"]').boundingBox();
  await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
  await page.waitForTimeout(80);
  await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
  await until(async () => (await text(page, 'feed-action')) === 'Liked', 3000);
  assert.equal(await text(page, 'feed-action'), 'Liked', 'double-tap likes');

  // End the session.
  await page.waitForTimeout(900);
  await page.click('[data-testid="end-session"]');
  await until(() => page.locator('[data-testid="session-summary"]').isVisible(), 3000);
  assert.ok(await page.locator('[data-testid="session-summary"]').isVisible(), 'summary after ending the session');
  assert.equal(await text(page, 'feed-reward'), '\u22120.5');
  assertNoProblems(problems);
  await context.close();
});

test('user mode: letting a video play to the end counts as watched (+1) and auto-advances', async () => {
  const { page, problems, context } = await openPage(browser);
  await gotoReady(page, '?mode=user');
  await page.click('[data-testid="user-start"]');
  await until(async () => (await feedSeq(page)) > 0, 4000);
  const seq = await feedSeq(page);
  const watched = await until(async () => (await text(page, 'feed-action')) === 'Watched', 12000, 100);
  assert.ok(watched, 'the video ended as watched');
  assert.equal(await text(page, 'feed-reward'), '+1');
  assert.ok(await advanced(page, seq), 'auto-advanced to the next video');
  assertNoProblems(problems);
  await context.close();
});

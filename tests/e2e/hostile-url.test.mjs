// Hostile links (issue 11): parameter names that are properties of every JS object, repeated
// keys, values that underflow to 0 and very long values. The page reports them as a short list,
// applies none of them, becomes ready and still trains.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, openPage, gotoReady, assertNoProblems, assertNoUnexpectedError, episodeCount, until } from './helpers.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const message = (page) => page.locator('[data-testid="message"]').innerText();
const gammaBox = (page) => page.inputValue('[data-testid="value-gamma"]');

async function stillTrains(page) {
  await page.click('[data-testid="train-toggle"]');
  const ok = await until(async () => (await episodeCount(page)) > 0, 60000, 200);
  await page.click('[data-testid="train-toggle"]');
  return ok;
}

// Object.prototype's own names and a few relatives (Function / Array / legacy accessors).
const INHERITED = ['constructor', 'toString', '__proto__', 'valueOf', 'hasOwnProperty', 'isPrototypeOf',
  'propertyIsEnumerable', 'toLocaleString', '__defineGetter__', '__lookupSetter__', 'prototype', 'length', 'call'];

test('names inherited by every object are unknown parameters, the page becomes ready and trains', async () => {
  const { page, problems, context } = await openPage(browser);
  const query = '?' + INHERITED.map((k, i) => `${k}=${i % 2 ? 'x' : '1'}`).join('&');
  await gotoReady(page, query);
  const msg = await message(page);
  for (const k of INHERITED) assert.match(msg, new RegExp(`"${k}"`), `${k} named: ${msg}`);
  assert.match(msg, /unknown parameters, ignored/);
  assert.doesNotMatch(msg, /must be a number|Unexpected error|not iterable/, msg);
  assert.equal(await page.locator('[data-testid="message"] .msg').count(), 1, 'one message');
  assert.equal(Number(await gammaBox(page)), 0.95, 'defaults in force');
  assert.ok(await stillTrains(page), 'training works');
  await assertNoUnexpectedError(page);
  assertNoProblems(problems);
  await context.close();
});

test('each inherited name alone: "unknown parameter", not "must be a number"', async () => {
  const { page, problems, context } = await openPage(browser);
  for (const k of ['constructor', 'toString', '__proto__', 'valueOf', 'hasOwnProperty']) {
    await gotoReady(page, `?${k}=${k === 'hasOwnProperty' ? 'x' : '1'}`);
    const msg = await message(page);
    assert.match(msg, new RegExp(`"${k}": unknown parameter, ignored`), msg);
    assert.equal(await page.locator('[data-testid="message"] .msg').count(), 1, 'one message');
    assert.doesNotMatch(msg, /must be/, msg);
    await assertNoUnexpectedError(page, k);
  }
  assertNoProblems(problems);
  await context.close();
});

test('several problems in a link appear as a short list, one item each', async () => {
  const { page, problems, context } = await openPage(browser);
  await gotoReady(page, '?valueOf=1&gamma=7&seed=abc&lr=2&mode=robot');
  assert.equal(await page.locator('[data-testid="message"] .msg').count(), 1, 'one message');
  const items = await page.locator('[data-testid="message"] .msg-list li').allInnerTexts();
  assert.equal(items.length, 5 + 1, `five problems and the known names: ${items.join(' | ')}`);
  assert.match(items[items.length - 1], /^Known parameters: mode, speed, w1/);
  assert.match(await message(page), /^5 problems in the link:/);
  assert.ok(await stillTrains(page));
  assertNoProblems(problems);
  await context.close();
});

test('a repeated key is reported and not half-applied', async () => {
  const { page, problems, context } = await openPage(browser);
  await gotoReady(page, '?gamma=0.5&gamma=2&seed=4&seed=4');
  const msg = await message(page);
  assert.match(msg, /"gamma" is given 2 times \("0\.5", "2"\); using the default/, msg);
  assert.match(msg, /"seed" is given 2 times/, msg);
  assert.equal(Number(await gammaBox(page)), 0.95, 'neither 0.5 nor 2: the default');
  await until(() => !new URL(page.url()).searchParams.has('gamma'), 3000, 50);
  assert.equal(new URL(page.url()).searchParams.getAll('gamma').length, 0, 'the URL no longer says two things');
  assertNoProblems(problems);
  await context.close();
});

test('1e-400 (0 after rounding) is refused, not silently 0; 1e400 too', async () => {
  const { page, problems, context } = await openPage(browser);
  await gotoReady(page, '?gamma=1e-400&eps_min=1e400');
  const msg = await message(page);
  assert.match(msg, /gamma=1e-400: γ discount: is too small to represent/, msg);
  assert.match(msg, /eps_min=1e400: ε floor: is too large/, msg);
  assert.equal(Number(await gammaBox(page)), 0.95);
  // A plain 0 is still a fine value.
  await gotoReady(page, '?gamma=0');
  assert.equal(Number(await gammaBox(page)), 0);
  assert.equal((await message(page)).trim(), '');
  // Typed into the box as well.
  await page.fill('[data-testid="value-gamma"]', '0.0000e-999');
  await page.press('[data-testid="value-gamma"]', 'Enter');
  await page.fill('[data-testid="value-gamma"]', '1e-400');
  await page.press('[data-testid="value-gamma"]', 'Enter');
  await until(async () => /too small/.test(await page.locator('[data-testid="error-gamma"]').innerText()), 3000, 50);
  assert.match(await page.locator('[data-testid="error-gamma"]').innerText(), /too small/);
  assertNoProblems(problems);
  await context.close();
});

test('long values are truncated in messages', async () => {
  const { page, problems, context } = await openPage(browser);
  const long = '9'.repeat(12000);
  await gotoReady(page, `?gamma=${long}&${'k'.repeat(3000)}=1`);
  const msg = await message(page);
  assert.ok(msg.length < 1200, `message is short (${msg.length} characters)`);
  assert.match(msg, /9{80}\u2026/, 'the value is cut at 80 characters with an ellipsis');
  assert.match(msg, /k{40}\u2026/, 'the name is cut at 40 characters');
  const box = await page.locator('[data-testid="message"]').boundingBox();
  assert.ok(box.height < 400, `message box ${box.height} px tall`);
  await page.fill('[data-testid="value-seed"]', '7'.repeat(5000));
  await page.press('[data-testid="value-seed"]', 'Enter');
  const err = await until(async () => page.locator('[data-testid="error-seed"]').innerText(), 3000, 50);
  assert.ok(err.length < 300, `field message is short (${err.length})`);
  assertNoProblems(problems);
  await context.close();
});

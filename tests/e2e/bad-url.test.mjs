// 6. Bad URL parameters and bad typed values are reported in the message area and the page keeps working.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, openPage, gotoReady, assertNoProblems, episodeCount, until } from './helpers.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const message = (page) => page.locator('[data-testid="message"]').innerText();

async function stillTrains(page) {
  await page.click('[data-testid="train-toggle"]');
  const ok = await until(async () => (await episodeCount(page)) > 0, 60000, 200);
  await page.click('[data-testid="train-toggle"]');
  return ok;
}

test('?gamma=7 names the parameter, falls back to the default and the page still trains', async () => {
  const { page, problems, context } = await openPage(browser);
  await gotoReady(page, '?gamma=7');
  const msg = await message(page);
  // The key as the link wrote it and the slider's label, so a reader finds the control.
  assert.match(msg, /gamma=7: γ discount: must be between 0 and 1/, `message names gamma and its label: ${msg}`);
  assert.ok(await page.locator('[data-testid="message"] .msg').first().isVisible(), 'message is visible');
  assert.equal(Number(await page.inputValue('[data-testid="value-gamma"]')), 0.95, 'default gamma');
  assert.ok(await stillTrains(page), 'training works');
  assertNoProblems(problems);
  await context.close();
});

test('?bogus=1 names the unknown parameter and the page still trains', async () => {
  const { page, problems, context } = await openPage(browser);
  await gotoReady(page, '?bogus=1&seed=abc&n_videos=2000000');
  const msg = await message(page);
  assert.match(msg, /bogus/, `message names bogus: ${msg}`);
  assert.match(msg, /seed/, `message names seed: ${msg}`);
  // Beyond the Rust table's range (configSchema): refused, naming the field and the range.
  assert.match(msg, /n_videos=2000000: Videos: must be between 1 and 1000000/, `message names n_videos: ${msg}`);
  assert.equal(Number(await page.inputValue('[data-testid="value-n_videos"]')), 3000, 'default catalogue');
  // Other fields by their labels, not by configuration paths ("world.n_videos").
  assert.doesNotMatch(msg, /[a-z]+\.[a-z_]+:/, `no configuration path: ${msg}`);
  // All in one message, so that they do not cover a phone's screen.
  assert.equal(await page.locator('[data-testid="message"] .msg').count(), 1, 'one message');
  assert.ok(await stillTrains(page), 'training works');
  // The URL now only holds valid settings.
  await until(() => !page.url().includes('bogus'), 3000, 50);
  assert.ok(!page.url().includes('bogus'));
  assertNoProblems(problems);
  await context.close();
});

test('a link whose values conflict names the other field by its label', async () => {
  const { page, problems, context } = await openPage(browser);
  await gotoReady(page, '?n_videos=10&n_candidates=20');
  const msg = await message(page);
  assert.match(msg, /n_candidates=20: Candidates per step: must be a whole number in \[1, 10 \(Videos\)\] \(got 20\); using the default 10/, msg);
  // The catalogue of 10 is applied, beyond its slider, and said so under the warning.
  assert.match(msg, /Videos = 10 is below the slider's range \(100 to 10,000\); it is used as given/, msg);
  assertNoProblems(problems);
  await context.close();
});

test('a link value beyond its slider but within the simulator\u2019s range is used, and said so', async () => {
  const { page, problems, context } = await openPage(browser);
  await gotoReady(page, '?n_videos=50');
  const msg = await message(page);
  assert.match(msg, /^Link: Videos = 50 is below the slider's range \(100 to 10,000\); it is used as given\./, msg);
  assert.equal(Number(await page.inputValue('[data-testid="value-n_videos"]')), 50, 'the value box shows it');
  assert.ok(await stillTrains(page), 'training works');
  assertNoProblems(problems);
  await context.close();
});

test('an invalid typed value is rejected with the validator\u2019s message beside its field and the old value stays', async () => {
  const { page, problems, context } = await openPage(browser);
  await gotoReady(page);
  const fieldError = (key) => page.locator(`[data-testid="error-${key}"]`).innerText();
  await page.fill('[data-testid="value-gamma"]', '1.5');
  await page.press('[data-testid="value-gamma"]', 'Enter');
  await until(async () => /gamma/.test(await fieldError('gamma')), 3000, 50);
  assert.match(await fieldError('gamma'), /gamma/);
  assert.equal(Number(await page.inputValue('[data-testid="value-gamma"]')), 0.95, 'reverted');
  assert.equal(new URL(page.url()).searchParams.get('gamma'), null, 'URL unchanged');

  await page.fill('[data-testid="value-n_candidates"]', '500');
  await page.press('[data-testid="value-n_candidates"]', 'Enter');
  await until(async () => /n_candidates/.test(await fieldError('n_candidates')), 3000, 50);
  assert.match(await fieldError('n_candidates'), /n_candidates/);
  assert.equal(await page.locator('[data-testid="apply-reset"]').isVisible(), false, 'nothing pending');

  // Beyond the control's range, or not a whole number: named by label and key, no raw
  // deserialiser output.
  await page.fill('[data-testid="value-n_users"]', '-1');
  await page.press('[data-testid="value-n_users"]', 'Enter');
  await until(async () => /n_users/.test(await fieldError('n_users')), 3000, 50);
  assert.match(await fieldError('n_users'), /Users \(n_users\): must be between 1 and 100000 \(got "-1"\)/);
  assert.doesNotMatch(await fieldError('n_users'), /usize|invalid type/);

  await page.fill('[data-testid="value-lr"]', 'fast');
  await page.press('[data-testid="value-lr"]', 'Enter');
  await until(async () => /Learning rate/.test(await fieldError('lr')), 3000, 50);
  assert.ok(await stillTrains(page), 'training works');
  assertNoProblems(problems);
  await context.close();
});

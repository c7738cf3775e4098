// 5. Settings round-trip through the URL.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, openPage, gotoReady, assertNoProblems, until } from './helpers.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const value = (page, key) => page.inputValue(`[data-testid="value-${key}"]`);
const query = (page) => new URL(page.url()).searchParams;

test('a URL with settings is applied to the controls and the world, and control changes update the URL', async () => {
  const { page, problems, context } = await openPage(browser);
  await gotoReady(page, '?preset=seed&seed=7&w1=0.7&gamma=0.9');
  assert.equal(await page.inputValue('[data-testid="ctl-preset"]'), 'seed');
  assert.equal(Number(await value(page, 'seed')), 7);
  assert.equal(Number(await value(page, 'w1')), 0.7);
  assert.equal(Number(await value(page, 'gamma')), 0.9);
  assert.equal(Number(await page.inputValue('#ctl-gamma')), 0.9, 'slider position follows');
  // The seed preset's own defaults: unbounded replay, no target network.
  assert.equal(await value(page, 'replay'), '∞');
  assert.equal(await value(page, 'target_sync'), 'off');
  assert.match(await page.locator('#stat-replay').innerText(), /∞/);
  assert.equal((await page.locator('[data-testid="message"]').innerText()).trim(), '', 'no complaints');

  // A live control: type a value.
  await page.fill('[data-testid="value-gamma"]', '0.8');
  await page.press('[data-testid="value-gamma"]', 'Enter');
  await until(() => query(page).get('gamma') === '0.8', 3000, 50);
  assert.equal(query(page).get('gamma'), '0.8');
  assert.equal(Number(await page.inputValue('#ctl-gamma')), 0.8, 'slider follows the typed value');
  // A live control: move the slider with the keyboard.
  await page.focus('#ctl-w1');
  await page.keyboard.press('ArrowRight');
  await until(() => query(page).get('w1') === '0.75', 3000, 50);
  assert.equal(query(page).get('w1'), '0.75');
  // The log slider for the learning rate.
  await page.focus('#ctl-lr');
  await page.keyboard.press('ArrowRight');
  await until(() => query(page).has('lr'), 3000, 50);
  const lr = Number(query(page).get('lr'));
  assert.ok(lr > 0.001 && lr < 0.0013, `lr moved one notch up the log scale (${lr})`);
  assert.equal(query(page).get('preset'), 'seed');
  assert.equal(query(page).get('seed'), '7');

  // A world control waits for "Apply & reset", then lands in the URL.
  await page.fill('[data-testid="value-n_videos"]', '1500');
  await page.press('[data-testid="value-n_videos"]', 'Enter');
  assert.ok(await page.locator('[data-testid="apply-reset"]').isVisible(), 'apply & reset offered');
  assert.equal(query(page).get('n_videos'), null, 'not applied yet');
  await page.click('[data-testid="apply-reset"]');
  await until(() => query(page).get('n_videos') === '1500', 5000, 50);
  assert.equal(query(page).get('n_videos'), '1500');
  assert.equal(await page.locator('[data-testid="apply-reset"]').isVisible(), false);

  // Reloading the URL restores everything.
  const url = page.url();
  await page.goto('about:blank');
  await page.goto(url);
  await page.waitForSelector('body.is-ready');
  assert.equal(Number(await value(page, 'gamma')), 0.8);
  assert.equal(Number(await value(page, 'w1')), 0.75);
  assert.equal(Number(await value(page, 'n_videos')), 1500);
  assert.equal(await page.inputValue('[data-testid="ctl-preset"]'), 'seed');
  assertNoProblems(problems);
  await context.close();
});

test('changing the preset asks first, keeps the reader\u2019s own settings and updates the URL', async () => {
  const { page, problems, context } = await openPage(browser);
  await gotoReady(page, '?preset=default&seed=3&gamma=0.5');
  await page.selectOption('[data-testid="ctl-preset"]', 'seed');
  assert.ok(await page.locator('[data-testid="apply-reset"]').isVisible());
  await page.click('button#cancel-pending');
  assert.equal(await page.inputValue('[data-testid="ctl-preset"]'), 'default', 'cancel restores the control');
  await page.selectOption('[data-testid="ctl-preset"]', 'seed');
  await page.click('[data-testid="apply-reset"]');
  await until(() => query(page).get('preset') === 'seed', 5000, 50);
  assert.equal(query(page).get('preset'), 'seed', 'URL has the new preset');
  assert.equal(query(page).get('gamma'), '0.5');
  assert.equal(query(page).get('seed'), '3');
  assert.equal(await value(page, 'replay'), '∞', 'seed preset defaults applied');
  assertNoProblems(problems);
  await context.close();
});

test('unbounded replay ("∞") and no target network ("off") need a new agent: pending, then applied and shared', async () => {
  const { page, problems, context } = await openPage(browser);
  await gotoReady(page, '?preset=default&seed=2');
  await page.fill('[data-testid="value-replay"]', 'Infinity');
  await page.press('[data-testid="value-replay"]', 'Enter');
  assert.equal(await value(page, 'replay'), '∞', 'the box reads the value back as the slider shows it');
  assert.ok(await page.locator('[data-testid="apply-reset"]').isVisible(), 'apply & reset offered');
  // Dragging the target-sync slider to its left end means "off".
  await page.focus('#ctl-target_sync');
  await page.keyboard.press('Home');
  assert.equal(await value(page, 'target_sync'), 'off');
  await page.click('[data-testid="apply-reset"]');
  await until(() => query(page).get('replay') === 'inf' && query(page).get('target_sync') === 'off', 5000, 50);
  assert.equal(query(page).get('replay'), 'inf');
  assert.equal(query(page).get('target_sync'), 'off');
  assert.match(await page.locator('#stat-replay').innerText(), /∞/);
  // "infinity" is no way to say "off".
  await page.fill('[data-testid="value-target_sync"]', 'infinity');
  await page.press('[data-testid="value-target_sync"]', 'Enter');
  await until(async () => /target_sync/.test(await page.locator('[data-testid="message"]').innerText()), 3000, 50);
  assert.equal(await value(page, 'target_sync'), 'off');
  // Back to a number: a live change, no reset needed.
  await page.fill('[data-testid="value-target_sync"]', '250');
  await page.press('[data-testid="value-target_sync"]', 'Enter');
  await until(() => query(page).get('target_sync') === '250', 3000, 50);
  assert.equal(query(page).get('target_sync'), '250');
  assert.equal(await page.locator('[data-testid="apply-reset"]').isVisible(), false);
  assertNoProblems(problems);
  await context.close();
});

test('the seed\u2019s New button shows the seed it picked, which Apply & reset puts in the URL', async () => {
  const { page, problems, context } = await openPage(browser);
  await gotoReady(page);
  const first = await value(page, 'seed');
  let picked = first;
  // A new seed is drawn from 0..999: draw again in the rare case it repeats the current one.
  for (let i = 0; i < 5 && picked === first; i++) {
    await page.click('button[title="Pick a new random seed"]');
    picked = await value(page, 'seed');
  }
  assert.notEqual(picked, first, 'the box shows the new seed before the reset');
  assert.ok(await page.locator('[data-testid="apply-reset"]').isVisible(), 'the new seed waits for Apply & reset');
  await page.click('[data-testid="apply-reset"]');
  await until(async () => query(page).get('seed') === picked, 10000, 100);
  assert.equal(query(page).get('seed'), picked);
  assert.equal(await value(page, 'seed'), picked);
  assertNoProblems(problems);
  await context.close();
});

test('the toolbar\'s preset chip counts the settings that differ from the preset', async () => {
  const { page, problems, context } = await openPage(browser);
  await gotoReady(page, '?lr=0.001&gamma=0.9');
  assert.equal(await page.textContent('#preset-name'), 'default + 2 changes');
  await gotoReady(page, '?preset=seed');
  assert.equal(await page.textContent('#preset-name'), 'seed');
  await gotoReady(page, '?lr=0.0001');
  assert.equal(await page.textContent('#preset-name'), 'default', 'a value equal to the preset\'s is no change');
  assertNoProblems(problems);
  await context.close();
});

// 4. "You are the user": the reader's swipes reach the agent (replay memory, learning updates)
//    and the candidate list / Q-values the agent chooses from change.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, openPage, gotoReady, assertNoProblems, feedSeq, until, mouseSwipeUp, screenshot } from './helpers.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const num = async (page, id) => Number((await page.locator(`[data-testid="${id}"]`).innerText()).split('(')[0].replace(/[^0-9]/g, ''));
const signature = (page) => page.locator('[data-testid="candidates"]').getAttribute('data-signature');
const qValues = (page) => page.$$eval('[data-testid="candidates"] .qval', (els) => els.map((e) => e.textContent).join(','));

test('the reader\u2019s swipes fill the replay memory, trigger learning updates and change the candidates', async () => {
  const { page, problems, context } = await openPage(browser);
  // A small batch so learning starts after a handful of swipes.
  await gotoReady(page, '?mode=user&batch=4');
  assert.equal(await page.isChecked('#mode-user'), true, 'mode=user from the URL');
  assert.equal(await page.isDisabled('[data-testid="train-toggle"]'), true, 'simulated training is off in user mode');
  await page.locator('[data-testid="feed-card"]').scrollIntoViewIfNeeded();

  // Pick a profile: 31-year-olds don't exist in the simulator, but 29-year-old easterners who like food do.
  await page.selectOption('form.profile select[name="age"]', '29');
  await page.selectOption('form.profile select[name="region"]', 'east');
  await page.click('label.cat-toggle:has(input[value="food"])');
  await page.click('label.cat-toggle:has(input[value="animals"])');
  const picked = await page.$$eval('input[name="interest"]:checked', (els) => els.map((e) => e.value).sort());
  assert.deepEqual(picked, ['animals', 'food'], 'exactly two interests stay ticked');
  await page.click('[data-testid="user-start"]');
  await until(async () => (await feedSeq(page)) > 0, 4000);
  assert.match(await page.locator('#who').innerText(), /You[\s\S]*29 y[\s\S]*east/);

  const replay0 = await num(page, 'user-replay');
  const updates0 = await num(page, 'user-updates');
  const sig0 = await signature(page);
  const q0 = await qValues(page);
  assert.ok(sig0 && sig0.length > 0, 'candidate list shown for the first card');

  const signatures = new Set([sig0]);
  const qs = new Set([q0]);
  for (let i = 0; i < 8; i++) {
    const seq = await feedSeq(page);
    await page.waitForTimeout(150);
    if (i % 2) await mouseSwipeUp(page);
    else await page.locator('body').press('ArrowUp');
    await until(async () => (await feedSeq(page)) > seq, 4000, 50);
    signatures.add(await signature(page));
    qs.add(await qValues(page));
  }
  const replay1 = await num(page, 'user-replay');
  const updates1 = await num(page, 'user-updates');
  assert.ok(replay1 >= replay0 + 8, `replay memory grew by the 8 swipes (${replay0} -> ${replay1})`);
  assert.ok(updates1 > updates0, `the agent made learning updates (${updates0} -> ${updates1})`);
  assert.ok(signatures.size >= 4, `candidate lists changed (${signatures.size} distinct)`);
  assert.ok(qs.size >= 2, 'Q-values changed');
  assert.equal(await page.locator('[data-testid="candidates"] tr.chosen').count(), 1, 'chosen slot highlighted');
  await page.waitForTimeout(700);
  await screenshot(page, 'user-mode.png', false);
  assertNoProblems(problems);
  await context.close();
});

test('switching modes keeps the agent: training first, then the reader sees the trained agent', async () => {
  const { page, problems, context } = await openPage(browser);
  await gotoReady(page);
  await page.click('[data-testid="train-toggle"]');
  await until(async () => Number((await page.locator('#stat-updates').innerText()).replace(/[^0-9]/g, '')) > 50, 60000, 200);
  const toolbar = async () => (await page.locator('#toolbar').boundingBox()).height;
  const agentToolbar = await toolbar();
  await until(async () => (await page.textContent('#why-panel')).includes('Video #'), 5000, 50);
  await page.click('label[for="mode-user"]');
  assert.equal(await page.getAttribute('[data-testid="train-toggle"]', 'aria-pressed'), 'false', 'training paused');
  // Before the reader's session, the why panel and the inspector wait for its first card
  // instead of keeping the agent's last one.
  await until(async () => (await page.locator('[data-testid="why-waiting"]').count()) === 1, 3000, 50);
  assert.match(await page.textContent('#why-panel'), /Start a session/);
  assert.doesNotMatch(await page.textContent('#why-panel'), /Video #/);
  assert.match(await page.textContent('#state-inspector-body'), /Start a session/);
  // The toolbar stays on screen as the page scrolls: its note on whose counters these are
  // keeps it about as tall as watching the agent (a long one made it 180 px at 1440 x 900).
  assert.ok((await toolbar()) <= agentToolbar + 24, `the toolbar as the user ${await toolbar()} px, watching the agent ${agentToolbar} px`);
  const updates = await num(page, 'user-updates');
  assert.ok(updates > 50, 'the update counter carries over');
  await until(() => /mode=user/.test(page.url()), 2000, 50);
  assert.match(page.url(), /mode=user/);
  await page.click('[data-testid="user-start"]');
  await until(async () => (await feedSeq(page)) > 0, 4000);
  await page.click('label[for="mode-agent"]');
  await until(() => !/mode=user/.test(page.url()), 2000, 50);
  assert.doesNotMatch(page.url(), /mode=user/);
  assertNoProblems(problems);
  await context.close();
});

test('the reader\u2019s feed is a bandit\u2019s: its estimates (mean \u00b1 sd), its exploration rule, no \u03b5', async () => {
  const { page, problems, context } = await openPage(browser);
  await gotoReady(page, '?mode=user');
  // The counters say whose they are: the simulated training's, then the reader's feed's.
  const whose = () => page.locator('[data-testid="stats-user-note"]').innerText();
  assert.match(await whose(), /DQN\u2019s training, not your feed/);
  await page.click('[data-testid="user-start"]');
  await until(async () => (await feedSeq(page)) > 0, 60000, 100);
  const eps = page.locator('#stat-epsilon');
  await until(async () => (await eps.innerText()) === 'Thompson', 5000, 50);
  assert.equal(await eps.innerText(), 'Thompson', 'the toolbar names the bandit\u2019s exploration, not an \u03b5');
  assert.match(await page.locator('.stats div:has(#stat-epsilon) dt').innerText(), /explores by/i);
  assert.match(await whose(), /your feed\u2019s bandit/);
  // No replay memory or TD loss for a bandit: the cells say what it keeps.
  assert.match(await page.locator('.stats div:has(#stat-replay) dt').innerText(), /responses/i);
  assert.doesNotMatch(await page.locator('#stat-replay').innerText(), /\//, 'no replay capacity');
  assert.equal(await page.locator('#stat-loss').innerText(), '\u2013', 'no TD loss');
  const head = await page.locator('[data-testid="candidates"] th.c-q').innerText();
  assert.equal(head, 'estimate', 'the column is the bandit\u2019s estimate, not Q');
  await until(async () => /\u00b1/.test(await page.locator('[data-testid="candidates"] .qval').first().innerText()), 5000, 50);
  const cells = await page.$$eval('[data-testid="candidates"] .qval', (els) => els.map((e) => e.textContent));
  for (const c of cells) assert.match(c, /^-?\d+\.\d\d \u00b1 \d+\.\d\d$/, `mean \u00b1 sd (${c})`);
  const note = await page.locator('#cand-note').innerText();
  assert.match(note, /Thompson sampling|best estimate/);
  assert.doesNotMatch(note, /\u03b5|Q-value/);
  const explain = await page.locator('#cand-explain').innerText();
  assert.match(explain, /bandit/);
  assert.doesNotMatch(explain, /probability \u03b5/);
  assert.doesNotMatch(await page.locator('[data-testid="candidates"]').innerText(), /Q-value/);
  // Back to watching the agent: the DQN's \u03b5 and Q column again.
  await page.click('label[for="mode-agent"]');
  await until(async () => /^\d\.\d{3}$/.test(await eps.innerText()), 5000, 50);
  assert.match(await eps.innerText(), /^\d\.\d{3}$/);
  assert.equal(await page.locator('.stats div:has(#stat-epsilon) dt').innerText(), '\u03b5');
  assertNoProblems(problems);
  await context.close();
});

test('the intro\u2019s \u201cYou are the user\u201d switches to it and shows the profile form', async () => {
  const { page, problems, context } = await openPage(browser);
  await gotoReady(page);
  assert.equal(await page.isChecked('#mode-agent'), true);
  await page.click('[data-testid="intro-user"]');
  await until(() => page.locator('[data-testid="profile-form"]').isVisible(), 4000, 50);
  assert.equal(await page.isChecked('#mode-user'), true);
  assertNoProblems(problems);
  await context.close();
});

test('the reader\u2019s video waits while the feed is scrolled out of view, and plays on when it is back', async () => {
  const { page, problems, context } = await openPage(browser, { viewport: { width: 1366, height: 900 } });
  await gotoReady(page, '?mode=user');
  await page.click('[data-testid="user-start"]');
  await page.waitForSelector('[data-testid="feed-card"][data-video-id]');
  const progress = () => page.$eval('#progress-bar', (b) => Number((/scaleX\(([^)]*)\)/.exec(b.style.transform) || [])[1] || 0));
  const video = () => page.getAttribute('[data-testid="feed-card"]', 'data-video-id');
  await until(async () => (await progress()) > 0, 5000, 50);
  // Far below the feed: the phone is out of view.
  await page.locator('[data-testid="lorenz-chart"]').scrollIntoViewIfNeeded();
  assert.ok(await until(async () => (await page.getAttribute('#phone', 'data-playing')) === 'offscreen', 3000, 50), 'the page notices the feed left the view');
  const [p0, v0] = [await progress(), await video()];
  await page.waitForTimeout(1500);
  assert.equal(await video(), v0, 'the same video');
  assert.equal(await progress(), p0, 'its progress bar stood still off screen');
  await page.locator('#phone').scrollIntoViewIfNeeded();
  assert.ok(await until(async () => (await progress()) > p0 || (await video()) !== v0, 5000, 50), 'it plays on in view');
  assertNoProblems(problems);
  await context.close();
});

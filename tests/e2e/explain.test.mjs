// Issue 10, "Explain every recommendation": the why panel follows the card and its three
// terms add up to the card's score; the similar-history list names videos of the user's
// history (checked with the Worker's userHistory query); the state inspector labels every
// input of the network; save / load / export (a bad file keeps the agent, a round trip gives
// the same Q-values, the CSV has one row per episode); the similarity explorer and the
// creator-exposure chart draw.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { launch, openPage, gotoReady, assertNoProblems, assertNoUnexpectedError, episodeCount, feedSeq, until, screenshot, reveal } from './helpers.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const why = (page) => page.locator('[data-testid="why-panel"]');
const cardVideo = (page) => page.getAttribute('[data-testid="feed-card"]', 'data-video-id');
const qOf = async (page) => page.getAttribute('[data-testid="q-values"]', 'data-q');

async function trainFor(page, ms) {
  await page.click('[data-testid="train-toggle"]');
  await page.waitForTimeout(ms);
  await until(async () => (await episodeCount(page)) >= 5, 30000, 200);
  await page.click('[data-testid="train-toggle"]');
  await page.waitForTimeout(300);
}

/** One Step, waiting until the feed shows its card. */
async function step(page) {
  const seq = await feedSeq(page);
  await page.click('[data-testid="train-step"]');
  assert.ok(await until(async () => (await feedSeq(page)) > seq, 10000, 50), 'Step shows a new card');
}

/** Checks the why panel against the card and the candidate table; returns the panel's facts. */
async function checkWhy(page) {
  await reveal(page, '[data-testid="why-panel"]');
  const video = await cardVideo(page);
  const ok = await until(async () => (await why(page).getAttribute('data-video')) === video, 10000, 50);
  assert.ok(ok, `why panel explains video ${await why(page).getAttribute('data-video')}, the card shows ${video}`);
  const score = Number(await why(page).getAttribute('data-score'));
  const terms = await page.$$eval('[data-testid="why-panel"] [data-term]', (rows) => rows.map((r) => Number(r.dataset.value)));
  assert.equal(terms.length, 3);
  const sum = terms[0] + terms[1] + terms[2];
  assert.ok(Math.abs(sum - score) < 1e-9, `terms ${terms} add up to ${sum}, the score is ${score}`);
  assert.equal(Number(await page.locator('[data-testid="why-total"]').innerText()).toFixed(3), sum.toFixed(3));
  // The score shown in the candidate table for the chosen row.
  const shown = await page.locator('[data-testid="candidates"] tr.chosen .c-score').innerText();
  assert.equal(Number(shown).toFixed(2), score.toFixed(2), 'the candidate table shows the same score');
  const q = JSON.parse(await qOf(page));
  const nCands = await page.locator('[data-testid="candidates"] tbody tr').count();
  assert.equal(q.length, nCands, 'one Q-value per candidate');
  const chosen = Number(await page.getAttribute('[data-testid="q-values"]', 'data-chosen'));
  assert.equal(await page.locator(`[data-testid="q-values"] li[data-slot="${chosen}"].chosen`).count(), 1, 'the chosen slot is marked');
  const reason = await page.locator('[data-testid="why-reason"]').innerText();
  assert.ok(reason.length > 5, `a reason: ${reason}`);
  const similar = await page.$$eval('[data-testid="similar-history"] li[data-video]', (li) => li.map((x) => Number(x.dataset.video)));
  // The history's contributions add up to the similarity score that ranked the card (taken
  // before the step recorded its response).
  const hist = page.locator('ol[data-testid="similar-history"]');
  if (await hist.count()) {
    const [total, cf] = [Number(await hist.getAttribute('data-total')), Number(await hist.getAttribute('data-cf-score'))];
    assert.ok(Math.abs(total - cf) <= 1e-9 * (1 + Math.abs(cf)), `history adds up to ${total}, the similarity score is ${cf}`);
  }
  return { video, user: await why(page).getAttribute('data-user'), similar };
}

test('the why panel follows the card; terms add up; similar videos are in the user\u2019s history; inspector labels every input', async () => {
  const { page, problems, context } = await openPage(browser, { viewport: { width: 1366, height: 900 } });
  await gotoReady(page);
  await trainFor(page, 2500);
  let listed = 0;
  for (let i = 0; i < 4; i++) {
    await step(page);
    const w = await checkWhy(page);
    if (w.similar.length) {
      const hist = await page.evaluate((u) => window.instatok.call('userHistory', { user: Number(u) }), w.user);
      for (const v of w.similar) assert.ok(hist.videos.includes(v), `#${v} is in user ${w.user}'s history (${hist.videos.length} videos)`);
      // And a video not in the history is not: the check can fail.
      assert.ok(!hist.videos.includes(-1));
      listed += w.similar.length;
    }
  }
  assert.ok(listed > 0, 'some explanation listed similar history videos');

  // The state inspector: one label per input of every row.
  const ins = page.locator('[data-testid="state-inspector"]');
  await until(async () => Number(await ins.getAttribute('data-input-width')) > 0, 10000, 50);
  const width = Number(await ins.getAttribute('data-input-width'));
  const rows = await page.$$eval('[data-testid="state-inspector"] details.ins-row', (ds) => ds.map((d) => ({
    entries: Number(d.dataset.entries),
    labels: [...d.querySelectorAll('td.ins-label')].map((td) => td.textContent.trim()).filter(Boolean).length,
  })));
  assert.ok(rows.length >= 1);
  for (const r of rows) {
    assert.equal(r.entries, width, 'row width = the network\u2019s input width');
    assert.equal(r.labels, width, 'every input has a label');
  }
  const labels = await page.$$eval('[data-testid="state-inspector"] td.ins-label', (t) => t.map((x) => x.textContent));
  assert.ok(labels.includes('age') && labels.some((l) => l.includes('embedding')), 'scaled features and embedding entries');
  await screenshot(page, 'explain-desktop.png');
  await assertNoUnexpectedError(page);
  assertNoProblems(problems);
  await context.close();
});

test('while training runs, the state inspector says it waits for a pause; a Refresh is labelled a snapshot; a pause updates it', async () => {
  const { page, problems, context } = await openPage(browser, { viewport: { width: 1366, height: 900 } });
  await gotoReady(page);
  const live = page.locator('[data-testid="inspector-live"]');
  await page.click('[data-testid="train-toggle"]');
  assert.ok(await until(async () => (await episodeCount(page)) >= 5, 30000, 200), 'training runs');
  await reveal(page, '#state-inspector-body');
  assert.ok(await until(async () => (await live.count()) === 1, 5000, 50), 'the inspector says training runs');
  assert.match(await live.innerText(), /waits for a pause/);
  await page.click('#inspect-refresh');
  assert.ok(await until(async () => /A snapshot at episode [\d,]+/.test(await live.innerText().catch(() => '')), 5000, 50), 'a Refresh while training is labelled a snapshot');
  assert.ok(await page.locator('#state-inspector-body tr').count() > 0, 'the snapshot has its table');
  await page.click('[data-testid="train-toggle"]');
  await reveal(page, '#state-inspector-body');
  assert.ok(await until(async () => (await live.count()) === 0, 5000, 50), 'paused: the inspector is current, no note');
  await assertCardMatchesInspector(page, 'after the pause');
  assertNoProblems(problems);
  await context.close();
});

test('as the user: the why panel explains the pending card', async () => {
  const { page, problems, context } = await openPage(browser, { viewport: { width: 1366, height: 900 } });
  await gotoReady(page, '?mode=user');
  await page.click('label[for="mode-user"]');
  await page.click('[data-testid="user-start"]');
  await page.waitForSelector('[data-testid="feed-card"][data-video-id]');
  await checkWhy(page);
  await assertNoUnexpectedError(page);
  assertNoProblems(problems);
  await context.close();
});

test('as the user: the creator-exposure panel describes the reader\'s feed, as the toolbar does, and says so', async () => {
  const { page, problems, context } = await openPage(browser, { viewport: { width: 1366, height: 900 } });
  await gotoReady(page, '?mode=user');
  await page.click('label[for="mode-user"]');
  await page.click('[data-testid="user-start"]');
  await page.waitForSelector('[data-testid="feed-card"][data-video-id]');
  await page.locator('[data-testid="lorenz-chart"]').scrollIntoViewIfNeeded();
  assert.ok(await until(async () => (await page.getAttribute('[data-testid="lorenz-chart"]', 'data-of')) === 'reader', 6000, 100),
    `the panel switches to the reader's feed (data-of ${await page.getAttribute('[data-testid="lorenz-chart"]', 'data-of')})`);
  const [reader, training] = await page.evaluate(async () => [
    (await window.instatok.call('exposure', { reader: true })).exposure.impressions,
    (await window.instatok.call('exposure')).exposure.impressions,
  ]);
  assert.notEqual(reader, training, 'the two Playgrounds count different impressions');
  assert.ok(await until(async () => Number(await page.getAttribute('[data-testid="lorenz-chart"]', 'data-impressions')) === reader, 6000, 100),
    `the panel counts the reader's feed (${await page.getAttribute('[data-testid="lorenz-chart"]', 'data-impressions')} vs ${reader}; training ${training})`);
  assert.match(await page.locator('#exposure-figures').innerText(), /^Your feed/);
  await page.click('label[for="mode-agent"]');
  // (The layout changes with the mode: the panel redraws when it is in view.)
  await page.locator('[data-testid="lorenz-chart"]').scrollIntoViewIfNeeded();
  assert.ok(await until(async () => (await page.getAttribute('[data-testid="lorenz-chart"]', 'data-of')) === 'training', 6000, 100), 'back to the training on leaving user mode');
  assert.match(await page.locator('#exposure-figures').innerText(), /^The agent’s simulated training/);
  await assertNoUnexpectedError(page);
  assertNoProblems(problems);
  await context.close();
});

async function download(page, testid) {
  const [d] = await Promise.all([page.waitForEvent('download'), page.click(`[data-testid="${testid}"]`)]);
  return readFileSync(await d.path(), 'utf8');
}

async function importText(page, name, text) {
  const before = await page.locator('[data-testid="agent-file-msg"]').innerText();
  await page.setInputFiles('[data-testid="import-agent"]', { name, mimeType: 'application/json', buffer: Buffer.from(text) });
  await until(async () => (await page.locator('[data-testid="agent-file-msg"]').innerText()) !== before, 10000, 50);
  return page.locator('[data-testid="agent-file-msg"]').innerText();
}

test('save, load, export: bad files keep the agent, a round trip gives the same Q-values, one CSV row per episode', async () => {
  const { page, problems, context } = await openPage(browser, { viewport: { width: 1366, height: 900 } });
  await gotoReady(page);
  const fresh = await download(page, 'export-agent');
  await trainFor(page, 2500);
  await step(page);
  await checkWhy(page);
  const qTrained = await qOf(page);
  const trained = await download(page, 'export-agent');
  const doc = JSON.parse(trained);
  assert.equal(doc.format !== undefined && doc.version !== undefined, true);

  // Corrupted, wrong version, wrong shape: a message beside the control, the agent kept.
  const bad = [
    ['truncated.json', trained.slice(0, Math.floor(trained.length / 2)), /JSON|truncated/i],
    ['version.json', JSON.stringify({ ...doc, version: 999 }), /version/i],
    ['shape.json', JSON.stringify({ ...doc, agent: { ...doc.agent, online: (doc.agent.online || []).slice(0, 5) } }), /agent/i],
    ['other.json', '{"hello": 1}', /format/i],
  ];
  for (const [name, text, re] of bad) {
    const msg = await importText(page, name, text);
    assert.match(msg, re, `${name}: ${msg}`);
    assert.match(msg, /kept/);
    assert.equal(await page.getAttribute('[data-testid="agent-file-msg"]', 'data-kind'), 'error');
    await page.waitForTimeout(200);
    assert.equal(await qOf(page), qTrained, `${name}: Q-values unchanged`);
  }

  // Loading the untrained agent changes the Q-values; loading the trained file restores them exactly.
  let msg = await importText(page, 'fresh.json', fresh);
  assert.match(msg, /Loaded/);
  assert.ok(await until(async () => (await qOf(page)) !== qTrained, 5000, 50), 'the untrained agent gives other Q-values');
  msg = await importText(page, 'trained.json', trained);
  assert.match(msg, /Loaded/);
  assert.ok(await until(async () => (await qOf(page)) === qTrained, 5000, 50), 'export then import gives the same Q-values');

  // CSV: header + one row per finished episode.
  const episodes = await episodeCount(page);
  // The skill curve: one row per point drawn on the skill plot (the agent is policy "dqn").
  const curve = (await download(page, 'download-curve-csv')).trimEnd().split('\n');
  assert.match(curve[0], /^episode,dqn_skill,dqn_skill_ci95,/);
  assert.ok(curve.length >= 2, `a skill curve with points (${curve.length - 1} rows)`);
  for (const row of curve.slice(1)) assert.equal(row.split(',').length, 16, row);
  const csv = (await download(page, 'download-csv')).trimEnd().split('\n');
  assert.match(csv[0], /episode/);
  assert.equal(csv.length - 1, episodes, `${csv.length - 1} rows for ${episodes} episodes`);
  assert.deepEqual(csv.slice(1).map((l) => Number(l.split(',')[0])), [...Array(episodes).keys()].map((i) => Number(csv[1].split(',')[0]) + i));

  // A file from another world (another seed) rebuilds the playground from its configuration,
  // and the page keeps working.
  msg = await importText(page, 'other-world.json', JSON.stringify({ ...doc, config: { ...doc.config, seed: doc.config.seed + 1 } }));
  assert.match(msg, /rebuilt/);
  assert.ok(await until(async () => (await episodeCount(page)) === 0, 10000, 50), 'a new world starts at episode 0');
  await step(page);
  await checkWhy(page);

  await assertNoUnexpectedError(page);
  assertNoProblems(problems, 'downloads and imports (a CSP violation would be a console error)');
  await context.close();
});

test('similarity explorer validates the id and lists neighbours; heatmap and Lorenz chart draw', async () => {
  const { page, problems, context } = await openPage(browser, { viewport: { width: 1366, height: 900 } });
  await gotoReady(page);
  await trainFor(page, 2000);
  await page.locator('[data-testid="similarity-explorer"]').scrollIntoViewIfNeeded();
  for (const bad of ['-1', 'abc', '1e3', '99999999']) {
    await page.fill('[data-testid="sim-video"]', bad);
    await page.click('[data-testid="sim-go"]');
    assert.match(await page.locator('[data-testid="sim-msg"]').innerText(), /video: must be a whole number from 0 to \d+/, bad);
  }
  const video = await cardVideo(page);
  await page.fill('[data-testid="sim-video"]', video);
  await page.click('[data-testid="sim-go"]');
  assert.equal(await page.locator('[data-testid="sim-msg"]').innerText(), '');
  await until(async () => (await page.getAttribute('[data-testid="sim-neighbours"]', 'data-video')) === video, 5000, 50);
  const cos = await page.$$eval('[data-testid="sim-neighbours"] li[data-cosine]', (li) => li.map((x) => Number(x.dataset.cosine)));
  assert.ok(cos.length > 0, 'the card\u2019s video has neighbours after training');
  // The chosen video is named with its category (the card's), and cosine 1.000 is explained.
  const chosen = page.locator('[data-testid="sim-chosen"]');
  const cardCat = await page.getAttribute('[data-testid="feed-card"]', 'data-category');
  assert.equal(await chosen.getAttribute('data-video'), video);
  assert.equal(await chosen.getAttribute('data-category'), cardCat);
  assert.ok((await chosen.innerText()).toLowerCase().includes(cardCat), 'the category is shown beside the id');
  const note = await page.locator('[data-testid="sim-note"]').innerText();
  assert.match(note, /cosine with itself is always 1\.000/);
  assert.match(note, /exactly the same users/);
  for (const li of await page.locator('[data-testid="sim-neighbours"] li[data-cosine]').all()) {
    if (Number(await li.getAttribute('data-cosine')) >= 0.9995) assert.match(await li.getAttribute('title'), /same users/, 'a 1.000 neighbour says why');
  }
  // A refused id's message goes as soon as a valid id is typed.
  await page.fill('[data-testid="sim-video"]', 'abc');
  await page.click('[data-testid="sim-go"]');
  assert.notEqual(await page.locator('[data-testid="sim-msg"]').innerText(), '');
  // And the last valid id's neighbours go with the refused one: they would read as its.
  assert.equal(await page.locator('[data-testid="sim-neighbours"] li[data-cosine]').count(), 0, 'no neighbour list under a refused id');
  assert.equal(await page.getAttribute('[data-testid="sim-neighbours"]', 'data-video'), null);
  await page.fill('[data-testid="sim-video"]', video);
  assert.equal(await page.locator('[data-testid="sim-msg"]').innerText(), '', 'cleared once the field is valid');
  assert.equal(await page.getAttribute('[data-testid="sim-video"]', 'aria-invalid'), null);
  for (let i = 1; i < cos.length; i++) assert.ok(cos[i] <= cos[i - 1], 'highest cosine first');
  await page.click('[data-testid="sim-refresh"]');
  assert.ok(await until(async () => Number(await page.getAttribute('[data-testid="sim-heatmap"]', 'data-videos')) > 8, 5000, 50));
  assert.match(await page.locator('[data-testid="sim-means"]').innerText(), /within a category -?\d\.\d{3}, between categories -?\d\.\d{3}/);
  await page.locator('[data-testid="lorenz-chart"]').scrollIntoViewIfNeeded();
  assert.ok(await until(async () => Number(await page.getAttribute('[data-testid="lorenz-chart"]', 'data-impressions')) > 0, 5000, 50));
  const gini = Number(await page.getAttribute('[data-testid="lorenz-chart"]', 'data-gini'));
  const coverage = Number(await page.getAttribute('[data-testid="lorenz-chart"]', 'data-coverage'));
  assert.ok(gini >= 0 && gini <= 1 && coverage > 0 && coverage <= 1, `gini ${gini}, coverage ${coverage}`);
  await assertNoUnexpectedError(page);
  assertNoProblems(problems);
  await context.close();
});

test('a bandit agent file: estimates ± uncertainty, and the inspector says it has no network', async () => {
  const { page, problems, context } = await openPage(browser, { viewport: { width: 1366, height: 900 } });
  await gotoReady(page);
  const msg = await importText(page, 'bandit.json', readFileSync(new URL('../fuzz-corpus/agent/ok-bandit.json', import.meta.url), 'utf8'));
  assert.match(msg, /Loaded/);
  await step(page);
  await checkWhy(page);
  const items = await page.locator('[data-testid="q-values"] li').allInnerTexts();
  assert.ok(items.length > 1 && items.every((t) => /-?\d\.\d{3} ± \d\.\d{3}/.test(t)), items.join(' | '));
  assert.match(await page.locator('[data-testid="why-explore"]').innerText(), /^(Explored|Exploited)/);
  await until(async () => (await page.locator('[data-testid="inspector-note"]').count()) > 0, 5000, 50);
  assert.match(await page.locator('[data-testid="inspector-note"]').innerText(), /bandit has no network/);
  await assertNoUnexpectedError(page);
  assertNoProblems(problems);
  await context.close();
});

test('the creator-exposure panel catches up by itself while visible, also after a pause (no Refresh press)', async () => {
  const { page, problems, context } = await openPage(browser, { viewport: { width: 1366, height: 900 } });
  await gotoReady(page);
  await page.click('[data-testid="train-toggle"]');
  await until(async () => (await episodeCount(page)) >= 20, 30000, 100);
  // Scrolled to after training started (the page above grows a little when it does).
  await page.locator('#lorenz-chart').scrollIntoViewIfNeeded();
  await until(async () => (await episodeCount(page)) >= 150, 30000, 100);
  await page.click('[data-testid="train-toggle"]');
  await page.waitForSelector('[data-testid="train-toggle"][aria-pressed="false"]');
  const truth = await page.evaluate(async () => (await window.instatok.call('exposure')).exposure.impressions);
  assert.ok(truth > 0, `impressions after training (${truth})`);
  assert.ok(await until(async () => Number(await page.getAttribute('#lorenz-chart', 'data-impressions')) === truth, 6000, 100),
    `the panel shows the paused count (${await page.getAttribute('#lorenz-chart', 'data-impressions')} vs ${truth})`);
  assert.match(await page.locator('#exposure-figures').innerText(), new RegExp(`${truth.toLocaleString('en-US')} impressions`));
  assertNoProblems(problems);
  await context.close();
});

test('after a pause the card shows the newest step and the state inspector the same user', async () => {
  const { page, problems, context } = await openPage(browser, { viewport: { width: 1366, height: 900 } });
  await gotoReady(page);
  for (let k = 0; k < 3; k++) {
    await page.click('[data-testid="train-toggle"]');
    await page.waitForTimeout(1500 + 500 * k);
    await page.click('[data-testid="train-toggle"]');
    await assertCardMatchesInspector(page, `after pause ${k + 1}`);
  }
  assertNoProblems(problems);
  await context.close();
});

test('training paused by switching to the reader\u2019s feed: back in agent mode, the card is the newest step, as the inspector\u2019s input', async () => {
  const { page, problems, context } = await openPage(browser, { viewport: { width: 1366, height: 900 } });
  await gotoReady(page);
  for (let k = 0; k < 2; k++) {
    await page.click('[data-testid="train-toggle"]');
    await page.waitForTimeout(1500 + 1000 * k);
    await page.click('label[for="mode-user"]');
    if (k === 1) await page.click('[data-testid="user-start"]');
    await page.waitForTimeout(500);
    await page.click('label[for="mode-agent"]');
    await assertCardMatchesInspector(page, `after switch ${k + 1}`);
  }
  assertNoProblems(problems);
  await context.close();
});

/** Waits (5 s at most) for the card's user to be the one the state inspector describes. */
async function assertCardMatchesInspector(page, when) {
  await reveal(page, '#state-inspector-body');
  const same = await until(() => cardMatchesInspector(page), 5000, 100);
  assert.ok(same, `card and inspector agree ${when}: ${(await page.locator('#who').innerText()).replace(/\s+/g, ' ')}`);
}

/** Whether the card's user (age, region) is the one the state inspector describes. */
async function cardMatchesInspector(page) {
  // A step that ended its session leaves no next decision: the inspector says so.
  if (/session ended with the card on screen/.test(await page.locator('#state-inspector-body').innerText())) return true;
  const who = await page.locator('#who').innerText();
  const rows = await page.$$eval('#state-inspector-body tr', (trs) => trs.map((t) => t.innerText.replace(/\s+/g, ' ')));
  const age = rows.find((r) => /^0 age /.test(r));
  const region = rows.find((r) => /region embedding \[0\]/.test(r));
  const m = /(\d+) y\s+\S+\s+(west|mid|east)/.exec(who.replace(/\s+/g, ' '));
  return !!(m && age && region && age.endsWith(`raw ${m[1]}`) && region.endsWith(`= ${m[2]}`));
}

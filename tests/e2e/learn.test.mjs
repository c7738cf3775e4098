// Issue 9, "the page shows learning": the skill curve as the headline plot, exploration told
// from the agent's own flag, compare mode, and a reader's feed that adapts.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, openPage, gotoReady, assertNoProblems, feedSeq, until, episodeCount, screenshot } from './helpers.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test('the skill plot fills with curve points, a band and a sentence that reads it', async () => {
  const { page, problems, context } = await openPage(browser, { viewport: { width: 1366, height: 900 } });
  await gotoReady(page);
  await page.click('[data-testid="train-toggle"]');
  await until(async () => Number(await page.getAttribute('#plot-skill-box', 'data-points')) >= 3, 60000, 250);
  await page.click('[data-testid="train-toggle"]');
  const plot = page.locator('[data-testid="plot-skill"]');
  assert.equal(await plot.locator('canvas').count(), 1, 'one uPlot canvas in the skill plot');
  const reading = await page.textContent('[data-testid="skill-reading"]');
  assert.match(reading, /At the last evaluation, after [\d,]+ episodes?, the agent (closes \d+% of the gap between random \(0\) and the oracle \(1\)|is \d+% of the gap between random \(0\) and the oracle \(1\) below random)/);
  const ms = Number(await page.evaluate(() => document.body.dataset.curveMs));
  assert.ok(ms > 0, `a curve point's cost is reported (${ms} ms)`);
  console.log(`curve point (40 sessions) in the Worker: ${ms} ms`);
  // Training kept going between points: the episode count is far past the points' count.
  assert.ok((await episodeCount(page)) > 20, 'training ran while points were computed');
  // The ε line reaches the curve's newest episode.
  const box = page.locator('#plot-skill-box');
  assert.ok(Number(await box.getAttribute('data-eps-last')) >= Number(await box.getAttribute('data-curve-last')),
    `ε drawn to episode ${await box.getAttribute('data-eps-last')}, curve to ${await box.getAttribute('data-curve-last')}`);
  await screenshot(page, 'learn-skill.png', false);
  assertNoProblems(problems);
  await context.close();
});

test('at full speed the climb is drawn from points at episodes 10, 25, 50, 75, 100, 150, 200 and 300', async () => {
  const { page, problems, context } = await openPage(browser, { viewport: { width: 1366, height: 900 } });
  await gotoReady(page, '?speed=max');
  await page.click('[data-testid="train-toggle"]');
  const firsts = async () => (await page.getAttribute('#plot-skill-box', 'data-first-episodes') || '').split(',').filter(Boolean).map(Number);
  await until(async () => (await firsts()).some((e) => e >= 300), 90000, 250);
  await page.click('[data-testid="train-toggle"]');
  const eps = await firsts();
  const marks = [10, 25, 50, 75, 100, 150, 200, 300, 400];
  for (let i = 0; i + 1 < marks.length; i++) {
    assert.ok(eps.some((e) => e >= marks[i] && e < marks[i + 1]), `a point in [${marks[i]}, ${marks[i + 1]}): ${eps.join(', ')}`);
  }
  assertNoProblems(problems);
  await context.close();
});

test('the skill plot\u2019s ε line reaches the newest episode, also after the series store downsampled', async () => {
  const { page, problems, context } = await openPage(browser, { viewport: { width: 1366, height: 900 } });
  await gotoReady(page);
  // The page's own modules on a detached box: 5,000 episodes of ε (the store keeps ~1,250
  // points, each standing for 4 episodes) and a curve point at episode 5,003, just ahead.
  const r = await page.evaluate(async () => {
    const { SkillPlot } = await import('./www/skill.js');
    const { SeriesStore } = await import('./www/protocol.js');
    const el = document.createElement('div');
    el.style.width = '600px';
    document.body.append(el);
    const plot = new SkillPlot(el);
    const store = new SeriesStore();
    const n = 5000;
    const eps = Float32Array.from({ length: n }, (_, i) => Math.max(0.01, 0.999 ** i));
    const zeros = new Float32Array(n);
    store.append({ from: 0, return: zeros, loss: zeros, epsilon: eps, session_seconds: zeros });
    plot.setEpsilon(store.xs, store.series('epsilon'));
    const pol = (skill) => ({ skill, skill_ci95: 0.05, mean_return: skill });
    plot.add({ episode: n + 3, policies: { dqn: pol(0.5), random: pol(0), oracle: pol(1), greedy: pol(0.2), most_viewed: pol(0.1) } });
    const [xs, , , , , , , , e] = plot.u.data;
    const drawn = xs.map((x, i) => [x, e[i]]).filter(([, v]) => v !== null && v !== undefined);
    el.remove();
    return { lastX: xs[xs.length - 1], drawn, kept: store.xs.length, stride: store.stride, eps: Array.from(eps) };
  });
  assert.ok(r.stride > 1, `the store downsampled (stride ${r.stride}, ${r.kept} points)`);
  const [lastX] = r.drawn[r.drawn.length - 1];
  assert.equal(lastX, r.lastX, 'the ε line ends at the plot\u2019s newest episode');
  assert.equal(lastX, 5003);
  // Each drawn value is ε around its episode (the mean of the episodes its point covers).
  for (const [x, v] of r.drawn.slice(0, -1)) {
    const lo = r.eps[Math.min(x, 5000) - 1];
    const hi = r.eps[Math.max(1, x - r.stride + 1) - 1];
    assert.ok(v >= lo - 1e-6 && v <= hi + 1e-6, `ε at episode ${x}: ${v} within [${lo}, ${hi}]`);
  }
  assertNoProblems(problems);
  await context.close();
});

/** CIE76 colour difference of two CSS colours ("rgb(r, g, b)" or "#rrggbb"). */
function deltaE(a, b) {
  const rgb = (c) => (c.startsWith('#') ? [1, 3, 5].map((i) => parseInt(c.slice(i, i + 2), 16)) : c.match(/\d+(\.\d+)?/g).slice(0, 3).map(Number));
  const lab = (c) => {
    const [r, g, bl] = rgb(c).map((v) => v / 255).map((v) => (v > 0.04045 ? ((v + 0.055) / 1.055) ** 2.4 : v / 12.92));
    const f = (t) => (t > 0.008856 ? Math.cbrt(t) : 7.787 * t + 16 / 116);
    const x = f((r * 0.4124 + g * 0.3576 + bl * 0.1805) / 0.95047);
    const y = f(r * 0.2126 + g * 0.7152 + bl * 0.0722);
    const z = f((r * 0.0193 + g * 0.1192 + bl * 0.9505) / 1.08883);
    return [116 * y - 16, 500 * (x - y), 200 * (y - z)];
  };
  const p = lab(a), q = lab(b);
  return Math.hypot(p[0] - q[0], p[1] - q[1], p[2] - q[2]);
}

/** Legend label -> its marker colour, in a plot box. */
function legendColors(page, box) {
  return page.$$eval(`${box} .u-legend .u-series`, (rows) => Object.fromEntries(rows.map((r) => {
    const m = r.querySelector('.u-marker');
    const s = m ? getComputedStyle(m) : null;
    return [r.querySelector('.u-label')?.textContent.trim(), s ? s.borderLeftColor : ''];
  })));
}

test('compare agents have colours distinct from every reference line of the skill plot, and from each other', async () => {
  const { page, problems, context } = await openPage(browser, { viewport: { width: 1366, height: 900 } });
  await gotoReady(page);
  const refs = await legendColors(page, '#plot-skill-box');
  const refNames = ['oracle', 'greedy score', 'most viewed', 'random', '\u03b5'];
  for (const n of refNames) assert.ok(refs[n], `skill plot legend has ${n} (${JSON.stringify(refs)})`);
  await page.click('[data-testid="compare"]');
  await page.waitForSelector('[data-testid="plot-compare"] .u-legend');
  const cmp = await legendColors(page, '[data-testid="plot-compare"]');
  const agents = ["notebook's agent (seed)", 'DQN (default)', 'bandit'];
  // Only the references that mean the same in every agent's world (each trains its own copy).
  const lines = Object.keys(cmp).filter((n) => n !== 'episode' && !/ (low|high)$/.test(n) && !agents.includes(n));
  assert.deepEqual(lines.sort(), ['oracle', 'random'], JSON.stringify(cmp));
  for (const a of agents) {
    assert.ok(cmp[a], `compare legend has ${a}`);
    for (const n of refNames) {
      const d = deltaE(cmp[a], refs[n]);
      assert.ok(d >= 40, `${a} (${cmp[a]}) vs the ${n} line (${refs[n]}): \u0394E ${d.toFixed(0)}`);
    }
  }
  for (let i = 0; i < agents.length; i++) {
    for (let j = i + 1; j < agents.length; j++) {
      assert.ok(deltaE(cmp[agents[i]], cmp[agents[j]]) >= 40, `${agents[i]} vs ${agents[j]}`);
    }
  }
  await page.click('[data-testid="compare"]');
  assertNoProblems(problems);
  await context.close();
});

test('the explore/exploit sentence follows the agent\u2019s flag: at ε = 1 every pick is exploration', async () => {
  const { page, problems, context } = await openPage(browser);
  await gotoReady(page);
  const notes = [];
  for (let i = 0; i < 8; i++) {
    const seq = await feedSeq(page);
    await page.click('[data-testid="train-step"]');
    await until(async () => (await feedSeq(page)) > seq, 4000, 50);
    notes.push([await page.getAttribute('#cand-note', 'data-explored'), await page.textContent('#cand-note')]);
  }
  for (const [flag, text] of notes) {
    assert.equal(flag, 'true', `ε = 1 at the start: the agent explored (${text})`);
    assert.match(text, /random pick \(explore/);
    assert.doesNotMatch(text, /exploit/);
  }
  assertNoProblems(problems);
  await context.close();
});

test('compare these: two ticked agents, one of them the page\u2019s own settings', async () => {
  const { page, problems, context } = await openPage(browser, { viewport: { width: 1366, height: 900 } });
  await gotoReady(page);
  await page.click('[data-testid="compare-pick"] summary');
  // One agent alone is refused with a message.
  await page.uncheck('[data-testid="compare-pick-seed"]');
  await page.uncheck('[data-testid="compare-pick-default"]');
  await page.check('[data-testid="compare-pick-yours"]');
  await page.click('[data-testid="compare-custom"]');
  assert.match(await page.textContent('#compare-status'), /Tick two or three agents \(1 ticked\)/);
  await page.check('[data-testid="compare-pick-bandit"]');
  await page.click('[data-testid="compare-custom"]');
  await until(async () => /Training both/.test(await page.textContent('#compare-status')), 20000, 100);
  await until(async () => Number(await page.getAttribute('[data-testid="plot-compare"]', 'data-points')) >= 2, 120000, 500);
  const reading = await page.textContent('[data-testid="compare-reading"]');
  assert.match(reading, /bandit \d\.\d\d/);
  assert.match(reading, /your settings \(DQN\) -?\d\.\d\d/);
  assert.doesNotMatch(reading, /notebook/);
  await page.click('[data-testid="compare"]');
  assertNoProblems(problems);
  await context.close();
});

test('compare mode trains three agents off the page and overlays their skill curves', async () => {
  const { page, problems, context } = await openPage(browser, { viewport: { width: 1366, height: 900 } });
  await gotoReady(page);
  await page.click('[data-testid="compare"]');
  await until(async () => /same simulated users/.test(await page.textContent('#compare-status')), 20000, 100);
  await until(async () => Number(await page.getAttribute('[data-testid="plot-compare"]', 'data-points')) >= 2, 120000, 500);
  // The page stays responsive meanwhile: a step still shows a card.
  const seq = await feedSeq(page);
  await page.click('[data-testid="train-step"]');
  await until(async () => (await feedSeq(page)) > seq, 4000, 50);
  const reading = await page.textContent('[data-testid="compare-reading"]');
  assert.match(reading, /notebook.s agent \(seed\) -?\d\.\d\d ±\d\.\d\d, DQN \(default\) -?\d\.\d\d ±\d\.\d\d, bandit -?\d\.\d\d/);
  // Each agent is set against the notebook's, the button's question.
  assert.match(reading, /DQN \(default\) is (clearly ahead of|clearly behind|level with \(the intervals overlap\)) the notebook.s agent; bandit is (clearly ahead of|clearly behind|level with \(the intervals overlap\)) the notebook.s agent\./, reading);
  assert.equal(await page.locator('[data-testid="plot-compare"] canvas').count(), 1);
  await page.locator('[data-testid="plot-compare"]').scrollIntoViewIfNeeded();
  await screenshot(page, 'learn-compare.png', false);
  await page.click('[data-testid="compare"]');
  assertNoProblems(problems);
  await context.close();
});

// The category the reader likes (and nothing else). Educational: the West region's users
// dislike it in the response model (-0.2), so the warmed-up feed starts by showing it rarely,
// which is what adaptation has to overcome; food: before the reader feed's discovery slots
// (cf.discovery_slots = 3) the filter kept proposing it from the start and it never rose.
// Measured on this seed (LIKED=... to try others), cards 1-10 -> 21-30: educational 1 -> 7,
// food 0 -> 9, politics 0 -> 4, animals 3 -> 10, tech 0 -> 8; fashion 9 -> 10 (the first card
// is fashion, liked, and the feed follows at once, so 3x is out of reach). Before the discovery
// slots: educational 1 -> 3, politics 2 -> 4, food 4 -> 6, fashion 0 -> 0. README, "Your feed".
const LIKED_ALL = (process.env.LIKED || 'educational,food').split(',');
for (const LIKED of LIKED_ALL)
test(`a reader who likes only ${LIKED} (not declared) gets more of it: >= 3 of cards 21-30 and 3x cards 1-10`, async () => {
  const { page, problems, context } = await openPage(browser, { viewport: { width: 1366, height: 900 } });
  await gotoReady(page, '?mode=user');
  await page.locator('[data-testid="feed-card"]').scrollIntoViewIfNeeded();
  await page.click('label.cat-toggle:has(input[value="comedy"])');
  await page.click('label.cat-toggle:has(input[value="news"])');
  await page.click('[data-testid="user-start"]');
  await until(async () => (await feedSeq(page)) > 0, 60000, 100);
  const panel = page.locator('[data-testid="interest-predictions"]');
  const predicted = () => page.$$eval('[data-testid="interest-predictions"] .ip-row', (rows) =>
    Object.fromEntries(rows.map((r) => [r.dataset.category, Number(r.dataset.predicted)])));
  const p0 = await predicted();
  assert.equal(Object.keys(p0).length, 8, 'a prediction per category');
  assert.match(await panel.innerText(), /bandit/, 'the page says which agent serves the reader');
  const cats = [];
  let changes = 0;
  let prev = JSON.stringify(p0);
  for (let i = 0; i < 30; i++) {
    const cat = await page.getAttribute('[data-testid="feed-card"]', 'data-category');
    cats.push(cat);
    const seq = await feedSeq(page);
    const action = page.locator('[data-testid="feed-action"]');
    if (cat === LIKED) {
      await page.locator('body').press('l');
      await until(async () => (await action.innerText()) === 'Liked', 4000, 30);
    } else {
      await page.locator('body').press('ArrowUp');
      await until(async () => (await action.innerText()) === 'Skipped', 4000, 30);
    }
    await until(async () => (await feedSeq(page)) > seq || (await page.locator('[data-testid="user-again"]').count()) > 0, 8000, 50);
    if ((await page.locator('[data-testid="user-again"]').count()) > 0) {
      const s = await feedSeq(page);
      await page.click('[data-testid="user-again"]');
      await until(async () => (await feedSeq(page)) > s, 8000, 50);
    }
    const pr = await predicted();
    if (process.env.DEBUG_READER) console.log(i, cat, pr[LIKED].toFixed(3), await page.locator('[data-testid="interest-predictions"] .ip-flag').allInnerTexts());
    const now = JSON.stringify(pr);
    if (now !== prev) changes += 1;
    prev = now;
  }
  const early = cats.slice(0, 10).filter((c) => c === LIKED).length;
  const late = cats.slice(20, 30).filter((c) => c === LIKED).length;
  await panel.scrollIntoViewIfNeeded();
  await screenshot(page, 'learn-reader.png', false);
  console.log(`${LIKED} in cards 1-10: ${early}, 21-30: ${late}; cards ${cats.join(',')}`);
  assert.ok(late >= 3, `${LIKED} in at least 3 of cards 21-30 (${late})`);
  assert.ok(late >= 3 * early, `3x as often as in cards 1-10 (${early} -> ${late})`);
  assert.ok(changes >= 20, `the predictions changed after responses (${changes} of 30)`);
  const after = await predicted();
  assert.ok(after[LIKED] > p0[LIKED], `predicted ${LIKED} interest rose (${p0[LIKED]} -> ${after[LIKED]})`);
  assertNoProblems(problems);
  await context.close();
});

test('a reader who never trained still sees their finished session on the skill plot', async () => {
  const { page, problems, context } = await openPage(browser, { viewport: { width: 1366, height: 900 } });
  await gotoReady(page, '?mode=user');
  await page.click('[data-testid="user-start"]');
  await until(async () => (await feedSeq(page)) > 0, 60000, 100);
  // In reader words: why a bandit serves the feed; a like moves on by itself; the plot is the DQN's.
  const note = await page.locator('[data-testid="reader-note"]').innerText();
  assert.match(note, /adapts within a few cards/);
  assert.doesNotMatch(note, /in our test/);
  assert.match(await page.locator('#feed-hint').innerText(), /a like moves on after a second/);
  assert.ok(await page.locator('[data-testid="skill-user-note"]').isVisible(), 'user mode says the skill plot is the simulated DQN\u2019s');
  const readerLegend = page.locator('#plot-skill-box .u-legend .u-series', { hasText: 'your sessions' });
  assert.equal(await readerLegend.isVisible(), false, 'no "your sessions" legend entry before the reader has a session');
  await page.click('[data-testid="end-session"]');
  assert.ok(await until(async () => Number(await page.evaluate(() => document.body.dataset.readerSessions || 0)) >= 1, 20000, 100),
    'the reader\u2019s session is marked on the skill plot');
  assert.ok(await until(() => readerLegend.isVisible(), 5000, 50), 'the "your sessions" legend entry appears with the first session');
  const box = page.locator('#plot-skill-box');
  await until(async () => (await box.getAttribute('data-y-min')) !== null, 5000, 50);
  assert.notEqual(await box.getAttribute('data-y-min'), null, 'the skill plot reports its y range');
  assert.ok(JSON.parse(await box.getAttribute('data-reader')).length >= 1, 'the reader\u2019s value is kept');
  const [lo, hi] = [Number(await box.getAttribute('data-y-min')), Number(await box.getAttribute('data-y-max'))];
  console.log(`reader session at skill ${await box.getAttribute('data-reader')}; y range ${lo}..${hi}`);
  // -0.1..1.05 unless the curve or its band goes below (an untrained agent can, a little).
  const curveLo = Number(await box.getAttribute('data-curve-lo'));
  assert.ok(lo >= Math.min(-0.2, curveLo - 0.06) && hi <= 1.2, `the y range stays on the curve's scale after a reader session (${lo}..${hi}, curve from ${curveLo})`);
  assert.ok(lo > -0.6, `not stretched towards the reader's dot (${lo})`);
  await page.locator('[data-testid="plot-skill"]').scrollIntoViewIfNeeded();
  await screenshot(page, 'learn-skill-reader.png', false);
  assertNoProblems(problems);
  await context.close();
});

/** Whether two [x, y, w, h] boxes overlap. */
const intersects = (a, b) => a[0] < b[0] + b[2] && b[0] < a[0] + a[2] && a[1] < b[1] + b[3] && b[1] < a[1] + a[3];

test('the reader\u2019s far-off sessions do not stretch the skill plot: pinned at the edge, value told, inside the plot area', async () => {
  const { page, problems, context } = await openPage(browser, { viewport: { width: 1366, height: 900 } });
  await gotoReady(page);
  const r = await page.evaluate(async () => {
    const { SkillPlot, readCurve } = await import('./www/skill.js');
    const el = document.createElement('div');
    el.style.width = '600px';
    document.body.append(el);
    const plot = new SkillPlot(el);
    const pol = (skill) => ({ skill, skill_ci95: 0.08, mean_return: skill });
    for (const [ep, s] of [[0, 0.02], [50, 0.2], [100, 0.4]]) {
      plot.add({ episode: ep, policies: { dqn: pol(s), random: pol(0.01), oracle: pol(1), greedy: pol(0.05), most_viewed: pol(0.97) } });
    }
    plot.addReader(101, -5.4);
    plot.addReader(101, 2.3);
    plot.addReader(60, 0.5);
    // A reader who never trained: episode 0, far below the scale.
    plot.addReader(0, -13.1);
    const u = plot.u;
    // uPlot draws in the next frame.
    await new Promise((res) => requestAnimationFrame(() => requestAnimationFrame(res)));
    const out = {
      y: [u.scales.y.min, u.scales.y.max],
      pinned: Number(el.dataset.readerPinned),
      readerLabels: JSON.parse(el.dataset.readerLabels),
      plotLeft: Number(el.dataset.plotLeft),
      reader: JSON.parse(el.dataset.reader),
      boxes: JSON.parse(u.root.dataset.labelBoxes),
      plotRight: u.bbox.left / (uPlot.pxRatio || 1) + u.bbox.width / (uPlot.pxRatio || 1),
      width: u.width,
      title: el.title,
      neg: readCurve([{ episode: 1, policies: { dqn: pol(-0.05), random: pol(0), oracle: pol(1), greedy: pol(0.1), most_viewed: pol(0.2) } }]),
      // Below one baseline, above the other: each gets its own word.
      mixed: readCurve([{ episode: 9, policies: { dqn: pol(0.04), random: pol(0), oracle: pol(1), greedy: pol(0.3), most_viewed: pol(-0.12) } }]),
      // Nothing to choose (one candidate per step): every policy, the oracle too, reads 0 ± 0.
      noChoice: readCurve([{ episode: 9, policies: Object.fromEntries(['dqn', 'random', 'oracle', 'greedy', 'most_viewed'].map((k) => [k, { skill: 0, skill_ci95: 0, mean_return: 1 }])) }]),
    };
    el.remove();
    return out;
  });
  assert.ok(r.y[0] >= -0.2 && r.y[1] <= 1.2, `y range from the curve and the lines only (${r.y})`);
  assert.equal(r.pinned, 3, 'the three far-off sessions pinned at the edge');
  assert.deepEqual(r.reader, [-5.4, 2.3, 0.5, -13.1], 'their true values are kept for the tooltip');
  // Their values are written inside the plot area, never over the y axis's labels.
  assert.equal(r.readerLabels.length, 3);
  for (const [a, b] of r.readerLabels) assert.ok(a >= r.plotLeft && b <= r.plotRight, `value at ${a}-${b} inside ${r.plotLeft}-${r.plotRight}`);
  // Oracle 1.00 and most viewed 0.97, random 0 and greedy 0.05: close lines, labels apart.
  assert.equal(r.boxes.length, 4, `four labelled lines (${JSON.stringify(r.boxes)})`);
  for (let i = 0; i < r.boxes.length; i++) {
    assert.ok(r.boxes[i][0] >= r.plotRight, `label ${i} right of the plot area, where no data is`);
    for (let j = i + 1; j < r.boxes.length; j++) assert.ok(!intersects(r.boxes[i], r.boxes[j]), `labels ${i} and ${j} do not overlap: ${JSON.stringify(r.boxes)}`);
  }
  assert.match(r.title, /random is 0 by definition; measured on the fixed panel/);
  assert.match(r.neg, /^At the last evaluation, after 1 episode, the agent is 5% of the gap between random \(0\) and the oracle \(1\) below random/);
  assert.match(r.mixed, /still below the greedy-score ranking and above the most-viewed list\.$/, r.mixed);
  assert.match(r.noChoice, /^There is no choice to learn/, r.noChoice);
  assertNoProblems(problems);
  await context.close();
});

test('the return plot draws the returns and their average only, and sends the reader to the skill plot to compare policies', async () => {
  const { page, problems, context } = await openPage(browser, { viewport: { width: 1366, height: 900 } });
  await gotoReady(page);
  await page.click('[data-testid="train-toggle"]');
  await until(async () => (await episodeCount(page)) >= 30, 30000, 100);
  await page.click('[data-testid="train-toggle"]');
  const r = await page.evaluate(() => {
    const root = document.querySelector('#plot-return .uplot');
    return {
      series: [...root.querySelectorAll('.u-legend .u-series .u-label')].map((e) => e.textContent).filter((t) => t !== 'episode'),
      values: [...root.querySelectorAll('.u-legend .u-value')].map((e) => e.textContent),
      caption: document.querySelector('#plot-return-fig figcaption').textContent,
    };
  });
  // Baselines measured on the world as built drifted away from what policies earn later (the
  // oracle 4.7 -> about 3.3), and a near-oracle agent looked below "random".
  assert.deepEqual(r.series, ['return', 'avg of 50'], `no baseline lines (${r.series})`);
  assert.ok(!r.values.includes('--'), `the legend shows the latest values without hovering (${r.values})`);
  assert.match(r.caption, /skill plot/);
  assertNoProblems(problems);
  await context.close();
});

test('Reset clears the last action and reward; a new world clears the comparison', async () => {
  const { page, problems, context } = await openPage(browser, { viewport: { width: 1366, height: 900 } });
  await gotoReady(page);
  await page.click('[data-testid="train-step"]');
  await until(async () => (await page.locator('[data-testid="feed-action"]').innerText()) !== '\u2013', 5000, 50);
  await page.click('[data-testid="compare"]');
  await until(async () => Number(await page.getAttribute('[data-testid="plot-compare"]', 'data-points')) >= 1, 60000, 200);
  await page.click('[data-testid="reset"]');
  await page.waitForSelector('body.is-ready:not(.is-building)');
  await until(async () => (await page.locator('[data-testid="feed-action"]').innerText()) === '\u2013', 5000, 50);
  assert.equal(await page.locator('[data-testid="feed-action"]').innerText(), '\u2013', 'no old action after Reset');
  assert.equal(await page.locator('[data-testid="feed-reward"]').innerText(), '\u2013', 'no old reward after Reset');
  assert.equal(await page.locator('[data-testid="plot-compare"]').isVisible(), false, 'the old world\u2019s comparison is gone');
  assert.equal(await page.locator('[data-testid="plot-compare"] canvas').count(), 0);
  assert.match(await page.locator('[data-testid="compare-status"]').innerText(), /world changed/);
  // A late point of the stopped run does not bring it back.
  await page.waitForTimeout(1500);
  assert.equal(await page.locator('[data-testid="plot-compare"] canvas').count(), 0);
  assertNoProblems(problems);
  await context.close();
});

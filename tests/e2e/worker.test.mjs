// The simulation Worker (issue 8): the page <-> Worker protocol of www/protocol.js driven
// directly (build, step, start, pause, set, snapshot, errors), determinism however training is
// sliced, and the page's main thread staying free while a world builds and trains.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, openPage, openBare, gotoReady, pageUrl, assertNoProblems, episodeCount, until } from './helpers.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test('protocol: build, step, start/pause, set, snapshot, refusals; same config -> same results', async () => {
  // The test talks to the Worker itself, without the app.
  const { page, problems, context } = await openBare(browser);
  const r = await page.evaluate(async (base) => {
    const { SimWorker, SeriesStore } = await import(`${base}www/protocol.js`);
    const glue = await import(`${base}pkg/instatok.js`);
    const module = await (await import(`${base}www/wasm.js`)).compileModule();
    await glue.default({ module_or_path: module });
    const pushes = [];
    const sim = new SimWorker((m) => pushes.push(m));
    const out = {};
    await sim.call('init', { module });
    const cfg = glue.defaultConfig('seed');
    cfg.seed = 11;
    Object.assign(cfg.world, { n_videos: 600, n_users: 60 });

    // Run 1: single 'step' requests of 1,500 steps.
    const b1 = await sim.call('build', { config: cfg });
    out.gen1 = b1.gen;
    out.replyKeys = Object.keys(b1).sort();
    const a = new SeriesStore();
    const st = await sim.call('step', { n: 1500 });
    a.append(st.series);
    out.steps1 = st.stats.steps;
    out.report = { steps: st.report.steps, hasLast: !!st.report.last };

    // Run 2: the same config, trained by start/pause at full speed (time-sliced), from ticks.
    const b2 = await sim.call('build', { config: cfg });
    out.gen2 = b2.gen;
    const b = new SeriesStore();
    let contiguous = true;
    const listen = (m) => {
      if (m.type !== 'tick' || m.gen !== b2.gen) return;
      if (m.series && m.series.from !== b.length) contiguous = false;
      b.append(m.series);
    };
    sim.onPush = (m) => { pushes.push(m); listen(m); };
    await sim.call('start', { sps: 0 });
    const t0 = performance.now();
    while (b.length < a.length + 5 && performance.now() - t0 < 60000) await new Promise((res) => setTimeout(res, 50));
    const paused = await sim.call('pause');
    if (paused.series && paused.series.from !== b.length) contiguous = false;
    b.append(paused.series);
    out.contiguous = contiguous;
    out.ticks = pushes.filter((m) => m.type === 'tick' && m.gen === b2.gen).length;
    // Skill-curve points pushed meanwhile (computed a policy per turn of the loop).
    out.curves = pushes.filter((m) => m.type === 'curve' && m.gen === b2.gen).map((m) => ({
      episode: m.point.episode, names: Object.keys(m.point.policies).sort().join(','),
      oracle: m.point.policies.oracle.skill, sessions: m.sessions,
    }));
    const n = Math.min(a.length, b.length);
    out.compared = n;
    out.same = ['return', 'loss', 'epsilon', 'session_seconds'].every((k) => a.series(k).slice(0, n).every((v, i) => Object.is(v, b.series(k)[i])));
    // Paused: nothing moves.
    const s1 = (await sim.call('snapshot')).stats.steps;
    await new Promise((res) => setTimeout(res, 300));
    out.pausedStill = (await sim.call('snapshot')).stats.steps === s1;
    const full = await sim.call('snapshot', { full: true });
    out.fullFrom = full.series.from;
    out.fullLen = full.series.return.length;
    out.storeLen = b.length;

    // A live parameter, then a refused one naming the field.
    out.gamma = (await sim.call('set', { name: 'gamma', value: 0.5 })).config.agent.gamma;
    try { await sim.call('set', { name: 'gamma', value: 7 }); out.badSet = 'accepted'; } catch (e) { out.badSet = e.message; }
    try { await sim.call('set', { name: 'constructor', value: 1 }); out.badName = 'accepted'; } catch (e) { out.badName = e.message; }
    // A refused world keeps the old one.
    const bad = glue.defaultConfig('seed');
    bad.agent.gamma = 3;
    try { await sim.call('build', { config: bad }); out.badBuild = 'accepted'; } catch (e) { out.badBuild = e.message; }
    out.afterBad = (await sim.call('snapshot')).gen;
    try { await sim.call('toString'); out.unknown = 'accepted'; } catch (e) { out.unknown = e.message; }

    // Paced training: one tick per step.
    const before = pushes.length;
    await sim.call('start', { sps: 20 });
    await new Promise((res) => setTimeout(res, 600));
    await sim.call('pause');
    const paced = pushes.slice(before).filter((m) => m.type === 'tick');
    out.paced = { ticks: paced.length, allOne: paced.every((m) => m.paced && m.steps === 1 && m.last) };

    // The reader's session goes through the Worker too.
    const card = await sim.call('userStart', { profile: { age: 24, gender: 'f', region: 'west', interests: ['comedy', 'tech'] } });
    const resp = await sim.call('userRespond', { action: 'liked', seconds: 6 });
    out.user = { card: !!card.card.video, reward: resp.step.reward };
    return out;
  }, pageUrl(''));

  // No baselines evaluated for the page any more (the skill plot's points carry them).
  assert.deepEqual(r.replyKeys, ['config', 'gen', 'stats']);
  assert.equal(r.gen2, r.gen1 + 1, 'each world gets the next number');
  assert.equal(r.steps1, 1500);
  assert.deepEqual(r.report, { steps: 1500, hasLast: true });
  assert.ok(r.compared >= 20, `compared ${r.compared} episodes`);
  assert.ok(r.same, 'the time-sliced run equals the one-request run, value for value');
  assert.ok(r.contiguous, 'series deltas arrive in order, without gaps');
  assert.ok(r.ticks >= 2, `ticks while training (${r.ticks})`);
  assert.ok(r.curves.length >= 1, 'skill-curve points while training');
  for (const [i, c] of r.curves.entries()) {
    assert.equal(c.names, 'dqn,greedy,most_viewed,oracle,random', 'every policy in a point');
    assert.ok(Math.abs(c.oracle - 1) < 1e-12, `the oracle's skill is 1 (${c.oracle})`);
    assert.equal(c.sessions, 40);
    if (i > 0) assert.ok(c.episode > r.curves[i - 1].episode, 'points in episode order');
  }
  assert.ok(r.pausedStill, 'no steps while paused');
  assert.equal(r.fullFrom, 0);
  assert.equal(r.fullLen, r.storeLen, 'a full snapshot resends every episode');
  assert.equal(r.gamma, 0.5);
  assert.match(r.badSet, /gamma/);
  assert.match(r.badName, /not a live parameter/);
  assert.match(r.badBuild, /gamma/);
  assert.equal(r.afterBad, r.gen2, 'the old world stays after a refused build');
  assert.match(r.unknown, /unknown request/);
  assert.ok(r.paced.ticks >= 3 && r.paced.allOne, `paced ticks: ${JSON.stringify(r.paced)}`);
  assert.deepEqual(r.user, { card: true, reward: 2 });
  assertNoProblems(problems);
  await context.close();
});

test('the page stays responsive while the largest world builds and trains in the Worker', async () => {
  const { page, problems, context } = await openPage(browser);
  await page.addInitScript(() => {
    window.__long = [];
    new PerformanceObserver((l) => { for (const e of l.getEntries()) window.__long.push(e.duration); }).observe({ type: 'longtask', buffered: true });
  });
  await gotoReady(page, '?n_videos=10000&n_users=2000');
  await page.evaluate(() => { window.__long.length = 0; });
  // Count animation frames and watch the indicator while a new world of that size builds.
  const during = page.evaluate(() => new Promise((resolve) => {
    // From the moment the build starts (the page marks it) to the moment it ends.
    let frames = 0;
    let sawIndicator = false;
    let t0 = null;
    const give = performance.now() + 20000;
    const f = () => {
      const building = document.body.classList.contains('is-building');
      if (building && t0 === null) t0 = performance.now();
      if (t0 !== null) frames++;
      if (document.querySelector('[data-testid="building"]')) sawIndicator = true;
      if ((t0 === null && performance.now() < give) || building) requestAnimationFrame(f);
      else resolve({ frames, ms: t0 === null ? 0 : performance.now() - t0, sawIndicator });
    };
    requestAnimationFrame(f);
  }));
  await page.click('[data-testid="reset"]');
  const build = await during;
  assert.ok(build.sawIndicator, 'a progress indicator showed while the world built');
  assert.ok(build.frames >= Math.min(10, build.ms / 50), `the page kept drawing frames while building (${build.frames} in ${build.ms.toFixed(0)} ms)`);
  await page.click('[data-testid="train-toggle"]');
  assert.ok(await until(async () => (await episodeCount(page)) >= 5, 120000, 200), 'trains');
  await page.click('[data-testid="train-toggle"]');
  const longest = await page.evaluate(() => Math.max(0, ...window.__long));
  // A figure, not a timed assertion (the machine is shared): the build ran in the Worker.
  console.log(`    build of 10,000 videos x 2,000 users: ${build.ms.toFixed(0)} ms, ${build.frames} frames drawn meanwhile; longest main-thread task while building and training: ${longest.toFixed(0)} ms`);
  assertNoProblems(problems);
  await context.close();
});

// Browser benchmark, run by `cargo xtask bench` (node tests/e2e/bench.mjs with BASE_URL set).
// Prints figures only; nothing here asserts.
//   (a) the 500-episode `seed`-preset experiment, seed 1, in headless Chromium
//   (b) the longest main-thread task while the page trains for ~10 s
//   (c) bytes transferred on first load, per resource type

import { readFileSync } from 'node:fs';
import { launch, openPage, pageUrl, BASE_URL } from './helpers.mjs';

const EPISODES = 500;
const TRAIN_SECONDS = Number(process.env.BENCH_TRAIN_SECONDS || 10);

const fmtBytes = (n) => (n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(2)} MB` : n >= 1024 ? `${(n / 1024).toFixed(1)} KB` : `${n} B`);
const pad = (s, n) => String(s).padEnd(n);
const lpad = (s, n) => String(s).padStart(n);

// The native run of the same configuration and seed, from `instatok bench --figures FILE`
// (cargo xtask bench passes the file), or null.
const NATIVE = process.env.NATIVE_FIGURES ? JSON.parse(readFileSync(process.env.NATIVE_FIGURES, 'utf8')) : null;
const SEED = NATIVE ? NATIVE.seed : 1;

async function experiment(browser) {
  const { page, context } = await openPage(browser);
  // Any same-origin document will do; the module is imported directly, without the page's app.
  await page.goto(pageUrl('pkg/instatok.js'));
  const r = await page.evaluate(async ({ episodes, seed, moduleUrl }) => {
    const m = await import(moduleUrl);
    const t0 = performance.now();
    await m.default();
    const tInit = performance.now() - t0;
    const cfg = m.defaultConfig('seed');
    cfg.seed = seed;
    const t1 = performance.now();
    const pg = new m.Playground(cfg);
    const tBuild = performance.now() - t1;
    const t2 = performance.now();
    let steps = 0;
    let chunks = 0;
    while (pg.stats().episode < episodes) {
      steps += pg.train(50).steps;
      chunks++;
    }
    const tTrain = performance.now() - t2;
    const st = pg.stats();
    const ret = pg.series('return');
    const last = Array.from(ret.slice(-50));
    return {
      tInit, tBuild, tTrain, steps, chunks, episodes: st.episode, updates: st.updates,
      meanReturnLast50: last.reduce((a, b) => a + b, 0) / last.length,
    };
  }, { episodes: EPISODES, seed: SEED, moduleUrl: pageUrl('pkg/instatok.js') });
  await context.close();
  const s = r.tTrain / 1000;
  console.log(`(a) ${EPISODES}-episode seed-preset experiment (seed ${SEED}) in headless Chromium`);
  console.log(`    wasm init            ${r.tInit.toFixed(0)} ms`);
  console.log(`    build world+baselines ${(r.tBuild / 1000).toFixed(2)} s`);
  console.log(`    training             ${s.toFixed(2)} s  (${r.episodes} episodes, ${r.steps} steps, ${r.updates} updates)`);
  console.log(`    throughput           ${(r.episodes / s).toFixed(1)} episodes/s, ${(r.steps / s).toFixed(0)} steps/s`);
  console.log(`    total                ${((r.tBuild + r.tTrain) / 1000).toFixed(2)} s`);
  console.log(`    mean return, last 50 episodes: ${r.meanReturnLast50.toFixed(2)}`);
  compareWithNative((r.tBuild + r.tTrain) / 1000, r.steps);
}

// Browser and native take different numbers of steps (fused multiply-adds natively round
// differently, so the trajectories part), hence the per-step ratio beside the whole-run one.
function compareWithNative(browserSeconds, browserSteps) {
  const n = NATIVE;
  if (!n) {
    console.log('    (no NATIVE_FIGURES file: no ratio to native)');
    return;
  }
  const perStep = (s, steps) => (s * 1e6) / steps;
  console.log(`    native (same preset and seed, median of the native bench's runs): ${n.median_s.toFixed(2)} s, ${n.steps} steps`);
  console.log(`    browser / native: ${(browserSeconds / n.median_s).toFixed(2)}x for the whole run, ` +
    `${(perStep(browserSeconds, browserSteps) / perStep(n.median_s, n.steps)).toFixed(2)}x per step (target <= 1.5x)`);
}

async function responsiveness(browser) {
  const { page, context } = await openPage(browser);
  await page.addInitScript(() => {
    window.__instatokProfile = {};
    window.__longtasks = [];
    try {
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) window.__longtasks.push({ start: e.startTime, duration: e.duration });
      }).observe({ entryTypes: ['longtask'] });
    } catch (e) {
      window.__longtasks = null;
    }
  });
  await page.goto(pageUrl());
  await page.waitForSelector('body.is-ready', { timeout: 60000 });
  await page.waitForTimeout(500);
  const loadTasks = await page.evaluate(() => window.__longtasks && window.__longtasks.map((t) => t.duration));
  const start = await page.evaluate(() => {
    window.__instatokProfile = {};
    window.__frames = 0;
    const count = () => { window.__frames++; requestAnimationFrame(count); };
    requestAnimationFrame(count);
    return performance.now();
  });
  await page.click('[data-testid="train-toggle"]');
  await page.waitForTimeout(TRAIN_SECONDS * 1000);
  const r = await page.evaluate((t0) => ({
    tasks: window.__longtasks ? window.__longtasks.filter((t) => t.start >= t0) : null,
    frames: window.__frames,
    elapsed: performance.now() - t0,
    profile: window.__instatokProfile,
    episodes: document.querySelector('[data-testid="episode-count"]').textContent,
    steps: document.getElementById('stat-steps').textContent,
  }), start);
  await page.click('[data-testid="train-toggle"]');
  await context.close();
  console.log(`(b) main thread while the page trains at full speed for ${TRAIN_SECONDS} s`);
  if (!r.tasks) {
    console.log('    longtask observer unsupported');
    return;
  }
  const longest = r.tasks.reduce((m, t) => Math.max(m, t.duration), 0);
  console.log(`    longest task         ${r.tasks.length ? `${longest.toFixed(0)} ms` : 'none over 50 ms'} (target < 50 ms)`);
  console.log(`    long tasks (>50 ms)  ${r.tasks.length}`);
  console.log(`    frame rate           ${((1000 * r.frames) / r.elapsed).toFixed(1)} fps`);
  console.log(`    trained              ${r.episodes} episodes, ${r.steps} steps`);
  const parts = Object.entries(r.profile || {}).map(([k, v]) => `${k} ${v.toFixed(1)}`).join(', ');
  if (parts) console.log(`    longest per frame part (ms): ${parts}  (training itself runs in the Worker, off this thread)`);
  if (loadTasks && loadTasks.length) {
    console.log(`    (on load: longest task ${Math.max(...loadTasks).toFixed(0)} ms: wasm compile + init; the world and baselines build in the Worker)`);
  }
}

async function transfer(browser) {
  const { page, context } = await openPage(browser);
  await page.goto(pageUrl());
  await page.waitForSelector('body.is-ready', { timeout: 60000 });
  const entries = await page.evaluate(() => {
    const nav = performance.getEntriesByType('navigation').map((e) => ({ name: e.name, kind: 'html', transfer: e.transferSize, encoded: e.encodedBodySize, decoded: e.decodedBodySize }));
    const res = performance.getEntriesByType('resource').map((e) => ({ name: e.name, initiator: e.initiatorType, transfer: e.transferSize, encoded: e.encodedBodySize, decoded: e.decodedBodySize }));
    return [...nav, ...res];
  });
  await context.close();
  const kindOf = (e) => {
    if (e.kind) return e.kind;
    const path = new URL(e.name).pathname;
    if (/\.wasm$/.test(path)) return 'wasm';
    if (/\.m?js$/.test(path)) return 'js';
    if (/\.css$/.test(path)) return 'css';
    if (/\.html?$/.test(path) || path.endsWith('/')) return 'html';
    return 'other';
  };
  const by = {};
  for (const e of entries) {
    const k = kindOf(e);
    by[k] = by[k] || { files: 0, transfer: 0, encoded: 0, decoded: 0 };
    by[k].files++;
    by[k].transfer += e.transfer;
    by[k].encoded += e.encoded;
    by[k].decoded += e.decoded;
  }
  console.log('(c) first load, per resource type (Resource Timing API)');
  console.log(`    ${pad('type', 6)}${lpad('files', 6)}${lpad('transferred', 14)}${lpad('encoded body', 14)}${lpad('decoded body', 14)}`);
  const total = { files: 0, transfer: 0, encoded: 0, decoded: 0 };
  for (const k of ['html', 'js', 'css', 'wasm', 'other']) {
    const v = by[k];
    if (!v) continue;
    for (const f of Object.keys(total)) total[f] += v[f];
    console.log(`    ${pad(k, 6)}${lpad(v.files, 6)}${lpad(fmtBytes(v.transfer), 14)}${lpad(fmtBytes(v.encoded), 14)}${lpad(fmtBytes(v.decoded), 14)}`);
  }
  console.log(`    ${pad('total', 6)}${lpad(total.files, 6)}${lpad(fmtBytes(total.transfer), 14)}${lpad(fmtBytes(total.encoded), 14)}${lpad(fmtBytes(total.decoded), 14)}`);
  console.log('    (transferred = headers + body as sent; the server decides whether bodies are compressed)');
}

const browser = await launch();
try {
  console.log(`browser benchmark against ${BASE_URL}`);
  await experiment(browser);
  await responsiveness(browser);
  await transfer(browser);
} finally {
  await browser.close();
}

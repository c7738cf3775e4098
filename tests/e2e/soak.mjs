// Browser soak (issue 11): the page trains at full speed in headless Chromium until 200,000
// steps (SOAK_STEPS to change), printing memory and steps per second at the start and the end.
// Figures only. Run against a served dist/: `cargo xtask soak --browser`, or
//   BASE_URL=http://127.0.0.1:PORT/ node tests/e2e/soak.mjs

import { launch, openPage, pageUrl, BASE_URL } from './helpers.mjs';
import { rendererRss, loadAvg } from './memory.mjs';

const STEPS = Number(process.env.SOAK_STEPS || 200000);
const WINDOW_MS = 10000;
const mb = (b) => (b == null ? '?' : `${(b / 1048576).toFixed(0)} MB`);

const browser = await launch();
try {
  const { page, context, problems } = await openPage(browser);
  await page.goto(pageUrl(process.env.SOAK_QUERY || ''));
  await page.waitForSelector('body.is-ready', { timeout: 120000 });
  const read = () => page.evaluate(async () => ({
    steps: Number(document.getElementById('stat-steps').textContent.replace(/\D/g, '')) || 0,
    episodes: Number(document.querySelector('[data-testid="episode-count"]').textContent.replace(/\D/g, '')) || 0,
    mem: await window.__instatokMemory(),
    heap: performance.memory ? performance.memory.usedJSHeapSize : null,
    kept: Number(document.querySelector('[data-testid="plot-return"]').dataset.kept || 0),
  }));
  console.log(`browser soak against ${BASE_URL}: ${STEPS.toLocaleString('en')} steps at full speed`);
  const s0 = await read();
  console.log(`  start: Worker wasm ${mb(s0.mem.wasm_bytes)}, page JS heap ${mb(s0.heap)}, renderer RSS ${mb(rendererRss())}`);
  await page.click('[data-testid="train-toggle"]');
  const t0 = Date.now();
  const samples = [{ t: t0, ...s0 }];
  let last = s0;
  while (last.steps < STEPS && Date.now() - t0 < 3 * 3600 * 1000) {
    await page.waitForTimeout(1000);
    last = { t: Date.now(), ...(await read()) };
    samples.push(last);
    if (samples.length % 30 === 0) {
      console.log(`  ${((last.t - t0) / 1000).toFixed(0)} s: ${last.steps.toLocaleString('en')} steps, ${last.episodes.toLocaleString('en')} episodes, wasm ${mb(last.mem.wasm_bytes)}, RSS ${mb(rendererRss())}`);
    }
  }
  await page.click('[data-testid="train-toggle"]');
  const rate = (a, b) => (b.steps - a.steps) / ((b.t - a.t) / 1000);
  const firstEnd = samples.find((x) => x.t - t0 >= WINDOW_MS) || last;
  const lastStart = [...samples].reverse().find((x) => last.t - x.t >= WINDOW_MS) || samples[0];
  const early = rate(samples[0], firstEnd);
  const late = rate(lastStart, last);
  console.log(`  end after ${((last.t - t0) / 1000).toFixed(0)} s: ${last.steps.toLocaleString('en')} steps, ${last.episodes.toLocaleString('en')} episodes`);
  console.log(`  steps/s: first 10 s ${early.toFixed(0)}, last 10 s ${late.toFixed(0)} (ratio ${(late / early).toFixed(2)}; load avg ${loadAvg()})`);
  console.log(`  memory: Worker wasm ${mb(s0.mem.wasm_bytes)} -> ${mb(last.mem.wasm_bytes)}, page JS heap ${mb(s0.heap)} -> ${mb(last.heap)}, renderer RSS now ${mb(rendererRss())}`);
  console.log(`  plot points kept per series: ${last.kept} (episodes ${last.episodes})`);
  const all = [...problems.console, ...problems.page, ...problems.requests];
  if (all.length) console.log(`  problems: ${all.slice(0, 5).join(' | ')}`);
  await context.close();
} finally {
  await browser.close();
}

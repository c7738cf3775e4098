// The page's numbers agree with the CLI's: the same configuration and seed, trained for the
// same episodes, gives the same learning-curve point through the Worker (wasm) as
// `instatok train --json` (native). Needs the CLI binary: INSTATOK_BIN, or target/release or
// target/debug/instatok (built by `cargo build --bin instatok`).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { launch, openBare, pageUrl, assertNoProblems } from './helpers.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const BIN = process.env.INSTATOK_BIN || ['target/release/instatok', 'target/debug/instatok'].find((p) => existsSync(p));

test('a short run: the Worker\u2019s curve point equals the CLI\u2019s, policy by policy', async () => {
  assert.ok(BIN, 'the instatok CLI is built (cargo build --bin instatok) or INSTATOK_BIN is set');
  const E = 12;
  const out = execFileSync(BIN, ['train', '--json', '--preset', 'default', '--seed', '5', '--episodes', String(E),
    '--eval-episodes', '10', '--set', `experiment.eval_every=${E}`, '--set', 'experiment.curve_sessions=15',
    '--set', 'world.n_videos=600', '--set', 'world.n_users=60'], { maxBuffer: 1 << 28 }).toString();
  const cli = JSON.parse(out);
  // `instatok train` evaluates every policy after training on `eval_episodes` held-out
  // sessions of the evaluation seed: the same panel as a curve point of that many sessions.
  const cliPoint = { episode: E, policies: cli.evaluation };
  assert.equal(cli.episodes.length, E);

  const { page, problems, context } = await openBare(browser);
  const web = await page.evaluate(async ({ base, config, E }) => {
    const { SimWorker } = await import(`${base}www/protocol.js`);
    const glue = await import(`${base}pkg/instatok.js`);
    const module = await (await import(`${base}www/wasm.js`)).compileModule();
    await glue.default({ module_or_path: module });
    const sim = new SimWorker(() => {});
    await sim.call('init', { module });
    await sim.call('build', { config });
    let st = await sim.call('snapshot', {});
    // One step at a time until E episodes have finished (no episode left half-run).
    while (st.stats.episode < E) st = await sim.call('step', { n: 1 });
    const r = await sim.call('curve', { sessions: config.experiment.eval_episodes });
    return r.point;
  }, { base: pageUrl(''), config: cli.config, E });
  assert.equal(web.episode, E);
  for (const [name, c] of Object.entries(cliPoint.policies)) {
    const w = web.policies[name];
    assert.ok(w, `the page has ${name}`);
    for (const k of ['skill', 'skill_ci95', 'mean_return'].filter((x) => Number.isFinite(c[x]))) {
      assert.ok(Math.abs(w[k] - c[k]) <= 1e-9 * Math.max(1, Math.abs(c[k])), `${name}.${k}: page ${w[k]} vs CLI ${c[k]}`);
    }
  }
  console.log(`agent skill at episode ${E}: page ${web.policies.dqn.skill}, CLI ${cliPoint.policies.dqn.skill}`);
  assertNoProblems(problems);
  await context.close();
});

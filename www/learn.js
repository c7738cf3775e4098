// Learning on the page: the headline skill plot fed by the Worker's `curve` pushes, the
// sentence that reads it, the compare mode (a second Worker training the notebook's agent, the
// DQN and the bandit side by side) and the reader's "what it thinks you like" panel.
// app.js calls the few hooks exported here; everything else stays in this module.

import { h } from './dom.js';
import { SkillPlot, ComparePlot, readCurve } from './skill.js';
import { download } from './agentfile.js';
import { compileModule } from './wasm.js';

const $ = (id) => document.getElementById(id);

/** Compare runs: episodes per agent, a curve point every `every` episodes on `sessions` sessions. */
const COMPARE = { episodes: 300, every: 30, sessions: 40 };
const COMPARE_NAMES = { seed: "notebook's agent (seed)", default: 'DQN (default)', bandit: 'bandit' };

export class Learn {
  /**
   * @param {{defaultConfig: (preset: string) => object, currentConfig: () => object}} deps
   */
  constructor(deps) {
    this.deps = deps;
    this.skill = new SkillPlot($('plot-skill-box'));
    this.lastEps = -1;
    this.readerStart = null;
    this.cmp = null;
    this.curveMs = [];
    $('compare').addEventListener('click', () => this.toggleCompare());
    $('compare-custom').addEventListener('click', () => this.compareTicked());
    $('download-curve-csv').addEventListener('click', () => {
      const pts = this.skill.points;
      download(`instatok-skill-curve-${pts.length}.csv`, curveCsv(pts), 'text/csv');
    });
    const ro = new ResizeObserver(() => requestAnimationFrame(() => {
      this.skill.resize();
      if (this.cmp && this.cmp.plot) this.cmp.plot.resize();
    }));
    ro.observe($('plot-skill-box'));
  }

  /** A new world (or agent): the curve starts again. */
  onBuilt() {
    this.skill.clear();
    this.lastEps = -1;
    $('skill-reading').textContent = readCurve([]);
    // A comparison belongs to the world it ran on: stop it and clear its chart and reading.
    const old = this.cmp;
    if (old) {
      const had = old.running || old.last.some(Boolean);
      if (old.running) this.stopCompare('');
      this.cmp = { worker: old.worker, inited: old.inited, running: false, last: [], waiting: new Map(), nextId: old.nextId };
      $('plot-compare').replaceChildren();
      $('compare-panel').hidden = true;
      $('compare-reading').textContent = '';
      $('compare-status').textContent = had ? 'The world changed: the comparison was cleared; run it again for this world.' : '';
    }
  }

  /** Messages pushed by the main Worker; returns true when handled here. */
  onPush(m, gen) {
    if (m.type !== 'curve') return false;
    if (m.gen !== gen) return true;
    this.curveMs.push(m.ms);
    document.body.dataset.curveMs = String(Math.round(m.ms));
    this.skill.add(m.point);
    $('skill-reading').textContent = readCurve(this.skill.points);
    return true;
  }

  /** Called every ~100 ms with the page's series store: ε on the skill plot's time axis. */
  frame(series) {
    const eps = series.series('epsilon');
    if (series.length !== this.lastEps) {
      this.lastEps = series.length;
      this.skill.setEpsilon(series.xs, eps);
      this.skill.redraw();
    }
  }

  // ------------------------------------------------------------------ compare mode

  /**
   * The agents to compare, on the page's world: `keys` among 'seed' (the notebook's agent and
   * features), 'default' (the DQN), 'bandit' and 'yours' (the page's current settings, sliders
   * included); "Why the notebook's agent fails" is the first three.
   */
  compareConfigs(keys = ['seed', 'default', 'bandit']) {
    const base = JSON.parse(JSON.stringify(this.deps.currentConfig()));
    const seed = this.deps.defaultConfig('seed');
    const dflt = this.deps.defaultConfig('default');
    const withAgent = (agent, scale) => {
      const c = JSON.parse(JSON.stringify(base));
      c.agent = JSON.parse(JSON.stringify(agent));
      if (scale !== undefined) c.env.scale_features = scale;
      return c;
    };
    const make = {
      seed: () => [COMPARE_NAMES.seed, withAgent(seed.agent, seed.env.scale_features)],
      default: () => [COMPARE_NAMES.default, withAgent(dflt.agent, dflt.env.scale_features)],
      bandit: () => {
        const c = withAgent(dflt.agent, dflt.env.scale_features);
        c.agent.kind = 'bandit';
        return [COMPARE_NAMES.bandit, c];
      },
      yours: () => [`your settings (${base.agent.kind === 'bandit' ? 'bandit' : 'DQN'})`, JSON.parse(JSON.stringify(base))],
    };
    const picked = keys.map((k) => make[k]());
    const configs = picked.map((p) => p[1]);
    // Common random numbers: every agent meets the same simulated user in episode k, with the
    // same moods at equal step numbers, so the curves differ by the agents alone.
    for (const c of configs) c.experiment.common_draws = true;
    return { names: picked.map((p) => p[0]), configs };
  }

  /** "Compare these": the ticked agents, two or three of them. */
  compareTicked() {
    const keys = [...document.querySelectorAll('.compare-pick input[type=checkbox]:checked')].map((i) => i.value);
    if (keys.length < 2 || keys.length > 3) {
      $('compare-status').textContent = `Tick two or three agents (${keys.length} ticked).`;
      return;
    }
    if (this.cmp && this.cmp.running) this.stopCompare('Stopped.');
    this.toggleCompare(keys);
  }

  async toggleCompare(keys) {
    if (this.cmp && this.cmp.running) {
      this.stopCompare('Stopped.');
      return;
    }
    const panel = $('compare-panel');
    panel.hidden = false;
    const { names, configs } = this.compareConfigs(keys);
    const box = $('plot-compare');
    box.replaceChildren();
    const plot = new ComparePlot(box, names);
    const worker = this.cmp && this.cmp.worker ? this.cmp.worker : new Worker(new URL('./compare-worker.js', import.meta.url), { type: 'module' });
    // Request ids keep counting across runs, so a late reply to an old run's request is ignored.
    const inited = !!(this.cmp && this.cmp.inited);
    const nextId = this.cmp ? this.cmp.nextId : 1;
    this.cmp = { worker, plot, names, inited, running: true, last: names.map(() => null), waiting: new Map(), nextId };
    const cmp = this.cmp;
    worker.onmessage = (e) => this.onCompare(cmp, e.data);
    worker.onerror = (e) => this.stopCompare(`The compare worker failed: ${e.message || 'could not load'}`);
    $('compare').textContent = 'Stop the comparison';
    $('compare').setAttribute('aria-pressed', 'true');
    const count = names.length === 2 ? 'two' : 'three';
    $('compare-status').textContent = `Building ${count} copies of the world\u2026`;
    $('compare-reading').textContent = '';
    try {
      if (!cmp.inited) {
        const module = await compileModule();
        await this.callCompare(cmp, 'init', { module });
        cmp.inited = true;
      }
      await this.callCompare(cmp, 'start', { configs, names, ...COMPARE });
      $('compare-status').textContent = `Training ${names.length === 2 ? 'both' : 'all three'} on the same world and the same simulated users, ${COMPARE.episodes} episodes each; skill on the same ${COMPARE.sessions} held-out sessions every ${COMPARE.every} episodes.`;
    } catch (e) {
      this.stopCompare(`Could not start: ${e.message || e}`);
    }
  }

  callCompare(cmp, type, fields) {
    const id = cmp.nextId++;
    return new Promise((resolve, reject) => {
      cmp.waiting.set(id, { resolve, reject });
      cmp.worker.postMessage({ id, type, ...fields });
    });
  }

  onCompare(cmp, m) {
    if (m.type === 'reply') {
      const w = cmp.waiting.get(m.id);
      if (!w) return;
      cmp.waiting.delete(m.id);
      if (m.ok) w.resolve(m.result);
      else w.reject(new Error(m.error));
      return;
    }
    if (cmp !== this.cmp) return;
    if (m.type === 'cmp-point') {
      cmp.last[m.index] = m.point;
      cmp.plot.add(m.index, m.point);
      $('compare-reading').textContent = this.readCompare(cmp);
    } else if (m.type === 'cmp-done') {
      this.stopCompare(m.error ? `Stopped: ${m.error}` : `Done: ${COMPARE.episodes} episodes each.`);
    }
  }

  readCompare(cmp) {
    const rows = cmp.names.map((n, i) => ({ n, p: cmp.last[i] })).filter((r) => r.p);
    if (rows.length < cmp.names.length) return 'Waiting for every agent\u2019s first evaluation\u2026';
    const ep = Math.min(...rows.map((r) => r.p.episode));
    const s = rows.map((r) => ({ n: r.n, s: r.p.policies.dqn.skill, ci: r.p.policies.dqn.skill_ci95 }));
    const best = s.reduce((a, b) => (b.s > a.s ? b : a));
    const parts = s.map((r) => `${r.n} ${r.s.toFixed(2)} ±${r.ci.toFixed(2)}`).join(', ');
    // a against b: clearly above or below (the 95% intervals do not overlap), or level.
    const vs = (a, b) => (b.s + b.ci < a.s - a.ci ? 'clearly ahead of' : a.s + a.ci < b.s - b.ci ? 'clearly behind' : 'level with (the intervals overlap)');
    if (cmp.names[0] !== COMPARE_NAMES.seed) {
      const clear = s.every((r) => r === best || vs(best, r) === 'clearly ahead of');
      return `After ${ep} ${ep === 1 ? 'episode' : 'episodes'} each, skill (0 = random, 1 = oracle): ${parts}. ` +
        `${best.n[0].toUpperCase()}${best.n.slice(1)} ${clear ? 'is clearly ahead (the intervals do not overlap)' : 'leads, but the intervals still overlap'}.`;
    }
    const seed = s[0];
    const verdict = s.slice(1).map((r) => `${r.n} is ${vs(r, seed)} the notebook\u2019s agent`).join('; ');
    const dqn = s.find((r) => r.n === COMPARE_NAMES.default);
    const bandit = s.find((r) => r.n === COMPARE_NAMES.bandit);
    const pair = dqn && bandit ? vs(bandit, dqn) : null;
    return `After ${ep} ${ep === 1 ? 'episode' : 'episodes'} each, skill (0 = random, 1 = oracle): ${parts}. ${verdict[0].toUpperCase()}${verdict.slice(1)}. ` +
      'The notebook\u2019s agent never sees the candidates\u2019 features, so it can only learn which slot position pays' +
      (bandit
        ? '; the bandit models each candidate\u2019s immediate reward (Bayesian linear regression over region \u00d7 category and ' +
          'interest), and most of this reward is immediate, so it can learn from fewer sessions than the DQN (its curve starts high: ' +
          'untrained, it ranks the candidates as the list does, the greedy score\u2019s 0.33, and its exact updates take it to 0.5-0.7 ' +
          'after 5 episodes and about 0.8 after 30, measured natively on seeds 1 and 2 with 10,000 sessions)' +
          (pair === 'clearly ahead of' ? ', as it does here.' : pair ? `; here the two are ${pair === 'clearly behind' ? 'the other way round (the DQN clearly ahead)' : 'level (the intervals overlap)'}.` : '.')
        : '.');
  }

  stopCompare(status) {
    const cmp = this.cmp;
    if (!cmp) return;
    if (cmp.running) {
      cmp.running = false;
      this.callCompare(cmp, 'stop', {}).catch(() => {});
    }
    $('compare').textContent = 'Why the notebook\u2019s agent fails: compare';
    $('compare').setAttribute('aria-pressed', 'false');
    $('compare-status').textContent = status;
  }

  // ------------------------------------------------------------------ the reader

  /** Before the reader's first card: the warm-up may take a moment. */
  readerStarting() {
    const el = $('interest-predictions');
    if (!this.readerInfo) {
      el.replaceChildren(h('h3', { text: 'What it thinks you like' }),
        h('p', { class: 'reader-note', dataset: { testid: 'reader-note' }, text: 'Warming up your feed’s agent on 50 simulated sessions of this world…' }));
    }
  }

  /** A userStart/userRespond reply: the interest panel and the note on which agent serves the reader. */
  onReader(r) {
    if (r.reader) this.readerInfo = r.reader;
    this.showInterests(r.interests || null);
  }

  /**
   * The reader's session ended with return `ret` while the simulated training had `episode`
   * episodes: a marker on the skill plot, on the skill scale (the return between the panel's
   * random (0) and oracle (1) mean returns of the newest curve point).
   */
  readerSessionEnded(ret, episode) {
    const p = this.skill.points[this.skill.points.length - 1];
    if (!p) return;
    const r0 = p.policies.random.mean_return;
    const r1 = p.policies.oracle.mean_return;
    if (!(r1 > r0)) return;
    this.skill.addReader(Math.max(1, episode), (ret - r0) / (r1 - r0));
    document.body.dataset.readerSessions = String(this.skill.reader.length);
  }

  /** Shows what the agent's world predicts the reader likes ({categories}) in the panel. */
  showInterests(view) {
    const el = $('interest-predictions');
    if (!el) return;
    if (!view) {
      el.hidden = true;
      return;
    }
    el.hidden = false;
    const info = this.readerInfo;
    const note = info ? `Your feed is served by a ${info.agent} agent (it learns from each response at once), warmed up on ${info.warm} simulated sessions of this world, with your interests predicted from what you do${info.discovery ? `; ${info.discovery} of the candidates come from categories the filter did not propose, so a new taste can reach the feed` : ''}. It is a bandit, not the DQN of the plots, because it adapts within a few cards; the DQN needs hundreds of simulated sessions.` : '';
    const cats = [...view.categories].sort((a, b) => b.predicted - a.predicted);
    el.replaceChildren(
      h('h3', { text: 'What it thinks you like' }),
      h('p', { class: 'cap', text: 'Predicted chance you watch or like a video of each category, from your responses so far, and how far it is above (+) or below your region\u2019s average. ' +
        (view.source === 'predicted' ? 'Bold: the two furthest above it, which the ranking treats as your interests (★ in the candidate table); a high chance that your whole region shares does not count.' : '') }),
      note ? h('p', { class: 'reader-note', dataset: { testid: 'reader-note' }, text: note }) : null,
      ...cats.map((c) => h('div', { class: `ip-row${c.flagged ? ' ip-flag' : ''}`, dataset: { category: c.category, predicted: String(c.predicted) } },
        h('span', { class: 'ip-name', text: c.category + (c.declared ? ' (declared)' : '') }),
        h('span', { class: 'ip-bar' }, h('i', { style: { width: `${Math.round(Math.max(0, Math.min(1, c.predicted)) * 100)}%` } })),
        h('span', { class: 'ip-val', text: `${Math.round(c.predicted * 100)}%` }),
        Number.isFinite(c.lift) ? h('span', { class: 'ip-lift', title: 'Above (+) or below your region\u2019s average, in percentage points', text: `${c.lift >= 0 ? '+' : '\u2212'}${Math.abs(Math.round(c.lift * 100))}` }) : null)),
    );
  }
}

/** The skill curve as CSV: one row per curve point, each policy's skill, its 95% half-width
 *  and mean return on the point's held-out panel. */
export function curveCsv(points) {
  const names = ['dqn', 'random', 'most_viewed', 'greedy', 'oracle'];
  const head = ['episode', ...names.flatMap((n) => [`${n}_skill`, `${n}_skill_ci95`, `${n}_mean_return`])];
  const rows = points.map((p) => [p.episode, ...names.flatMap((n) => {
    const e = p.policies[n];
    return e ? [e.skill, e.skill_ci95, e.mean_return] : ['', '', ''];
  })].join(','));
  return [head.join(','), ...rows].join('\n') + '\n';
}

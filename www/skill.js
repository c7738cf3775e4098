// The headline skill plot: the learning curve the Worker computes with `curvePoint` (0 = the
// random policy, 1 = the oracle, on a fixed panel of held-out sessions), its 95% interval as a
// band, the greedy-score and most-viewed policies as horizontal lines labelled on the line,
// and ε on a right-hand axis over the same episodes. Also the compare chart (several agents'
// curves overlaid). Uses the global `uPlot`.

const AXIS = { stroke: '#6b7280', grid: { stroke: '#eceef2', width: 1 }, ticks: { stroke: '#d9dce3', width: 1 }, font: '11px system-ui, sans-serif' };

/** Reference policies drawn as labelled horizontal lines (value = their skill on the panel). */
export const REFS = [
  { key: 'oracle', label: 'oracle', color: '#be123c', dash: [3, 3] },
  { key: 'greedy', label: 'greedy score', color: '#0d9488', dash: [8, 4] },
  { key: 'most_viewed', label: 'most viewed', color: '#b45309', dash: [2, 3] },
  { key: 'random', label: 'random', color: '#6b7280', dash: [5, 4] },
];

const fmt = (v) => (Number.isFinite(v) ? v.toFixed(2) : '?');

/**
 * A uPlot draw hook writing each reference line's name and value on the line itself, at the
 * right end, with a white halo so it reads over the grid. `refs()` returns [{label, value, color}].
 */
export function labelLines(refs, yScale = 'y') {
  return (u) => {
    const ctx = u.ctx;
    const dpr = uPlot.pxRatio || 1;
    ctx.save();
    ctx.font = `${Math.round(11 * dpr)}px system-ui, sans-serif`;
    ctx.textAlign = 'right';
    ctx.textBaseline = 'bottom';
    const right = u.bbox.left + u.bbox.width - 4 * dpr;
    const left = u.bbox.left + 4 * dpr;
    const h = 12 * dpr;
    // Labels of close lines take turns at the right and the left end, so each stays on its line.
    const used = { right: [], left: [] };
    for (const r of refs()) {
      if (!Number.isFinite(r.value)) continue;
      let y = u.valToPos(r.value, yScale, true);
      if (y < u.bbox.top || y > u.bbox.top + u.bbox.height) continue;
      let side = 'right';
      if (used.right.some((o) => Math.abs(o - y) < h)) side = 'left';
      if (side === 'left' && used.left.some((o) => Math.abs(o - y) < h)) {
        side = 'right';
        while (used.right.some((o) => Math.abs(o - y) < h) && y > u.bbox.top + h) y -= h;
      }
      used[side].push(y);
      ctx.textAlign = side;
      const x = side === 'right' ? right : left;
      const text = `${r.label} ${r.text || fmt(r.value)}`;
      ctx.lineWidth = 3 * dpr;
      ctx.strokeStyle = 'rgba(255,255,255,0.92)';
      ctx.strokeText(text, x, y - 1 * dpr);
      ctx.fillStyle = r.color;
      ctx.fillText(text, x, y - 1 * dpr);
    }
    ctx.restore();
  };
}

/** Gap share: how much of the random-to-oracle gap the agent closes (skill is that already). */
export function readCurve(points, agentLabel = 'the agent') {
  if (!points.length) return 'The skill curve appears after the first evaluation (a few seconds of training).';
  const p = points[points.length - 1];
  if (p.episode === 0) return 'The first point is the untrained agent (episode 0); the curve grows as it trains.';
  const d = p.policies.dqn;
  const g = p.policies.greedy;
  const mv = p.policies.most_viewed;
  const pct = Math.round(d.skill * 100);
  const lo = d.skill - d.skill_ci95;
  const hi = d.skill + d.skill_ci95;
  let verdict;
  if (lo > 0) verdict = `better than random (the whole interval is above 0)`;
  else if (hi < 0) verdict = 'worse than random';
  else verdict = 'not yet distinguishable from random (the interval straddles 0)';
  const vsGreedy = g ? (lo > g.skill ? ', and above the greedy-score ranking' : hi < g.skill ? ', still below the greedy-score ranking' : ', level with the greedy-score ranking') : '';
  const vsMv = mv && d.skill > mv.skill + d.skill_ci95 ? ' and the most-viewed list' : '';
  return `After ${p.episode} episodes ${agentLabel} closes ${pct}% of the gap between random (0) and the oracle (1) ` +
    `(±${Math.round(d.skill_ci95 * 100)} points): ${verdict}${vsGreedy}${vsMv}.`;
}

/** The skill plot's height: a little lower on a phone, so it fits under the card. */
function skillHeight(width) {
  return width < 480 ? 200 : 230;
}

/** The headline skill plot. */
export class SkillPlot {
  /** @param {HTMLElement} el  the plot box */
  constructor(el) {
    this.el = el;
    this.points = [];
    this.reader = [];
    const refs = () => {
      const p = this.points[this.points.length - 1];
      if (!p) return [];
      // Random is 0 by definition (its expected skill); its sampled panel estimate (shown in
      // the label) wobbles around 0 by the panel's noise.
      return REFS.map((r) => {
        const v = p.policies[r.key] ? p.policies[r.key].skill : NaN;
        return r.key === 'random'
          ? { label: r.label, color: r.color, value: 0, text: `0 (panel estimate ${fmt(v)})` }
          : { label: r.label, color: r.color, value: v };
      });
    };
    const opts = {
      width: Math.max(200, el.clientWidth || 300),
      height: skillHeight(el.clientWidth || 300),
      cursor: { drag: { x: true, y: false } },
      legend: { show: true, live: false },
      scales: {
        // asinh: linear for the first 100 episodes, logarithmic after, so the early climb is not
        // squashed against the left edge after thousands of episodes at full speed.
        x: { time: false, distr: 4, asinh: 100 },
        y: { range: (u, min, max) => [Math.min(-0.15, min ?? 0), Math.max(1.05, max ?? 1)] },
        eps: { range: [0, 1] },
      },
      axes: [
        { ...AXIS, size: 30, label: '' },
        { ...AXIS, size: 40, values: (u, vals) => vals.map((v) => (v == null ? '' : String(Number(v.toFixed(2))))) },
        { ...AXIS, scale: 'eps', side: 1, size: 44, grid: { show: false }, stroke: '#0891b2', splits: () => [0, 0.5, 1], values: (u, vals) => vals.map((v) => `ε ${v}`) },
      ],
      series: [
        { label: 'episode' },
        { label: 'agent skill (band: 95%)', stroke: '#4f46e5', width: 2.5, points: { show: true, size: 5 }, spanGaps: true },
        { label: 'skill low', stroke: 'rgba(79,70,229,0.25)', width: 1, points: { show: false }, spanGaps: true },
        { label: 'skill high', stroke: 'rgba(79,70,229,0.25)', width: 1, points: { show: false }, spanGaps: true },
        ...REFS.map((r) => ({ label: r.label, stroke: r.color, width: 1.5, dash: r.dash, points: { show: false }, spanGaps: true })),
        { label: 'ε', scale: 'eps', stroke: 'rgba(8,145,178,0.7)', width: 1.25, points: { show: false }, spanGaps: true },
        { label: 'your sessions', stroke: '#db2777', width: 0, points: { show: true, size: 9, fill: '#db2777' }, spanGaps: false },
      ],
      bands: [{ series: [3, 2], fill: 'rgba(79,70,229,0.14)' }],
      hooks: { draw: [labelLines(refs)] },
    };
    this.u = new uPlot(opts, opts.series.map(() => []), el);
    this.eps = [];
    this.epsX = [];
    hideBandEdges(el);
  }

  resize() {
    const w = Math.max(200, Math.floor(this.el.clientWidth));
    const ht = skillHeight(w);
    if (Math.abs(this.u.width - w) > 1 || this.u.height !== ht) this.u.setSize({ width: w, height: ht });
  }

  clear() {
    this.points = [];
    this.reader = [];
    this.eps = [];
    this.epsX = [];
    this.redraw();
  }

  add(point) {
    if (this.points.length && this.points[this.points.length - 1].episode >= point.episode) {
      this.points = this.points.filter((p) => p.episode < point.episode);
    }
    this.points.push(point);
    this.redraw();
  }

  /** The reader's own finished session at `episode`, placed at its skill-equivalent height. */
  addReader(episode, skill) {
    this.reader.push({ episode, skill });
    this.redraw();
  }

  /**
   * ε over training: `values[i]` is ε at (or averaged up to) episode `xs[i]`. The page's series
   * store keeps at most a few thousand points, each standing for `stride` episodes, so the
   * episode numbers come with the values (an index is not an episode after downsampling).
   */
  setEpsilon(xs, values) {
    this.epsX = xs || [];
    this.eps = values || [];
  }

  redraw() {
    const xsSet = new Set(this.points.map((p) => p.episode));
    for (const r of this.reader) xsSet.add(r.episode);
    // ε at no more than ~300 of the kept points (always the newest), then carried to the
    // newest episode on the plot: a curve point can arrive before the episodes it follows.
    const epsAt = new Map();
    const nEps = Math.min(this.eps.length, this.epsX.length);
    const step = Math.max(1, Math.ceil(nEps / 300));
    let lastEps = null;
    for (let i = 0; i < nEps; i++) {
      if (!Number.isFinite(this.eps[i])) continue;
      lastEps = i;
      if (i % step === 0 || i === nEps - 1) epsAt.set(this.epsX[i], this.eps[i]);
    }
    for (const x of epsAt.keys()) xsSet.add(x);
    const xs = [...xsSet].sort((a, b) => a - b);
    if (!xs.length) xs.push(0, 50);
    if (lastEps !== null && xs[xs.length - 1] > this.epsX[lastEps]) epsAt.set(xs[xs.length - 1], this.eps[lastEps]);
    const last = this.points[this.points.length - 1];
    const byEp = new Map(this.points.map((p) => [p.episode, p]));
    const rd = new Map(this.reader.map((r) => [r.episode, r.skill]));
    const col = (f) => xs.map((x) => (byEp.has(x) ? f(byEp.get(x).policies.dqn) : null));
    const ref = (k) => xs.map(() => (last && last.policies[k] ? last.policies[k].skill : null));
    const data = [
      xs,
      col((d) => d.skill),
      col((d) => d.skill - d.skill_ci95),
      col((d) => d.skill + d.skill_ci95),
      ...REFS.map((r) => ref(r.key)),
      xs.map((x) => (epsAt.has(x) ? epsAt.get(x) : null)),
      xs.map((x) => (rd.has(x) ? rd.get(x) : null)),
    ];
    this.u.setData(data);
    this.el.dataset.points = String(this.points.length);
    if (last) this.el.dataset.skill = String(last.policies.dqn.skill);
    // For tests and readers of the DOM: the episode the ε line reaches, the curve's last one.
    const epsXs = xs.filter((x) => epsAt.has(x));
    this.el.dataset.epsLast = epsXs.length ? String(epsXs[epsXs.length - 1]) : '';
    this.el.dataset.curveLast = last ? String(last.episode) : '';
  }
}

/** Hides the band edges from a legend: they belong to their curve's entry. */
function hideBandEdges(el) {
  for (const row of el.querySelectorAll('.u-legend .u-series')) {
    const t = (row.textContent || '').trim();
    if (/(low|high)$/.test(t)) row.style.display = 'none';
  }
}

/**
 * The compare chart's agents (seed, DQN, bandit): lime, dark indigo, purple. Each differs from
 * every reference line of the skill plot (oracle red, greedy teal, most-viewed amber, random
 * grey, ε cyan) and from the others by a CIE76 ΔE of 50 or more (tests/e2e/learn.test.mjs).
 */
export const COMPARE_COLORS = ['#65a30d', '#312e81', '#9333ea'];

/** The compare chart: one skill curve (with band) per agent, in distinct colours. */
export class ComparePlot {
  constructor(el, names) {
    this.el = el;
    this.names = names;
    this.points = names.map(() => []);
    const refs = () => {
      const lasts = this.points.map((ps) => ps[ps.length - 1]).filter(Boolean);
      if (!lasts.length) return [];
      const p = lasts[0];
      return [REFS[0], REFS[1], REFS[3]].map((r) => ({ label: r.label, color: r.color, value: p.policies[r.key] ? p.policies[r.key].skill : NaN }));
    };
    const series = [{ label: 'episode' }];
    const bands = [];
    names.forEach((n, i) => {
      const c = COMPARE_COLORS[i % COMPARE_COLORS.length];
      const base = series.length;
      series.push({ label: n, stroke: c, width: 2.5, points: { show: true, size: 5 }, spanGaps: true });
      series.push({ label: `${n} low`, stroke: 'transparent', width: 0, points: { show: false }, spanGaps: true });
      series.push({ label: `${n} high`, stroke: 'transparent', width: 0, points: { show: false }, spanGaps: true });
      bands.push({ series: [base + 2, base + 1], fill: `${c}22` });
    });
    for (const r of [REFS[0], REFS[1], REFS[3]]) series.push({ label: r.label, stroke: r.color, width: 1.25, dash: r.dash, points: { show: false }, spanGaps: true });
    this.nRefs = 3;
    const opts = {
      width: Math.max(200, el.clientWidth || 300),
      height: 220,
      legend: { show: true, live: false },
      scales: { x: { time: false }, y: { range: (u, min, max) => [Math.min(-0.15, min ?? 0), Math.max(1.05, max ?? 1)] } },
      axes: [{ ...AXIS, size: 30 }, { ...AXIS, size: 40 }],
      series,
      bands,
      hooks: { draw: [labelLines(refs)] },
    };
    this.u = new uPlot(opts, series.map(() => []), el);
    hideBandEdges(el);
  }

  add(i, point) {
    this.points[i].push(point);
    const xs = [...new Set(this.points.flat().map((p) => p.episode))].sort((a, b) => a - b);
    const data = [xs];
    for (const ps of this.points) {
      const m = new Map(ps.map((p) => [p.episode, p.policies.dqn]));
      data.push(xs.map((x) => (m.has(x) ? m.get(x).skill : null)));
      data.push(xs.map((x) => (m.has(x) ? m.get(x).skill - m.get(x).skill_ci95 : null)));
      data.push(xs.map((x) => (m.has(x) ? m.get(x).skill + m.get(x).skill_ci95 : null)));
    }
    const p0 = this.points[0][this.points[0].length - 1];
    for (const k of ['oracle', 'greedy', 'random']) data.push(xs.map(() => (p0 && p0.policies[k] ? p0.policies[k].skill : null)));
    this.u.setData(data);
    this.el.dataset.points = String(Math.min(...this.points.map((p) => p.length)));
  }

  resize() {
    const w = Math.max(200, Math.floor(this.el.clientWidth));
    if (Math.abs(this.u.width - w) > 1) this.u.setSize({ width: w, height: this.u.height });
  }
}

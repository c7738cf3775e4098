// The headline skill plot: the learning curve the Worker computes with `curvePoint` (0 = the
// random policy, 1 = the oracle, on a fixed panel of held-out sessions), its 95% interval as a
// band, random and the oracle as horizontal lines and the greedy-score and most-viewed lists
// through their skill at each evaluation, each labelled at its end,
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

/**
 * Where a reference line is drawn for `point`: random at 0, its definition (its expected
 * skill; its estimate on the fixed panel of held-out sessions wobbles around 0 by the panel's
 * noise, told in the tooltip), the others at their skill on the panel; null without the
 * policy.
 */
function refSkill(point, key) {
  const e = point && point.policies[key];
  return e ? (key === 'random' ? 0 : e.skill) : null;
}

/** A reference line's label box for `point` (random's value written as its definition, 0). */
function refLabel(r, point) {
  const v = refSkill(point, r.key);
  return { label: r.label, color: r.color, value: v === null ? NaN : v, text: r.key === 'random' ? '0' : undefined };
}

const fmt = (v) => (Number.isFinite(v) ? v.toFixed(2) : '?');
/** The gutter right of the skill plots for the reference lines' labels, in CSS px. */
const GUTTER = 104;

/**
 * Places labels (each wanting to sit at `want`, a y in pixels) so that none overlaps another:
 * sorted by y, pushed down to at least `gap` apart, then back up from `bottom` if the last ones
 * ran out of room, never above `top`. Returns the y of each label, in the input order.
 */
export function spreadLabels(wants, gap, top, bottom) {
  const order = wants.map((w, i) => ({ w, i })).sort((a, b) => a.w - b.w);
  const ys = order.map((o) => Math.min(Math.max(o.w, top), bottom));
  for (let k = 1; k < ys.length; k++) ys[k] = Math.max(ys[k], ys[k - 1] + gap);
  if (ys.length && ys[ys.length - 1] > bottom) {
    ys[ys.length - 1] = bottom;
    for (let k = ys.length - 2; k >= 0; k--) ys[k] = Math.min(ys[k], ys[k + 1] - gap);
  }
  const out = new Array(wants.length);
  order.forEach((o, k) => { out[o.i] = ys[k]; });
  return out;
}

/**
 * A uPlot draw hook writing each reference line's name and value in the gutter right of the
 * plot area (reserve it with `labelGutter()`), where no data covers them, on a white box, laid
 * out so that no two labels overlap; a thin leader joins each label to its line's end.
 * `refs()` returns [{label, value, color, text?}]. The boxes (CSS px, relative to the plot's
 * canvas) go to `u.root.dataset.labelBoxes` for tests.
 */
export function labelLines(refs, yScale = 'y') {
  return (u) => {
    const ctx = u.ctx;
    const dpr = uPlot.pxRatio || 1;
    ctx.save();
    ctx.font = `${Math.round(11 * dpr)}px system-ui, sans-serif`;
    ctx.textBaseline = 'middle';
    const top = u.bbox.top;
    const bottom = u.bbox.top + u.bbox.height;
    const edge = u.bbox.left + u.bbox.width;
    const x0 = edge + 12 * dpr;
    const h = 14 * dpr;
    const items = [];
    for (const r of refs()) {
      if (!Number.isFinite(r.value)) continue;
      const y = u.valToPos(r.value, r.scale || yScale, true);
      if (y < top - 1 || y > bottom + 1) continue;
      items.push({ ...r, y, text: `${r.label} ${r.text || fmt(r.value)}` });
    }
    const ys = spreadLabels(items.map((it) => it.y), h, top + h / 2, bottom - h / 2);
    const boxes = [];
    items.forEach((it, k) => {
      const ly = ys[k];
      const w = Math.min(ctx.measureText(it.text).width + 8 * dpr, u.width * dpr - x0);
      // A leader from the line's end to its label (slanted when the label had to move).
      ctx.strokeStyle = it.color;
      ctx.lineWidth = 1 * dpr;
      ctx.beginPath();
      ctx.moveTo(edge, it.y);
      ctx.lineTo(x0, ly);
      ctx.stroke();
      ctx.fillStyle = 'rgba(255,255,255,0.88)';
      ctx.fillRect(x0, ly - h / 2 + 1 * dpr, w, h - 2 * dpr);
      ctx.fillStyle = it.color;
      ctx.textAlign = 'left';
      ctx.fillText(it.text, x0 + 4 * dpr, ly, w - 6 * dpr);
      boxes.push([x0 / dpr, (ly - h / 2 + 1 * dpr) / dpr, w / dpr, (h - 2 * dpr) / dpr].map((v) => Math.round(v * 10) / 10));
    });
    u.root.dataset.labelBoxes = JSON.stringify(boxes);
    ctx.restore();
  };
}

/** An empty right-hand axis that reserves `size` px for `labelLines`' labels. */
export function labelGutter(size, scale = 'y') {
  return { scale, side: 1, size, grid: { show: false }, ticks: { show: false }, values: (u, vals) => vals.map(() => '') };
}

/** A legend value: three significant digits (ε's f32 floor 0.00999999977 reads 0.01), a dash for none. */
export function legendValue(v) {
  return v == null || !Number.isFinite(v) ? '\u2013' : String(Number(v.toPrecision(3)));
}

/**
 * A uPlot setLegend/draw hook: while no point is hovered (always, on a touch screen), each
 * legend row shows its series' latest value instead of uPlot's "--".
 */
export function latestInLegend(u) {
  if (u.cursor.idx != null) return;
  const rows = u.root.querySelectorAll('.u-legend .u-series');
  for (let i = 0; i < u.series.length; i++) {
    const cell = rows[i] && rows[i].querySelector('.u-value');
    if (!cell) continue;
    const col = u.data[i] || [];
    let v = null;
    for (let k = col.length - 1; k >= 0; k--) if (col[k] != null && Number.isFinite(col[k])) { v = col[k]; break; }
    const t = legendValue(v);
    // uPlot writes the cell's text node later on hover: keep that node.
    if (cell.firstChild) cell.firstChild.nodeValue = t;
    else cell.textContent = t;
  }
}

/** Gap share: how much of the random-to-oracle gap the agent closes (skill is that already). */
export function readCurve(points, agentLabel = 'the agent') {
  if (!points.length) return 'The skill curve appears after the first evaluation (a few seconds of training).';
  const p = points[points.length - 1];
  // The oracle scores 1 by definition whenever some list had a better and a worse pick; 0
  // (with no spread) means none did: every candidate was as good as the others, as with one
  // candidate per step.
  const o = p.policies.oracle;
  if (o && o.skill === 0 && o.skill_ci95 === 0) {
    return 'There is no choice to learn: in every evaluated list all candidates were equally good (one candidate per step does this), so skill (the share of the gap between a random pick and the best pick that a policy closes) has no gap to close and reads 0 for every policy.';
  }
  if (p.episode === 0) return 'The first point is the untrained agent (episode 0); the curve grows as it trains.';
  const d = p.policies.dqn;
  const g = p.policies.greedy;
  const mv = p.policies.most_viewed;
  const pct = Math.round(d.skill * 100);
  const ci = Math.round(d.skill_ci95 * 100);
  const lo = d.skill - d.skill_ci95;
  const hi = d.skill + d.skill_ci95;
  let verdict;
  if (lo > 0) verdict = `better than random (the whole interval is above 0)`;
  else if (hi < 0) verdict = 'worse than random';
  else verdict = 'not yet distinguishable from random (the interval straddles 0)';
  // Each baseline above, below or level (the agent's interval against its point): "above the
  // greedy score and the most viewed", or each with its own word when they differ.
  const rel = (b) => (lo > b.skill ? 'above' : hi < b.skill ? 'still below' : 'level with');
  const refs = [[g, 'the greedy-score ranking'], [mv, 'the most-viewed list']].filter(([b]) => b);
  const vs = !refs.length ? ''
    : refs.every(([b]) => rel(b) === rel(refs[0][0]))
      ? `, and ${rel(refs[0][0])} ${refs.map(([, n]) => n).join(' and ')}`
      : `, ${refs.map(([b, n]) => `${rel(b)} ${n}`).join(' and ')}`;
  const gap = pct >= 0
    ? `closes ${pct}% of the gap between random (0) and the oracle (1)`
    : `is ${-pct}% of the gap between random (0) and the oracle (1) below random`;
  // "At the last evaluation": the counters above run on while the next point is computed.
  return `At the last evaluation, after ${p.episode.toLocaleString('en-US')} ${p.episode === 1 ? 'episode' : 'episodes'}, ${agentLabel} ${gap} ` +
    `(${ci === 0 && pct === 100 ? 'every evaluated pick was the oracle\u2019s' : `±${ci} point${ci === 1 ? '' : 's'}`}): ${verdict}${vs}.`;
}

/**
 * Episode ticks for the asinh x axis: 0 and the 1-2-5 steps in the range (from 10 while the
 * range is short, else from 100), skipping any whose label would come closer than 10 px to
 * the previous one's (labels centred on their ticks, 11 px digits about 6.5 px wide). A fixed
 * 44 px dropped 100, the axis's turn from linear to logarithmic, on a phone's plot after
 * 20,000 episodes, though "0" and "100" had room.
 */
function episodeTicks(u, min, max) {
  // Past the linear part, 100 comes first (the axis turns logarithmic there).
  const steps = [0];
  for (let p = max > 300 ? 100 : 10; p <= Math.max(max, 10); p *= 10) steps.push(p, 2 * p, 5 * p);
  const width = (u.bbox && u.bbox.width ? u.bbox.width / (window.devicePixelRatio || 1) : u.width - 60) || 300;
  const at = (v) => Math.asinh(v / 100);
  const span = at(max) - at(min) || 1;
  const half = (v) => (v.toLocaleString('en-US').length * 6.5) / 2;
  const out = [];
  let last = -Infinity;
  let lastHalf = 0;
  for (const v of steps) {
    if (v < min || v > max) continue;
    const x = ((at(v) - at(min)) / span) * width;
    if (x - last < lastHalf + half(v) + 10) continue;
    out.push(v);
    last = x;
    lastHalf = half(v);
  }
  return out;
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
      const out = [];
      if (p) for (const r of REFS) out.push(refLabel(r, p));
      const e = this.lastEpsilon();
      if (Number.isFinite(e)) out.push({ label: 'ε', color: '#0891b2', value: e, scale: 'eps', text: e.toFixed(2) });
      return out;
    };
    const opts = {
      width: Math.max(200, el.clientWidth || 300),
      height: skillHeight(el.clientWidth || 300),
      cursor: { drag: { x: true, y: false } },
      legend: { show: true, live: false },
      scales: {
        // asinh: linear for the first 100 episodes, logarithmic after, so the early climb is not
        // squashed against the left edge after thousands of episodes at full speed.
        // The range ends just past the newest point (not at the next power of ten).
        x: { time: false, distr: 4, asinh: 100, range: (u, min, max) => [0, Math.max(100, (max ?? 0) * 1.04)] },
        // From the curve, its band and the reference lines only (series 1-7): never from the
        // reader's dots, which can sit far outside (they are pinned at the edge instead).
        y: { range: (u) => skillRange(u.data) },
        // ε shares the skill range's pixels, so ε = 0 and 1 sit on skill 0 and 1.
        eps: { range: (u) => skillRange(u.data) },
      },
      axes: [
        { ...AXIS, size: 28, label: 'episodes (linear to 100, log after)', labelSize: 14, labelFont: '11px system-ui, sans-serif', labelGap: 0,
          splits: (u, i, min, max) => episodeTicks(u, min, max), filter: (u, splits) => splits, values: (u, vals) => vals.map((v) => (v == null ? '' : v.toLocaleString('en-US'))) },
        { ...AXIS, size: 46, values: (u, vals) => vals.map((v) => (v == null ? '' : String(Number(v.toFixed(2))))) },
        labelGutter(GUTTER),
      ],
      series: [
        { label: 'episode' },
        { label: 'agent skill (band: 95%)', stroke: '#4f46e5', width: 2.5, points: { show: true, size: 5 }, spanGaps: true },
        { label: 'skill low', stroke: 'rgba(79,70,229,0.25)', width: 1, points: { show: false }, spanGaps: true },
        { label: 'skill high', stroke: 'rgba(79,70,229,0.25)', width: 1, points: { show: false }, spanGaps: true },
        ...REFS.map((r) => ({ label: r.label, stroke: r.color, width: 1.5, dash: r.dash, points: { show: false }, spanGaps: true })),
        { label: 'ε', scale: 'eps', stroke: 'rgba(8,145,178,0.7)', width: 1.25, points: { show: false }, spanGaps: true },
        // Drawn by drawReader (pinned at the edge when outside the range); uPlot only lists it.
        { label: 'your sessions (served by your bandit)', stroke: '#db2777', fill: '#db2777', width: 0, points: { show: false }, spanGaps: false },
      ],
      bands: [{ series: [3, 2], fill: 'rgba(79,70,229,0.14)' }],
      hooks: { draw: [labelLines(refs), (u) => this.drawReader(u)] },
    };
    this.u = new uPlot(opts, opts.series.map(() => []), el);
    this.eps = [];
    this.epsX = [];
    hideBandEdges(el);
  }

  /** ε at the newest kept episode, or NaN. */
  lastEpsilon() {
    for (let i = Math.min(this.eps.length, this.epsX.length) - 1; i >= 0; i--) if (Number.isFinite(this.eps[i])) return this.eps[i];
    return NaN;
  }

  /**
   * The reader's sessions: a pink dot at the skill-equivalent height, or, outside the y range,
   * a triangle pinned at the top or bottom edge pointing out, with "you" and its true value
   * beside it.
   * Always inside the plot area (never over the labels right of it).
   */
  drawReader(u) {
    const dpr = uPlot.pxRatio || 1;
    const { left, top, width, height } = u.bbox;
    const ctx = u.ctx;
    const [lo, hi] = [u.scales.y.min, u.scales.y.max];
    const r = 4.5 * dpr;
    let pinned = 0;
    // Each pinned value's text as [left, right] in CSS px, for the tests.
    const labels = [];
    ctx.save();
    ctx.font = `${Math.round(10.5 * dpr)}px system-ui, sans-serif`;
    ctx.textBaseline = 'middle';
    for (const d of this.reader) {
      let x = u.valToPos(d.episode, 'x', true);
      x = Math.min(Math.max(x, left + r + 1), left + width - r - 1);
      ctx.fillStyle = '#db2777';
      ctx.strokeStyle = '#fff';
      ctx.lineWidth = 1.5 * dpr;
      ctx.beginPath();
      if (d.skill >= lo && d.skill <= hi) {
        ctx.arc(x, u.valToPos(d.skill, 'y', true), r, 0, 2 * Math.PI);
        ctx.fill();
        ctx.stroke();
        continue;
      }
      pinned += 1;
      const up = d.skill > hi;
      const y = up ? top + r + 1 : top + height - r - 1;
      const s = up ? -1 : 1;
      ctx.moveTo(x - r * 1.2, y - s * r);
      ctx.lineTo(x + r * 1.2, y - s * r);
      ctx.lineTo(x, y + s * r);
      ctx.closePath();
      ctx.fill();
      ctx.stroke();
      // "you": a reader's session, not the agent's skill (a long session's return sits above
      // the oracle's mean, which read as a skill beyond the best possible).
      const t = `you ${d.skill.toFixed(1)}`;
      const w = ctx.measureText(t).width;
      // Left of the triangle, or right of it where the left would run over the y axis's labels
      // (a reader who has not trained sits at episode 0).
      const fitsLeft = x - r * 1.6 - w >= left;
      const tx = fitsLeft ? x - r * 1.6 : x + r * 1.6;
      ctx.textAlign = fitsLeft ? 'right' : 'left';
      ctx.lineWidth = 3 * dpr;
      ctx.strokeText(t, tx, y);
      ctx.fillText(t, tx, y);
      labels.push([fitsLeft ? tx - w : tx, fitsLeft ? tx : tx + w].map((v) => Math.round((v / dpr) * 10) / 10));
    }
    ctx.restore();
    this.el.dataset.readerPinned = String(pinned);
    this.el.dataset.readerLabels = JSON.stringify(labels);
    this.el.dataset.plotLeft = String(left / dpr);
    this.el.dataset.yMin = String(lo);
    this.el.dataset.curveLo = String(skillLow(u.data));
    this.el.dataset.yMax = String(hi);
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
    const col = (f) => xs.map((x) => (byEp.has(x) ? f(byEp.get(x).policies.dqn) : null));
    // Random (0) and the oracle (1) by definition; the greedy-score and most-viewed lists
    // at each evaluation, as measured then (their skill moves as training changes the world).
    const ref = (k) => (k === 'random' || k === 'oracle'
      ? xs.map(() => refSkill(last, k))
      : xs.map((x) => (byEp.has(x) ? refSkill(byEp.get(x), k) : null)));
    const data = [
      xs,
      col((d) => d.skill),
      col((d) => d.skill - d.skill_ci95),
      col((d) => d.skill + d.skill_ci95),
      ...REFS.map((r) => ref(r.key)),
      xs.map((x) => (epsAt.has(x) ? epsAt.get(x) : null)),
      xs.map(() => null),
    ];
    this.u.setData(data);
    this.el.dataset.points = String(this.points.length);
    // The first points' episodes (for the tests: the climb's milestones).
    this.el.dataset.firstEpisodes = this.points.slice(0, 16).map((p) => p.episode).join(',');
    if (last) this.el.dataset.skill = String(last.policies.dqn.skill);
    this.el.title = last && last.policies.random
      ? `random is 0 by definition; measured on the fixed panel of ${last.sessions || 40} held-out sessions its skill is ${fmt(last.policies.random.skill)} (the panel's noise)`
      : '';
    if (this.reader.length) {
      this.el.title += `${this.el.title ? '\n' : ''}Your sessions (pink, served by your feed\u2019s bandit), on this scale: ${this.reader.map((r) => r.skill.toFixed(2)).join(', ')}`;
    }
    this.el.dataset.reader = JSON.stringify(this.reader.map((r) => Number(r.skill.toFixed(3))));
    // The reader's legend entry only once there is a session of theirs to show: watching the
    // agent, "your sessions" would name something that is not on the plot.
    const rows = this.el.querySelectorAll('.u-legend .u-series');
    const readerRow = rows[rows.length - 1];
    if (readerRow) readerRow.style.display = this.reader.length ? '' : 'none';
    // For tests and readers of the DOM: the episode the ε line reaches, the curve's last one.
    const epsXs = xs.filter((x) => epsAt.has(x));
    this.el.dataset.epsLast = epsXs.length ? String(epsXs[epsXs.length - 1]) : '';
    this.el.dataset.curveLast = last ? String(last.episode) : '';
  }
}

/**
 * The skill plot's y range: -0.1..1.05, widened only by the curve, its band and the reference
 * lines (data columns 1-7), with a small margin.
 */
export function skillRange(data) {
  let lo = -0.1;
  let hi = 1.05;
  for (let i = 1; i <= 7 && i < data.length; i++) {
    for (const v of data[i] || []) {
      if (v == null || !Number.isFinite(v)) continue;
      if (v - 0.05 < lo) lo = v - 0.05;
      if (v + 0.05 > hi) hi = v + 0.05;
    }
  }
  return [lo, hi];
}

/** The lowest value of the curve, its band and the reference lines (data columns 1-7). */
function skillLow(data) {
  let lo = Infinity;
  for (let i = 1; i <= 7 && i < data.length; i++) for (const v of data[i] || []) if (v != null && Number.isFinite(v) && v < lo) lo = v;
  return lo;
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

/**
 * The compare chart's reference lines: the oracle (1) and random (0), by definition the same
 * in every agent's world. Not greedy score or most viewed: their skill depends on the world,
 * and each agent trains its own copy (greedy's falls to about 0 in a world where the agent
 * learns, as the agent uses up the in-interest videos; `bench`'s "listed candidates in the
 * user's interests").
 */
const COMPARE_REFS = [REFS[0], REFS[3]];

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
      return COMPARE_REFS.map((r) => refLabel(r, p));
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
    for (const r of COMPARE_REFS) series.push({ label: r.label, stroke: r.color, width: 1.25, dash: r.dash, points: { show: false }, spanGaps: true });
    const opts = {
      width: Math.max(200, el.clientWidth || 300),
      height: 220,
      legend: { show: true, live: false },
      scales: { x: { time: false }, y: { range: (u, min, max) => [Math.min(-0.15, min ?? 0), Math.max(1.05, max ?? 1)] } },
      axes: [
        { ...AXIS, size: 42, label: 'episodes each agent has trained', labelSize: 14, labelFont: '11px system-ui, sans-serif', labelGap: 0 },
        { ...AXIS, size: 52, label: 'skill (0 = random, 1 = oracle)', labelSize: 14, labelFont: '11px system-ui, sans-serif', labelGap: 0 },
        labelGutter(GUTTER),
      ],
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
    for (const r of COMPARE_REFS) data.push(xs.map(() => refSkill(p0, r.key)));
    this.u.setData(data);
    this.el.dataset.points = String(Math.min(...this.points.map((p) => p.length)));
  }

  resize() {
    const w = Math.max(200, Math.floor(this.el.clientWidth));
    if (Math.abs(this.u.width - w) > 1) this.u.setSize({ width: w, height: this.u.height });
  }
}

// Live training plots drawn with uPlot (the global `uPlot` from vendor/uPlot.iife.min.js).
// Each plot reads a whole per-episode series from the Playground; long runs are bucketed to a
// few thousand points so a redraw stays cheap.

import { latestInLegend, legendValue } from './skill.js';

const MAX_POINTS = 800;
const MA_WINDOW = 50;
/** The x axis spans at least this many episodes. */
const MIN_EPISODES = 50;
const GRID = { stroke: '#eceef2', width: 1 };
const AXIS = { stroke: '#6b7280', grid: GRID, ticks: { stroke: '#d9dce3', width: 1 }, font: '11px system-ui, sans-serif' };

/** Moving average over the previous `w` finite values. */
function movingAverage(src, w) {
  const out = new Array(src.length);
  let sum = 0, cnt = 0;
  const q = [];
  for (let i = 0; i < src.length; i++) {
    const v = src[i];
    q.push(v);
    if (Number.isFinite(v)) { sum += v; cnt++; }
    if (q.length > w) {
      const old = q.shift();
      if (Number.isFinite(old)) { sum -= old; cnt--; }
    }
    out[i] = cnt ? sum / cnt : null;
  }
  return out;
}

/** Buckets series (same length) into at most MAX_POINTS points; x is the bucket's last episode. */
function bucket(xs, cols) {
  const n = xs.length;
  if (n <= MAX_POINTS) return [xs, ...cols];
  const k = Math.ceil(n / MAX_POINTS);
  const bx = [];
  const bc = cols.map(() => []);
  for (let s = 0; s < n; s += k) {
    const e = Math.min(n, s + k);
    bx.push(xs[e - 1]);
    cols.forEach((c, j) => {
      let sum = 0, cnt = 0;
      for (let i = s; i < e; i++) if (c[i] != null && Number.isFinite(c[i])) { sum += c[i]; cnt++; }
      bc[j].push(cnt ? sum / cnt : null);
    });
  }
  return [bx, ...bc];
}

/** Log-axis ticks at powers of ten only (no crowded minor grid). */
function decades(u, axisIdx, min, max) {
  const out = [];
  if (!(min > 0) || !(max > 0)) return out;
  for (let e = Math.floor(Math.log10(min)); e <= Math.ceil(Math.log10(max)); e++) {
    const v = 10 ** e;
    if (v >= min * 0.999 && v <= max * 1.001) out.push(v);
  }
  return out;
}
const fmtPow = (v) => (v == null ? '' : v >= 1000 || v < 0.001 ? v.toExponential(0) : String(Number(v.toPrecision(1))));

const finite = (a) => Array.from(a, (v) => (Number.isFinite(v) ? v : null));
const positive = (a) => Array.from(a, (v) => (Number.isFinite(v) && v > 0 ? v : null));

function line(label, color, width = 1.5, extra = {}) {
  // The legend's value on hover, as latestInLegend writes it without.
  return { label, stroke: color, width, points: { show: false }, spanGaps: true, value: (u, v) => legendValue(v), ...extra };
}

export class Plots {
  /** @param {{ret: HTMLElement, loss: HTMLElement, eps: HTMLElement, session: HTMLElement}} els */
  constructor(els) {
    if (typeof uPlot !== 'function') throw new Error('uPlot did not load (vendor/uPlot.iife.min.js).');
    this.els = els;
    this.drawn = {};
    this.turn = 0;
    const sync = uPlot.sync('episodes');
    const base = (el, height, extra) => {
      const width = Math.max(200, el.clientWidth || 300);
      const opts = {
        width,
        height,
        cursor: { sync: { key: sync.key }, drag: { x: true, y: false } },
        legend: { show: true, live: true },
        scales: { x: { time: false } },
        axes: [{ ...AXIS, label: '', size: 30 }, { ...AXIS, size: 46 }],
        // No hover on a touch screen: the legend shows the latest values, not "--".
        hooks: { draw: [latestInLegend], setLegend: [latestInLegend] },
        ...extra,
      };
      return opts;
    };
    // The y-range follows the moving average (not the noisy single returns, sd about 4, which
    // would squash the effect into a thin band), with a margin.
    // No baseline lines here: what each policy earns changes with the world as training goes
    // on (the oracle's mean return on the default world falls from 4.7 as built to about
    // 3.1-3.6), and a held-out panel's mean is not the training users' either, so lines on
    // this plot made a near-oracle agent look below "random". The skill plot compares
    // policies on the same held-out users at every point.
    const retRange = (u) => {
      const vals = [];
      const avg = u.data[2] || [];
      for (const v of avg) if (Number.isFinite(v)) vals.push(v);
      if (!vals.length) return [-5, 10];
      const lo = Math.min(...vals);
      const hi = Math.max(...vals);
      const pad = Math.max(0.5, 0.25 * (hi - lo));
      return [lo - pad, hi + pad];
    };
    const ret = base(els.ret, 240, {
      scales: { x: { time: false }, y: { range: retRange } },
      axes: [{ ...AXIS, label: '', size: 30 }, { ...AXIS, size: 46 }],
      series: [
        { label: 'episode' },
        line('return', 'rgba(79,70,229,0.28)', 1),
        line(`avg of ${MA_WINDOW}`, '#4f46e5', 2.25),
      ],
    });
    const loss = base(els.loss, 150, {
      axes: [{ ...AXIS, size: 30 }, { ...AXIS, size: 46, splits: decades, values: (u, vals) => vals.map(fmtPow) }],
      scales: {
        x: { time: false },
        y: { distr: 3, log: 10, range: (u, min, max) => (min == null || max == null ? [0.01, 10] : uPlot.rangeLog(min, max, 10, true)) },
      },
      series: [{ label: 'episode' }, line('loss', 'rgba(234,88,12,0.35)', 1), line(`avg of ${MA_WINDOW}`, '#ea580c', 2)],
    });
    const eps = base(els.eps, 150, {
      scales: { x: { time: false }, y: { range: [0, 1] } },
      series: [{ label: 'episode' }, line('ε', '#0891b2', 2, { fill: 'rgba(8,145,178,0.08)' })],
    });
    const session = base(els.session, 170, {
      series: [
        { label: 'episode' },
        line('seconds', 'rgba(16,185,129,0.3)', 1),
        line(`avg of ${MA_WINDOW}`, '#059669', 2.25),
      ],
    });
    const empty = (k) => Array.from({ length: k }, () => []);
    this.u = {
      ret: new uPlot(ret, empty(ret.series.length), els.ret),
      loss: new uPlot(loss, empty(loss.series.length), els.loss),
      eps: new uPlot(eps, empty(eps.series.length), els.eps),
      session: new uPlot(session, empty(session.series.length), els.session),
    };
    // Resize in the next frame, not during the observer's delivery: a plot's new size changes
    // the layout being observed, and doing it inside the callback makes the browser report a
    // "ResizeObserver loop" error (seen when a phone rotates or a window is resized).
    this.resizeFrame = 0;
    this.ro = new ResizeObserver(() => {
      if (this.resizeFrame) return;
      this.resizeFrame = requestAnimationFrame(() => {
        this.resizeFrame = 0;
        this.resize();
      });
    });
    for (const el of Object.values(els)) this.ro.observe(el);
  }

  resize() {
    for (const [k, u] of Object.entries(this.u)) {
      const w = Math.max(200, Math.floor(this.els[k].clientWidth));
      if (Math.abs(u.width - w) > 1) u.setSize({ width: w, height: u.height });
    }
  }

  /** New world: empty plots. */
  reset() {
    this.drawn = {};
  }

  /**
   * Redraws from the Playground's series. Normally one plot per call, in turn, and only if it
   * is behind (redrawing four canvases at once can cost a frame); `force` redraws all of them.
   * @returns {boolean} whether anything was redrawn
   */
  update(pg, force = false) {
    const n = pg.length;
    const keys = Object.keys(this.u);
    const stale = keys.filter((k) => force || this.drawn[k] !== n);
    if (!stale.length) return false;
    const todo = force ? stale : [stale.find((k) => keys.indexOf(k) >= this.turn) || stale[0]];
    for (const k of todo) {
      this.draw(k, pg, n);
      this.turn = (keys.indexOf(k) + 1) % keys.length;
    }
    return true;
  }

  /** Sets one plot's data from the Playground's series. */
  draw(key, pg, n) {
    // Before there is much data, keep a minimum x range.
    // A downsampled store (SeriesStore) keeps fewer points than episodes, each with its episode.
    const kept = pg.series('return').length;
    const stride = pg.stride || 1;
    const width = Math.max(kept, Math.ceil(MIN_EPISODES / stride));
    const xs = Array.from({ length: width }, (_, i) => (pg.xs && i < kept ? pg.xs[i] : (i + 1) * stride));
    const padded = (a) => (a.length < width ? a.concat(new Array(width - a.length).fill(null)) : a);
    const withMean = (a) => [padded(a), padded(movingAverage(a, Math.max(1, Math.round(MA_WINDOW / stride))))];
    let cols;
    if (key === 'ret') {
      cols = withMean(finite(pg.series('return')));
    } else if (key === 'loss') {
      cols = withMean(positive(pg.series('loss')));
    } else if (key === 'eps') {
      cols = [padded(finite(pg.series('epsilon')))];
    } else {
      cols = withMean(finite(pg.series('session_seconds')));
    }
    this.u[key].setData(bucket(xs, cols));
    this.drawn[key] = n;
    this.els[key].dataset.points = String(n);
    this.els[key].dataset.kept = String(kept);
  }
}

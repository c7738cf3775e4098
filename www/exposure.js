// Creator exposure (issue 10): impressions per creator as a Lorenz curve with its Gini
// coefficient, catalogue coverage, and both over training (Playground.exposure(), asked of
// the Worker), drawn on canvases.

import { h, fill, clip } from './dom.js';

/** Refresh while training and in view. */
const AUTO_MS = 2000;

const $ = (id) => document.getElementById(id);

function setup(c, w, hgt) {
  const dpr = window.devicePixelRatio || 1;
  c.width = Math.round(w * dpr);
  c.height = Math.round(hgt * dpr);
  const g = c.getContext('2d');
  g.setTransform(dpr, 0, 0, dpr, 0, 0);
  g.fillStyle = '#fff';
  g.fillRect(0, 0, w, hgt);
  g.font = '11px system-ui, sans-serif';
  return g;
}

/** Axes of a [0,1] x [0,1]-style box; returns a mapping from data to pixels. */
function box(g, w, hgt, pad, xmax, xlabel, ylabel) {
  const x0 = pad, y0 = hgt - pad, x1 = w - 10, y1 = 10;
  g.strokeStyle = '#888';
  g.lineWidth = 1;
  g.strokeRect(x0, y1, x1 - x0, y0 - y1);
  g.fillStyle = '#444';
  g.textAlign = 'center';
  g.fillText(xlabel, (x0 + x1) / 2, hgt - 8);
  g.save();
  g.translate(12, (y0 + y1) / 2);
  g.rotate(-Math.PI / 2);
  g.fillText(ylabel, 0, 0);
  g.restore();
  g.textAlign = 'right';
  g.fillText('0', x0 - 3, y0);
  g.fillText('1', x0 - 3, y1 + 8);
  g.textAlign = 'left';
  g.fillText(String(xmax), x1 - 30, y0 + 12);
  return (x, y) => [x0 + (x / (xmax || 1)) * (x1 - x0), y0 - y * (y0 - y1)];
}

/**
 * Impressions before a creator Gini is shown, here and in the toolbar: 0 before any impression
 * would claim perfect equality, and over a handful of impressions it is mostly chance (three
 * steps read 0.92), so not before every creator could have had about 20.
 */
export function giniShownFrom(creators) {
  return 20 * creators;
}

export class ExposurePanel {
  constructor(root, o) {
    this.root = root;
    this.o = o;
    this.busy = false;
    this.visible = false;
    this.lorenz = $('exposure-lorenz');
    this.history = $('exposure-history');
    this.figures = $('exposure-figures');
    $('exposure-refresh').addEventListener('click', () => this.refresh());
    new IntersectionObserver((es) => {
      const was = this.visible;
      this.visible = es.some((e) => e.isIntersecting);
      if (this.visible && !was) this.refresh();
    }).observe(root);
    // While visible, every AUTO_MS whenever training moved on since the last drawing (running,
    // stepping, or the last episodes before a pause): one cheap Worker query.
    this.drawnAt = -1;
    this.drawnFor = null;
    setInterval(() => {
      if (!this.visible || document.hidden) return;
      if (this.o.running() || this.o.episodes() !== this.drawnAt || this.reader() !== this.drawnFor) this.refresh();
    }, AUTO_MS);
  }

  reset() {
    this.refresh();
  }

  refresh() {
    if (this.busy) return;
    this.busy = true;
    const gen = this.o.gen();
    const ep = this.o.episodes();
    const reader = this.reader();
    // While the reader is the user, the toolbar counts their feed's impressions: so does
    // this panel (the reader's Playground), and it says so.
    this.o.sim.call('exposure', { reader }).then((r) => {
      this.drawnAt = ep;
      this.drawnFor = reader;
      if (gen === this.o.gen()) this.draw(r.exposure, r.reader);
    }).catch((e) => { this.figures.textContent = clip(e.message, 200); })
      .finally(() => { this.busy = false; });
  }

  /** Whether the panel is to describe the reader's feed (the toolbar's counters are its). */
  reader() {
    return !!(this.o.reader && this.o.reader());
  }

  draw(x, reader = false) {
    const creators = x.per_creator.length;
    this.root.dataset.of = reader ? 'reader' : 'training';
    this.root.dataset.gini = String(x.gini);
    this.root.dataset.coverage = String(x.coverage);
    this.root.dataset.impressions = String(x.impressions);
    const W = 300, H = 240;
    let g = setup(this.lorenz, W, H);
    const at = box(g, W, H, 34, 1, 'share of creators (fewest impressions first)', 'share of impressions');
    g.strokeStyle = '#bbb';
    g.setLineDash([4, 3]);
    g.beginPath();
    g.moveTo(...at(0, 0));
    g.lineTo(...at(1, 1));
    g.stroke();
    g.setLineDash([]);
    if (x.lorenz.length) {
      g.fillStyle = 'rgba(219, 39, 119, 0.12)';
      g.beginPath();
      g.moveTo(...at(0, 0));
      for (const [px, py] of x.lorenz) g.lineTo(...at(px, py));
      g.lineTo(...at(1, 1));
      g.closePath();
      g.fill();
      g.strokeStyle = '#db2777';
      g.lineWidth = 2;
      g.beginPath();
      g.moveTo(...at(0, 0));
      for (const [px, py] of x.lorenz) g.lineTo(...at(px, py));
      g.stroke();
    }

    const hist = x.history || [];
    g = setup(this.history, W, H);
    const last = hist.length ? hist[hist.length - 1].episode : 0;
    const at2 = box(g, W, H, 34, last, 'episode', 'Gini / coverage');
    const line = (key, color) => {
      if (!hist.length) return;
      g.strokeStyle = color;
      g.lineWidth = 2;
      g.beginPath();
      hist.forEach((s, i) => (i ? g.lineTo : g.moveTo).call(g, ...at2(s.episode, s[key])));
      g.stroke();
    };
    line('gini', '#db2777');
    line('coverage', '#0891b2');
    g.textAlign = 'left';
    g.fillStyle = '#db2777';
    g.fillText('Gini', 42, 24);
    g.fillStyle = '#0891b2';
    g.fillText('coverage', 72, 24);
    if (!hist.length) {
      g.fillStyle = '#666';
      // Two short lines: one long line ran past the canvas's right edge.
      g.fillText(`Sampled every ${x.every} finished`, 40, H / 2 - 8);
      g.fillText('episodes: train to see it.', 40, H / 2 + 8);
    }
    const f = (v) => (Number.isFinite(v) && x.impressions >= giniShownFrom(creators) ? v.toFixed(3) : '–');
    fill(this.figures,
      h('strong', { text: reader ? 'Your feed (its bandit’s warm-up sessions included): ' : 'The agent’s simulated training: ' }),
      h('span', { dataset: { testid: 'gini' }, text: `Gini ${f(x.gini)}` }), ' · ',
      h('span', { dataset: { testid: 'coverage' }, text: `coverage ${(100 * x.coverage).toFixed(1)}% of the catalogue` }), ' · ',
      `${x.impressions.toLocaleString('en-US')} impressions over ${creators} creators`);
  }
}

// Similarity explorer (issue 10): a video's nearest neighbours under the item-item filter,
// and a heatmap of cosine similarity for a sample of videos grouped by category (drawn on a
// canvas; computed by the Worker's `heatmap` request, never on the page's thread).

import { h, fill, clip } from './dom.js';
import { categoryChip, categoryColor, categoryLabel } from './icons.js';

/** Neighbours listed. */
const K = 10;
/** Videos per category in the heatmap sample. */
const PER_CATEGORY = 12;
/** Why a neighbour can show cosine 1.000 (the list's tooltip). */
const IDENTICAL = 'Cosine 1.000: the same users responded to both videos, in the same proportions (often one or two users only), so their columns point the same way.';
/** Heatmap refresh while training and in view. */
const AUTO_MS = 5000;

const $ = (id) => document.getElementById(id);

/** A cosine in [-1, 1] as a colour: white at 0, blue for positive, red for negative. */
function cellColor(v) {
  const a = Math.max(-1, Math.min(1, Number.isFinite(v) ? v : 0));
  const t = Math.sqrt(Math.abs(a));
  const mix = (c) => Math.round(255 + (c - 255) * t);
  return a >= 0 ? `rgb(${mix(29)},${mix(78)},${mix(216)})` : `rgb(${mix(220)},${mix(38)},${mix(38)})`;
}

export class SimilarityExplorer {
  constructor(root, o) {
    this.root = root;
    this.o = o;
    this.n = 0;
    this.busy = false;
    this.visible = false;
    this.input = $('sim-video');
    this.msg = $('sim-msg');
    this.list = $('sim-neighbours');
    this.canvas = $('sim-heatmap');
    this.stats = $('sim-means');
    this.chosen = $('sim-chosen');
    this.note = $('sim-note');
    // The legend's bar: the cells' own colours from -1 to 1.
    const stops = [];
    for (let i = 0; i <= 20; i++) stops.push(`${cellColor(-1 + i / 10)} ${i * 5}%`);
    $('sim-legend-bar').style.background = `linear-gradient(to right, ${stops.join(', ')})`;
    // A refused id's message goes once the field holds a valid id again.
    this.input.addEventListener('input', () => {
      if (this.input.getAttribute('aria-invalid') === 'true' && this.valid(this.input.value)) {
        this.input.removeAttribute('aria-invalid');
        this.msg.textContent = '';
      }
    });
    $('sim-form').addEventListener('submit', (e) => {
      e.preventDefault();
      this.lookUp();
    });
    $('sim-refresh').addEventListener('click', () => this.heatmap());
    new IntersectionObserver((es) => {
      const was = this.visible;
      this.visible = es.some((e) => e.isIntersecting);
      if (this.visible && !was) this.heatmap();
    }).observe(this.canvas);
    setInterval(() => {
      if (this.visible && this.o.running() && !document.hidden) this.heatmap();
    }, AUTO_MS);
  }

  reset(cfg) {
    this.n = cfg ? cfg.world.n_videos : 0;
    this.input.max = String(Math.max(0, this.n - 1));
    this.msg.textContent = '';
    this.input.removeAttribute('aria-invalid');
    this.clearList();
    this.heatmap();
  }

  /** No video chosen: the hint instead of a neighbour list. */
  clearList() {
    this.chosen.replaceChildren();
    delete this.chosen.dataset.video;
    delete this.chosen.dataset.category;
    this.note.hidden = true;
    delete this.list.dataset.video;
    fill(this.list, h('li', { class: 'muted', text: `Type a video id (0 to ${this.n - 1}) to see the videos the filter finds most similar.` }));
  }

  /** Whether `text` is a video id of this world. */
  valid(text) {
    const raw = String(text).trim();
    const v = Number(raw);
    return /^\d+$/.test(raw) && Number.isSafeInteger(v) && v < this.n;
  }

  /** Validates the typed id and asks the Worker for its neighbours. */
  lookUp() {
    const raw = this.input.value.trim();
    const v = Number(raw);
    if (!this.valid(raw)) {
      this.msg.textContent = `video: must be a whole number from 0 to ${this.n - 1} (got ${clip(JSON.stringify(raw), 30)})`;
      this.input.setAttribute('aria-invalid', 'true');
      // The last valid id's neighbours would read as this one's: the list goes with it.
      this.clearList();
      return;
    }
    this.input.removeAttribute('aria-invalid');
    this.msg.textContent = '';
    const gen = this.o.gen();
    this.o.sim.call('neighbours', { video: v, k: K }).then((r) => {
      if (gen !== this.o.gen()) return;
      this.list.dataset.video = String(v);
      this.showChosen(v, r.category, r.neighbours);
      if (!r.neighbours.length) {
        fill(this.list, h('li', { class: 'muted', text: `No video shares a user with #${v} yet: train to add interactions.` }));
        return;
      }
      fill(this.list, r.neighbours.map((nb) => h('li', {
        dataset: { video: String(nb.video), cosine: String(nb.cosine) },
        title: nb.cosine >= 0.9995 ? IDENTICAL : null,
      },
      h('span', { class: 'sim-id', text: `#${nb.video}` }), categoryChip(nb.category),
      h('span', { class: 'sim-bar', style: { width: `${Math.max(2, 60 * Math.max(0, nb.cosine)).toFixed(0)}px` } }),
      h('span', { class: 'c-num', text: nb.cosine.toFixed(3) }))));
    }).catch((e) => { this.msg.textContent = clip(e.message, 200); });
  }

  /** The chosen video with its category, and what a cosine of 1.000 means. */
  showChosen(v, category, neighbours) {
    const ones = neighbours.filter((nb) => nb.cosine >= 0.9995).length;
    this.chosen.dataset.video = String(v);
    this.chosen.dataset.category = category || '';
    fill(this.chosen,
      h('span', { class: 'sim-id', text: `#${v}` }),
      category ? categoryChip(category) : h('span', { class: 'muted', text: '(category not known yet: no video shares a user with it)' }),
      h('span', { class: 'muted', text: ' compared with every other video:' }));
    this.note.hidden = false;
    fill(this.note, `Cosine compares two videos' columns of user responses. A video's cosine with itself is always 1.000 (the heatmap's diagonal), and ${
      ones ? `${ones === 1 ? 'a neighbour shows' : `${ones} neighbours show`} 1.000 because exactly the same users responded to both, in the same proportions` : 'a neighbour shows 1.000 when exactly the same users responded to both, in the same proportions'
    }: common while a video has been seen by only one or two users.`);
  }

  /** Asks the Worker for the heatmap and draws it. */
  heatmap() {
    if (this.busy) return;
    this.busy = true;
    const gen = this.o.gen();
    this.o.sim.call('heatmap', { perCategory: PER_CATEGORY }).then((r) => {
      if (gen === this.o.gen()) this.draw(r.heatmap);
    }).catch((e) => { this.stats.textContent = clip(e.message, 200); })
      .finally(() => { this.busy = false; });
  }

  draw(hm) {
    const c = this.canvas;
    const n = hm.videos.length;
    const label = 64;
    const size = 320;
    const right = 40; // room for the last rotated label
    const dpr = window.devicePixelRatio || 1;
    c.width = Math.round((size + label + right) * dpr);
    c.height = Math.round((size + label) * dpr);
    const g = c.getContext('2d');
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.fillStyle = '#fff';
    g.fillRect(0, 0, size + label + right, size + label);
    c.dataset.videos = String(n);
    if (!n) {
      g.fillStyle = '#555';
      g.font = '13px system-ui, sans-serif';
      g.fillText('No video has interactions yet.', 10, 30);
      this.stats.textContent = '';
      return;
    }
    const cell = size / n;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        g.fillStyle = cellColor(hm.values[i][j]);
        g.fillRect(label + j * cell, label + i * cell, Math.ceil(cell), Math.ceil(cell));
      }
    }
    g.strokeStyle = '#111';
    g.lineWidth = 1;
    g.font = '10px system-ui, sans-serif';
    for (const b of hm.blocks) {
      if (!b.len) continue;
      const p = label + b.start * cell;
      const len = b.len * cell;
      g.strokeRect(p, p, len, len);
      g.fillStyle = categoryColor(b.category);
      g.fillRect(label - 8, p, 6, len);
      g.fillRect(p, label - 8, len, 6);
      g.fillStyle = '#333';
      g.textAlign = 'right';
      g.textBaseline = 'middle';
      // The whole name, narrowed to the margin if need be ("Educational" is not "Education").
      g.fillText(categoryLabel(b.category), label - 11, p + len / 2, label - 13);
      g.save();
      g.translate(p + len / 2, label - 11);
      g.rotate(-Math.PI / 4);
      g.textAlign = 'left';
      g.fillText(categoryLabel(b.category), 0, 0, label);
      g.restore();
    }
    const within = hm.mean_within, between = hm.mean_between;
    c.dataset.meanWithin = String(within);
    c.dataset.meanBetween = String(between);
    // No "-0.000": a mean that rounds to zero reads 0.000.
    const f = (v) => (Number.isFinite(v) ? (Math.abs(v) < 0.0005 ? 0 : v).toFixed(3) : '–');
    const verdict = within > between * 1.5 + 0.01
      ? 'the filter has found category structure (bright blocks on the diagonal)'
      : 'no clear category structure: a video is about as similar to other categories\u2019 videos as to its own';
    this.stats.textContent = `${n} videos (up to ${PER_CATEGORY} per category with interactions). Mean cosine within a category ${f(within)}, between categories ${f(between)}: ${verdict}.`;
  }
}

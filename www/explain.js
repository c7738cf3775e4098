// "Explain every recommendation" (issue 10): the panels of the #explain section below the
// working area. Why this video (the card's business score as its three terms, the history
// videos its similarity comes from, every candidate's Q-value, the one-line reason) and the
// state inspector follow the card; the similarity explorer, creator exposure and the agent
// file controls live in www/similarity.js, www/exposure.js and www/agentfile.js. Everything
// heavy is computed by the Worker (www/protocol.js lists the requests); DOM built with
// www/dom.js only.

import { h, fill, patch, clip, steadyHeight, releaseHeight } from './dom.js';
import { categoryChip } from './icons.js';
import { SimilarityExplorer } from './similarity.js';
import { ExposurePanel } from './exposure.js';
import { AgentFilePanel } from './agentfile.js';

const f3 = (v) => (Number.isFinite(v) ? v.toFixed(3) : '–');
const cap = (s) => (s ? s[0].toUpperCase() + s.slice(1) : '');
const ACTION_PAST = { watched: 'watched', skipped: 'skipped', liked: 'liked', session_end: 'left the app on' };
/** Least time between two state-inspector requests while the card changes fast. */
const INSPECT_MS = 1000;

const $ = (id) => document.getElementById(id);

/** The explanation panels; app.js calls the hooks `showWhy`, `forCard`, `reset`. */
export class Explain {
  /**
   * @param {{sim: object, gen: () => number, running: () => boolean, onImported: (r: object) => void,
   *          importing: (on: boolean) => void, episodes: () => number, messages: object}} o
   */
  constructor(o) {
    this.o = o;
    this.why = $('why-panel');
    steadyHeight(this.why);
    this.inspector = $('state-inspector');
    this.inspectBusy = false;
    this.inspectAgain = false;
    this.lastInspect = 0;
    this.cfg = null;
    this.similarity = new SimilarityExplorer($('similarity-explorer'), o);
    this.exposure = new ExposurePanel($('lorenz-chart'), o);
    this.files = new AgentFilePanel($('agent-file'), o);
    $('inspect-refresh').addEventListener('click', () => this.inspect(true));
    // Ticks and step replies carry the newest step's explanation from now on.
    o.sim.call('explainLive', { on: true }).catch(() => {});
    // A handle for debugging and the end-to-end tests: Worker queries by name.
    window.instatok = Object.freeze({ call: (type, fields) => o.sim.call(type, fields || {}) });
  }

  /** A new world (build, reset, an imported file that rebuilt it). */
  reset(cfg) {
    this.cfg = cfg;
    this.waiting(false);
    this.similarity.reset(cfg);
    this.exposure.reset(cfg);
    this.files.reset(cfg);
  }

  /**
   * No card of this mode on screen yet (a new world, or the reader's feed before its session
   * starts): the why panel and the state inspector say what will appear, instead of keeping
   * the other mode's last card.
   */
  waiting(reader) {
    // The reader's feed has no decision to inspect before its first card (an inspection asked
    // for by the pause that left "Watch the agent" is dropped when it arrives).
    this.inspectWhat = reader ? 'none' : 'next';
    releaseHeight(this.why);
    fill(this.why, h('p', { class: 'muted', dataset: { testid: 'why-waiting' }, text: reader
      ? 'Start a session: each card of your feed is explained here, as it comes.'
      : 'Step, train or start a session as the user: the card on screen is explained here.' }));
    delete this.why.dataset.video;
    delete this.inspector.dataset.inputWidth;
    fill($('state-inspector-body'), h('p', { class: 'muted', text: reader
      ? 'Start a session: the input the network receives for your card appears here.'
      : 'The network\u2019s input for the card on screen appears here.' }));
  }

  /** Watch mode: the card shows `ev`; `why` is Playground.whyLast() for that step (or absent). */
  showWhy(why, ev) {
    if (!why) return;
    this.render(why, ev.user && ev.user.id);
    this.inspectWhat = 'next';
    if (!this.o.running()) this.inspect();
    else this.markTraining();
  }

  /**
   * While training runs the inspector does not follow the card (one decision's input, dozens
   * of decisions a frame): says so once, above the last snapshot or instead of the
   * placeholder, rather than leaving either to look current.
   */
  markTraining() {
    const body = $('state-inspector-body');
    if (body.querySelector('[data-testid="inspector-live"]')) return;
    const note = h('p', { class: 'ins-live', dataset: { testid: 'inspector-live' },
      text: 'Training is running: this panel shows the input of one decision, so it waits for a pause or a Step. Refresh takes a snapshot now.' });
    if (body.querySelector('table')) body.prepend(note);
    else fill(body, note);
  }

  /**
   * Reader mode: the card on screen is `card` (pending); asks the Worker for why(slot).
   * Resolves with that explanation (null if it failed or the world changed), for the
   * candidate table's mean ± sd.
   */
  forCard(card) {
    const gen = this.o.gen();
    const p = this.o.sim.call('why', { slot: card.slot, reader: true }).then((r) => {
      if (gen !== this.o.gen()) return null;
      this.render(r.why, 'you');
      return r.why;
    }).catch((e) => {
      this.error(e);
      return null;
    });
    this.inspectWhat = 'card';
    this.inspect(true);
    return p;
  }

  /** Asks for the explanation of the last training step again (after an import). */
  refreshLast() {
    const gen = this.o.gen();
    this.o.sim.call('why', {}).then((r) => {
      if (gen === this.o.gen() && r.why) this.render(r.why, this.why.dataset.user);
    }).catch(() => {});
    this.inspect(true);
  }

  error(e) {
    fill(this.why, h('p', { class: 'field-msg', text: clip(e && e.message ? e.message : e, 200) }));
  }

  render(w, user) {
    if (w.error) return this.error(w.error);
    const t = w.terms;
    const cfg = this.cfg && this.cfg.cf;
    const wt = (k) => (cfg ? f3(cfg[k]) : k);
    const term = (name, formula, value, max) => h('tr', { dataset: { term: name, value: String(value) } },
      h('th', { attrs: { scope: 'row' }, text: name }),
      h('td', { class: 'why-formula', text: formula }),
      h('td', { class: 'c-num', text: f3(value) }),
      h('td', { class: 'why-bar-cell' }, h('span', { class: `why-bar why-bar-${name}`, style: { width: `${(100 * Math.abs(value) / max).toFixed(1)}%` } })));
    const max = Math.max(Math.abs(t.similarity), Math.abs(t.popularity), Math.abs(t.interest), 1e-9);
    const sum = t.similarity + t.popularity + t.interest;
    const terms = h('table', { class: 'why-terms', dataset: { testid: 'why-terms' } },
      h('caption', { text: 'Business score = w1 × similarity + w2 × 0.1 × views + w3 × interest (views when the list was ranked; the card counts this view too)' }),
      h('tbody', null,
        term('similarity', `${wt('w1')} × ${f3(w.cf_score)}`, t.similarity, max),
        term('popularity', `${wt('w2')} × 0.1 × ${w.views}`, t.popularity, max),
        term('interest', `${wt('w3')} × ${w.interest ? 1 : 0}`, t.interest, max),
        h('tr', { class: 'why-sum' }, h('th', { attrs: { scope: 'row' }, text: 'sum' }), h('td', { text: 'the score shown' }),
          h('td', { class: 'c-num', dataset: { testid: 'why-total' }, text: f3(sum) }), h('td'))));

    const sim = w.similar || { top: [], contributing: 0, total: 0 };
    const similar = sim.top.length
      ? h('ol', { class: 'why-similar', dataset: { testid: 'similar-history', total: String(sim.total), cfScore: String(w.cf_score) } }, sim.top.map((c) => h('li', { dataset: { video: String(c.video) } },
        `similar to #${c.video}, ${/^[aeiou]/i.test(c.category) ? 'an' : 'a'} ${cap(c.category)} video they ${ACTION_PAST[c.action] || 'interacted with'}`,
        h('span', { class: 'muted', text: ` (cosine ${f3(c.cosine)} × score ${f3(c.score)} = ${f3(c.contribution)})` }))))
      : h('p', { class: 'muted', dataset: { testid: 'similar-history' }, text: 'No video of the user\u2019s history is similar to it (a cold start, or ranked on popularity and interest alone).' });

    // The listed videos are the largest contributions; the others (some negative) make up the
    // rest of the similarity score.
    const listed = sim.top.reduce((a, c) => a + c.contribution, 0);
    const rest = sim.contributing > sim.top.length
      ? `; the ${sim.top.length} largest listed, the other ${sim.contributing - sim.top.length} add ${f3(sim.total - listed)}`
      : '';
    const qs = w.q_values || [];
    const chosen = Number.isInteger(w.chosen_slot) ? w.chosen_slot : w.slot;
    const bandit = w.agent === 'bandit' && Array.isArray(w.estimates);
    const qItems = qs.map((q, i) => {
      const e = bandit ? w.estimates[i] : null;
      return h('li', { class: `${i === chosen ? 'chosen' : ''}${i === w.greedy_slot ? ' best' : ''}`.trim() || null, dataset: { slot: String(i) } },
        h('span', { class: 'q-slot', text: `#${i + 1}` }),
        h('span', { class: 'q-num', text: e ? `${f3(e.mean)} ± ${f3(e.sd)}` : f3(q) }),
        i === chosen ? h('span', { class: 'q-tag', text: 'shown' }) : null,
        i === w.greedy_slot ? h('span', { class: 'q-tag q-tag-best', text: bandit ? 'best estimate' : 'highest Q' }) : null);
    });
    const qList = h('ol', { class: 'q-list', dataset: { testid: 'q-values', q: JSON.stringify(qs), chosen: String(chosen) } }, qItems);
    // How the agent chose, first: the business score below only ranks the list it chose from.
    const vals = qs.map((q, i) => (bandit && w.estimates[i] ? w.estimates[i].mean : q)).filter(Number.isFinite).sort((a, b) => b - a);
    const who = bandit ? 'the bandit' : 'the agent';
    const best = bandit ? 'best estimated reward' : 'highest Q-value (its estimate of the return from here on)';
    // Two values within rounding read "0.000 ahead": say that they tie instead.
    const gap = vals.length > 1 ? vals[0] - vals[1] : NaN;
    const ahead = !Number.isFinite(gap) ? '' : gap < 0.0005 ? ', level with the next to three decimals' : `, ${f3(gap)} ahead of the next`;
    const how = w.explored
      ? (bandit
        ? (this.o.rule && this.o.rule() === 'Thompson sampling'
          ? `Explored: the bandit showed slot ${chosen + 1}, not its best estimate (slot ${w.greedy_slot + 1}): one random draw from its estimates (Thompson sampling; no ε) ranked slot ${chosen + 1} first.`
          : `Explored: the bandit showed slot ${chosen + 1}, not its best estimate (slot ${w.greedy_slot + 1}): its rule${this.o.rule ? `, ${this.o.rule()},` : ''} ranked it first, as its estimate is less certain (no ε).`)
        : `Explored: the agent showed slot ${chosen + 1} at random (it explores with probability ε), not the highest Q-value (slot ${w.greedy_slot + 1}).`)
      : `Exploited: ${who} showed slot ${chosen + 1}, the ${best} of the ${qs.length} candidates${ahead}. The business score below only ranked the list.`;

    this.why.dataset.video = String(w.video);
    this.why.dataset.slot = String(w.slot);
    this.why.dataset.score = String(w.business);
    this.why.dataset.user = user === undefined || user === null ? '' : String(user);
    patch(this.why,
      h('p', { class: 'why-head' }, categoryChip(w.category), ` Video #${w.video}, slot ${w.slot + 1}, score ${f3(w.business)}`),
      h('p', { class: 'why-explore', dataset: { testid: 'why-explore', explored: String(!!w.explored) }, text: how }),
      // The one-line reason is the business score's (or exploration's, when it explored).
      h('p', { class: 'why-reason', dataset: { testid: 'why-reason' }, text: w.explored ? w.reason : `Why the filter listed it: ${w.reason}` }),
      terms,
      h('h3', { dataset: { testid: 'similar-heading' }, text: `From the user\u2019s history (${sim.contributing} video${sim.contributing === 1 ? ' contributes' : 's contribute'}${rest})` }),
      similar,
      h('h3', { text: bandit ? 'Every candidate\u2019s estimated reward (mean ± sd)' : 'Every candidate\u2019s Q-value' }),
      qList);
  }

  /** The state inspector for the session's current decision (throttled; `now` skips the wait). */
  inspect(now = false) {
    if (this.inspectWhat === 'none') return;
    if (this.inspectBusy) {
      this.inspectAgain = true;
      return;
    }
    const wait = this.lastInspect + INSPECT_MS - performance.now();
    if (!now && wait > 0) {
      if (!this.inspectTimer) this.inspectTimer = setTimeout(() => { this.inspectTimer = 0; this.inspect(true); }, wait);
      return;
    }
    this.inspectBusy = true;
    this.lastInspect = performance.now();
    const gen = this.o.gen();
    this.o.sim.call('inspect', { reader: this.inspectWhat === 'card' }).then((r) => {
      if (gen === this.o.gen() && this.inspectWhat !== 'none') this.renderInspection(r.inspection);
    }).catch((e) => {
      if (gen !== this.o.gen() || this.inspectWhat === 'none') return;
      const body = $('state-inspector-body');
      delete this.inspector.dataset.inputWidth;
      let text = clip(e && e.message ? e.message : e, 300);
      if (text.startsWith('no session in progress')) text = 'The session ended with the card on screen: there is no next decision until the next step.';
      fill(body, h('p', { class: 'muted', dataset: { testid: 'inspector-note' }, text }));
    }).finally(() => {
      this.inspectBusy = false;
      if (this.inspectAgain) {
        this.inspectAgain = false;
        this.inspect();
      }
    });
  }

  renderInspection(ins) {
    this.inspector.dataset.inputWidth = String(ins.input_width);
    this.inspector.dataset.rows = String(ins.rows.length);
    const rows = ins.rows.map((row, r) => {
      const title = row.slot === null || row.slot === undefined ? 'State row (one for all slots)' : `Row for candidate slot ${row.slot + 1}`;
      const q = row.slot !== null && row.slot !== undefined ? ins.q_values[row.slot] : null;
      return h('details', { class: 'ins-row', open: r === 0, dataset: { row: String(r), entries: String(row.entries.length) } },
        h('summary', { text: `${title}: ${row.entries.length} inputs${Number.isFinite(q) ? `, Q = ${f3(q)}` : ''}` }),
        h('table', { class: 'ins-table' },
          h('thead', null, h('tr', null, ['#', 'input', 'value', 'raw / id'].map((x) => h('th', { attrs: { scope: 'col' }, text: x })))),
          h('tbody', null, row.entries.map((e) => h('tr', { class: `ins-${e.kind}` },
            h('td', { class: 'c-num', text: e.index }),
            h('td', { class: 'ins-label', text: e.label }),
            h('td', { class: 'c-num', text: f3(e.value) }),
            h('td', { text: e.kind === 'embedding' ? `id ${e.id} = ${e.name}` : Number.isFinite(e.raw) ? `raw ${Number.isInteger(e.raw) || Math.abs(e.raw) >= 100 ? Math.round(e.raw) : f3(e.raw)}` : '' }))))));
    });
    const snapshot = this.inspectWhat !== 'card' && this.o.running();
    fill($('state-inspector-body'),
      snapshot ? h('p', { class: 'ins-live', dataset: { testid: 'inspector-live' },
        text: `A snapshot at episode ${this.o.episodes().toLocaleString('en-US')}, taken while training runs: it does not follow the card. Pause, Step or Refresh to update it.` }) : null,
      h('p', { class: 'ins-what', text: this.inspectWhat === 'card'
        ? 'The input the network receives for the card on screen (your pending video).'
        : 'Watching the agent: the input for its next decision (the user\u2019s state after the card on screen, with the next candidate list).' }),
      h('p', { class: 'muted', text: `${String(ins.architecture).replace('_', ' ')} network, ${ins.input_width} inputs per row, ${ins.rows.length} row${ins.rows.length === 1 ? '' : 's'}. Scaled numbers show their raw value; embedding entries show the id looked up and its name.` }),
      rows);
  }
}

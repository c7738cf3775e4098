// The teaching panel next to the feed: the candidate list the collaborative filter proposed,
// each candidate's business score and the agent's Q-value, with the slot it showed highlighted.

import { categoryChip } from './icons.js';
import { h, fill } from './dom.js';

const f2 = (v) => (Number.isFinite(v) ? v.toFixed(2) : '–');

export class CandidatePanel {
  /** @param {HTMLElement} table  container of the table  @param {HTMLElement} note  line under it */
  constructor(table, note) {
    this.table = table;
    this.note = note;
    this.empty('Press ', h('b', { text: 'Train' }), ' or swipe the feed: the candidates of each step appear here.');
  }

  /** An empty panel with a short explanation (strings and nodes). */
  empty(...parts) {
    fill(this.table, h('p', { class: 'cand-empty' }, ...parts));
    this.note.textContent = '';
    this.table.dataset.signature = '';
  }

  /**
   * @param {{candidates: object[], slot: number, epsilon: number}} step
   * @param {{seesCandidates: boolean}} opts  whether the network's input includes the candidates
   */
  render(step, opts) {
    const cands = step.candidates || [];
    if (!cands.length) return this.empty('No candidates.');
    const qs = cands.map((c) => c.q).filter(Number.isFinite);
    const qmin = Math.min(...qs), qmax = Math.max(...qs);
    let best = -1;
    cands.forEach((c, i) => { if (Number.isFinite(c.q) && (best < 0 || c.q > cands[best].q)) best = i; });
    const span = qmax - qmin || 1;
    const rows = cands.map((c, i) => {
      const chosen = i === step.slot;
      const w = Number.isFinite(c.q) ? 8 + (92 * (c.q - qmin)) / span : 0;
      return h('tr', { class: `${chosen ? 'chosen' : ''}${i === best ? ' best' : ''}`.trim() || null },
        h('td', { class: 'c-slot', title: chosen ? 'Shown to the user' : null, text: i + 1 }),
        h('td', { class: 'c-video', title: `video #${c.video_id}` }, categoryChip(c.category)),
        h('td', { class: 'c-num c-sim', text: f2(c.similarity) }),
        h('td', { class: 'c-num c-views', text: Number.isFinite(c.views) ? Math.round(c.views) : '–' }),
        h('td', { class: 'c-int', title: c.interest ? 'In the user\u2019s interests' : null, text: c.interest ? '★' : '' }),
        h('td', { class: 'c-num c-score', text: f2(c.score) }),
        h('td', { class: 'c-q', title: i === best ? 'Highest Q-value' : null },
          h('span', { class: 'qbar', style: { width: `${w.toFixed(1)}%` } }),
          h('span', { class: 'qval', text: f2(c.q) })));
    });
    const th = (cls, title, text) => h('th', { attrs: { scope: 'col' }, class: cls, title, text });
    fill(this.table,
      h('table', null,
        h('caption', { class: 'visually-hidden', text: 'Candidates for this step, ranked by business score' }),
        h('thead', null, h('tr', null,
          th('c-slot', 'Slot (action index)', '#'),
          th(null, null, 'Video'),
          th('c-num c-sim', 'Collaborative-filter similarity score', 'sim'),
          th('c-num c-views', 'Views', 'views'),
          th('c-int', "In the user's interests", '★'),
          th('c-num', 'Business score w1·sim + w2·views/10 + w3·interest', 'score'),
          th('c-q', "Q-value: the agent's estimate of the return after showing this slot", 'Q'))),
        h('tbody', null, rows)),
      h('p', { class: 'cand-legend' }, h('span', { class: 'key key-shown' }), 'shown to the user ',
        h('span', { class: 'key key-best' }), 'highest Q-value'));
    this.table.dataset.signature = cands.map((c) => `${c.video_id}:${f2(c.q)}`).join(',');

    const eps = Number.isFinite(step.epsilon) ? step.epsilon.toFixed(2) : '?';
    // The agent's own flag (`explored`) says whether this pick was exploration: never
    // inferred from the Q-values (a random pick can land on the top-Q slot).
    let text;
    if (opts.diverged) {
      text = `Shown: slot ${step.slot + 1}. Training diverged: these Q-values no longer mean anything (see the message above).`;
    } else if (step.explored === true) {
      text = `Shown: slot ${step.slot + 1}, a random pick (explore, probability ε = ${eps})` +
        (step.slot === best ? '; it happens to be the highest-Q slot too.' : best >= 0 ? `; the highest Q was slot ${best + 1}.` : '.');
    } else if (step.explored === false) {
      text = qmax - qmin < 1e-9
        ? `Shown: slot ${step.slot + 1}, the agent's own choice (exploit; ε = ${eps}); all Q-values are still equal, so it took one of the tied slots.`
        : `Shown: slot ${step.slot + 1}, the agent's own choice (exploit: its best estimate; ε = ${eps}).`;
    } else {
      text = `Shown: slot ${step.slot + 1} (ε = ${eps}).`;
    }
    this.note.dataset.explored = String(step.explored);
    if (!opts.seesCandidates) {
      text += ' Seed preset: the network never sees these candidates\u2019 features, so its Q-values can only learn which slot position tends to pay off.';
    }
    this.note.textContent = text;
  }
}

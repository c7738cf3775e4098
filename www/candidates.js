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
   * @param {{candidates: object[], slot: number, epsilon: number, estimates?: {mean: number, sd: number}[]}} step
   *   `estimates`: the bandit's mean and sd per slot, when known (the reader's feed)
   * @param {{seesCandidates: boolean, agent?: string, rule?: string}} opts  whether the
   *   network's input includes the candidates; `agent` 'bandit' for the reader's feed (its
   *   values are estimates of the immediate reward, it explores by `rule`, not ε)
   */
  render(step, opts) {
    const cands = step.candidates || [];
    if (!cands.length) return this.empty('No candidates.');
    if (opts.agent === 'bandit') return this.renderBandit(step, opts);
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

  /**
   * The reader's feed: a bandit's estimates (posterior mean ± sd of the immediate reward)
   * instead of Q-values, and its own exploration rule instead of ε.
   */
  renderBandit(step, opts) {
    const cands = step.candidates;
    const est = Array.isArray(step.estimates) && step.estimates.length === cands.length ? step.estimates : null;
    const mean = (i) => (est ? est[i].mean : cands[i].q);
    const ms = cands.map((_, i) => mean(i)).filter(Number.isFinite);
    const lo = Math.min(...ms), hi = Math.max(...ms);
    const span = hi - lo || 1;
    let best = -1;
    cands.forEach((_, i) => { if (Number.isFinite(mean(i)) && (best < 0 || mean(i) > mean(best))) best = i; });
    const rows = cands.map((c, i) => {
      const chosen = i === step.slot;
      const m = mean(i);
      const w = Number.isFinite(m) ? 8 + (92 * (m - lo)) / span : 0;
      const text = est ? `${f2(est[i].mean)} ± ${f2(est[i].sd)}` : f2(m);
      return h('tr', { class: `${chosen ? 'chosen' : ''}${i === best ? ' best' : ''}`.trim() || null },
        h('td', { class: 'c-slot', title: chosen ? 'Shown to you' : null, text: i + 1 }),
        h('td', { class: 'c-video', title: `video #${c.video_id}` }, categoryChip(c.category)),
        h('td', { class: 'c-num c-sim', text: f2(c.similarity) }),
        h('td', { class: 'c-num c-views', text: Number.isFinite(c.views) ? Math.round(c.views) : '–' }),
        h('td', { class: 'c-int', title: c.interest ? 'In your interests' : null, text: c.interest ? '★' : '' }),
        h('td', { class: 'c-num c-score', text: f2(c.score) }),
        h('td', { class: 'c-q c-est', title: i === best ? 'Best estimate' : null },
          h('span', { class: 'qbar', style: { width: `${w.toFixed(1)}%` } }),
          h('span', { class: 'qval', text })));
    });
    const th = (cls, title, text) => h('th', { attrs: { scope: 'col' }, class: cls, title, text });
    fill(this.table,
      h('table', { dataset: { agent: 'bandit' } },
        h('caption', { class: 'visually-hidden', text: 'Candidates for this card, ranked by business score' }),
        h('thead', null, h('tr', null,
          th('c-slot', 'Slot (action index)', '#'),
          th(null, null, 'Video'),
          th('c-num c-sim', 'Collaborative-filter similarity score', 'sim'),
          th('c-num c-views', 'Views', 'views'),
          th('c-int', 'In your interests', '★'),
          th('c-num', 'Business score w1·sim + w2·views/10 + w3·interest', 'score'),
          th('c-q', "The bandit's estimate of your immediate reward for this video: posterior mean ± sd", 'estimate'))),
        h('tbody', null, rows)),
      h('p', { class: 'cand-legend' }, h('span', { class: 'key key-shown' }), 'shown to you ',
        h('span', { class: 'key key-best' }), 'best estimate'));
    this.table.dataset.signature = cands.map((c, i) => `${c.video_id}:${f2(mean(i))}`).join(',');

    const rule = opts.rule || 'Thompson sampling';
    let text;
    if (step.explored === true) {
      text = `Shown: slot ${step.slot + 1}, picked by ${rule}` +
        (rule === 'Thompson sampling' ? ' (one random draw from the estimates ranked it first)' : '') +
        `: exploration, the best estimate was slot ${best + 1}.`;
    } else if (step.explored === false) {
      text = `Shown: slot ${step.slot + 1}, the best estimate (exploit: ${rule} agreed with the mean).`;
    } else {
      text = `Shown: slot ${step.slot + 1} (${rule}).`;
    }
    this.note.dataset.explored = String(step.explored);
    this.note.textContent = text;
  }
}

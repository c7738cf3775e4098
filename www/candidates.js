// The teaching panel next to the feed: the candidate list the collaborative filter proposed,
// each candidate's business score and the agent's Q-value, with the slot it showed highlighted.

import { categoryChip } from './icons.js';
import { h, fill, patch, steadyHeight, releaseHeight } from './dom.js';

const f2 = (v) => (Number.isFinite(v) ? v.toFixed(2) : '–');

export class CandidatePanel {
  /** @param {HTMLElement} table  container of the table  @param {HTMLElement} note  line under it */
  constructor(table, note) {
    this.table = table;
    this.note = note;
    steadyHeight(table);
    steadyHeight(note);
    this.empty('Press ', h('b', { text: 'Train' }), ' or swipe the feed: the candidates of each step appear here.');
  }

  /** An empty panel with a short explanation (strings and nodes). */
  empty(...parts) {
    fill(this.table, h('p', { class: 'cand-empty' }, ...parts));
    this.note.textContent = '';
    releaseHeight(this.table);
    releaseHeight(this.note);
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
    const { best, lo: qmin, hi: qmax } = this.fillTable(step, {
      value: (i) => cands[i].q,
      text: (i) => f2(cands[i].q),
      caption: 'Candidates for this step, ranked by business score',
      shown: ['Shown to the user', 'shown to the user '],
      interest: 'In the user\u2019s interests',
      last: ['c-q', "Q-value: the agent's estimate of the return after showing this slot", 'Q'],
      best: ['Highest Q-value', 'highest Q-value'],
    });

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
   * The candidate table shared by the DQN's and the bandit's views: one row per candidate
   * (slot, video, similarity, views, interest, business score, and the agent's value as a
   * bar), the shown slot and the best value marked. Returns the best slot and the values'
   * range.
   */
  fillTable(step, o) {
    const cands = step.candidates;
    const vs = cands.map((_, i) => o.value(i)).filter(Number.isFinite);
    const lo = Math.min(...vs), hi = Math.max(...vs);
    const span = hi - lo || 1;
    let best = -1;
    cands.forEach((_, i) => { if (Number.isFinite(o.value(i)) && (best < 0 || o.value(i) > o.value(best))) best = i; });
    const rows = cands.map((c, i) => {
      const chosen = i === step.slot;
      const v = o.value(i);
      const w = Number.isFinite(v) ? 8 + (92 * (v - lo)) / span : 0;
      return h('tr', { class: `${chosen ? 'chosen' : ''}${i === best ? ' best' : ''}`.trim() || null },
        h('td', { class: 'c-slot', title: chosen ? o.shown[0] : null, text: i + 1 }),
        h('td', { class: 'c-video', title: `video #${c.video_id}` }, categoryChip(c.category),
          h('span', { class: 'c-id', text: ` #${c.video_id}` })),
        h('td', { class: 'c-num c-sim', text: f2(c.similarity) }),
        h('td', { class: 'c-num c-views', text: Number.isFinite(c.views) ? Math.round(c.views) : '–' }),
        h('td', { class: 'c-int', title: c.interest ? o.interest : null, text: c.interest ? '★' : '' }),
        h('td', { class: 'c-num c-score', text: f2(c.score) }),
        h('td', { class: o.valueClass || 'c-q', title: i === best ? o.best[0] : null },
          h('span', { class: 'qbar', style: { width: `${w.toFixed(1)}%` } }),
          h('span', { class: 'qval', text: o.text(i) })));
    });
    const th = (cls, title, text) => h('th', { attrs: { scope: 'col' }, class: cls, title, text });
    patch(this.table,
      h('table', o.tableData ? { dataset: o.tableData } : null,
        h('caption', { class: 'visually-hidden', text: o.caption }),
        h('thead', null, h('tr', null,
          th('c-slot', 'Slot (action index)', '#'),
          th(null, null, 'Video'),
          th('c-num c-sim', 'Collaborative-filter similarity score', 'sim'),
          th('c-num c-views', 'Views', 'views'),
          th('c-int', o.interest, '★'),
          th('c-num', 'Business score w1·sim + w2·views/10 + w3·interest', 'score'),
          th(...o.last))),
        h('tbody', null, rows)),
      h('p', { class: 'cand-legend' }, h('span', { class: 'key key-shown' }), o.shown[1],
        h('span', { class: 'key key-best' }), o.best[1]),
      h('p', { class: 'cand-legend cand-columns muted', dataset: { testid: 'cand-columns' } },
        // The sim column is hidden on a phone, and so is its definition.
        h('span', { class: 'c-sim', text: 'sim: the filter’s similarity score, summed over the user’s history (cosine × that video’s response score), so not a 0–1 cosine; ' }),
        `${o.starNote || '★: in one of the user’s two interests.'} The bar behind each value in the last column runs from the list’s lowest (shortest) to its highest (longest).`));
    this.table.dataset.signature = cands.map((c, i) => `${c.video_id}:${f2(o.value(i))}`).join(',');
    return { best, lo, hi };
  }

  /**
   * The reader's feed: a bandit's estimates (posterior mean ± sd of the immediate reward)
   * instead of Q-values, and its own exploration rule instead of ε.
   */
  renderBandit(step, opts) {
    const cands = step.candidates;
    const est = Array.isArray(step.estimates) && step.estimates.length === cands.length ? step.estimates : null;
    const { best } = this.fillTable(step, {
      value: (i) => (est ? est[i].mean : cands[i].q),
      text: (i) => (est ? `${f2(est[i].mean)} ± ${f2(est[i].sd)}` : f2(cands[i].q)),
      caption: 'Candidates for this card, ranked by business score',
      shown: ['Shown to you', 'shown to you '],
      interest: 'In your interests',
      starNote: '★: one of the two categories the feed treats as your interests (bold under “What it thinks you like”), which need not be the ones you declared.',
      last: ['c-q', "The bandit's estimate of your immediate reward for this video: posterior mean ± sd", 'estimate'],
      best: ['Best estimate', 'best estimate'],
      valueClass: 'c-q c-est',
      tableData: { agent: 'bandit' },
    });

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

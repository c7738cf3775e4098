// The teaching panel next to the feed: the candidate list the collaborative filter proposed,
// each candidate's business score and the agent's Q-value, with the slot it showed highlighted.

import { categoryChip } from './icons.js';

const f2 = (v) => (Number.isFinite(v) ? v.toFixed(2) : '–');
const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' }[c]));

export class CandidatePanel {
  /** @param {HTMLElement} table  container of the table  @param {HTMLElement} note  line under it */
  constructor(table, note) {
    this.table = table;
    this.note = note;
    this.empty('Press <b>Train</b> or swipe the feed: the candidates of each step appear here.');
  }

  empty(html) {
    this.table.innerHTML = `<p class="cand-empty">${html}</p>`;
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
      return `<tr class="${chosen ? 'chosen' : ''}${i === best ? ' best' : ''}">
        <td class="c-slot"${chosen ? ' title="Shown to the user"' : ''}>${i + 1}</td>
        <td class="c-video" title="video #${esc(c.video_id)}">${categoryChip(c.category)}</td>
        <td class="c-num c-sim">${f2(c.similarity)}</td>
        <td class="c-num c-views">${Number.isFinite(c.views) ? Math.round(c.views) : '–'}</td>
        <td class="c-int" title="${c.interest ? 'In the user\u2019s interests' : ''}">${c.interest ? '★' : ''}</td>
        <td class="c-num c-score">${f2(c.score)}</td>
        <td class="c-q"${i === best ? ' title="Highest Q-value"' : ''}><span class="qbar" style="width:${w.toFixed(1)}%"></span><span class="qval">${f2(c.q)}</span></td>
      </tr>`;
    });
    this.table.innerHTML = `<table>
      <caption class="visually-hidden">Candidates for this step, ranked by business score</caption>
      <thead><tr>
        <th scope="col" class="c-slot" title="Slot (action index)">#</th>
        <th scope="col">Video</th>
        <th scope="col" class="c-num c-sim" title="Collaborative-filter similarity score">sim</th>
        <th scope="col" class="c-num c-views" title="Views">views</th>
        <th scope="col" class="c-int" title="In the user's interests">★</th>
        <th scope="col" class="c-num" title="Business score w1·sim + w2·views/10 + w3·interest">score</th>
        <th scope="col" class="c-q" title="Q-value: the agent's estimate of the return after showing this slot">Q</th>
      </tr></thead>
      <tbody>${rows.join('')}</tbody></table>`;
    this.table.insertAdjacentHTML('beforeend', '<p class="cand-legend"><span class="key key-shown"></span>shown to the user <span class="key key-best"></span>highest Q-value</p>');
    this.table.dataset.signature = cands.map((c) => `${c.video_id}:${f2(c.q)}`).join(',');

    const eps = Number.isFinite(step.epsilon) ? step.epsilon.toFixed(2) : '?';
    let text;
    if (qmax - qmin < 1e-9) {
      text = `Shown: slot ${step.slot + 1}. All Q-values are still equal (nothing learned yet): the agent explores with probability ε = ${eps}, otherwise it takes one of the tied slots.`;
    } else if (step.slot === best) {
      text = `Shown: slot ${step.slot + 1}, the highest Q-value (exploit; ε = ${eps}).`;
    } else {
      text = `Shown: slot ${step.slot + 1}, a random pick (explore, probability ε = ${eps}); the highest Q was slot ${best + 1}.`;
    }
    if (!opts.seesCandidates) {
      text += ' Seed preset: the network never sees these candidates\u2019 features, so its Q-values can only learn which slot position tends to pay off.';
    }
    this.note.textContent = text;
  }
}

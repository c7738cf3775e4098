// Save, load, export (issue 10): the agent and its configuration as a versioned JSON file
// (the format of `instatok train --save` / `instatok eval --load`), importing one (a bad
// file leaves the current agent untouched and says why beside the control), and the
// per-episode metrics with the learning curve as CSV. Downloads go through an <a download>
// with a blob: URL (a download, not a navigation the CSP governs).

import { clip } from './dom.js';

/** Largest agent file read (a DQN of the large world is a few MB). */
const MAX_BYTES = 64 * 1024 * 1024;

const $ = (id) => document.getElementById(id);

/** Offers `text` as a file download. */
export function download(name, text, type) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.hidden = true;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

export class AgentFilePanel {
  constructor(root, o) {
    this.root = root;
    this.o = o;
    this.msg = $('agent-file-msg');
    this.input = $('import-agent');
    $('export-agent').addEventListener('click', () => this.exportAgent());
    $('download-csv').addEventListener('click', () => this.csv());
    this.input.addEventListener('change', () => {
      const f = this.input.files && this.input.files[0];
      this.input.value = '';
      if (f) this.importAgent(f);
    });
  }

  reset() {}

  say(text, kind = 'ok') {
    this.msg.textContent = text;
    this.msg.dataset.kind = kind;
  }

  exportAgent() {
    this.o.sim.call('exportAgent').then((r) => {
      const episodes = this.o.episodes();
      download(`instatok-agent-${episodes}ep.json`, r.text, 'application/json');
      this.say(`Saved the agent after ${episodes} episodes (${Math.round(r.text.length / 1024)} KB). Load it here or with instatok eval --load FILE.`);
    }).catch((e) => this.say(clip(e.message, 300), 'error'));
  }

  async importAgent(file) {
    if (file.size > MAX_BYTES) {
      this.say(`agent file: ${file.name} is ${Math.round(file.size / 1e6)} MB, more than the ${MAX_BYTES / 1048576} MB an agent file can be; the current agent is kept.`, 'error');
      return;
    }
    let text;
    try {
      text = await file.text();
    } catch (e) {
      this.say(`agent file: could not read ${clip(file.name, 60)} (${clip(e.message, 100)}); the current agent is kept.`, 'error');
      return;
    }
    this.o.importing(true);
    try {
      const r = await this.o.sim.call('importAgent', { text });
      this.o.importing(false);
      this.o.onImported(r);
      const rep = r.report;
      this.say(`Loaded ${clip(file.name, 60)}: ${rep.updates} updates, ε = ${Number(rep.epsilon).toFixed(3)}${rep.rebuilt ? '; its world differs, so the playground was rebuilt from the file\u2019s configuration' : ''}.`);
    } catch (e) {
      this.say(`${clip(e.message, 300)} (${clip(file.name, 60)} not loaded; the current agent is kept.)`, 'error');
    } finally {
      this.o.importing(false);
    }
  }

  csv() {
    this.o.sim.call('csv').then((r) => {
      const rows = Math.max(0, r.text.trimEnd().split('\n').length - 1);
      download(`instatok-episodes-${rows}.csv`, r.text, 'text/csv');
      this.say(`Downloaded ${rows} episode rows (return, its moving average = the learning curve, loss, \u2026).`);
    }).catch((e) => this.say(clip(e.message, 300), 'error'));
  }
}

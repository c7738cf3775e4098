// The compare Worker: trains two or three Playgrounds side by side, in lockstep by episode,
// off the page's thread and apart from the main training Worker (so neither blocks the page
// nor the other). Every agent has the same world config and seed, so the same world, and is
// scored on the same held-out panel (`curvePoint`, fixed by the seed). The page sends configs
// with `experiment.common_draws` on, so episode k trains every agent on the same user.
//
// Requests (each answered {type:'reply', id, ok, result|error}):
//   {type:'init', module}
//   {type:'start', configs: [config...], names: [..], episodes, every, sessions}
//   {type:'stop'}
// Pushed: {type:'cmp-point', run, index, name, point, ms}, {type:'cmp-done', run, error?}.

import init, { Playground } from '../pkg/instatok.js';

const R = { run: 0, pgs: [], names: [], target: 0, episodes: 0, every: 0, sessions: 0, next: 0 };

function free() {
  for (const p of R.pgs) p.free();
  R.pgs = [];
}

function round(run) {
  if (run !== R.run || !R.pgs.length) return;
  try {
    // Each agent trains to the same episode count before anyone is evaluated.
    R.target = Math.min(R.episodes, R.target + 5);
    // One step at a time: a batch of steps could run past the target into the next episodes
    // (the reading said "after 302 episodes" of a 300-episode comparison).
    for (const pg of R.pgs) {
      while (pg.stats().episode < R.target) pg.train(1);
    }
    if (R.target >= R.next) {
      R.pgs.forEach((pg, index) => {
        const t0 = performance.now();
        const point = pg.curvePoint(R.sessions);
        self.postMessage({ type: 'cmp-point', run, index, name: R.names[index], point, ms: performance.now() - t0 });
      });
      R.next += R.every;
    }
    if (R.target >= R.episodes) {
      self.postMessage({ type: 'cmp-done', run });
      free();
      return;
    }
  } catch (e) {
    self.postMessage({ type: 'cmp-done', run, error: String(e && e.message ? e.message : e) });
    free();
    return;
  }
  setTimeout(() => round(run), 0);
}

const HANDLERS = {
  async init(m) {
    await init({ module_or_path: m.module });
    return {};
  },
  start(m) {
    R.run += 1;
    free();
    R.names = m.names;
    R.pgs = m.configs.map((c) => new Playground(c));
    R.episodes = m.episodes;
    R.every = m.every;
    R.sessions = m.sessions;
    R.target = 0;
    R.next = 0;
    const run = R.run;
    setTimeout(() => round(run), 0);
    return { run };
  },
  stop() {
    R.run += 1;
    free();
    return {};
  },
};

let chain = Promise.resolve();
self.addEventListener('message', (e) => {
  const m = e.data || {};
  chain = chain.then(async () => {
    try {
      const h = Object.hasOwn(HANDLERS, m.type) ? HANDLERS[m.type] : null;
      if (!h) throw new Error(`unknown request ${String(m.type).slice(0, 40)}`);
      self.postMessage({ type: 'reply', id: m.id, ok: true, result: await h(m) });
    } catch (err) {
      self.postMessage({ type: 'reply', id: m.id, ok: false, error: String(err && err.message ? err.message : err) });
    }
  });
});

// The simulation Worker: owns the wasm Playground and runs training off the page's main
// thread. The message protocol is documented at the top of www/protocol.js.

import init, { Builder } from '../pkg/instatok.js';

/** Milliseconds of training between two looks at the message queue (full speed). */
const SLICE_MS = 12;
/** At full speed, a tick goes to the page at most this often. */
const TICK_MS = 50;
/** Upper bound on the steps of one slice. */
const MAX_SLICE_STEPS = 50000;
const SERIES = ['return', 'loss', 'epsilon', 'session_seconds'];
/** Work units (users' histories, videos' neighbour lists) per Builder.advance call. */
const BUILD_UNITS = 500;
/** Milliseconds of building between two progress messages (and looks at the queue). */
const BUILD_SLICE_MS = 40;

const W = {
  pg: null,
  gen: 0,
  /** Episodes whose series values the page has. */
  sent: 0,
  running: false,
  sps: 0,
  token: 0,
  lastTick: 0,
  steps: 0,
  finished: 0,
  last: null,
  nextAt: 0,
};

// A zero-delay yield that lets queued messages in (setTimeout(0) is clamped to 4 ms).
const channel = new MessageChannel();
let queued = null;
channel.port1.onmessage = () => {
  const f = queued;
  queued = null;
  if (f) f();
};
function soon(f) {
  queued = f;
  channel.port2.postMessage(0);
}

function message(err) {
  if (err instanceof Error) return err.message || String(err);
  return typeof err === 'string' ? err : String(err);
}

/** The series values the page has not seen yet (up to episode `n`), as transferable Float32Arrays. */
function seriesDelta(n, full = false) {
  if (!W.pg) return null;
  if (full) W.sent = 0;
  if (n === W.sent && !full) return null;
  const out = { from: W.sent };
  for (const s of SERIES) out[s] = W.pg.seriesFrom(s, W.sent);
  W.sent = n;
  return out;
}

function buffers(series) {
  return series ? SERIES.map((s) => series[s].buffer) : [];
}

function snapshot(full = false) {
  const stats = W.pg ? W.pg.stats() : null;
  return { gen: W.gen, stats, series: stats ? seriesDelta(stats.episode, full) : null };
}

function post(msg) {
  self.postMessage(msg, buffers(msg.series || (msg.result && msg.result.series)));
}

function stopLoop() {
  W.running = false;
  W.token += 1;
}

function tick(paced) {
  W.lastTick = performance.now();
  post({
    type: 'tick',
    gen: W.gen,
    steps: W.steps,
    finished: W.finished,
    last: W.last,
    paced,
    running: W.running,
    ...snapshot(),
  });
  W.steps = 0;
  W.finished = 0;
  W.last = null;
}

function account(report) {
  W.steps += report.steps;
  W.finished += report.episodes_finished;
  if (report.last) W.last = report.last;
  return report;
}

/** Training paused by a detected divergence: tell the page (stats.divergence says what). */
function diverged() {
  stopLoop();
  if (W.steps) tick(false);
  post({ type: 'stopped', gen: W.gen, error: null, diverged: true, ...snapshot() });
}

function loop(token) {
  if (token !== W.token || !W.running || !W.pg) return;
  try {
    if (!W.sps) {
      if (account(W.pg.trainFor(SLICE_MS, MAX_SLICE_STEPS)).diverged) return diverged();
      if (performance.now() - W.lastTick >= TICK_MS) tick(false);
      soon(() => loop(token));
    } else {
      if (account(W.pg.train(1)).diverged) return diverged();
      tick(true);
      // Keep to the rate without drifting; after a long stall, start again from now.
      const now = performance.now();
      W.nextAt = Math.max(now, W.nextAt + 1000 / W.sps);
      setTimeout(() => loop(token), W.nextAt - now);
    }
  } catch (e) {
    stopLoop();
    post({ type: 'stopped', gen: W.gen, error: message(e), ...snapshot() });
  }
}

function startLoop() {
  W.token += 1;
  W.running = true;
  W.nextAt = performance.now();
  W.lastTick = performance.now();
  const token = W.token;
  soon(() => loop(token));
}

function need() {
  if (!W.pg) throw new Error('no world has been built yet');
  return W.pg;
}

const HANDLERS = {
  async init(m) {
    W.wasm = await init({ module_or_path: m.module });
    return {};
  },
  /** Memory figures of this Worker: the wasm linear memory and (Chromium) the JS heap. */
  memory() {
    const heap = self.performance && performance.memory ? performance.memory.usedJSHeapSize : null;
    return { wasm_bytes: W.wasm ? W.wasm.memory.buffer.byteLength : 0, js_heap_bytes: heap };
  },
  async build(m) {
    stopLoop();
    // The world is built in slices with a progress message after each
    // ({type: 'progress', stage, done, total, fraction}); the old world stays until it is done.
    const b = new Builder(m.config);
    let pg;
    try {
      for (;;) {
        const t0 = performance.now();
        let p;
        do p = b.advance(BUILD_UNITS);
        while (p.stage !== 'done' && performance.now() - t0 < BUILD_SLICE_MS);
        if (p.stage === 'done') break;
        post({ type: 'progress', gen: -1, ...p });
        await new Promise((resolve) => soon(resolve));
      }
      post({ type: 'progress', gen: -1, stage: 'baselines', done: 0, total: 1, fraction: 1 });
      pg = b.finish();
    } finally {
      b.free();
    }
    if (W.pg) W.pg.free();
    W.pg = pg;
    W.gen += 1;
    W.sent = 0;
    W.steps = 0;
    W.finished = 0;
    W.last = null;
    return { gen: W.gen, config: pg.config(), baselines: pg.baselines(), stats: pg.stats() };
  },
  start(m) {
    need();
    W.sps = Number(m.sps) || 0;
    startLoop();
    return { running: true };
  },
  speed(m) {
    W.sps = Number(m.sps) || 0;
    if (W.running) startLoop();
    return {};
  },
  pause() {
    stopLoop();
    // Steps since the last tick go out first, so the page has seen every step when the reply comes.
    if (W.steps) tick(false);
    return { running: false, ...snapshot() };
  },
  step(m) {
    const report = need().train(Math.max(1, Math.min(MAX_SLICE_STEPS, Number(m.n) || 1)));
    return { report, ...snapshot() };
  },
  set(m) {
    const pg = need();
    pg.setParam(m.name, m.value);
    // A changed parameter is the reader's answer to a divergence: training may run again.
    if (m.clearDivergence) pg.clearDivergence();
    return { config: pg.config(), ...snapshot() };
  },
  userStart(m) {
    stopLoop();
    const card = need().userStart(m.profile);
    return { card, ...snapshot() };
  },
  userRespond(m) {
    const step = need().userRespond(m.action, m.seconds);
    return { step, ...snapshot() };
  },
  /** Forget a divergence so training can run again (returns a snapshot). */
  resume() {
    need().clearDivergence();
    return snapshot();
  },
  snapshot(m) {
    need();
    return snapshot(!!m.full);
  },
};

// Requests are handled one at a time, in order (init is asynchronous).
let chain = Promise.resolve();
self.addEventListener('message', (e) => {
  const m = e.data || {};
  chain = chain.then(async () => {
    const h = Object.hasOwn(HANDLERS, m.type) ? HANDLERS[m.type] : null;
    try {
      if (!h) throw new Error(`unknown request ${JSON.stringify(String(m.type)).slice(0, 40)}`);
      const result = await h(m);
      post({ type: 'reply', id: m.id, ok: true, result });
    } catch (err) {
      post({ type: 'reply', id: m.id, ok: false, error: message(err) });
    }
  });
});

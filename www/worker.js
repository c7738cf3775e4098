// The simulation Worker: owns the wasm Playground and runs training off the page's main
// thread. The message protocol is documented at the top of www/protocol.js.

import init, { Builder, Playground } from '../pkg/instatok.js';

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

// Skill curve: the Worker evaluates the frozen agent and the baselines on a fixed panel of
// held-out sessions now and then while training, and pushes {type: 'curve', gen, point, ms}.
// A point costs ms of the Worker's time, so the next one waits until training has had
// CURVE_SHARE^-1 - 1 times that long: evaluation takes at most ~1/5 of the Worker's time
// whatever the machine, and never less than CURVE_MIN_EPISODES episodes apart. Besides, a
// point is due at each of CURVE_MILESTONES whatever the time: the climb from random is what a
// reader comes to see, and at full speed it is over in a few seconds (spaced by time alone,
// the first point after 0 came near episode 110-200, and the line drew the climb as one
// straight segment). Eight points, each about 0.1 s at the default world, once per world.
// A due point is computed one policy per turn of the loop (Playground.curvePart; about 0.1 s
// each at the `large` world), with no training in between, so a pause or a parameter change
// waits for one policy at most, not the whole point. A pause keeps the point where it is (the
// next start finishes it); anything that changes the world or the agent drops it.
const CURVE_SESSIONS = 40;
const CURVE_SHARE = 0.2;
const CURVE_MILESTONES = [10, 25, 50, 75, 100, 150, 200, 300];
const CURVE_MIN_EPISODES = 10;
const CURVE_POLICIES = ['dqn', 'random', 'most_viewed', 'greedy', 'oracle'];
const C = { nextEpisode: 0, trainMs: 0, needMs: 0, last: -1, pending: null };

function resetCurve() {
  C.nextEpisode = 0;
  C.trainMs = 0;
  C.needMs = 0;
  C.last = -1;
  C.pending = null;
}

/** W.pg holds a new world: the next world number, and nothing of the old one's progress. */
function newWorld() {
  W.gen += 1;
  if (W.pg) W.pg.setExplain(W.explain);
  resetCurve();
  W.sent = 0;
  W.steps = 0;
  W.finished = 0;
  W.last = null;
}

/** Starts a curve point if one is due (episode count and training time). */
function maybeCurve(episode, sliceMs) {
  C.trainMs += sliceMs;
  if (C.pending || episode < C.nextEpisode || episode === C.last) return;
  const milestone = CURVE_MILESTONES.find((m) => m > C.last);
  if (C.trainMs < C.needMs && !(milestone !== undefined && episode >= milestone)) return;
  C.pending = { episode, policies: {}, left: CURVE_POLICIES.slice(), ms: 0 };
}

/** Evaluates the pending point's next policy; pushes the point after its last. */
function curveTurn() {
  const p = C.pending;
  const name = p.left.shift();
  const t0 = performance.now();
  p.policies[name] = W.pg.curvePart(name, CURVE_SESSIONS);
  p.ms += performance.now() - t0;
  if (p.left.length) return;
  C.pending = null;
  C.last = p.episode;
  C.trainMs = 0;
  C.needMs = p.ms * (1 / CURVE_SHARE - 1);
  C.nextEpisode = p.episode + CURVE_MIN_EPISODES;
  const point = { episode: p.episode, policies: p.policies };
  self.postMessage({ type: 'curve', gen: W.gen, point, ms: p.ms, sessions: CURVE_SESSIONS });
}

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
  /** The page shows "Why this video": ticks and steps carry `why` (Playground.whyLast). */
  explain: false,
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

/** Playground.whyLast() for the newest step, or an {error} (never throws). */
function whyNow() {
  if (!W.explain || !W.pg) return undefined;
  try {
    return W.pg.whyLast();
  } catch (e) {
    return { error: message(e) };
  }
}

function tick(paced) {
  W.lastTick = performance.now();
  post({
    why: W.last ? whyNow() : undefined,
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
    if (C.pending) {
      curveTurn();
      soon(() => loop(token));
    } else if (!W.sps) {
      const t0 = performance.now();
      const rep = account(W.pg.trainFor(SLICE_MS, MAX_SLICE_STEPS));
      if (rep.diverged) return diverged();
      maybeCurve(rep.episode, performance.now() - t0);
      if (performance.now() - W.lastTick >= TICK_MS) tick(false);
      soon(() => loop(token));
    } else {
      const t0 = performance.now();
      const rep = account(W.pg.train(1));
      if (rep.diverged) return diverged();
      tick(true);
      maybeCurve(rep.episode, Math.max(performance.now() - t0, 1000 / W.sps));
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

// The reader's feed: a separate Playground on the same world config and seed, with a bandit
// agent (it learns the immediate reward from each response) and predicted interests (the
// ranking's w3 term follows what the reader does, not only what they declared), warmed up on
// READER_WARM simulated sessions when the reader first starts (50: food liked by the reader in
// 4 of cards 1-10 and 6 of 21-30 in learn.test.mjs; 200: 2 and 3). Measured (tests/reader_adapt.rs):
// the page's DQN did not adapt within 30 cards; this does.
const READER_WARM = 50;
/** Candidate slots of the reader's feed kept for categories the filter did not propose. */
const READER_DISCOVERY = 3;
const RD = { pg: null, gen: -1, warmMs: 0, discovery: 0 };

function readerConfig(cfg) {
  const c = JSON.parse(JSON.stringify(cfg));
  c.agent.kind = 'bandit';
  c.interests.source = 'predicted';
  // Up to 3 of the candidates come from categories the filter did not propose, so a taste the
  // filter has never seen can still reach the feed (cf.discovery_slots; README, "Your feed").
  c.cf.discovery_slots = Math.min(READER_DISCOVERY, Math.max(0, c.cf.n_candidates - 1));
  return c;
}

function readerPg() {
  if (RD.pg && RD.gen === W.gen) return RD.pg;
  if (RD.pg) RD.pg.free();
  RD.pg = null;
  const t0 = performance.now();
  const pg = new Playground(readerConfig(need().config()));
  while (pg.stats().episode < READER_WARM) pg.train(500);
  RD.pg = pg;
  RD.gen = W.gen;
  RD.warmMs = performance.now() - t0;
  RD.discovery = pg.config().cf.discovery_slots;
  return pg;
}

function readerReply(pg, extra) {
  return { ...extra, gen: W.gen, stats: pg.stats(), series: null, interests: pg.readerInterests(),
    reader: { agent: 'bandit', interests: 'predicted', warm: READER_WARM, discovery: RD.discovery, warmMs: Math.round(RD.warmMs) } };
}

/** The Playground a query about the card on screen is for: the reader's while they are the
 *  user (`m.reader`), else the trained one. */
function pgFor(m) {
  return m && m.reader && RD.pg && RD.gen === W.gen ? RD.pg : need();
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
      pg = b.finish();
    } finally {
      b.free();
    }
    if (W.pg) W.pg.free();
    W.pg = pg;
    newWorld();
    return { gen: W.gen, config: pg.config(), stats: pg.stats() };
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
    C.pending = null;
    const report = need().train(Math.max(1, Math.min(MAX_SLICE_STEPS, Number(m.n) || 1)));
    return { report, why: whyNow(), ...snapshot() };
  },
  set(m) {
    const pg = need();
    C.pending = null;
    pg.setParam(m.name, m.value);
    // A changed parameter is the reader's answer to a divergence: training may run again.
    if (m.clearDivergence) pg.clearDivergence();
    return { config: pg.config(), ...snapshot() };
  },
  userStart(m) {
    stopLoop();
    const pg = readerPg();
    const card = pg.userStart(m.profile);
    return readerReply(pg, { card });
  },
  userRespond(m) {
    if (!RD.pg || RD.gen !== W.gen) throw new Error('no reader session: call userStart first');
    const step = RD.pg.userRespond(m.action, m.seconds);
    return readerReply(RD.pg, { step });
  },
  curve(m) {
    return { point: need().curvePoint(Number(m.sessions) || CURVE_SESSIONS), ...snapshot() };
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
  // ---- explanations, similarity, exposure, agent files (issue 10; www/explain.js)
  explainLive(m) {
    W.explain = !!m.on;
    // The Playground then keeps, at each step, the history behind the shown candidate's
    // similarity as it was before the step (whyLast adds up to the score that ranked it).
    if (W.pg) W.pg.setExplain(W.explain);
    return {};
  },
  why(m) {
    const pg = pgFor(m);
    return { why: m.slot === undefined || m.slot === null ? pg.whyLast() : pg.why(Number(m.slot)) };
  },
  inspect(m) {
    return { inspection: pgFor(m).stateInspector() };
  },
  neighbours(m) {
    const pg = need();
    const video = Number(m.video);
    const neighbours = pg.neighbours(video, Number(m.k));
    return { neighbours, category: pg.videoInfo(video).category };
  },
  heatmap(m) {
    return { heatmap: need().similarityHeatmap(Number(m.perCategory)) };
  },
  exposure(m) {
    const pg = pgFor(m);
    return { exposure: pg.exposure(), reader: pg !== need() };
  },
  userHistory(m) {
    return { videos: Array.from(pgFor(m).userHistory(Number(m.user))) };
  },
  exportAgent() {
    return { text: need().exportAgent() };
  },
  importAgent(m) {
    const pg = need();
    stopLoop();
    const report = pg.importAgent(String(m.text));
    C.pending = null;
    // A new world from the file's configuration: the page treats it like a build.
    if (report.rebuilt) newWorld();
    return { report, gen: W.gen, config: pg.config(), stats: pg.stats() };
  },
  csv() {
    return { text: need().episodesCsv() };
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

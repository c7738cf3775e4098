// The page <-> Worker protocol, and the page's side of it (class SimWorker).
//
// The Playground (the wasm simulator, filter and agent) lives in a module Worker
// (www/worker.js) so that building a world and training never block the page. The page keeps
// a second, Playground-free instance of the wasm module for the pure functions it needs at
// once (defaultConfig, validateConfig: checking a typed value or a link) and hands the
// compiled WebAssembly.Module to the Worker, so the .wasm file is fetched once.
//
// Requests (page -> Worker) are objects {id, type, ...fields}; each gets exactly one reply
//   {type: 'reply', id, ok: true, result}   or   {type: 'reply', id, ok: false, error: string}
// in the order the requests were sent. Requests and their result fields:
//
//   init        {module: WebAssembly.Module}          -> {}
//   build       {config}                              -> {gen, config, stats}
//               Builds a new world + agent (the old one stays if the config is refused).
//               `gen` numbers the worlds; every later message about this world carries it.
//   start       {sps: number}  steps per second, 0 = as fast as possible
//                                                     -> {running: true}
//   speed       {sps}                                 -> {}        (while running or not)
//   pause       {}                                    -> {running: false, ...snapshot}
//   step        {n}     n simulated steps now         -> {report, ...snapshot}
//   set         {name, value}  a live parameter (Playground.setParam names)
//                                                     -> {config, ...snapshot}
//   userStart   {profile: {age, gender, region, interests: [a, b]}}
//                                                     -> {card, interests, reader, ...snapshot}
//   userRespond {action: 'watched'|'skipped'|'liked'|'session_end', seconds}
//                                                     -> {step, interests, reader, ...snapshot}
//       The reader's feed runs on its own Playground (same world config and seed, a bandit agent,
//       predicted interests, warmed up on reader.warm simulated sessions at the first userStart
//       of a world); its snapshot has that Playground's stats and no series. `interests` is
//       Playground.readerInterests(); reader = {agent, interests, warm, warmMs}.
//   curve       {sessions}  a skill-curve point now (Playground.curvePoint)
//                                                     -> {point, ...snapshot}
//   resume      {}  forget a detected divergence so `start` trains again -> {...snapshot}
//               (`set` with clearDivergence: true does the same after changing a parameter)
//   memory      {}  -> {wasm_bytes, js_heap_bytes}  (the Worker's wasm memory; for benches)
//   snapshot    {full?: boolean}  full = series from episode 0 again
//                                                     -> {...snapshot}
// Explanations (issue 10, www/explain.js; shapes in the `///` docs of src/web.rs):
//   explainLive {on}   ticks and step replies carry `why` (whyLast of the newest step) -> {}
//   why         {slot?} Playground.why(slot), or whyLast() without a slot -> {why}
//   inspect     {}      Playground.stateInspector() (throws for the bandit) -> {inspection}
//   neighbours  {video, k}                            -> {neighbours}
//   heatmap     {perCategory}                         -> {heatmap}
//   exposure    {}                                    -> {exposure}
//   userHistory {user}  distinct videos of a user's history -> {videos}
//   exportAgent {}                                    -> {text}  (the agent file)
//   importAgent {text}  stops training; a bad file throws and changes nothing
//                                                     -> {report, gen, config, stats}
//               report.rebuilt: a new world (new gen) was built from the file's config.
//   csv         {}      Playground.episodesCsv()      -> {text}
//
// A snapshot is {gen, stats, series}: `stats` is Playground.stats(); `series` is null or the
// per-episode values not sent before, {from, return, loss, epsilon, session_seconds} (Float32Arrays
// starting at episode index `from`). The page appends them, so plots never re-read whole series.
//
// Pushed by the Worker while training (no id):
//   {type: 'tick', gen, steps, finished, last, paced, running, stats, series}
//       steps/finished: steps and episodes since the previous tick; last: the newest step as a
//       feed event (Playground.train's `last`); paced: true when training at a fixed speed
//       (one tick per step, for the feed to animate). At full speed a tick comes every ~50 ms.
//   {type: 'curve', gen, point, ms, sessions}
//       a skill-curve point (what Playground.curvePoint(sessions) returns) computed while
//       training, one policy per turn of the Worker's loop (Playground.curvePart), so requests
//       wait for one policy at most; ms is what it cost the Worker (points are spaced so
//       evaluation takes ~1/5 of its time).
//   {type: 'stopped', gen, error, stats, series, diverged?}
//       training stopped by itself (an error inside a step); error is its message. With
//       diverged: true (error null) the trainer detected a divergence and paused:
//       stats.divergence = {episode, step, kind, value, threshold, skipped_updates, message}.
//   {type: 'progress', gen: -1, stage, done, total, fraction}
//       while `build` runs: stage world|history|matrix|index, fraction in [0, 1].
//
// Determinism: the Worker runs exactly the steps the page asks for, in order; how they are
// sliced in time does not change them, so the same config gives the same results.

/** The page's handle on the Worker: promise-based requests plus a listener for pushes. */
export class SimWorker {
  /**
   * @param {(msg: object) => void} onPush  called with every tick / stopped message
   */
  constructor(onPush) {
    this.worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
    this.nextId = 1;
    this.waiting = new Map();
    this.onPush = onPush;
    this.worker.addEventListener('message', (e) => this.receive(e.data));
    this.worker.addEventListener('error', (e) => {
      const err = new Error(`the simulation worker failed: ${e.message || 'could not load www/worker.js'}`);
      for (const w of this.waiting.values()) w.reject(err);
      this.waiting.clear();
      this.onPush({ type: 'stopped', gen: -1, error: err.message, stats: null, series: null });
    });
  }

  receive(m) {
    if (m.type === 'reply') {
      const w = this.waiting.get(m.id);
      if (!w) return;
      this.waiting.delete(m.id);
      if (m.ok) w.resolve(m.result);
      else w.reject(new Error(m.error));
      return;
    }
    this.onPush(m);
  }

  /**
   * Sends a request; resolves with its result or rejects with an Error carrying the Worker's
   * message (for a refused config: the field and its range).
   */
  call(type, fields = {}, transfer = []) {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.worker.postMessage({ id, type, ...fields }, transfer);
    });
  }
}

const SERIES_NAMES = ['return', 'loss', 'epsilon', 'session_seconds'];

/**
 * Most points kept per series. Past it, neighbouring points are averaged in pairs (each point
 * then stands for twice as many episodes), so a run of hours keeps between KEEP_POINTS / 2 and
 * KEEP_POINTS points per series: memory and redraw cost stay flat.
 */
export const KEEP_POINTS = 2000;

/**
 * Per-episode series as the page knows them, grown from the Worker's deltas and downsampled by
 * mean decimation: each kept point is the mean of the finite values of `stride` consecutive
 * episodes (NaN if none), and `x(i)` is the number of the last episode it covers.
 */
export class SeriesStore {
  constructor() {
    this.clear();
  }

  clear() {
    this.data = Object.fromEntries(SERIES_NAMES.map((n) => [n, []]));
    this.xs = [];
    this.stride = 1;
    this.episodes = 0;
    this.acc = Object.fromEntries(SERIES_NAMES.map((n) => [n, { sum: 0, cnt: 0 }]));
    this.accN = 0;
  }

  /** Episodes known (not points kept). */
  get length() {
    return this.episodes;
  }

  /** Appends a delta; a delta from episode 0 replaces everything, an overlap is skipped. */
  append(delta) {
    if (!delta) return;
    if (delta.from === 0 && this.episodes) this.clear();
    const n = delta.return ? delta.return.length : 0;
    for (let i = Math.max(0, this.episodes - delta.from); i < n; i++) {
      for (const name of SERIES_NAMES) {
        const v = delta[name] ? delta[name][i] : NaN;
        if (Number.isFinite(v)) {
          this.acc[name].sum += v;
          this.acc[name].cnt += 1;
        }
      }
      this.episodes += 1;
      this.accN += 1;
      if (this.accN === this.stride) this.flush();
    }
  }

  /** Closes the bucket being filled; halves the points when there are too many. */
  flush() {
    for (const name of SERIES_NAMES) {
      const a = this.acc[name];
      this.data[name].push(a.cnt ? a.sum / a.cnt : NaN);
      a.sum = 0;
      a.cnt = 0;
    }
    this.xs.push(this.episodes);
    this.accN = 0;
    if (this.xs.length < KEEP_POINTS) return;
    const half = (arr) => {
      const out = [];
      for (let i = 0; i + 1 < arr.length; i += 2) {
        const p = arr[i], q = arr[i + 1];
        out.push(Number.isFinite(p) && Number.isFinite(q) ? (p + q) / 2 : Number.isFinite(p) ? p : q);
      }
      return out;
    };
    for (const name of SERIES_NAMES) this.data[name] = half(this.data[name]);
    this.xs = this.xs.filter((_, i) => i % 2 === 1);
    this.stride *= 2;
  }

  /** One series by its Playground name: the kept points (a plain array). */
  series(name) {
    return this.data[name] || [];
  }
}

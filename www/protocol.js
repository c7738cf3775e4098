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
//   build       {config}                              -> {gen, config, baselines, stats}
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
//                                                     -> {report, gen, config, baselines, stats}
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
//       a skill-curve point (Playground.curvePoint(sessions)) computed while training; ms is
//       what it cost the Worker (points are spaced so evaluation takes ~1/5 of its time).
//   {type: 'stopped', gen, error, stats, series}
//       training stopped by itself (an error inside a step); error is its message.
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

/** Per-episode series as the page knows them, grown from the Worker's deltas. */
export class SeriesStore {
  constructor() {
    this.clear();
  }

  clear() {
    this.data = Object.fromEntries(SERIES_NAMES.map((n) => [n, []]));
  }

  /** Episodes known. */
  get length() {
    return this.data.return.length;
  }

  /** Appends a delta; a delta that does not start where the store ends replaces from there. */
  append(delta) {
    if (!delta) return;
    for (const n of SERIES_NAMES) {
      const a = this.data[n];
      const d = delta[n];
      if (!d) continue;
      if (a.length > delta.from) a.length = delta.from;
      for (let i = 0; i < d.length; i++) a.push(d[i]);
    }
  }

  /** One series by its Playground name (a plain array). */
  series(name) {
    return this.data[name] || [];
  }
}

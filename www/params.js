// The tunable parameters: where each lives in the config object, how it is shown, how it is
// written in the URL and whether it can change live (through `Playground.setParam`) or needs a
// new world. Pure data and small functions; no DOM.

const fixed = (d) => (v) => String(Number(v.toFixed(d)));
const sig = (v) => {
  if (v === 0) return '0';
  const s = Number(v.toPrecision(2));
  return Math.abs(s) < 1e-3 ? s.toExponential(1).replace('.0e', 'e') : String(s);
};
const int = (v) => String(Math.round(v));

/**
 * @typedef {object} Param
 * @property {string} key        URL and control name
 * @property {string} label      visible label
 * @property {string} group      'business' | 'agent' | 'world'
 * @property {string[]} [path]   location in the config object
 * @property {string} [live]     name for Playground.setParam; absent = needs a reset
 * @property {'range'|'log'|'number'|'select'} kind
 */

/**
 * The world sizes of `WorldSize` in src/config.rs (kept equal by tests/e2e/world-size.test.mjs,
 * which builds each through the wasm validator): the size fields each sets.
 */
export const WORLD_SIZES = [
  { name: 'small', words: '3,000 videos, 200 users', n_videos: 3000, n_users: 200, n_creators: 20, history_mean: 30 },
  { name: 'medium', words: '20,000 videos, 5,000 users', n_videos: 20000, n_users: 5000, n_creators: 133, history_mean: 40 },
  { name: 'large', words: '100,000 videos, 20,000 users', n_videos: 100000, n_users: 20000, n_creators: 667, history_mean: 50 },
];

/** The world size a config has ('small' | 'medium' | 'large'), or 'custom'. */
export function worldSizeOf(c) {
  const w = c.world;
  const s = WORLD_SIZES.find((x) => x.n_videos === w.n_videos && x.n_users === w.n_users && x.n_creators === w.n_creators && x.history_mean === w.history_mean);
  return s ? s.name : 'custom';
}

/** Sets a config's size fields to a world size (as `WorldSize::apply`). */
export function applyWorldSize(c, name) {
  const s = WORLD_SIZES.find((x) => x.name === name);
  if (!s) return;
  Object.assign(c.world, { n_videos: s.n_videos, n_users: s.n_users, n_creators: s.n_creators, history_mean: s.history_mean, history_sd: 10, history_min: 5 });
}

/** @type {Param[]} */
export const PARAMS = [
  // Business score: ranks the candidate list (live).
  { key: 'w1', label: 'w1 · similarity', help: 'Weight of the collaborative-filter similarity score.', group: 'business', path: ['cf', 'w1'], live: 'w1', kind: 'range', min: 0, max: 2, step: 0.05, fmt: fixed(2) },
  { key: 'w2', label: 'w2 · views', help: 'Weight of popularity (views / 10).', group: 'business', path: ['cf', 'w2'], live: 'w2', kind: 'range', min: 0, max: 1, step: 0.01, fmt: fixed(2) },
  { key: 'w3', label: 'w3 · interest', help: "Bonus when the video is in one of the user's two interests.", group: 'business', path: ['cf', 'w3'], live: 'w3', kind: 'range', min: 0, max: 2, step: 0.05, fmt: fixed(2) },

  // Agent (live).
  { key: 'eps_decay', label: 'ε decay', help: 'ε is multiplied by this after every episode (default preset) or every update (seed preset, as in the notebook).', group: 'agent', path: ['agent', 'epsilon_decay'], live: 'epsilon_decay', kind: 'range', min: 0.95, max: 1, step: 0.0005, fmt: fixed(4) },
  { key: 'eps_min', label: 'ε floor', help: 'Exploration never drops below this.', group: 'agent', path: ['agent', 'epsilon_min'], live: 'epsilon_min', kind: 'range', min: 0, max: 0.5, step: 0.01, fmt: fixed(2) },
  { key: 'gamma', label: 'γ discount', help: 'How much future rewards count: 0 = only the next swipe.', group: 'agent', path: ['agent', 'gamma'], live: 'gamma', kind: 'range', min: 0, max: 1, step: 0.01, fmt: fixed(2) },
  { key: 'lr', label: 'Learning rate', help: 'Adam step size (log slider).', group: 'agent', path: ['agent', 'learning_rate'], live: 'learning_rate', kind: 'log', min: 1e-5, max: 1e-1, step: 0.05, fmt: sig },
  { key: 'wd', label: 'Weight decay', help: 'Each update shrinks every weight a little (AdamW): keeps the network from fitting the reward noise. 0 = plain Adam (the notebook).', group: 'agent', path: ['agent', 'weight_decay'], live: 'weight_decay', kind: 'range', min: 0, max: 5, step: 0.1, fmt: fixed(1) },
  { key: 'batch', label: 'Batch size', help: 'Transitions per gradient update.', group: 'agent', path: ['agent', 'batch_size'], live: 'batch_size', kind: 'range', min: 1, max: 256, step: 1, integer: true, fmt: int },
  { key: 'replay', label: 'Replay capacity', help: 'Oldest transitions are dropped beyond this; ∞ = keep all (the notebook).', group: 'agent', path: ['agent', 'replay_capacity'], live: 'replay_capacity', kind: 'log', min: 100, max: 100000, step: 0.05, integer: true, nullable: 'max', nullText: '∞', nullUrl: 'inf', fmt: int },
  { key: 'target_sync', label: 'Target sync', help: 'Copy the online network into the target network every N updates; off = no target network (the notebook).', group: 'agent', live: 'target_sync', schemaPath: 'agent.target.every', kind: 'log', min: 1, max: 2000, step: 0.05, integer: true, nullable: 'min', nullText: 'off', nullUrl: 'off', fmt: int,
    get: (c) => {
      const t = c.agent.target;
      if (!t || t.kind === 'none') return null;
      if (t.kind === 'hard') return t.every;
      return null;
    },
    set: (c, v) => {
      c.agent.target = v === null ? { kind: 'none' } : { kind: 'hard', every: v };
    } },

  // World: any change builds a new world and a fresh agent.
  { key: 'preset', label: 'Preset', help: 'seed = the notebook as written; default = its flaws fixed.', group: 'world', kind: 'select', options: ['default', 'seed'], path: ['preset'] },
  { key: 'world', label: 'World size', help: `Videos and users: ${WORLD_SIZES.map((w) => `${w.name} ${w.words}`).join('; ')}. Small is the notebook's world; larger worlds take seconds to build (a progress bar shows how far).`, group: 'world', kind: 'select', options: WORLD_SIZES.map((w) => w.name),
    // Short enough for the select's box (the help line gives the full sizes).
    optionLabels: Object.fromEntries(WORLD_SIZES.map((w) => [w.name, `${w.name} \u00b7 ${Math.round(w.n_videos / 1000)}k`])),
    get: (c) => worldSizeOf(c), set: (c, v) => applyWorldSize(c, v) },
  { key: 'seed', label: 'Random seed', help: 'Same seed, same world and same run.', group: 'world', kind: 'number', min: 0, max: 4294967295, step: 1, integer: true, path: ['seed'], fmt: int },
  { key: 'n_candidates', label: 'Candidates per step', help: 'Size of the list the agent picks from (its action count).', group: 'world', path: ['cf', 'n_candidates'], kind: 'range', min: 2, max: 20, step: 1, integer: true, fmt: int },
  { key: 'n_videos', label: 'Videos', help: 'Catalogue size.', group: 'world', path: ['world', 'n_videos'], kind: 'range', min: 100, max: 10000, step: 100, integer: true, fmt: int },
  { key: 'n_users', label: 'Users', help: 'Simulated users; each session picks one at random.', group: 'world', path: ['world', 'n_users'], kind: 'range', min: 10, max: 2000, step: 10, integer: true, fmt: int },
  { key: 'n_creators', label: 'Creators', help: 'Each video belongs to one creator.', group: 'world', path: ['world', 'n_creators'], kind: 'range', min: 1, max: 200, step: 1, integer: true, fmt: int },
  { key: 'n_steps', label: 'Max videos per session', help: 'An episode ends when the user leaves or after this many videos.', group: 'world', path: ['env', 'n_steps'], kind: 'range', min: 5, max: 200, step: 5, integer: true, fmt: int },
];

/**
 * Parameters by key. A null-prototype, frozen object: a key from a link such as "constructor"
 * or "__proto__" finds nothing here (use `paramFor`, which also checks own properties).
 */
export const PARAM = Object.freeze(Object.assign(Object.create(null), Object.fromEntries(PARAMS.map((p) => [p.key, p]))));

/** Largest integer a JS number holds exactly: the page's bound on u64 fields (the seed). */
const EXACT = Number.MAX_SAFE_INTEGER;

/**
 * Takes each parameter's typed / link range from the Rust table (`configSchema()`, one range
 * per field for every source of configuration). The sliders keep their own span (a slider
 * over a million videos would be useless) and a typed value may go past it; a u64 is capped
 * where JS numbers stay exact. Returns the keys whose range changed.
 * @param {{fields: {path: string, min: number|null, max: number|null}[]}} schema
 */
export function applySchema(schema) {
  const byPath = new Map(schema.fields.map((f) => [f.path, f]));
  const changed = [];
  for (const p of PARAMS) {
    if (p.kind === 'select') continue;
    const path = p.schemaPath || (p.path && p.path.join('.'));
    const f = path ? byPath.get(path) : null;
    if (!f) continue;
    const lo = typeof f.min === 'number' ? f.min : p.min;
    const hi = Math.min(typeof f.max === 'number' ? f.max : p.max, EXACT);
    if (lo !== p.typedMin || hi !== p.typedMax) changed.push(p.key);
    p.typedMin = lo;
    p.typedMax = hi;
  }
  return changed;
}

/** The parameter named `key`, or null: never an inherited property. */
export function paramFor(key) {
  return typeof key === 'string' && Object.hasOwn(PARAM, key) ? PARAM[key] : null;
}

/** A value as messages quote it: at most 80 characters, then an ellipsis. */
export function quote(text, max = 80) {
  const s = String(text);
  return `"${s.length > max ? `${s.slice(0, max)}\u2026` : s}"`;
}

/** Reads a parameter's value out of a config object (null for "∞"/"off"). */
export function getValue(cfg, p) {
  if (p.get) return p.get(cfg);
  let o = cfg;
  for (const k of p.path) {
    if (o == null) return undefined;
    o = o[k];
  }
  return o;
}

/** Writes a parameter's value into a config object (mutates it). */
export function setValue(cfg, p, v) {
  if (p.set) return p.set(cfg, v);
  let o = cfg;
  for (const k of p.path.slice(0, -1)) o = o[k];
  o[p.path[p.path.length - 1]] = v;
}

/** Display text of a value. */
export function formatValue(p, v) {
  if (v === null) return p.nullText || '–';
  if (v === undefined) return '–';
  if (p.kind === 'select') return String(v);
  return p.fmt ? p.fmt(v) : String(v);
}

/** URL text of a value. */
export function encodeValue(p, v) {
  if (v === null) return p.nullUrl || 'null';
  return formatValue(p, v);
}

/**
 * Parses text typed by the reader or found in the URL. Throws an Error with a readable
 * message if it isn't a value of the right type. Range checks are left to the wasm validator
 * so the page and the simulator never disagree on what is valid.
 */
export function parseValue(p, text) {
  const t = String(text).trim();
  const got = `(got ${quote(t)})`;
  if (p.kind === 'select') {
    if (!p.options.includes(t)) throw new Error(`must be one of ${p.options.join(', ')} ${got}`);
    return t;
  }
  if (p.nullable) {
    // "∞" sits past the top of a slider (replay: keep everything), "off" below the bottom
    // (target sync: no target network); "infinity" must not mean "off".
    const low = t.toLowerCase();
    const words = p.nullable === 'max' ? ['unbounded', 'infinity', 'inf', 'none', 'null'] : ['none', 'null'];
    if (low === p.nullUrl || low === p.nullText || words.includes(low)) return null;
  }
  if (t === '' || t.length > 400 || !/^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(t)) {
    throw new Error(`must be a number ${got}`);
  }
  const v = Number(t);
  // "1e-400" is no way to write 0: a value too small for a double is refused, not rounded.
  const mantissa = t.replace(/e.*$/i, '');
  if (v === 0 && /[1-9]/.test(mantissa)) throw new Error(`is too small to represent (it would round to 0) ${got}`);
  if (!Number.isFinite(v)) throw new Error(`is too large ${got}`);
  if (p.integer && !Number.isInteger(v)) throw new Error(`must be a whole number ${got}`);
  // The range is the Rust table's (applySchema; the slider's span until it ran), so a typed
  // value, a link and the simulator agree; the seed, a u64 on the Rust side, stays where JS
  // numbers are exact (below 2^53).
  const show = (x) => (p.fmt ? p.fmt(x) : String(x));
  const lo = p.typedMin ?? p.min, hi = p.typedMax ?? p.max;
  if (v < lo || v > hi) throw new Error(`must be between ${show(lo)} and ${show(hi)} ${got}`);
  return v;
}

/** Value -> slider position (log sliders store log10; nullable ends sit one notch outside). */
export function toSlider(p, v) {
  if (p.kind === 'log') {
    const lo = Math.log10(p.min), hi = Math.log10(p.max);
    if (v === null) return p.nullable === 'max' ? hi + 0.25 : lo - 0.25;
    return Math.min(hi, Math.max(lo, Math.log10(v)));
  }
  return v === null ? p.min : v;
}

/** Slider position -> value. */
export function fromSlider(p, pos) {
  const x = Number(pos);
  if (p.kind === 'log') {
    const lo = Math.log10(p.min), hi = Math.log10(p.max);
    if (p.nullable === 'max' && x > hi + 0.1) return null;
    if (p.nullable === 'min' && x < lo - 0.1) return null;
    // The slider's steps need not land on the ends (log10 2000 = 3.301): snap to them.
    if (x > hi - p.step / 2) return p.max;
    if (x < lo + p.step / 2) return p.min;
    const v = 10 ** Math.min(hi, Math.max(lo, x));
    return p.integer ? Math.round(v) : Number(v.toPrecision(2));
  }
  return p.integer ? Math.round(x) : x;
}

/** Slider bounds (log sliders get an extra notch for the nullable end). */
export function sliderRange(p) {
  if (p.kind === 'log') {
    let lo = Math.log10(p.min), hi = Math.log10(p.max);
    if (p.nullable === 'max') hi += 0.25;
    if (p.nullable === 'min') lo -= 0.25;
    return { min: lo, max: hi, step: p.step };
  }
  return { min: p.min, max: p.max, step: p.step };
}

/** Whether two parameter values are the same for display/URL purposes. */
export function sameValue(p, a, b) {
  if (a === null || b === null) return a === b;
  if (typeof a === 'number' && typeof b === 'number') return Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(a), Math.abs(b));
  return a === b;
}

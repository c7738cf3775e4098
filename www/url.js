// The experiment lives in the query string so a link reproduces it:
// ?preset=default&seed=7&w1=0.5&gamma=0.95&lr=0.001&n_videos=3000&mode=user
// Only the preset, the seed and the values that differ from the preset's defaults are written.

import { PARAMS, paramFor, parseValue, encodeValue, getValue, sameValue, quote } from './params.js';
import { clip } from './dom.js';

export const MODES = ['agent', 'user'];

/** Unknown names quoted in a message at most. */
const MAX_UNKNOWN = 16;

/** A parameter name as messages show it (at most 40 characters). */
const name = (key) => quote(key, 40);

/**
 * Reads the query string. Returns the parsed values, the raw text of each accepted key, a
 * list of human-readable problems (unknown names, unparsable values, repeated keys) and, if a
 * name was unknown, `known`: a sentence listing the known ones;
 * problematic entries are left out so the caller falls back to the defaults for them. Names are
 * looked up as own properties only: "constructor", "__proto__" and the like are unknown.
 * @param {string} search  location.search
 * @param {string[]} speeds  accepted speed names
 */
export function readUrl(search, speeds) {
  const q = new URLSearchParams(search);
  const out = { values: new Map(), raw: new Map(), mode: null, speed: null, problems: [], known: null };
  const counts = new Map();
  for (const [key, raw] of q) {
    counts.set(key, (counts.get(key) || 0) + 1);
    if (!out.raw.has(key)) out.raw.set(key, raw);
  }
  const unknown = [];
  for (const [key, n] of counts) {
    const raw = out.raw.get(key);
    const known = key === 'mode' || key === 'speed' || paramFor(key);
    if (!known) {
      unknown.push(key);
      continue;
    }
    if (n > 1) {
      // Neither the first nor the last: a link that says two things is not half-applied.
      const all = q.getAll(key).slice(0, 4).map((v) => quote(v, 20)).join(', ');
      const def = key === 'mode' ? 'showing the agent' : 'using the default';
      out.problems.push(`${name(key)} is given ${n} times (${all}${n > 4 ? ', \u2026' : ''}); ${def}.`);
      continue;
    }
    if (key === 'mode') {
      if (MODES.includes(raw)) out.mode = raw;
      else out.problems.push(`mode=${clip(raw)}: must be "agent" or "user"; showing the agent.`);
    } else if (key === 'speed') {
      if (speeds.includes(raw)) out.speed = raw;
      else out.problems.push(`speed=${clip(raw)}: must be one of ${speeds.join(', ')}; using the default.`);
    } else {
      const p = paramFor(key);
      try {
        out.values.set(key, parseValue(p, raw));
      } catch (e) {
        // The key as the link wrote it, then the control's label, as for values the
        // simulator refuses ("n_candidates=20: Candidates per step: …").
        out.problems.push(`${key}=${clip(raw)}: ${p.label}: ${e.message}; using the default.`);
      }
    }
  }
  if (unknown.length) {
    // One item for all unknown names (a link full of them stays a short list).
    const known = `Known parameters: ${['mode', 'speed', ...PARAMS.map((p) => p.key)].join(', ')}.`;
    const shown = unknown.slice(0, MAX_UNKNOWN).map(name).join(', ');
    const more = unknown.length > MAX_UNKNOWN ? ` and ${unknown.length - MAX_UNKNOWN} more` : '';
    out.problems.unshift(unknown.length === 1
      ? `${shown}: unknown parameter, ignored.`
      : `${shown}${more}: unknown parameters, ignored.`);
    out.known = known;
  }
  return out;
}

/**
 * The query string for a configuration.
 * @param {object} cfg       the current config
 * @param {object} defaults  defaultConfig(cfg.preset)
 * @param {{mode: string, speed: string, defaultSpeed: string}} ui
 */
export function queryFor(cfg, defaults, ui) {
  const parts = [];
  for (const p of PARAMS) {
    const v = getValue(cfg, p);
    const always = p.key === 'preset' || p.key === 'seed';
    // A world whose size fields match no named size is written out field by field.
    if (p.key === 'world' && v === 'custom') continue;
    // `defaults` may hold the chosen world size's fields (so they are not written out);
    // the size itself is compared with the preset's own (ui.defaultWorld).
    const def = p.key === 'world' && ui.defaultWorld ? ui.defaultWorld : getValue(defaults, p);
    if (always || !sameValue(p, v, def)) {
      parts.push(`${p.key}=${encodeURIComponent(encodeValue(p, v))}`);
    }
  }
  if (ui.speed && ui.speed !== ui.defaultSpeed) parts.push(`speed=${ui.speed}`);
  if (ui.mode === 'user') parts.push('mode=user');
  return '?' + parts.join('&');
}

let timer = 0;
let pendingQuery = null;

/**
 * Replaces the current history entry's query (no new history entries; throttled because
 * browsers rate-limit replaceState and sliders fire many events).
 */
export function writeUrl(query) {
  pendingQuery = query;
  if (timer) return;
  timer = setTimeout(flushUrl, 150);
}

/** Writes a pending URL change now. */
export function flushUrl() {
  clearTimeout(timer);
  timer = 0;
  if (pendingQuery === null) return;
  const url = location.pathname + pendingQuery + location.hash;
  pendingQuery = null;
  if (url !== location.pathname + location.search + location.hash) {
    history.replaceState(history.state, '', url);
  }
}

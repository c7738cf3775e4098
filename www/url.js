// The experiment lives in the query string so a link reproduces it:
// ?preset=default&seed=7&w1=0.5&gamma=0.95&lr=0.001&n_videos=3000&mode=user
// Only the preset, the seed and the values that differ from the preset's defaults are written.

import { PARAMS, PARAM, parseValue, encodeValue, getValue, sameValue } from './params.js';

export const MODES = ['agent', 'user'];

/**
 * Reads the query string. Returns the parsed values and a list of human-readable problems
 * (unknown names, unparsable values); problematic entries are left out so the caller falls
 * back to the defaults for them.
 * @param {string} search  location.search
 * @param {string[]} speeds  accepted speed names
 */
export function readUrl(search, speeds) {
  const q = new URLSearchParams(search);
  const out = { values: new Map(), mode: null, speed: null, problems: [] };
  for (const [key, raw] of q) {
    if (key === 'mode') {
      if (MODES.includes(raw)) out.mode = raw;
      else out.problems.push(`URL parameter mode=${raw}: must be "agent" or "user"; showing the agent.`);
    } else if (key === 'speed') {
      if (speeds.includes(raw)) out.speed = raw;
      else out.problems.push(`URL parameter speed=${raw}: must be one of ${speeds.join(', ')}; using the default.`);
    } else if (PARAM[key]) {
      try {
        out.values.set(key, parseValue(PARAM[key], raw));
      } catch (e) {
        out.problems.push(`URL parameter ${key}=${raw}: ${e.message}; using the default.`);
      }
    } else {
      out.problems.push(`Unknown URL parameter "${key}" ignored. Known: ${['mode', 'speed', ...PARAMS.map((p) => p.key)].join(', ')}.`);
    }
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
    if (always || !sameValue(p, v, getValue(defaults, p))) {
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

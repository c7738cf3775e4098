// InstaTok Playground: wires the wasm Playground to the feed, the candidate panel, the plots,
// the settings and the URL. Training runs in slices inside requestAnimationFrame, each slice
// sized to take about FRAME_BUDGET_MS, so the page never freezes.

import { hydrateIcons, icon } from './icons.js';
import { Messages } from './messages.js';
import { PARAM, getValue, setValue, sameValue, formatValue } from './params.js';
import { readUrl, queryFor, writeUrl, flushUrl } from './url.js';
import { Controls } from './controls.js';
import { Plots } from './plots.js';
import { Feed, ACTION_TEXT, rewardText } from './feed.js';
import { CandidatePanel } from './candidates.js';

const SPEEDS = [
  { name: '1', label: '1 step/s', sps: 1, view: 'full' },
  { name: '3', label: '3 steps/s', sps: 3, view: 'full' },
  { name: '10', label: '10 steps/s', sps: 10, view: 'slide' },
  { name: '60', label: '60 steps/s', sps: 60, view: 'none' },
  { name: 'max', label: 'max', sps: 0, view: 'none' },
];
const DEFAULT_SPEED = 'max';
/** Milliseconds of training per animation frame at full speed. */
const FRAME_BUDGET_MS = 7;
/** Upper bound on the steps of one training slice. */
const MAX_SLICE_STEPS = 50000;
const DEFAULT_PROFILE = { age: 24, gender: 'f', region: 'west', interests: ['comedy', 'tech'] };

const $ = (id) => document.getElementById(id);
const messages = new Messages(document.querySelector('[data-testid="message"]'));

/** All mutable page state. */
const S = {
  pg: null,
  cfg: null,
  baselines: null,
  preset: 'default',
  overrides: new Map(),
  pending: new Map(),
  mode: 'agent',
  running: false,
  speed: SPEEDS.findIndex((s) => s.name === DEFAULT_SPEED),
  acc: 0,
  lastEvent: null,
  epRet: NaN,
  feedDirty: false,
  viewToken: 0,
  revealed: false,
  profile: { ...DEFAULT_PROFILE },
  user: null,
  lastFrame: performance.now(),
  lastStats: 0,
  lastPlot: 0,
  lastSample: 0,
  rate: { t: performance.now(), steps: 0, value: 0 },
};

let feed, plots, controls, cands;
/** The wasm module's exports, loaded in boot() so a missing build gives a readable message. */
let Playground, defaultConfig, validateConfig;

// ------------------------------------------------------------------ errors

function describe(err) {
  if (err instanceof Error) return err.message || String(err);
  if (typeof err === 'string') return err;
  try {
    return JSON.stringify(err);
  } catch {
    return String(err);
  }
}

function installErrorHandlers() {
  window.addEventListener('error', (e) => {
    // Browsers report a ResizeObserver whose callbacks changed layout again as an error,
    // although nothing failed (the notifications come in the next frame). Ours defer their
    // work, so this can only come from outside the page's code (an extension, say): log it,
    // do not alarm the reader or stop training.
    if (String(e.message).startsWith('ResizeObserver loop')) {
      console.warn(e.message);
      return;
    }
    messages.error(`Unexpected error: ${describe(e.error || e.message)}`);
    stopTraining();
  });
  window.addEventListener('unhandledrejection', (e) => {
    messages.error(`Unexpected error: ${describe(e.reason)}`);
    stopTraining();
  });
  window.__appReady = true;
}

// ------------------------------------------------------------------ config

/** Preset defaults with the overrides applied, validated by the wasm module. */
function configFor(preset, overrides) {
  const c = defaultConfig(preset);
  for (const [k, v] of overrides) setValue(c, PARAM[k], v);
  return validateConfig(c);
}

function currentQuery() {
  return queryFor(S.cfg, defaultConfig(S.preset), { mode: S.mode, speed: SPEEDS[S.speed].name, defaultSpeed: DEFAULT_SPEED });
}

function updateUrl() {
  if (S.cfg) writeUrl(currentQuery());
}

/** Reads the URL into S.preset / S.overrides / mode / speed, reporting every problem. */
function applyUrl() {
  const url = readUrl(location.search, SPEEDS.map((s) => s.name));
  const raw = new URLSearchParams(location.search);
  // One message for all of them: several would cover a phone's screen, each to be closed.
  if (url.problems.length === 1) messages.warn(url.problems[0]);
  else if (url.problems.length > 1) messages.warn(`${url.problems.length} problems in the link: ${url.problems.join(' ')}`);
  if (url.values.has('preset')) S.preset = url.values.get('preset');
  for (const [key, value] of url.values) {
    if (key === 'preset') continue;
    const p = PARAM[key];
    const trial = new Map(S.overrides).set(key, value);
    try {
      configFor(S.preset, trial);
      S.overrides = trial;
    } catch (e) {
      const def = formatValue(p, getValue(defaultConfig(S.preset), p));
      messages.warn(`URL parameter ${key}=${raw.get(key)}: ${describe(e)}; using the default ${def}.`);
    }
  }
  if (url.mode) S.mode = url.mode;
  if (url.speed) S.speed = SPEEDS.findIndex((s) => s.name === url.speed);
}

// ------------------------------------------------------------------ building

const nextFrame = () => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));

/**
 * Builds a new Playground from preset + overrides. On failure the old one stays.
 * @returns {Promise<boolean>}
 */
async function rebuild(preset = S.preset, overrides = S.overrides) {
  let cfg;
  try {
    cfg = configFor(preset, overrides);
  } catch (e) {
    messages.error(describe(e));
    return false;
  }
  stopTraining();
  feed.stopPlaying();
  feed.showNotice('<b>Building the world…</b><br>videos, users, the similarity matrix and the baselines');
  await nextFrame();
  let pg;
  try {
    pg = new Playground(cfg);
  } catch (e) {
    messages.error(describe(e));
    if (S.pg) afterBuild();
    return false;
  }
  if (S.pg && typeof S.pg.free === 'function') S.pg.free();
  S.pg = pg;
  S.preset = preset;
  S.overrides = overrides;
  S.cfg = pg.config();
  S.baselines = pg.baselines();
  S.lastEvent = null;
  // A frame queued before the reset must not redraw the old world's last event.
  S.feedDirty = false;
  S.epRet = NaN;
  S.user = null;
  S.pending.clear();
  plots.reset(S.baselines);
  plots.update(pg, true);
  controls.showAll((p) => (p.key === 'preset' ? S.preset : getValue(S.cfg, p)));
  updatePending();
  updateStats();
  updateUrl();
  afterBuild();
  return true;
}

/** Puts the feed into the right starting state for the mode. */
function afterBuild() {
  feed.hideOverlay();
  if (S.mode === 'user') {
    cands.empty('Start a session: the candidates the agent picks from for <b>you</b> appear here.');
    feed.blank();
    if (S.user && S.user.active && S.user.card) showUserCard(S.user.card, { animate: false });
    else feed.showProfileForm(S.profile);
  } else if (S.lastEvent) {
    showAgentEvent(S.lastEvent, { view: 'none' });
  } else {
    feed.blank();
    cands.empty('Press <b>Train</b>, <b>Step</b> or swipe the feed: the candidates of each step appear here.');
    feed.showNotice(`A simulated user is opening the app.<br>Press <b>${icon('play', 'icon inline-icon')} Train</b> to let
      ${S.cfg ? S.cfg.world.n_users : ''} users scroll while the agent learns, or swipe up / <b>Step</b> for one video at a time.`);
  }
}

// ------------------------------------------------------------------ training (agent mode)

function setRunning(on) {
  S.running = on && S.mode === 'agent' && !!S.pg;
  S.acc = 0;
  const b = $('train-toggle');
  b.setAttribute('aria-pressed', S.running ? 'true' : 'false');
  b.querySelector('.btn-label').textContent = S.running ? 'Pause' : 'Train';
  b.querySelector('svg').outerHTML = icon(S.running ? 'pause' : 'play');
}

function stopTraining() {
  if (S.running) setRunning(false);
}

/** One simulated step shown with full animation (Step button, swipe or key in agent mode). */
function singleStep(fromPx = 0) {
  if (!S.pg) return;
  const res = S.pg.train(1);
  afterTrain(res, { view: 'full', fromPx, stepMs: 900 });
  updateStats();
  if (res.episodes_finished) plots.update(S.pg);
}

/**
 * Trains for about FRAME_BUDGET_MS: pg.trainFor reads the clock between steps, so a slice
 * overshoots by one step at most even when the cost per step jumps (learning starts once the
 * replay memory holds a batch). `cap` bounds the number of steps.
 */
function timedTrain(cap = MAX_SLICE_STEPS) {
  return S.pg.trainFor(FRAME_BUDGET_MS, Math.max(1, Math.min(cap, MAX_SLICE_STEPS)));
}

function runTraining(dt) {
  const sp = SPEEDS[S.speed];
  if (!sp.sps) {
    afterTrain(timedTrain(), { view: 'none' });
    return;
  }
  S.acc += (sp.sps * Math.min(dt, 250)) / 1000;
  const n = Math.floor(S.acc);
  if (n <= 0) return;
  S.acc -= n;
  if (sp.view === 'none') {
    afterTrain(timedTrain(n), { view: 'none' });
  } else {
    afterTrain(S.pg.train(n), { view: sp.view, stepMs: 1000 / sp.sps });
  }
}

/** Bookkeeping after pg.train; shows the last step now or marks the feed for sampling. */
function afterTrain(res, view) {
  S.rate.steps += res.steps;
  const ev = res.last;
  if (!ev) return;
  // `step` counts the videos of the episode so far (1 = its first video). Per-step seconds and
  // the running return are only known when we saw every step of the episode.
  const prev = S.lastEvent;
  const first = ev.step === 1;
  const consecutive = !first && res.steps === 1 && prev && prev.episode === ev.episode && ev.step === prev.step + 1;
  S.epRet = first ? ev.reward : consecutive ? S.epRet + ev.reward : NaN;
  ev._seconds = first ? ev.session_seconds : consecutive ? ev.session_seconds - prev.session_seconds : null;
  ev._ret = S.epRet;
  S.lastEvent = ev;
  if (view.view === 'none') {
    S.feedDirty = true;
  } else {
    showAgentEvent(ev, view);
  }
}

/** Seconds the simulated user spent on the event's video (estimated when not consecutive). */
function secondsOf(ev) {
  if (Number.isFinite(ev._seconds) && ev._seconds >= 0) return ev._seconds;
  return ev.action === 'watched' || ev.action === 'liked' ? ev.video.duration : ev.video.duration * 0.4;
}

function showAgentEvent(ev, view) {
  const token = ++S.viewToken;
  const animate = view.view === 'full' || view.view === 'slide';
  const stepMs = view.stepMs || 900;
  const frac = secondsOf(ev) / (ev.video.duration || 6);
  const fill = () => {
    feed.hideOverlay();
    feed.fill({
      video: ev.video,
      slot: ev.slot,
      nCandidates: ev.candidates.length,
      user: ev.user,
      revealed: S.revealed,
      session: { episode: ev.episode, index: ev.step, seconds: ev.session_seconds, ret: ev._ret },
    });
    feed.setProgress(0);
  };
  const finish = () => {
    if (token !== S.viewToken) return;
    feed.showBadge(ev.action, ev.reward);
    if (ev.action === 'liked') feed.setLiked(true);
  };
  cands.render(ev, { seesCandidates: seesCandidates() });
  setInteraction(ev.action, ev.reward, ev._ret);
  if (!animate) {
    fill();
    feed.setProgress(frac);
    finish();
    return;
  }
  const slideMs = Math.min(300, stepMs * 0.35);
  feed.transition(fill, { animate: true, fromPx: view.fromPx || 0, ms: slideMs }).then(() => {
    if (token !== S.viewToken) return;
    const playMs = view.view === 'full' ? Math.max(0, stepMs * 0.5) : 0;
    return feed.animateProgress(frac, playMs).then(finish);
  });
}

function seesCandidates() {
  const a = S.cfg && S.cfg.agent;
  return !a || a.include_candidate_scores !== false;
}

function setInteraction(action, reward, ret) {
  $('feed-action').textContent = ACTION_TEXT[action] || action || '–';
  $('feed-action').dataset.action = action || '';
  const r = $('feed-reward');
  r.textContent = rewardText(reward);
  r.dataset.reward = String(reward);
  r.className = `ia-value ${reward > 0 ? 'pos' : reward < 0 ? 'neg' : ''}`;
  $('feed-return').textContent = Number.isFinite(ret) ? rewardText(Number(ret.toFixed(1))) : '–';
}

// ------------------------------------------------------------------ user mode

function startUserSession(profile) {
  if (!profile || profile.interests.length !== 2) {
    messages.warn('Pick exactly two interests.');
    return;
  }
  let card;
  try {
    card = S.pg.userStart(profile);
  } catch (e) {
    messages.error(describe(e));
    return;
  }
  S.profile = profile;
  S.user = { active: true, card, ret: 0, videos: 0, seconds: 0, updates: 0, timer: 0, waiting: false };
  feed.hideOverlay();
  setInteraction(null, NaN, 0);
  showUserCard(card, { animate: true });
  updateStats();
}

function showUserCard(card, o) {
  const u = S.user;
  u.card = card;
  u.waiting = false;
  const token = ++S.viewToken;
  const you = { id: 'you', ...S.profile };
  feed.rewind(card.video.duration);
  feed.transition(() => {
    feed.fill({
      video: card.video,
      slot: card.slot,
      nCandidates: card.candidates.length,
      user: you,
      you: true,
      session: { episode: null, index: u.videos + 1, seconds: u.seconds, ret: u.ret },
    });
    feed.setProgress(0);
  }, { animate: o.animate, fromPx: o.fromPx || 0 }).then(() => {
    if (token === S.viewToken && S.user === u && u.active && u.card === card) feed.startPlaying(card.video.duration);
  });
  cands.render(card, { seesCandidates: seesCandidates() });
}

/** The reader's response to the current video goes to the agent. */
function userRespond(action, opts = {}) {
  const u = S.user;
  if (!u || !u.active) return;
  if (u.waiting) {
    // The response to this card is recorded and the next one is about to slide in.
    // A swipe skips the pause; "end" shows the next card and leaves on it.
    if (action === 'skipped' && u.next) advanceUser(opts.fromPx);
    if (action === 'session_end' && u.next) {
      advanceUser(0, false);
      userRespond('session_end');
    }
    return;
  }
  const duration = u.card.video.duration || 6;
  const secs = action === 'watched' ? duration : feed.watchedSeconds();
  feed.stopPlaying();
  let step;
  try {
    step = S.pg.userRespond(action, secs);
  } catch (e) {
    messages.error(describe(e));
    feed.startPlaying(duration);
    return;
  }
  u.ret += step.reward;
  u.videos += 1;
  u.seconds += secs;
  u.updates += step.updates_done || 0;
  u.next = step.next;
  setInteraction(action, step.reward, u.ret);
  // The card's line counts this response at once, like the panel below it.
  feed.setSession({ episode: null, index: u.videos, seconds: u.seconds, ret: u.ret });
  $('user-updates').dataset.last = String(step.updates_done || 0);
  updateStats();
  feed.showBadge(action, step.reward);
  if (action === 'liked') {
    feed.setLiked(true);
    feed.heartBurst(opts.pointer);
  }
  if (step.done || !step.next) {
    u.active = false;
    u.waiting = false;
    setTimeout(() => {
      if (S.user === u && S.mode === 'user') feed.showSummary({ videos: u.videos, seconds: u.seconds, ret: u.ret, updates: u.updates, batch: S.cfg.agent.batch_size });
    }, action === 'session_end' ? 150 : 700);
    return;
  }
  if (action === 'skipped') {
    advanceUser(opts.fromPx);
  } else {
    u.waiting = true;
    u.timer = setTimeout(() => advanceUser(0), action === 'liked' ? 750 : 450);
  }
}

function advanceUser(fromPx = 0, animate = true) {
  const u = S.user;
  if (!u || !u.next) return;
  clearTimeout(u.timer);
  const next = u.next;
  u.next = null;
  showUserCard(next, { animate, fromPx });
}

// ------------------------------------------------------------------ feed input

function onNext(source, fromPx) {
  if (!S.pg) return;
  if (S.mode === 'user') {
    if (S.user && S.user.active) userRespond('skipped', { fromPx });
    else if (!S.user) startUserSession(feed.readProfile() || S.profile);
    return;
  }
  singleStep(fromPx);
}

function onLike(source, pointer) {
  if (S.mode !== 'user') {
    messages.info('In “Watch the agent” the simulated user decides what to like. Switch to “You are the user” to like videos yourself.');
    return;
  }
  if (S.user && S.user.active) userRespond('liked', { pointer });
}

function onOverlayAction(action, profile) {
  if (action === 'start') startUserSession(profile);
  else if (action === 'again') startUserSession(S.profile);
  else if (action === 'profile') {
    S.user = null;
    feed.showProfileForm(S.profile);
  }
}

// ------------------------------------------------------------------ modes

function setMode(mode) {
  S.mode = mode;
  document.body.dataset.mode = mode;
  $(mode === 'user' ? 'mode-user' : 'mode-agent').checked = true;
  stopTraining();
  feed.setMode(mode);
  for (const id of ['train-toggle', 'train-step']) {
    $(id).disabled = mode === 'user';
    $(id).title = mode === 'user' ? 'Simulated users pause while you are the user; switch back to “Watch the agent” to train' : '';
  }
  $('feed-hint').innerHTML = mode === 'user'
    ? 'Let a video play to watch it · swipe up or <kbd>↑</kbd>/<kbd>↓</kbd> to skip · double-tap or <kbd>L</kbd> to like'
    : 'Swipe up, scroll or press <kbd>↑</kbd>/<kbd>↓</kbd>: the simulated user moves on one video';
  setInteraction(null, NaN, mode === 'user' ? 0 : NaN);
  S.user = null;
  afterBuild();
  updateUrl();
}

// ------------------------------------------------------------------ settings

function onControlChange(p, value, source) {
  // "∞" replay and "off" target sync change the agent's structure: they need a rebuild.
  if (p.live && value !== null) {
    const old = getValue(S.cfg, p);
    try {
      S.pg.setParam(p.live, value);
    } catch (e) {
      messages.error(`${p.label}: ${describe(e)}`);
      controls.show(p.key, old);
      return;
    }
    setValue(S.cfg, p, value);
    S.overrides.set(p.key, value);
    controls.show(p.key, value, source === 'slider');
    if (S.pending.delete(p.key)) updatePending();
    updateStats();
    updateUrl();
    return;
  }
  // World settings wait for "Apply & reset"; check them now so a bad value never gets that far.
  const pending = new Map(S.pending).set(p.key, value);
  const { preset, overrides } = withPending(pending);
  try {
    configFor(preset, overrides);
  } catch (e) {
    messages.error(`${p.label}: ${describe(e)}`);
    controls.show(p.key, S.pending.has(p.key) ? S.pending.get(p.key) : appliedValue(p));
    return;
  }
  if (sameValue(p, value, appliedValue(p))) S.pending.delete(p.key);
  else S.pending.set(p.key, value);
  updatePending();
  if (p.live && S.pending.has(p.key)) messages.info(`${p.label} ${formatValue(p, value)} needs a new agent: press “Apply & reset”.`);
}

function appliedValue(p) {
  return p.key === 'preset' ? S.preset : getValue(S.cfg, p);
}

function withPending(pending) {
  const overrides = new Map(S.overrides);
  let preset = S.preset;
  for (const [k, v] of pending) {
    if (k === 'preset') preset = v;
    else overrides.set(k, v);
  }
  return { preset, overrides };
}

function updatePending() {
  const any = S.pending.size > 0;
  $('pending').hidden = !any;
  controls.markPending(new Set(S.pending.keys()));
  $('reset').classList.toggle('btn-attention', any);
  $('reset').title = any ? 'Apply the pending settings: a new world and a fresh agent' : 'Rebuild the world and a fresh agent with the current settings';
  $('preset-name').textContent = S.preset;
}

async function applyPending() {
  const { preset, overrides } = withPending(S.pending);
  return rebuild(preset, overrides);
}

function cancelPending() {
  for (const k of S.pending.keys()) controls.show(k, appliedValue(PARAM[k]));
  S.pending.clear();
  updatePending();
}

// ------------------------------------------------------------------ stats & per-frame UI

const fmtInt = (n) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '–');

function updateStats() {
  if (!S.pg) return;
  const st = S.pg.stats();
  $('episode-count').textContent = fmtInt(st.episode);
  $('stat-steps').textContent = fmtInt(st.steps);
  $('stat-updates').textContent = fmtInt(st.updates);
  $('stat-epsilon').textContent = Number.isFinite(st.epsilon) ? st.epsilon.toFixed(3) : '–';
  const cap = st.replay_capacity == null ? '∞' : fmtInt(st.replay_capacity);
  $('stat-replay').textContent = `${fmtInt(st.replay_len)} / ${cap}`;
  $('stat-loss').textContent = Number.isFinite(st.mean_loss_recent) ? Number(st.mean_loss_recent.toPrecision(3)).toString() : '–';
  $('stat-coverage').textContent = Number.isFinite(st.coverage) ? `${(100 * st.coverage).toFixed(1)}%` : '–';
  // Before any video is shown every creator has zero views: no inequality to speak of yet.
  $('stat-gini').textContent = Number.isFinite(st.creator_gini) && st.coverage > 0 ? st.creator_gini.toFixed(2) : '–';
  $('user-updates').textContent = fmtInt(st.updates);
  $('user-replay').textContent = `${fmtInt(st.replay_len)}${st.replay_len < S.cfg.agent.batch_size ? ` (learning starts at ${S.cfg.agent.batch_size})` : ''}`;
}

function updateSpeedLabel(now) {
  const sp = SPEEDS[S.speed];
  let text = sp.label;
  const r = S.rate;
  if (now - r.t > 1000) {
    r.value = (1000 * r.steps) / (now - r.t);
    r.t = now;
    r.steps = 0;
  }
  if (S.running && !sp.sps && r.value > 0) text = `max · ${fmtInt(r.value)} steps/s`;
  $('speed-value').textContent = text;
}

/**
 * Optional per-frame timing for benchmarks: if `window.__instatokProfile` is an object, the
 * longest time spent in each part of a frame is recorded in it (milliseconds).
 */
function profiled(name, fn) {
  const P = window.__instatokProfile;
  if (!P) return fn();
  const t0 = performance.now();
  const r = fn();
  const dt = performance.now() - t0;
  if (!(P[name] >= dt)) P[name] = dt;
  return r;
}

function frame(now) {
  requestAnimationFrame(frame);
  const dt = Math.max(0, now - S.lastFrame);
  S.lastFrame = now;
  if (!S.pg) return;
  try {
    if (S.running) profiled('train', () => runTraining(dt));
    if (S.mode === 'user') feed.tick(dt);
    if (now - S.lastStats > 100) {
      S.lastStats = now;
      profiled('stats', () => {
        updateStats();
        updateSpeedLabel(now);
      });
    }
    if (now - S.lastPlot > 100) {
      S.lastPlot = now;
      profiled('plots', () => plots.update(S.pg));
    }
    if (S.feedDirty && S.lastEvent && S.mode === 'agent' && now - S.lastSample > 400) {
      S.lastSample = now;
      S.feedDirty = false;
      profiled('feed', () => showAgentEvent(S.lastEvent, { view: 'none' }));
    }
  } catch (e) {
    stopTraining();
    messages.error(`Training stopped: ${describe(e)}. Press Reset to start again.`);
  }
}

// ------------------------------------------------------------------ wiring

function wire() {
  $('train-toggle').addEventListener('click', () => setRunning(!S.running));
  $('train-step').addEventListener('click', () => {
    stopTraining();
    singleStep();
  });
  $('reset').addEventListener('click', () => applyPending());
  $('apply-reset').addEventListener('click', () => applyPending());
  $('cancel-pending').addEventListener('click', cancelPending);
  $('defaults').addEventListener('click', () => {
    cancelPending();
    rebuild(S.preset, new Map([['seed', S.cfg.seed]]));
  });
  $('preset-link').addEventListener('click', (e) => {
    e.preventDefault();
    $('group-world').scrollIntoView({ behavior: 'smooth', block: 'center' });
    $('ctl-preset').focus({ preventScroll: true });
  });
  $('copy-link').addEventListener('click', async () => {
    flushUrl();
    try {
      await navigator.clipboard.writeText(location.href);
      messages.info('Link copied: it reproduces this experiment.');
    } catch {
      messages.info(`Copy this link: ${location.href}`);
    }
  });
  for (const r of document.querySelectorAll('input[name="mode"]')) {
    r.addEventListener('change', () => r.checked && setMode(r.value));
  }
  const speed = $('speed');
  speed.value = String(S.speed);
  const onSpeed = () => {
    S.speed = Number(speed.value);
    S.acc = 0;
    speed.setAttribute('aria-valuetext', SPEEDS[S.speed].label);
    updateSpeedLabel(performance.now());
    updateUrl();
  };
  speed.addEventListener('input', onSpeed);
  onSpeed();

  // Diagram boxes: hover highlights the part of the page they stand for, click jumps to it.
  for (const box of document.querySelectorAll('.dg-box')) {
    const targets = () => box.dataset.spot.split(' ').map((id) => $(id)).filter(Boolean);
    const on = () => targets().forEach((t) => t.classList.add('spotlight'));
    const off = () => targets().forEach((t) => t.classList.remove('spotlight'));
    box.addEventListener('mouseenter', on);
    box.addEventListener('mouseleave', off);
    box.addEventListener('focus', on);
    box.addEventListener('blur', off);
    box.addEventListener('click', (e) => {
      e.preventDefault();
      if (box.classList.contains('dg-interests') && S.mode === 'agent' && !S.revealed) toggleReveal();
      const t = targets()[0] || $('phone');
      t.scrollIntoView({ behavior: matchMedia('(prefers-reduced-motion: reduce)').matches ? 'auto' : 'smooth', block: 'center' });
      t.classList.remove('pulse');
      void t.offsetWidth;
      t.classList.add('pulse');
    });
  }
  window.addEventListener('pagehide', flushUrl);
}

function toggleReveal() {
  S.revealed = !S.revealed;
  if (S.mode === 'agent' && S.lastEvent) feed.renderWho(S.lastEvent.user, { revealed: S.revealed });
}

async function boot() {
  installErrorHandlers();
  hydrateIcons();
  // On a phone the feed should be near the top: fold the preset explanation.
  if (matchMedia('(max-width: 720px)').matches) $('about').open = false;
  feed = new Feed({
    onNext,
    onLike,
    onEnd: () => S.mode === 'user' && userRespond('session_end'),
    onReveal: toggleReveal,
    onVideoEnd: () => userRespond('watched'),
    onOverlayAction,
  });
  feed.blank();
  feed.showNotice('<b>Loading the simulator…</b>');
  cands = new CandidatePanel($('candidates'), $('cand-note'));
  try {
    const wasm = await import('../pkg/instatok.js');
    await wasm.default();
    ({ Playground, defaultConfig, validateConfig } = wasm);
  } catch (e) {
    feed.showNotice('The simulator could not be loaded.');
    messages.error(`Could not load the WebAssembly module (pkg/instatok.js): ${describe(e)}`);
    return;
  }
  plots = new Plots({ ret: $('plot-return'), loss: $('plot-loss'), eps: $('plot-epsilon'), session: $('plot-session') });
  controls = new Controls($('controls'), { onChange: onControlChange, onError: (m) => messages.error(m) });
  applyUrl();
  wire();
  document.body.dataset.mode = S.mode;
  $(S.mode === 'user' ? 'mode-user' : 'mode-agent').checked = true;
  feed.setMode(S.mode);
  let ok = await rebuild();
  if (!ok) {
    // The URL's combination was rejected as a whole: fall back to the preset's defaults.
    messages.warn('Falling back to the preset defaults.');
    ok = await rebuild(S.preset, new Map());
  }
  if (ok) setMode(S.mode);
  requestAnimationFrame(frame);
  document.body.classList.add('is-ready');
  (window.requestIdleCallback || ((f) => setTimeout(f, 200)))(warmUp);
}

/**
 * The browser compiles each WebAssembly function the first time it runs, so the first training
 * slice after pressing Train used to take 20-30 ms more than the others (one long task).
 * Training a throwaway tiny world once, while the page is idle, compiles that code up front.
 */
function warmUp() {
  // Both presets: they use different networks, and the reader may switch.
  for (const preset of ['seed', 'default']) {
    try {
      const c = defaultConfig(preset);
      Object.assign(c.world, { n_videos: 40, n_users: 10, n_creators: 5 });
      c.cf.n_candidates = Math.min(c.cf.n_candidates, 10);
      c.agent.batch_size = 4;
      c.experiment.eval_episodes = 2;
      const w = new Playground(c);
      w.trainFor(1000, 60);
      w.stats();
      w.series('return');
      w.free();
    } catch (e) {
      // Only an optimisation: the real Playground is unaffected.
    }
  }
}

boot();

// InstaTok Playground: wires the simulation Worker (which owns the wasm Playground, see
// www/protocol.js for the messages) to the feed, the candidate panel, the plots, the settings
// and the URL. The main thread only draws: building a world and training happen in the Worker.

import { hydrateIcons, iconEl } from './icons.js';
import { Messages } from './messages.js';
import { PARAMS, PARAM, getValue, setValue, sameValue, formatValue, applySchema } from './params.js';
import { readUrl, queryFor, writeUrl, flushUrl } from './url.js';
import { SimWorker, SeriesStore } from './protocol.js';
import { h, fill, clip, setText, releaseHeight } from './dom.js';
import { Controls } from './controls.js';
import { Plots } from './plots.js';
import { Learn } from './learn.js';
import { Feed, ACTION_TEXT, rewardText } from './feed.js';
import { CandidatePanel } from './candidates.js';
import { Explain } from './explain.js';
import { compileModule } from './wasm.js';
import { giniShownFrom } from './exposure.js';

const SPEEDS = [
  { name: '1', label: '1 step/s', sps: 1, view: 'full' },
  { name: '3', label: '3 steps/s', sps: 3, view: 'full' },
  { name: '10', label: '10 steps/s', sps: 10, view: 'slide' },
  { name: '60', label: '60 steps/s', sps: 60, view: 'none' },
  { name: 'max', label: 'max', sps: 0, view: 'none' },
];
const DEFAULT_SPEED = 'max';
const DEFAULT_PROFILE = { age: 24, gender: 'f', region: 'west', interests: ['comedy', 'tech'] };

const $ = (id) => document.getElementById(id);
const messages = new Messages(document.querySelector('[data-testid="message"]'));

/** All mutable page state. */
const S = {
  /** The simulation Worker (SimWorker); `ready` once a world is built in it. */
  sim: null,
  ready: false,
  /** The world's number in the Worker (messages about older worlds are ignored); -1 while building. */
  gen: -1,
  building: false,
  /** Latest Playground.stats() and the per-episode series, as the Worker reported them. */
  stats: null,
  series: new SeriesStore(),
  /** A single step or a reader's response is on its way to the Worker. */
  busy: false,
  cfg: null,
  preset: 'default',
  overrides: new Map(),
  pending: new Map(),
  mode: 'agent',
  running: false,
  speed: SPEEDS.findIndex((s) => s.name === DEFAULT_SPEED),
  lastEvent: null,
  feedDirty: false,
  /** Whether at least half of the phone is in view (the reader's video plays only then). */
  feedVisible: true,
  viewToken: 0,
  revealed: false,
  profile: { ...DEFAULT_PROFILE },
  user: null,
  lastFrame: performance.now(),
  lastStats: 0,
  lastPlot: 0,
  lastSample: 0,
  /**
   * The candidate table and why panel of a step sampled while training, drawn in the next
   * frames: `{gen, panels: [{where, draw}]}`, `where` a key of `near`.
   */
  panelsDue: null,
  /** Whether the candidate table (`cands`) and the explain area (`why`) are in or near view. */
  near: { cands: true, why: true },
  /** The world (`gen`) each of those panels last drew a step of. */
  drawnGen: { cands: -1, why: -1 },
  /** The skill plot's redraw is due (in a frame of its own, after the training plots'). */
  skillDue: false,
  rate: { t: performance.now(), steps: 0, value: 0 },
};

let feed, plots, controls, cands, explain;
/** The skill plot, compare mode and reader-interest panel (www/learn.js). */
let learn;
/** The wasm module's pure functions (the page's own instance, no Playground in it). */
let defaultConfig, validateConfig;

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
  // The world size first: it sets the size fields that a typed n_videos / n_users then refines.
  if (overrides.has('world')) setValue(c, PARAM.world, overrides.get('world'));
  for (const [k, v] of overrides) if (k !== 'world') setValue(c, PARAM[k], v);
  return validateConfig(c);
}

function currentQuery() {
  // The size fields of a medium / large world are the size's, not changes to write out.
  const defaults = defaultConfig(S.preset);
  const defaultWorld = getValue(defaults, PARAM.world);
  const size = getValue(S.cfg, PARAM.world);
  if (size !== 'custom') setValue(defaults, PARAM.world, size);
  return queryFor(S.cfg, defaults, { defaultWorld, mode: S.mode, speed: SPEEDS[S.speed].name, defaultSpeed: DEFAULT_SPEED });
}

function updateUrl() {
  if (S.cfg) writeUrl(currentQuery());
}

/** Reads the URL into S.preset / S.overrides / mode / speed, reporting every problem. */
function applyUrl() {
  const url = readUrl(location.search, SPEEDS.map((s) => s.name));
  const problems = [...url.problems];
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
      // Named by the controls' labels, as a typed value's refusal is (not by config paths).
      problems.push(`${key}=${clip(url.raw.get(key))}: ${clip(fieldMessage(p, describe(e)), 200)}; using the default ${def}.`);
    }
  }
  // A value the simulator accepts beyond its slider's span (typed values and links may go
  // further) is used, and said so: the slider alone would show its end.
  const beyond = [...url.values].filter(([key]) => S.overrides.has(key)).flatMap(([key, v]) => {
    const p = PARAM[key];
    if (typeof v !== 'number' || (p.kind !== 'range' && p.kind !== 'log') || (v >= p.min && v <= p.max)) return [];
    const f = (x) => (p.integer ? x.toLocaleString('en-US') : formatValue(p, x));
    return [`${p.label} = ${f(v)} is ${v < p.min ? 'below' : 'above'} the slider's range (${f(p.min)} to ${f(p.max)}); it is used as given.`];
  });
  // One message for all of them, as a short list: several would cover a phone's screen.
  if (problems.length === 1) messages.warn(`Link: ${problems[0]}${url.known ? ` ${url.known}` : ''}`, beyond.length ? beyond : null);
  else if (problems.length > 1) messages.warn(`${problems.length} problems in the link:`, [...problems, ...beyond, ...(url.known ? [url.known] : [])]);
  // A warning, not a passing note: it stays until dismissed, as the reader may be reading
  // the introduction when the page opens.
  else if (beyond.length === 1) messages.warn(`Link: ${beyond[0]}`);
  else if (beyond.length > 1) messages.warn('Link values beyond their sliders:', beyond);
  if (url.mode) S.mode = url.mode;
  if (url.speed) S.speed = SPEEDS.findIndex((s) => s.name === url.speed);
}

// ------------------------------------------------------------------ building

/** Takes a Worker snapshot ({gen, stats, series}) into the page's state. */
function absorb(snap) {
  if (!snap || snap.gen !== S.gen) return;
  if (snap.stats) {
    S.stats = snap.stats;
    // Replies about the reader's session carry the reader's Playground (a bandit) stats.
    S.statsFromReader = !!snap.reader;
  }
  S.series.append(snap.series);
}

/** What each build stage (BuildProgress.stage) is doing. */
const BUILD_STAGES = {
  world: 'Drawing videos and users',
  history: 'Drawing the users\u2019 watch history',
  matrix: 'Counting interactions per video',
  index: 'Finding each video\u2019s nearest neighbours',
};

/** The building indicator over the feed: a moving bar and the seconds so far. */
function showBuilding() {
  const t0 = performance.now();
  const secs = h('span', { class: 'build-secs', text: '' });
  const stageText = h('div', { class: 'build-stage', dataset: { testid: 'build-stage' }, text: '' });
  feed.showNotice(h('div', { class: 'building', dataset: { testid: 'building' }, attrs: { role: 'progressbar', 'aria-label': 'Building the world' } },
    h('b', { text: 'Building the world\u2026' }), h('br'),
    'videos, users, their histories and the similarity index ', secs,
    h('div', { class: 'build-bar' }, h('i')),
    stageText));
  // The Worker reports {stage, done, total, fraction} while it builds: a real bar from then on.
  S.buildProgress = (m) => {
    const bar = stageText.parentElement && stageText.parentElement.querySelector('.build-bar');
    if (!bar) return;
    bar.classList.add('real');
    bar.dataset.fraction = String(m.fraction);
    bar.setAttribute('aria-valuenow', String(Math.round(m.fraction * 100)));
    bar.firstElementChild.style.width = `${(100 * m.fraction).toFixed(1)}%`;
    const what = BUILD_STAGES[m.stage] || m.stage;
    const part = m.total > 1 ? ` (${m.done.toLocaleString('en')} of ${m.total.toLocaleString('en')})` : '';
    stageText.textContent = `${what}${part} \u00b7 ${Math.round(100 * m.fraction)}% in all`;
  };
  const timer = setInterval(() => {
    const s = (performance.now() - t0) / 1000;
    if (s >= 0.5) secs.textContent = `(${s.toFixed(1)} s)`;
  }, 100);
  return () => clearInterval(timer);
}

/**
 * Builds a new Playground in the Worker from preset + overrides. On failure the old one stays.
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
  const oldGen = S.gen;
  S.gen = -1;
  S.building = true;
  document.body.classList.add('is-building');
  const done = showBuilding();
  let built;
  try {
    built = await S.sim.call('build', { config: cfg });
  } catch (e) {
    messages.error(describe(e));
    S.gen = oldGen;
    if (S.ready) afterBuild();
    return false;
  } finally {
    done();
    S.building = false;
    document.body.classList.remove('is-building');
  }
  adopt(built, preset, overrides);
  return true;
}

/** The page takes over a world the Worker built (a build, or an agent file that rebuilt it). */
function adopt(built, preset, overrides) {
  S.ready = true;
  S.gen = built.gen;
  S.preset = preset;
  S.overrides = overrides;
  S.cfg = built.config;
  S.stats = built.stats;
  S.statsFromReader = false;
  S.series.clear();
  S.lastEvent = null;
  // A frame queued before the reset must not redraw the old world's last event.
  S.feedDirty = false;
  S.user = null;
  S.busy = false;
  S.pending.clear();
  // The readouts under the phone belong to the old world's last step.
  setInteraction(null, NaN, NaN);
  plots.reset();
  plots.update(S.series, true);
  learn.onBuilt();
  controls.showAll((p) => (p.key === 'preset' ? S.preset : getValue(S.cfg, p)));
  // Every field shows an applied (valid) value now: no message about an old typed one stays.
  controls.clearErrors();
  updatePending();
  updateStats();
  updateUrl();
  explain.reset(S.cfg);
  afterBuild();
}

/** An agent file was loaded (www/agentfile.js): same world = new agent and weights, else a new world. */
function onImported(r) {
  if (r.report.rebuilt) {
    adopt(r, S.preset, S.overrides);
    return;
  }
  S.cfg = r.config;
  S.stats = r.stats;
  controls.showAll((p) => (p.key === 'preset' ? S.preset : getValue(S.cfg, p)));
  // Every field shows an applied (valid) value now: no message about an old typed one stays.
  controls.clearErrors();
  updatePending();
  updateStats();
  explain.refreshLast();
}

/** Puts the feed into the right starting state for the mode. */
function afterBuild() {
  feed.hideOverlay();
  if (S.mode === 'user') {
    cands.empty('Start a session: the candidates the agent picks from for ', h('b', { text: 'you' }), ' appear here.');
    feed.blank();
    if (S.user && S.user.active && S.user.card) {
      showUserCard(S.user.card, { animate: false });
    } else {
      feed.showProfileForm(S.profile);
      explain.waiting(true);
    }
  } else if (S.lastEvent) {
    showAgentEvent(S.lastEvent, { view: 'none' });
  } else {
    feed.blank();
    explain.waiting(false);
    cands.empty(`${press()} `, h('b', { text: 'Train' }), ' or ', h('b', { text: 'Step' }), ': the candidates of each step appear here.');
    feed.showNotice('A simulated user is opening the app.', h('br'), `${press()} `,
      h('b', null, iconEl('play', 'icon inline-icon'), ' Train'),
      ` to let ${S.cfg ? fmtInt(S.cfg.world.n_users) : ''} users scroll while the agent learns, or ${press(false)} `,
      h('b', { text: 'Step' }), ' for one video at a time.');
  }
}

// ------------------------------------------------------------------ training (agent mode)

function setRunning(on) {
  const run = on && S.mode === 'agent' && S.ready && !S.building;
  if (run === S.running) return;
  S.running = run;
  for (const b of [$('train-toggle'), $('dock-train')]) {
    b.setAttribute('aria-pressed', S.running ? 'true' : 'false');
    b.querySelector('.btn-label').textContent = S.running ? 'Pause' : 'Train';
    b.querySelector('svg').replaceWith(iconEl(S.running ? 'pause' : 'play'));
  }
  if (run) {
    S.sim.call('start', { sps: SPEEDS[S.speed].sps }).catch((e) => trainingStopped(describe(e)));
  } else if (S.ready) {
    const gen = S.gen;
    // Paused, the trainer's state stays put: the state inspector, skipped while training ran,
    // now shows the input for the decision after the newest step (the card shows that step).
    S.sim.call('pause').then((r) => {
      if (gen !== S.gen) return;
      absorb(r);
      explain.inspect(true);
    }).catch(() => {});
  }
}

function stopTraining() {
  if (S.running) setRunning(false);
}

function trainingStopped(why) {
  stopTraining();
  messages.error(`Training stopped: ${clip(why, 300)}. Press Reset to start again.`);
}

/**
 * Training paused by a detected divergence: says what happened and what to change, with a
 * button that lowers the learning rate tenfold (and trains on) and one that resets.
 */
function showDivergence() {
  stopTraining();
  const d = S.stats && S.stats.divergence;
  if (!d) return;
  updateStats();
  if (S.lastEvent) cands.render(S.lastEvent, candOpts());
  const a = S.cfg.agent;
  const target = getValue(S.cfg, PARAM.target_sync);
  const what = String(d.message).replace(/^training diverged: /, '').replace(/\. Lower agent\..*$/, '');
  const box = messages.error(
    `Training paused: the agent diverged (${what}). Its Q-values no longer mean anything. ` +
    `Lower the learning rate (now ${formatValue(PARAM.lr, a.learning_rate)}) or the \u03b3 discount (now ${formatValue(PARAM.gamma, a.gamma)}), ` +
    `or sync the target network less often (target sync now ${formatValue(PARAM.target_sync, target)}), then train again \u2014 or reset for a fresh agent.`);
  box.dataset.testid = 'divergence';
  const lower = Math.max(PARAM.lr.min, Number((a.learning_rate / 10).toPrecision(2)));
  const actions = h('span', { class: 'msg-actions' },
    h('button', { type: 'button', class: 'btn', dataset: { testid: 'divergence-lower-lr' }, text: `Learning rate \u2192 ${formatValue(PARAM.lr, lower)}` }),
    h('button', { type: 'button', class: 'btn', dataset: { testid: 'divergence-reset' }, text: 'Reset' }));
  box.querySelector('.msg-text').append(actions);
  const [lowerBtn, resetBtn] = actions.querySelectorAll('button');
  lowerBtn.addEventListener('click', async () => {
    box.remove();
    await setLive(PARAM.lr, lower, 'divergence');
  });
  resetBtn.addEventListener('click', () => {
    box.remove();
    rebuild();
  });
}

/** Messages the Worker sends by itself while training. */
function onPush(m) {
  if (m.type === 'progress') {
    if (S.building && S.buildProgress) S.buildProgress(m);
    return;
  }
  if (learn && learn.onPush(m, S.gen)) return;
  if (m.gen !== S.gen) {
    if (m.type === 'stopped' && m.gen === -1) trainingStopped(m.error);
    return;
  }
  absorb(m);
  if (m.type === 'stopped' && m.diverged) {
    showDivergence();
    return;
  }
  if (m.type === 'stopped') {
    trainingStopped(m.error);
    return;
  }
  if (m.type !== 'tick' || !m.last) return;
  const report = { steps: m.steps, last: m.last, why: m.why };
  // The steps still under way when Pause was pressed arrive after it (the Worker sends them
  // before its reply): the card catches up with the newest, which the paused trainer's state
  // (the state inspector's input) follows. Also when the pause came from switching to the
  // reader's feed: the agent's card is drawn again on switching back, and must be the newest.
  if (!S.running) {
    afterTrain(report, { view: 'none' });
    return;
  }
  S.rate.steps += m.steps;
  const sp = SPEEDS[S.speed];
  if (m.paced && sp.view !== 'none') afterTrain(report, { view: sp.view, stepMs: 1000 / sp.sps });
  else afterTrain(report, { view: 'none' });
}

/** One simulated step shown with full animation (Step button, swipe or key in agent mode). */
async function singleStep(fromPx = 0) {
  if (!S.ready || S.busy || S.building) return;
  stopTraining();
  S.busy = true;
  const gen = S.gen;
  try {
    const r = await S.sim.call('step', { n: 1 });
    if (gen !== S.gen) return;
    absorb(r);
    S.rate.steps += r.report.steps;
    afterTrain({ ...r.report, why: r.why }, { view: 'full', fromPx, stepMs: 900 });
    updateStats();
    if (r.report.episodes_finished) plots.update(S.series);
  } catch (e) {
    messages.error(describe(e));
  } finally {
    S.busy = false;
  }
}

/** Bookkeeping after training steps; shows the last step now or marks the feed for sampling. */
function afterTrain(res, view) {
  const ev = res.last;
  if (!ev) return;
  // `step` counts the videos of the episode so far (1 = its first video). Per-step seconds are
  // only known when we saw every step of the episode; the running return comes with the event.
  const prev = S.lastEvent;
  const first = ev.step === 1;
  const consecutive = !first && res.steps === 1 && prev && prev.episode === ev.episode && ev.step === prev.step + 1;
  ev._seconds = first ? ev.session_seconds : consecutive ? ev.session_seconds - prev.session_seconds : null;
  ev._ret = Number.isFinite(ev.session_return) ? ev.session_return : NaN;
  ev._why = res.why;
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
  const panels = [
    { where: 'cands', draw: () => cands.render(ev, candOpts()) },
    { where: 'why', draw: () => explain.showWhy(ev._why, ev) },
  ];
  // A step sampled while training fills the candidate table and the why panel in the next
  // frames, one each (see frame()): the card, the table and the panel each bring their own
  // style and layout work, too much for one frame together.
  if (view.view === 'none') {
    S.panelsDue = { gen: S.gen, panels };
  } else {
    S.panelsDue = null;
    for (const p of panels) p.draw();
  }
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

/** What the candidate panel's note needs besides the step: after a divergence it says so. */
function candOpts() {
  const st = S.stats || {};
  const reader = S.mode === 'user';
  return { seesCandidates: reader || seesCandidates(), diverged: !reader && !!st.divergence, updates: st.updates || 0,
    agent: reader ? 'bandit' : 'dqn', rule: reader ? banditRule() : null };
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
  // At full speed the feed shows a sample of the steps, so a session's running sum is unknown.
  $('feed-return').title = Number.isFinite(ret) || !action ? ''
    : 'Known when every step of the session is on screen: press Step, or train at 10 steps/s or slower';
}

// ------------------------------------------------------------------ user mode

async function startUserSession(profile) {
  if (!profile || profile.interests.length !== 2) {
    messages.warn('Pick exactly two interests.');
    return;
  }
  if (!S.ready || S.busy || S.building) return;
  S.busy = true;
  const gen = S.gen;
  let card;
  try {
    learn.readerStarting();
    const r = await S.sim.call('userStart', { profile });
    if (gen !== S.gen || S.mode !== 'user') return;
    absorb(r);
    card = r.card;
    learn.onReader(r);
  } catch (e) {
    messages.error(describe(e));
    return;
  } finally {
    S.busy = false;
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
  cands.render(card, candOpts());
  // The bandit's sd comes with the card's explanation: the table shows mean ± sd once it is here.
  explain.forCard(card).then((w) => {
    if (w && Array.isArray(w.estimates) && S.user === u && u.card === card) cands.render({ ...card, estimates: w.estimates }, candOpts());
  });
}

/** The reader's response to the current video goes to the agent. */
async function userRespond(action, opts = {}) {
  const u = S.user;
  if (!u || !u.active || u.sending) return;
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
  u.sending = true;
  try {
    const r = await S.sim.call('userRespond', { action, seconds: secs });
    absorb(r);
    step = r.step;
    learn.onReader(r);
  } catch (e) {
    messages.error(describe(e));
    if (S.user === u) feed.startPlaying(duration);
    return;
  } finally {
    u.sending = false;
  }
  if (S.user !== u) return;
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
    // The marker sits on the newest curve point's scale: before any training there is none,
    // so ask the Worker for one first (the trained agent and the baselines, now).
    const mark = () => learn.readerSessionEnded(u.ret, S.series.length);
    if (learn.skill.points.length) mark();
    else {
      const gen = S.gen;
      S.sim.call('curve', { sessions: 40 }).then((r) => {
        if (gen !== S.gen) return;
        learn.onPush({ type: 'curve', gen, point: r.point, ms: 0 }, gen);
        mark();
      }).catch(() => {});
    }
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
  if (!S.ready) return;
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
  for (const id of ['train-toggle', 'train-step', 'dock-train']) {
    $(id).disabled = mode === 'user';
    $(id).title = mode === 'user' ? 'Simulated users pause while you are the user; switch back to “Watch the agent” to train' : '';
  }
  renderHint();
  renderCandExplain();
  setInteraction(null, NaN, mode === 'user' ? 0 : NaN);
  if (mode === 'agent' && S.statsFromReader && S.ready) {
    // Back to the trained agent: its figures replace the reader's bandit's in the toolbar.
    const gen = S.gen;
    S.sim.call('snapshot', {}).then((r) => {
      if (gen !== S.gen) return;
      absorb(r);
      updateStats();
    }).catch(() => {});
  }
  S.user = null;
  // The other mode's panels hold another kind of content: they take its height afresh.
  for (const id of ['why-panel', 'candidates', 'cand-note']) releaseHeight($(id));
  afterBuild();
  updateUrl();
}

/** Touch or narrow screens: the hints speak of swiping and tapping, not of keys. */
const TOUCH = window.matchMedia('(pointer: coarse), (max-width: 720px)');
const touchy = () => TOUCH.matches;
/** "Press" with a mouse and keyboard, "Tap" on a touch screen (capitalised or not). */
const press = (cap = true) => (touchy() ? (cap ? 'Tap' : 'tap') : (cap ? 'Press' : 'press'));

/** The line under the feed: how to move on, in the words of the reader's device. */
function renderHint() {
  const kbd = (t) => h('kbd', { text: t });
  const user = S.mode === 'user';
  let parts;
  if (touchy()) {
    parts = user
      ? ['Let a video play to watch it · swipe up on the card to skip · double-tap to like (a like moves on after a second) · tap End to leave']
      : ['Tap Step: the simulated user moves on one video · swipe to scroll the page'];
  } else {
    parts = user
      ? ['Let a video play to watch it · swipe up or ', kbd('↑'), '/', kbd('↓'), ' to skip · double-tap or ', kbd('L'), ' to like (a like moves on after a second)']
      : ['Press Step or ', kbd('↑'), '/', kbd('↓'), ' (or drag the card up with the mouse): the simulated user moves on one video'];
  }
  $('feed-hint').dataset.input = touchy() ? 'touch' : 'keys';
  fill($('feed-hint'), ...parts);
}

/** How the bandit serving the reader's feed explores, in words (the config's rule). */
function banditRule() {
  const rule = S.cfg && S.cfg.agent && S.cfg.agent.bandit ? S.cfg.agent.bandit.exploration : 'thompson';
  return { thompson: 'Thompson sampling', ucb: 'UCB (mean + α·sd)', greedy: 'no exploration (best estimate)' }[rule] || String(rule);
}

/** The sentence above the candidate table: the DQN's Q-values and ε, or the reader's bandit. */
function renderCandExplain() {
  const formula = h('span', { class: 'formula', text: 'w1·similarity + w2·views/10 + w3·interest' });
  const lead = 'The collaborative filter proposes candidates ranked by a business score ';
  fill($('cand-explain'), lead, formula, S.mode === 'user'
    ? `. Your feed is served by a bandit: its estimate is each candidate's expected immediate reward for you (mean ± sd), and it shows the slot that wins ${banditRule() === 'Thompson sampling' ? 'one random draw from those estimates (Thompson sampling)' : `under its rule, ${banditRule()}`}; there is no ε.`
    : '. The agent shows the slot with the highest Q-value (its estimate of the return that follows), or a random one with probability ε.');
}

/**
 * The sticky toolbar's reach, for scroll-padding-top (anything scrolled into view, by an
 * in-page link or scrollIntoView, stops below it): measured, since the toolbar wraps to one
 * or two rows; 8 px where it does not stick (narrow screens).
 */
function trackToolbarClear() {
  const bar = $('toolbar');
  const update = () => {
    const cs = getComputedStyle(bar);
    const reach = cs.position === 'sticky' ? Math.ceil((parseFloat(cs.top) || 0) + bar.offsetHeight) + 10 : 8;
    document.documentElement.style.setProperty('--toolbar-clear', `${reach}px`);
  };
  new ResizeObserver(update).observe(bar);
  window.addEventListener('resize', update);
  update();
}

// ------------------------------------------------------------------ settings

/** Per live parameter, the number of the newest change sent (older replies only update S.cfg). */
const liveSeq = new Map();

function onControlChange(p, value, source) {
  controls.setError(p.key, null);
  // "∞" replay and "off" target sync change the agent's structure: they need a rebuild.
  if (p.live && value !== null && !(S.pending.has('preset'))) {
    setLive(p, value, source);
    return;
  }
  // World settings wait for "Apply & reset"; check them now so a bad value never gets that far.
  const pending = new Map(S.pending).set(p.key, value);
  const { preset, overrides } = withPending(pending);
  try {
    configFor(preset, overrides);
  } catch (e) {
    controls.refuse(p, fieldMessage(p, describe(e)), S.pending.has(p.key) ? S.pending.get(p.key) : appliedValue(p));
    return;
  }
  if (sameValue(p, value, appliedValue(p)) && !(p.key !== 'preset' && S.pending.has('preset'))) S.pending.delete(p.key);
  else S.pending.set(p.key, value);
  updatePending();
  if (p.live && value === null) controls.setError(p.key, `${p.label} ${formatValue(p, value)} needs a new agent: press \u201cApply & reset\u201d.`, 'info');
}

/** The config field a parameter sets ("world.n_videos"), as the validator names it. */
const fieldOf = (q) => (q.path ? q.path.join('.') : q.schemaPath || '');
const escRe = (t) => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * A validator's message ("cf.n_candidates: must be a whole number in [1, 5 (world.n_videos)]
 * (got 10)") in the words of the field the reader changed (`p`): its label, not the config
 * path; and when the message is about another field bounded by this one, what this one must be
 * ("Videos: at least 10 (Candidates per step is 10)").
 */
function fieldMessage(p, msg) {
  const m = /^([a-z0-9_]+(?:\.[a-z0-9_]+)+): ([\s\S]*)$/.exec(msg);
  if (!m) return `${p.label}: ${msg}`;
  const [, field, rest] = m;
  const mine = fieldOf(p);
  const labelOf = (f) => (PARAMS.find((q) => fieldOf(q) === f) || { label: f }).label;
  const named = (t) => t.replace(/ \(([a-z0-9_]+(?:\.[a-z0-9_]+)+)\)/g, (_, f) => ` (${labelOf(f)})`);
  if (!mine || field === mine) return `${p.label}: ${named(rest)}`;
  const other = labelOf(field);
  const got = /\(got ([^)]*)\)\s*$/.exec(rest);
  if (got && new RegExp(`, [^\\]]*\\(${escRe(mine)}\\)\\]`).test(rest)) return `${p.label}: at least ${got[1]} (${other} is ${got[1]})`;
  if (got && new RegExp(`\\[[^,]*\\(${escRe(mine)}\\),`).test(rest)) return `${p.label}: at most ${got[1]} (${other} is ${got[1]})`;
  return `${p.label}: conflicts with ${other}, which ${named(rest)}`;
}

/** A live parameter goes to the Worker; the control shows it at once and reverts if refused. */
async function setLive(p, value, source) {
  const seq = (liveSeq.get(p.key) || 0) + 1;
  liveSeq.set(p.key, seq);
  if (!S.ready || S.building) {
    controls.refuse(p, `${p.label}: the world is still being built; try again in a moment.`, appliedValue(p));
    return;
  }
  controls.show(p.key, value, source === 'slider');
  const gen = S.gen;
  try {
    // A changed parameter is the reader's answer to a divergence: training may run again.
    const r = await S.sim.call('set', { name: p.live, value, clearDivergence: true });
    if (gen !== S.gen) return;
    absorb(r);
    S.cfg = r.config;
    S.overrides.set(p.key, value);
    if (S.pending.delete(p.key)) updatePending();
    else showPresetName();
    updateStats();
    updateUrl();
  } catch (e) {
    if (gen !== S.gen || liveSeq.get(p.key) !== seq) return;
    controls.refuse(p, `${p.label}: ${describe(e)}`, appliedValue(p));
  }
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

/**
 * Shows what "Apply & reset" would build: the pending values, and for a pending preset its
 * defaults (a preview), each marked pending.
 */
function updatePending() {
  const any = S.pending.size > 0;
  $('pending').hidden = !any;
  let preview = null;
  if (any) {
    try {
      const w = withPending(S.pending);
      preview = configFor(w.preset, w.overrides);
    } catch {
      preview = null;
    }
  }
  const marked = new Set(S.pending.keys());
  for (const p of PARAMS) {
    if (p.key === 'preset') continue;
    if (S.pending.has(p.key)) continue;
    const applied = appliedValue(p);
    const next = preview ? getValue(preview, p) : applied;
    if (!sameValue(p, next, applied)) marked.add(p.key);
    controls.show(p.key, next);
  }
  controls.markPending(marked);
  const presetNote = $('pending-preset');
  if (S.pending.has('preset')) {
    presetNote.hidden = false;
    presetNote.textContent = ` Preset \u201c${S.pending.get('preset')}\u201d: the controls marked pending show its values (${marked.size - 1} differ).`;
  } else {
    presetNote.hidden = true;
  }
  // The World badge says "needs reset" only while an accepted change waits (a refused typed
  // value is never pending).
  const tag = $('world-reset-tag');
  tag.dataset.state = any ? 'on' : 'off';
  tag.textContent = any ? 'needs reset' : 'on reset';
  $('reset').classList.toggle('btn-attention', any);
  $('reset').title = any ? 'Apply the pending settings: a new world and a fresh agent' : 'Rebuild the world and a fresh agent with the current settings';
  showPresetName();
}

/** The toolbar's preset chip: its name, and how many settings now differ from it. */
function showPresetName() {
  let changed = 0;
  try {
    const base = defaultConfig(S.preset);
    for (const [k, v] of S.overrides) if (PARAM[k] && !sameValue(PARAM[k], v, getValue(base, PARAM[k]))) changed += 1;
  } catch {
    changed = 0;
  }
  setText($('preset-name'), changed ? `${S.preset} + ${changed} change${changed === 1 ? '' : 's'}` : S.preset);
}

async function applyPending() {
  const { preset, overrides } = withPending(S.pending);
  return rebuild(preset, overrides);
}

function cancelPending() {
  for (const k of S.pending.keys()) controls.show(k, appliedValue(PARAM[k]));
  S.pending.clear();
  controls.clearErrors();
  updatePending();
}

/** The link to share: the applied settings, or the pending ones when `pending` is set. */
function shareUrl(pending) {
  let cfg = S.cfg;
  let preset = S.preset;
  if (pending && S.pending.size) {
    const w = withPending(S.pending);
    cfg = configFor(w.preset, w.overrides);
    preset = w.preset;
  }
  const q = queryFor(cfg, defaultConfig(preset), { mode: S.mode, speed: SPEEDS[S.speed].name, defaultSpeed: DEFAULT_SPEED });
  return location.origin + location.pathname + q;
}

// ------------------------------------------------------------------ stats & per-frame UI

// One formatter for the stats redrawn ten times a second (toLocaleString builds one per call).
const INT_FORMAT = new Intl.NumberFormat('en-US');
const fmtInt = (n) => (Number.isFinite(n) ? INT_FORMAT.format(Math.round(n)) : '–');

function updateStats() {
  const st = S.stats;
  if (!st || !S.cfg) return;
  setText($('episode-count'), fmtInt(st.episode));
  setText($('stat-steps'), fmtInt(st.steps));
  setText($('stat-updates'), fmtInt(st.updates));
  // The reader's feed is a bandit's (its stats come with the reader's replies): no ε applies.
  const epsLabel = $('stat-epsilon').previousElementSibling;
  // In user mode the counters are the simulated training's until the reader's feed starts,
  // then its bandit's (its 50 warm-up sessions included).
  // Short, in the sticky toolbar (a long note made it a fifth of a desktop screen); the
  // details in its title.
  setText($('stats-note-text'), S.statsFromReader ? 'your feed’s bandit, warm-up included' : 'the DQN’s training, not your feed',
    S.statsFromReader
      ? 'Your feed’s bandit: episodes and steps count its warm-up (50+ simulated sessions); updates and responses grow with your swipes'
      : 'The DQN’s simulated training: your feed has a bandit of its own, whose counters show once you start');
  // A bandit keeps no replay memory and has no TD loss: those cells say what it does keep.
  const reader = S.statsFromReader;
  const label = (id, text, title) => {
    const dt = $(id).previousElementSibling;
    setText(dt, text, title);
  };
  label('stat-replay', reader ? 'Responses' : 'Replay', reader ? 'Responses the bandit has learned from: its warm-up sessions’ and yours' : 'Transitions in the replay memory / its capacity');
  label('stat-loss', 'Loss', reader ? 'A bandit has no TD loss: it updates its estimates exactly with each response' : 'Mean TD loss of the last updates');
  setText($('user-updates').previousElementSibling, reader ? 'Bandit updates' : 'Agent updates');
  setText($('user-replay').previousElementSibling, reader ? 'Responses learned from' : 'Replay memory');
  if (S.statsFromReader) {
    setText($('stat-epsilon'), banditRule() === 'Thompson sampling' ? 'Thompson' : banditRule(),
      `Your feed's bandit explores by ${banditRule()}${banditRule() === 'Thompson sampling' ? ': it acts on one random draw from its estimates' : ''}, not with an ε`);
    setText(epsLabel, 'Explores by');
    epsLabel.classList.remove('greek');
  } else {
    setText($('stat-epsilon'), Number.isFinite(st.epsilon) ? st.epsilon.toFixed(3) : '–', '');
    setText(epsLabel, 'ε');
    epsLabel.classList.add('greek');
  }
  const cap = st.replay_capacity == null ? '∞' : fmtInt(st.replay_capacity);
  setText($('stat-replay'), reader ? fmtInt(st.replay_len) : `${fmtInt(st.replay_len)} / ${cap}`);
  // A diverging loss (1e10 and more) in exponent form, so it keeps to its cell.
  const loss = st.mean_loss_recent;
  setText($('stat-loss'), reader ? '–' : Number.isFinite(loss) ? (Math.abs(loss) >= 1e6 ? loss.toExponential(2) : Number(loss.toPrecision(3)).toString()) : '–');
  setText($('stat-coverage'), Number.isFinite(st.coverage) ? `${(100 * st.coverage).toFixed(1)}%` : '–');
  const giniFrom = giniShownFrom(S.cfg ? S.cfg.world.n_creators : 20);
  const giniOk = Number.isFinite(st.creator_gini) && st.steps >= giniFrom;
  setText($('stat-gini'), giniOk ? st.creator_gini.toFixed(2) : '–', giniOk ? '' : `Shown after ${fmtInt(giniFrom)} videos: over fewer it is mostly chance`);
  setText($('user-updates'), fmtInt(st.updates));
  setText($('user-replay'), `${fmtInt(st.replay_len)}${!reader && st.replay_len < S.cfg.agent.batch_size ? ` (learning starts at ${S.cfg.agent.batch_size})` : ''}`);
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
  setText($('speed-value'), text);
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

/**
 * The next due panel of a sampled step to draw, or null. While training runs, a panel out of
 * view waits (only the newest step's is kept) and is drawn when the reader scrolls near it or
 * pauses, once it has drawn a step of this world (so it has its size, and the page does not
 * grow under a reader who scrolls to it). The table was the heaviest part of a training frame
 * (up to 30 ms of script and, with this thread sharing a busy processor with the Worker,
 * frames of 50-70 ms every 400 ms on a 2-core machine), for a panel nobody was looking at.
 */
function nextPanel() {
  const due = S.panelsDue;
  if (!due) return null;
  if (due.gen !== S.gen || S.mode !== 'agent') {
    S.panelsDue = null;
    return null;
  }
  const k = due.panels.findIndex((p) => !S.running || S.near[p.where] || S.drawnGen[p.where] !== due.gen);
  if (k < 0) return null;
  const [p] = due.panels.splice(k, 1);
  if (!due.panels.length) S.panelsDue = null;
  S.drawnGen[p.where] = due.gen;
  return p.draw;
}

function frame(now) {
  requestAnimationFrame(frame);
  const dt = Math.max(0, now - S.lastFrame);
  S.lastFrame = now;
  if (!S.ready) return;
  try {
    // The reader's video plays only while they can see it: scrolled down to the panels (or on
    // another tab), it waits, as a phone app's feed does, instead of counting unwatched videos
    // as watched and moving the panels on under the reader's eyes.
    if (S.mode === 'user' && S.feedVisible && !document.hidden) feed.tick(dt);
    if (now - S.lastStats > 100) {
      S.lastStats = now;
      profiled('stats', () => {
        updateStats();
        updateSpeedLabel(now);
      });
    }
    // At most one of the heavier parts per frame (a sampled step's card, its candidate table,
    // its why panel, one training plot, the skill plot): each costs a few milliseconds of
    // script plus the style, layout and paint it causes, and together they made frames of more
    // than 50 ms while training.
    const panel = nextPanel();
    if (panel) {
      profiled('panels', panel);
    } else if (S.feedDirty && S.lastEvent && S.mode === 'agent' && now - S.lastSample > 400) {
      S.lastSample = now;
      S.feedDirty = false;
      profiled('feed', () => showAgentEvent(S.lastEvent, { view: 'none' }));
    } else if (now - S.lastPlot > 100) {
      S.lastPlot = now;
      profiled('plots', () => plots.update(S.series));
      S.skillDue = true;
    } else if (S.skillDue) {
      S.skillDue = false;
      profiled('skill', () => learn.frame(S.series));
    }
  } catch (e) {
    trainingStopped(describe(e));
  }
}

// ------------------------------------------------------------------ wiring

function wire() {
  $('train-toggle').addEventListener('click', () => setRunning(!S.running));
  $('dock-train').addEventListener('click', () => setRunning(!S.running));
  // The dock shows while the toolbar is out of view (it only ever shows on narrow screens).
  new IntersectionObserver(([e]) => { $('dock').hidden = e.isIntersecting; }).observe($('toolbar'));
  // Whether the panels of a step sampled while training are near the viewport (see nextPanel()).
  const near = new IntersectionObserver((es) => {
    for (const e of es) S.near[e.target.dataset.near] = e.isIntersecting;
  }, { rootMargin: '50px 0px' });
  $('candidates-section').dataset.near = 'cands';
  $('explain').dataset.near = 'why';
  near.observe($('candidates-section'));
  near.observe($('explain'));
  // Whether at least half of the phone is in view (see frame()).
  new IntersectionObserver(([e]) => {
    S.feedVisible = e.isIntersecting && e.intersectionRatio >= 0.5;
    $('phone').dataset.playing = S.feedVisible ? 'visible' : 'offscreen';
  }, { threshold: [0, 0.5, 1] }).observe($('phone'));
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
    // Pending World changes go into the link, and the message says they are not applied here.
    const withPendingChanges = S.pending.size > 0;
    let link;
    try {
      link = shareUrl(withPendingChanges);
    } catch (e) {
      messages.error(describe(e));
      return;
    }
    const what = withPendingChanges
      ? 'it includes your pending changes, which are not applied on this page yet (press \u201cApply & reset\u201d to run them here).'
      : 'it reproduces this experiment.';
    $('copy-link').dataset.link = link;
    try {
      await navigator.clipboard.writeText(link);
      messages.info(`Link copied: ${what}`);
    } catch {
      messages.info(`Copy this link (${what.replace(/\.$/, '')}): ${link}`);
    }
  });
  // The intro's "You are the user" switches to it and brings the feed into view.
  $('intro-user').addEventListener('click', (e) => {
    e.preventDefault();
    if (S.mode !== 'user') setMode('user');
    $('feed-section').scrollIntoView({ block: 'start' });
  });
  for (const r of document.querySelectorAll('input[name="mode"]')) {
    r.addEventListener('change', () => r.checked && setMode(r.value));
  }
  const speed = $('speed');
  speed.value = String(S.speed);
  const onSpeed = () => {
    S.speed = Number(speed.value);
    if (S.running) S.sim.call('speed', { sps: SPEEDS[S.speed].sps }).catch(() => {});
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
  // Links to the presets explanation unfold it.
  for (const a of document.querySelectorAll('a[href="#presets"]')) {
    a.addEventListener('click', () => { $('presets').open = true; });
  }
}

/**
 * Keeps --sticky-top at the sticky toolbar's bottom edge, and the settings panel beside the
 * plots (desktop) no taller than the part of the window below its top, so its last control and
 * the "Apply & reset" bar pinned to its bottom are on screen whether the page is scrolled or not.
 */
function trackToolbar() {
  const bar = $('toolbar');
  const panel = $('controls');
  const wide = matchMedia('(min-width: 1181px)');
  let stickyTop = 0;
  const set = () => {
    stickyTop = Math.ceil(bar.getBoundingClientRect().height) + 14;
    document.documentElement.style.setProperty('--sticky-top', `${stickyTop}px`);
    fit();
  };
  const fit = () => {
    if (!wide.matches) {
      panel.style.maxHeight = '';
      return;
    }
    const top = Math.max(panel.getBoundingClientRect().top, stickyTop);
    panel.style.maxHeight = `${Math.max(240, Math.floor(window.innerHeight - top - 10))}px`;
  };
  let queued = 0;
  const later = (f) => () => {
    if (queued) return;
    queued = requestAnimationFrame(() => {
      queued = 0;
      f();
    });
  };
  new ResizeObserver(later(set)).observe(bar);
  window.addEventListener('scroll', later(fit), { passive: true });
  window.addEventListener('resize', later(fit));
  set();
}

function toggleReveal() {
  S.revealed = !S.revealed;
  if (S.mode === 'agent' && S.lastEvent) feed.renderWho(S.lastEvent.user, { revealed: S.revealed });
}

async function boot() {
  installErrorHandlers();
  hydrateIcons();
  trackToolbar();
  feed = new Feed({
    onNext,
    onLike,
    onEnd: () => S.mode === 'user' && userRespond('session_end'),
    onReveal: toggleReveal,
    onVideoEnd: () => userRespond('watched'),
    onOverlayAction,
  });
  feed.blank();
  feed.showNotice(h('b', { text: 'Loading the simulator\u2026' }));
  cands = new CandidatePanel($('candidates'), $('cand-note'));
  try {
    // Compiled once here; the page's instance only answers defaultConfig / validateConfig,
    // the Worker instantiates the same module for the Playground.
    const wasm = await import('../pkg/instatok.js');
    const module = await compileModule();
    await wasm.default({ module_or_path: module });
    ({ defaultConfig, validateConfig } = wasm);
    // Typed and link ranges come from the Rust table, the one range per field.
    applySchema(wasm.configSchema());
    S.sim = new SimWorker(onPush);
    await S.sim.call('init', { module });
    explain = new Explain({
      sim: S.sim,
      rule: banditRule,
      messages,
      gen: () => S.gen,
      running: () => S.running,
      episodes: () => (S.stats ? S.stats.episode : 0),
      // Whether the toolbar's counters are the reader's feed's (then panels describe it too).
      reader: () => S.statsFromReader,
      importing: (on) => {
        // No step or rebuild while the Worker loads a file.
        if (on) stopTraining();
        S.building = on;
      },
      onImported,
    });
    // For the benches (tests/e2e/bench.mjs, soak.mjs): the Worker's wasm memory.
    window.__instatokMemory = () => S.sim.call('memory');
  } catch (e) {
    feed.showNotice('The simulator could not be loaded.');
    messages.error(`Could not load the WebAssembly module (pkg/instatok.js): ${describe(e)}`);
    return;
  }
  plots = new Plots({ ret: $('plot-return'), loss: $('plot-loss'), eps: $('plot-epsilon'), session: $('plot-session') });
  controls = new Controls($('controls'), { onChange: onControlChange });
  learn = new Learn({ defaultConfig: (p) => defaultConfig(p), currentConfig: () => S.cfg });
  applyUrl();
  wire();
  trackToolbarClear();
  TOUCH.addEventListener('change', () => {
    renderHint();
    if (S.ready && S.mode === 'agent' && !S.lastEvent) afterBuild();
  });
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
}

boot();

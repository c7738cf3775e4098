// A stand-in for the wasm-bindgen module `pkg/instatok.js`, written in plain JS with fake but
// plausible dynamics. It implements the same API as the real module so the page and the
// end-to-end tests can be developed (and smoke-tested) without a Rust toolchain.
// It is never shipped: `cargo xtask dist` copies the real module into dist/pkg/.

const CATEGORIES = ['comedy', 'educational', 'news', 'food', 'politics', 'animals', 'tech', 'fashion'];
const REGIONS = ['west', 'mid', 'east'];
const ACTIONS = ['watched', 'skipped', 'liked', 'session_end'];
const REWARD = { watched: 1, skipped: -2, liked: 2, session_end: -0.5 };

export default async function init() {
  return {};
}

const clone = (x) => JSON.parse(JSON.stringify(x));

export function defaultConfig(preset = 'default') {
  if (preset !== 'seed' && preset !== 'default') {
    throw new Error(`preset: must be "seed" or "default" (got ${JSON.stringify(preset)})`);
  }
  const seed = preset === 'seed';
  return {
    preset,
    seed: 1,
    world: { n_videos: 3000, n_users: 200, n_creators: 20, mean_views: 50, sd_views: 10 },
    cf: { n_candidates: 10, w1: 0.5, w2: 0.1, w3: 0.3, rebuild_every_step: seed },
    env: { n_steps: 50 },
    agent: {
      architecture: seed ? 'slot_heads' : 'pair_scorer',
      include_candidate_scores: !seed,
      hidden: 64,
      gamma: 0.95,
      learning_rate: 0.001,
      batch_size: 50,
      replay_capacity: seed ? null : 10000,
      epsilon_start: 1,
      epsilon_decay: 0.995,
      epsilon_min: 0.01,
      target: seed ? { kind: 'none' } : { kind: 'hard', every: 100 },
      loss: 'mse',
    },
  };
}

function check(cond, field, rule, got) {
  if (!cond) throw new Error(`${field}: ${rule} (got ${got})`);
}
const isInt = (x) => Number.isInteger(x);
const num = (x) => typeof x === 'number' && Number.isFinite(x);

export function validateConfig(cfg) {
  if (typeof cfg !== 'object' || cfg === null) throw new Error('config: must be an object');
  const c = clone(cfg);
  check(c.preset === 'seed' || c.preset === 'default', 'preset', 'must be "seed" or "default"', c.preset);
  check(isInt(c.seed) && c.seed >= 0, 'seed', 'must be a non-negative integer', c.seed);
  const w = c.world, f = c.cf, a = c.agent;
  check(isInt(w.n_videos) && w.n_videos >= 20 && w.n_videos <= 100000, 'world.n_videos', 'must be an integer in [20, 100000]', w.n_videos);
  check(isInt(w.n_users) && w.n_users >= 1 && w.n_users <= 100000, 'world.n_users', 'must be an integer in [1, 100000]', w.n_users);
  check(isInt(w.n_creators) && w.n_creators >= 1 && w.n_creators <= w.n_videos, 'world.n_creators', 'must be an integer in [1, n_videos]', w.n_creators);
  check(isInt(f.n_candidates) && f.n_candidates >= 1 && f.n_candidates <= 20, 'cf.n_candidates', 'must be an integer in [1, 20]', f.n_candidates);
  for (const k of ['w1', 'w2', 'w3']) check(num(f[k]), `cf.${k}`, 'must be a finite number', f[k]);
  check(isInt(c.env.n_steps) && c.env.n_steps >= 1, 'env.n_steps', 'must be an integer >= 1', c.env.n_steps);
  check(num(a.gamma) && a.gamma >= 0 && a.gamma <= 1, 'agent.gamma', 'must be in [0, 1]', a.gamma);
  check(num(a.learning_rate) && a.learning_rate > 0 && a.learning_rate <= 1, 'agent.learning_rate', 'must be in (0, 1]', a.learning_rate);
  check(isInt(a.batch_size) && a.batch_size >= 1 && a.batch_size <= 4096, 'agent.batch_size', 'must be an integer in [1, 4096]', a.batch_size);
  check(a.replay_capacity === null || (isInt(a.replay_capacity) && a.replay_capacity >= a.batch_size), 'agent.replay_capacity', 'must be null or an integer >= batch_size', a.replay_capacity);
  check(num(a.epsilon_decay) && a.epsilon_decay > 0 && a.epsilon_decay <= 1, 'agent.epsilon_decay', 'must be in (0, 1]', a.epsilon_decay);
  check(num(a.epsilon_min) && a.epsilon_min >= 0 && a.epsilon_min <= 1, 'agent.epsilon_min', 'must be in [0, 1]', a.epsilon_min);
  check(num(a.epsilon_start) && a.epsilon_start >= 0 && a.epsilon_start <= 1, 'agent.epsilon_start', 'must be in [0, 1]', a.epsilon_start);
  const t = a.target;
  check(t && ['none', 'hard', 'soft'].includes(t.kind), 'agent.target.kind', 'must be "none", "hard" or "soft"', t && t.kind);
  if (t.kind === 'hard') check(isInt(t.every) && t.every >= 1, 'agent.target.every', 'must be an integer >= 1', t.every);
  if (t.kind === 'soft') check(num(t.tau) && t.tau > 0 && t.tau <= 1, 'agent.target.tau', 'must be in (0, 1]', t.tau);
  return c;
}

// Small deterministic PRNG (mulberry32).
function rng(seed) {
  let s = (seed * 2654435761) >>> 0 || 1;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const REGION_BONUS = { west: { tech: 0.1, educational: -0.2 }, mid: { animals: 0.1, news: -0.2 }, east: { food: 0.1, tech: -0.2 } };

export class Playground {
  constructor(cfg) {
    this.cfg = validateConfig(cfg);
    this.rand = rng(this.cfg.seed + 17);
    const r = this.rand;
    const w = this.cfg.world;
    this.videos = Array.from({ length: w.n_videos }, (_, id) => ({
      id,
      category: CATEGORIES[Math.floor(r() * 8)],
      creator: Math.floor(r() * w.n_creators),
      views: Math.round(50 + 10 * (r() + r() + r() - 1.5) * 2),
      duration: 6,
    }));
    this.users = Array.from({ length: w.n_users }, (_, id) => ({
      id,
      age: 18 + Math.floor(r() * 12),
      gender: r() < 0.5 ? 'm' : 'f',
      region: REGIONS[Math.floor(r() * 3)],
      interests: [CATEGORIES[Math.floor(r() * 8)], CATEGORIES[Math.floor(r() * 8)]],
    }));
    this.epsilon = this.cfg.agent.epsilon_start;
    // "Q-network": per-slot bias plus (default preset) weights on candidate features.
    this.slotQ = new Float64Array(this.cfg.cf.n_candidates);
    this.featW = [0, 0, 0, 0];
    this.replay = [];
    this.updates = 0;
    this.steps = 0;
    this.episode = 0;
    this.shown = new Set();
    this.creatorViews = new Float64Array(w.n_creators);
    this.lossRecent = [];
    this.series_ = { return: [], loss: [], epsilon: [], session_seconds: [], watched: [], likes: [], skips: [] };
    this.sess = null;
    this.userSess = null;
    this.baselines_ = this.evalBaselines();
  }

  config() {
    return clone(this.cfg);
  }

  evalBaselines() {
    const mk = (m, s) => ({ mean_return: m, ci95: 1.5, mean_session_seconds: s });
    return { random: mk(2.1, 38), most_viewed: mk(2.6, 41), greedy: mk(5.4, 55), oracle: mk(14.2, 96) };
  }

  baselines() {
    return clone(this.baselines_);
  }

  candidatesFor(user) {
    const r = this.rand;
    const { n_candidates, w1, w2, w3 } = this.cfg.cf;
    const pool = [];
    for (let i = 0; i < n_candidates * 3; i++) {
      const v = this.videos[Math.floor(r() * this.videos.length)];
      const interest = user.interests.includes(v.category);
      const similarity = Math.round((r() * 2 - 0.5 + (interest ? 0.8 : 0)) * 100) / 100;
      const score = w1 * similarity + w2 * 0.1 * v.views + w3 * (interest ? 1 : 0);
      pool.push({ video_id: v.id, category: v.category, similarity, views: v.views, interest, score });
    }
    pool.sort((a, b) => b.score - a.score);
    const cands = pool.slice(0, n_candidates);
    cands.forEach((c, i) => { c.q = this.q(c, i); });
    return cands;
  }

  q(c, slot) {
    let q = this.slotQ[slot];
    if (this.cfg.agent.include_candidate_scores) {
      q += this.featW[0] * c.similarity + this.featW[1] * (c.views / 100) + this.featW[2] * (c.interest ? 1 : 0) + this.featW[3] * c.score;
    }
    return Math.round(q * 1000) / 1000;
  }

  choose(cands) {
    if (this.rand() < this.epsilon) return Math.floor(this.rand() * cands.length);
    let best = 0;
    cands.forEach((c, i) => { if (c.q > cands[best].q) best = i; });
    return best;
  }

  respondProb(user, video) {
    let p = this.rand();
    if (user.interests.includes(video.category)) p = Math.min(1, p + 0.3);
    p = Math.min(1, p + ((REGION_BONUS[user.region] || {})[video.category] || 0));
    return p;
  }

  learn(n) {
    const a = this.cfg.agent;
    if (this.replay.length < a.batch_size) return 0;
    let done = 0;
    for (let k = 0; k < n; k++) {
      let loss = 0;
      const bs = Math.min(a.batch_size, 32);
      for (let b = 0; b < bs; b++) {
        const t = this.replay[Math.floor(this.rand() * this.replay.length)];
        const pred = this.q(t.cand, t.slot);
        const target = t.reward + (t.done ? 0 : a.gamma * Math.max(0, pred));
        const err = target - pred;
        loss += err * err;
        const lr = a.learning_rate * 5;
        this.slotQ[t.slot] += lr * err;
        if (a.include_candidate_scores) {
          this.featW[0] += lr * err * t.cand.similarity;
          this.featW[1] += lr * err * t.cand.views / 100;
          this.featW[2] += lr * err * (t.cand.interest ? 1 : 0);
          this.featW[3] += lr * err * t.cand.score * 0.1;
        }
      }
      this.lossRecent.push(loss / bs);
      if (this.lossRecent.length > 100) this.lossRecent.shift();
      this.updates++;
      done++;
      this.epsilon = Math.max(a.epsilon_min, this.epsilon * a.epsilon_decay);
    }
    return done;
  }

  remember(t) {
    this.replay.push(t);
    const cap = this.cfg.agent.replay_capacity;
    if (cap !== null && this.replay.length > cap) this.replay.shift();
  }

  // Burn a little CPU so timings resemble a real network.
  busy() {
    let x = 0;
    for (let i = 0; i < 4000; i++) x += Math.sqrt(i);
    return x;
  }

  train(maxSteps) {
    if (!Number.isInteger(maxSteps) || maxSteps < 0) throw new Error(`maxSteps: must be a non-negative integer (got ${maxSteps})`);
    let steps = 0, finished = 0, last = null;
    for (; steps < maxSteps; steps++) {
      if (!this.sess) {
        const user = this.users[Math.floor(this.rand() * this.users.length)];
        this.sess = { user, t: 0, seconds: 0, ret: 0, losses: [], watched: 0, likes: 0, skips: 0 };
      }
      const s = this.sess;
      const cands = this.candidatesFor(s.user);
      const slot = this.choose(cands);
      const video = this.videos[cands[slot].video_id];
      const p = this.respondProb(s.user, video);
      const u = this.rand();
      const rest = 1 - p;
      let action;
      if (u < p) action = 'watched';
      else if (u < p + rest / 3) action = 'skipped';
      else if (u < p + (2 * rest) / 3) action = 'liked';
      else action = 'session_end';
      if (s.t + 1 >= this.cfg.env.n_steps && action !== 'session_end') action = action; // truncated below
      const reward = REWARD[action];
      s.seconds += action === 'watched' || action === 'liked' ? 6 : 1 + this.rand() * 4;
      s.ret += reward;
      s.t++;
      if (action === 'watched') s.watched++;
      if (action === 'liked') s.likes++;
      if (action === 'skipped') s.skips++;
      video.views++;
      this.shown.add(video.id);
      this.creatorViews[video.creator]++;
      const done = action === 'session_end' || s.t >= this.cfg.env.n_steps;
      this.remember({ cand: cands[slot], slot, reward, done });
      if (this.learn(1)) s.losses.push(this.lossRecent[this.lossRecent.length - 1]);
      this.steps++;
      this.busy();
      last = {
        episode: this.episode,
        step: s.t,
        user: clone(s.user),
        video: clone(video),
        slot,
        action,
        reward,
        done,
        session_seconds: s.seconds,
        epsilon: this.epsilon,
        candidates: cands,
      };
      if (done) {
        const sr = this.series_;
        sr.return.push(s.ret);
        sr.loss.push(s.losses.length ? s.losses.reduce((a, b) => a + b, 0) / s.losses.length : NaN);
        sr.epsilon.push(this.epsilon);
        sr.session_seconds.push(s.seconds);
        sr.watched.push(s.watched);
        sr.likes.push(s.likes);
        sr.skips.push(s.skips);
        this.episode++;
        finished++;
        this.sess = null;
      }
    }
    return { steps, episodes_finished: finished, episode: this.episode, last };
  }

  stats() {
    const cv = Array.from(this.creatorViews).sort((a, b) => a - b);
    const n = cv.length, total = cv.reduce((a, b) => a + b, 0);
    let gini = 0;
    if (total > 0) {
      let cum = 0;
      cv.forEach((x, i) => { cum += (i + 1) * x; });
      gini = (2 * cum) / (n * total) - (n + 1) / n;
    }
    const lr = this.lossRecent;
    return {
      episode: this.episode,
      steps: this.steps,
      updates: this.updates,
      epsilon: this.epsilon,
      replay_len: this.replay.length,
      replay_capacity: this.cfg.agent.replay_capacity,
      mean_loss_recent: lr.length ? lr.reduce((a, b) => a + b, 0) / lr.length : null,
      coverage: this.shown.size / this.videos.length,
      creator_gini: gini,
    };
  }

  series(name) {
    const s = this.series_[name];
    if (!s) throw new Error(`series: unknown name ${JSON.stringify(name)}`);
    return Float32Array.from(s);
  }

  setParam(name, value) {
    // Like the wasm export (`value: f64`): null arrives as 0, anything else as a number.
    value = Number(value);
    if (!Number.isFinite(value)) throw new Error(`${name}: must be a finite number (got ${value})`);
    const c = clone(this.cfg);
    const a = c.agent;
    switch (name) {
      case 'w1': case 'w2': case 'w3': c.cf[name] = value; break;
      case 'epsilon_decay': case 'epsilon_min': case 'gamma': case 'learning_rate': case 'batch_size': case 'replay_capacity':
        a[name] = value; break;
      case 'target_sync':
        a.target = { kind: 'hard', every: value };
        break;
      default: throw new Error(`setParam: unknown parameter ${JSON.stringify(name)}`);
    }
    this.cfg = validateConfig(c);
    if (name === 'epsilon_min') this.epsilon = Math.max(this.epsilon, 0) && Math.max(this.cfg.agent.epsilon_min, this.epsilon);
    const cap = this.cfg.agent.replay_capacity;
    if (cap !== null && this.replay.length > cap) this.replay.splice(0, this.replay.length - cap);
  }

  card(user) {
    const cands = this.candidatesFor(user);
    const slot = this.choose(cands);
    return { video: clone(this.videos[cands[slot].video_id]), slot, candidates: cands, epsilon: this.epsilon };
  }

  userStart(profile) {
    const p = profile || {};
    if (!REGIONS.includes(p.region)) throw new Error(`profile.region: must be west, mid or east (got ${p.region})`);
    if (p.gender !== 'm' && p.gender !== 'f') throw new Error(`profile.gender: must be "m" or "f" (got ${p.gender})`);
    if (!Array.isArray(p.interests) || p.interests.length !== 2 || !p.interests.every((c) => CATEGORIES.includes(c))) {
      throw new Error('profile.interests: must be two categories');
    }
    const user = { id: this.users.length, age: p.age, gender: p.gender, region: p.region, interests: p.interests.slice() };
    const card = this.card(user);
    this.userSess = { user, t: 0, card };
    return clone(card);
  }

  userRespond(action, watchedSeconds) {
    const s = this.userSess;
    if (!s) throw new Error('userRespond: call userStart first');
    if (!ACTIONS.includes(action)) throw new Error(`action: must be one of ${ACTIONS.join(', ')} (got ${action})`);
    if (!num(watchedSeconds) || watchedSeconds < 0) throw new Error(`watchedSeconds: must be >= 0 (got ${watchedSeconds})`);
    const reward = REWARD[action];
    const c = s.card;
    s.t++;
    const done = action === 'session_end' || s.t >= this.cfg.env.n_steps;
    this.remember({ cand: c.candidates[c.slot], slot: c.slot, reward, done });
    this.shown.add(c.video.id);
    this.steps++;
    const updates_done = this.learn(4);
    let next = null;
    if (!done) {
      s.card = this.card(s.user);
      next = clone(s.card);
    } else {
      this.userSess = null;
    }
    const loss = updates_done ? this.lossRecent[this.lossRecent.length - 1] : null;
    return { reward, done, updates_done, loss, next };
  }

  free() {}
}

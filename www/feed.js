// The phone-shaped feed: renders one video card, plays its progress bar, animates the swipe to
// the next card and turns pointer / wheel / keyboard input into "next", "like" and "end"
// requests. It does not talk to the Playground; app.js decides what each request means.

import { CATEGORY_NAMES, categoryIconEl, categoryColor, categoryChip, categoryLabel, iconEl } from './icons.js';
import { h, fill, patch } from './dom.js';

const SWIPE_PX = 60;
const DOUBLE_TAP_MS = 320;
const SLIDE_MS = 260;

export const ACTION_TEXT = { watched: 'Watched', liked: 'Liked', skipped: 'Skipped', session_end: 'Left the app' };

/** "+2", "−0.5" (with a real minus sign). */
export function rewardText(r) {
  if (!Number.isFinite(r)) return '–';
  const s = Math.abs(r) % 1 ? Math.abs(r).toFixed(1) : String(Math.abs(r));
  return (r > 0 ? '+' : r < 0 ? '\u2212' : '') + s;
}

export class Feed {
  /**
   * @param {object} handlers  onNext(source, dragPx), onLike(source), onEnd(), onReveal(),
   *                           onVideoEnd(), onOverlayAction(action, data)
   */
  constructor(handlers) {
    this.h = handlers;
    this.screen = document.getElementById('screen');
    this.card = document.getElementById('feed-card');
    this.who = document.getElementById('who');
    this.sessionLine = document.getElementById('session-line');
    this.body = document.getElementById('card-body');
    this.meta = document.getElementById('card-meta');
    this.badge = document.getElementById('badge');
    this.bar = document.getElementById('progress-bar');
    this.burst = document.getElementById('heart-burst');
    this.overlay = document.getElementById('overlay');
    this.likeBtn = document.getElementById('like');
    this.endBtn = document.getElementById('end-session');
    this.seq = 0;
    this.anims = [];
    this.barAnim = null;
    this.playing = false;
    this.elapsed = 0;
    this.duration = 6;
    this.reduceMotion = matchMedia('(prefers-reduced-motion: reduce)').matches;
    this.installGestures();
    this.likeBtn.addEventListener('click', () => this.h.onLike('button'));
    this.endBtn.addEventListener('click', () => this.h.onEnd());
    this.overlay.addEventListener('click', (e) => {
      const b = e.target.closest('[data-action]');
      if (b) this.h.onOverlayAction(b.dataset.action, this.readProfile());
    });
    this.card.addEventListener('click', (e) => {
      if (e.target.closest('[data-reveal]')) this.h.onReveal();
    });
  }

  // ---------------------------------------------------------------- input

  installGestures() {
    const card = this.card;
    let start = null;
    let lastTap = { t: 0, x: 0, y: 0 };
    card.addEventListener('pointerdown', (e) => {
      if (e.button !== 0 || e.target.closest('button, a, input, select')) return;
      // Watching the agent, a finger on the card scrolls the page like anywhere else
      // (touch-action: pan-y); swiping to skip is for when the reader is the user.
      if (e.pointerType === 'touch' && this.mode !== 'user') return;
      start = { id: e.pointerId, x: e.clientX, y: e.clientY, t: performance.now(), dy: 0 };
      try { card.setPointerCapture(e.pointerId); } catch { /* synthetic pointers */ }
    });
    card.addEventListener('pointermove', (e) => {
      if (!start || e.pointerId !== start.id) return;
      const dy = e.clientY - start.y;
      start.dy = dy;
      if (Math.abs(dy) > 4 && this.swipeEnabled) {
        // Follow the finger upwards; resist downwards (there is no "previous" video).
        card.style.transform = `translateY(${dy < 0 ? dy : dy * 0.25}px)`;
      }
    });
    const end = (e, cancelled) => {
      if (!start || e.pointerId !== start.id) return;
      const s = start;
      start = null;
      const dy = e.clientY - s.y, dx = e.clientX - s.x;
      const dt = performance.now() - s.t;
      const fast = dt > 0 && dy / dt < -0.5 && dy < -25;
      if (!cancelled && this.swipeEnabled && (dy < -SWIPE_PX || fast)) {
        this.h.onNext('swipe', dy);
        return;
      }
      if (card.style.transform) this.snapBack();
      if (!cancelled && Math.abs(dy) < 10 && Math.abs(dx) < 10 && dt < 400) {
        const now = performance.now();
        if (now - lastTap.t < DOUBLE_TAP_MS && Math.hypot(e.clientX - lastTap.x, e.clientY - lastTap.y) < 40) {
          lastTap = { t: 0, x: 0, y: 0 };
          this.h.onLike('double-tap', e);
        } else {
          lastTap = { t: now, x: e.clientX, y: e.clientY };
        }
      }
    };
    card.addEventListener('pointerup', (e) => end(e, false));
    card.addEventListener('pointercancel', (e) => end(e, true));
    card.addEventListener('dblclick', (e) => e.preventDefault());

    let wheelAcc = 0, wheelLock = 0;
    card.addEventListener('wheel', (e) => {
      // The wheel scrolls the page unless the reader is the user (then it skips a video).
      if (!this.swipeEnabled || this.mode !== 'user') return;
      e.preventDefault();
      const now = performance.now();
      if (now < wheelLock) return;
      wheelAcc += e.deltaY;
      if (Math.abs(wheelAcc) > 50) {
        wheelAcc = 0;
        wheelLock = now + 450;
        this.h.onNext('wheel', 0);
      }
    }, { passive: false });

    document.addEventListener('keydown', (e) => {
      if (e.defaultPrevented || e.altKey || e.ctrlKey || e.metaKey) return;
      const t = e.target;
      if (t instanceof Element && t.closest('input, select, textarea, [contenteditable="true"], .controls, .overlay')) return;
      // With the feed scrolled (mostly) out of view, the keys are the page's: arrows scroll it.
      // (The screen, not the card: the card moves while it slides to the next video.)
      const r = (this.card.parentElement || this.card).getBoundingClientRect();
      if (Math.min(r.bottom, window.innerHeight) - Math.max(r.top, 0) < r.height / 2) return;
      if (e.key === 'ArrowUp' || e.key === 'ArrowDown') {
        e.preventDefault();
        this.h.onNext('key', 0);
      } else if (e.key === 'l' || e.key === 'L') {
        e.preventDefault();
        this.h.onLike('key');
      }
    });
  }

  snapBack() {
    const from = this.card.style.transform;
    this.card.style.transform = '';
    if (!this.reduceMotion) this.card.animate([{ transform: from }, { transform: 'translateY(0)' }], { duration: 180, easing: 'ease-out' });
  }

  // ---------------------------------------------------------------- rendering

  /** Whether swipes/wheel advance the feed (false while an overlay form is up). */
  get swipeEnabled() {
    return this.overlay.hidden || this.overlay.classList.contains('passive');
  }

  setMode(mode) {
    this.mode = mode;
    this.likeBtn.disabled = false;
    this.endBtn.disabled = mode !== 'user';
    this.likeBtn.title = mode === 'user' ? 'Like (L or double-tap)' : 'Lights up when the simulated user likes a video';
    this.stopPlaying();
  }

  /** The user line at the top of the card: who is watching, and their (hidden) interests. */
  renderWho(u, o) {
    if (!u) {
      this.who.replaceChildren();
      return;
    }
    const interests = o.revealed || o.you
      ? u.interests.map((c) => categoryChip(c))
      : h('span', { class: 'secret', title: 'Hidden: reveal them to check whether the agent learns them', text: '? ?' });
    const reveal = o.you ? null : h('button', {
      type: 'button', class: 'reveal', title: "Show the simulated user's two interest categories (the agent sees them: they are part of its state)",
      dataset: { reveal: '', testid: 'reveal' }, attrs: { 'aria-pressed': o.revealed ? 'true' : 'false' },
    }, iconEl('eye'), o.revealed ? 'hide' : 'reveal');
    patch(this.who,
      h('div', { class: 'who-line' }, iconEl('user', 'icon who-icon'), h('b', { text: o.you ? 'You' : `User #${u.id}` }),
        h('span', { text: `${u.age} y` }), h('span', { text: u.gender === 'f' ? 'female' : 'male' }), h('span', { text: u.region })),
      h('div', { class: 'who-line interests', id: 'interests' }, h('span', { class: 'muted', text: 'interests' }), interests, reveal));
  }

  /**
   * The card's session line: episode, video number, seconds and return so far.
   * @param {{episode: number|null, index: number, seconds: number, ret: number}|null} s
   */
  setSession(s) {
    const parts = [];
    if (s) {
      if (s.episode != null) parts.push(`Episode ${s.episode + 1}`);
      parts.push(`video ${s.index}`, `${Math.round(s.seconds)} s`);
      if (Number.isFinite(s.ret)) parts.push(`return ${rewardText(Number(s.ret.toFixed(1)))}`);
    }
    this.sessionLine.textContent = parts.join(' · ');
  }

  /**
   * Fills the card.
   * @param {object} v  { video, slot, nCandidates, user|null, you: bool, revealed, session: {episode, index, seconds, ret} }
   */
  fill(v) {
    const cat = v.video.category;
    this.card.style.setProperty('--cat', categoryColor(cat));
    this.card.dataset.category = cat;
    this.card.dataset.videoId = String(v.video.id);
    this.renderWho(v.user, { you: v.you, revealed: v.revealed });
    this.setSession(v.session);
    patch(this.body, h('div', { class: 'cover' }, categoryIconEl(cat, 'icon cover-icon')),
      h('div', { class: 'cat-name', text: categoryLabel(cat) }));
    // The video's number sits with its other facts at the bottom, so the reaction badge over
    // the middle of the card never covers it.
    patch(this.meta, h('span', { class: 'creator', text: `@creator${v.video.creator}` }),
      h('span', { text: `video #${v.video.id} \u00b7 ${v.video.views} views` }),
      h('span', { title: 'Position in the candidate list the agent picked from', text: `slot ${v.slot + 1} of ${v.nCandidates}` }));
    this.setLiked(false);
    this.hideBadge();
    this.seq += 1;
    this.card.dataset.seq = String(this.seq);
  }

  setLiked(on) {
    this.likeBtn.classList.toggle('liked', on);
    this.likeBtn.setAttribute('aria-pressed', on ? 'true' : 'false');
    this.card.classList.toggle('is-liked', on);
  }

  showBadge(action, reward) {
    this.badge.hidden = false;
    this.badge.className = `badge badge-${action}`;
    fill(this.badge, `${Object.hasOwn(ACTION_TEXT, action) ? ACTION_TEXT[action] : action} `, h('b', { text: rewardText(reward) }));
    if (!this.reduceMotion) this.badge.animate([{ transform: 'scale(0.7)', opacity: 0 }, { transform: 'scale(1)', opacity: 1 }], { duration: 160, easing: 'ease-out' });
  }

  hideBadge() {
    this.badge.hidden = true;
  }

  heartBurst(ev) {
    fill(this.burst, iconEl('heart', 'icon burst-icon'));
    const r = this.card.getBoundingClientRect();
    const x = ev && Number.isFinite(ev.clientX) ? ev.clientX - r.left : r.width / 2;
    const y = ev && Number.isFinite(ev.clientY) ? ev.clientY - r.top : r.height / 2;
    this.burst.style.left = `${x}px`;
    this.burst.style.top = `${y}px`;
    if (this.reduceMotion) return;
    this.burst.animate(
      [{ transform: 'translate(-50%,-50%) scale(0.3)', opacity: 0 }, { transform: 'translate(-50%,-50%) scale(1.15)', opacity: 1, offset: 0.35 }, { transform: 'translate(-50%,-70%) scale(1)', opacity: 0 }],
      { duration: 700, easing: 'ease-out' },
    );
  }

  setProgress(frac) {
    this.bar.style.transform = `scaleX(${Math.max(0, Math.min(1, frac))})`;
  }

  /** Plays the bar from 0 to `frac` over `ms`; resolves when done. */
  animateProgress(frac, ms) {
    if (this.barAnim) this.barAnim.cancel();
    this.setProgress(frac);
    if (this.reduceMotion || ms < 30) return Promise.resolve();
    this.barAnim = this.bar.animate([{ transform: 'scaleX(0)' }, { transform: `scaleX(${Math.min(1, frac)})` }], { duration: ms, easing: 'linear' });
    return this.barAnim.finished.catch(() => {});
  }

  finishAnimations() {
    for (const a of this.anims) a.finish();
    this.anims = [];
    if (this.barAnim) { this.barAnim.finish(); this.barAnim = null; }
  }

  /**
   * Replaces the card with new content, sliding the old one up and the new one in.
   * @param {() => void} fillNew  renders the new content into the card
   * @param {{animate: boolean, fromPx?: number, ms?: number}} o
   */
  transition(fillNew, o) {
    this.finishAnimations();
    const from = o.fromPx || 0;
    this.card.style.transform = '';
    if (!o.animate || this.reduceMotion) {
      fillNew();
      return Promise.resolve();
    }
    const ghost = this.card.cloneNode(true);
    ghost.removeAttribute('data-testid');
    ghost.removeAttribute('tabindex');
    for (const el of [ghost, ...ghost.querySelectorAll('[id]')]) el.removeAttribute('id');
    for (const el of ghost.querySelectorAll('[data-testid]')) el.removeAttribute('data-testid');
    ghost.classList.add('ghost');
    ghost.setAttribute('aria-hidden', 'true');
    this.card.after(ghost);
    fillNew();
    const ms = o.ms || SLIDE_MS;
    const h = this.screen.clientHeight || 500;
    const opts = { duration: ms, easing: 'cubic-bezier(.2,.7,.3,1)' };
    const a1 = ghost.animate([{ transform: `translateY(${from}px)` }, { transform: `translateY(${-h}px)` }], opts);
    const a2 = this.card.animate([{ transform: `translateY(${h + from}px)` }, { transform: 'translateY(0)' }], opts);
    this.anims = [a1, a2];
    const done = a2.finished.catch(() => {}).then(() => ghost.remove());
    a1.finished.catch(() => {}).then(() => ghost.remove());
    return done;
  }

  // ---------------------------------------------------------------- user-mode playback

  /** Rewinds playback for a new video without starting it. */
  rewind(duration) {
    this.duration = duration > 0 ? duration : 6;
    this.elapsed = 0;
    this.playing = false;
    this.setProgress(0);
  }

  /** Starts (or resumes) the progress bar in real time (user mode). */
  startPlaying(duration) {
    if (duration !== this.duration) this.rewind(duration);
    this.playing = true;
  }

  stopPlaying() {
    this.playing = false;
  }

  /** Seconds of the current video watched so far (user mode). */
  watchedSeconds() {
    return Math.min(this.duration, Math.round(this.elapsed * 100) / 100);
  }

  /** Advances playback by `dtMs` (capped, so a background tab does not finish videos). */
  tick(dtMs) {
    if (!this.playing) return;
    this.elapsed += Math.min(dtMs, 100) / 1000;
    this.setProgress(this.elapsed / this.duration);
    if (this.elapsed >= this.duration) {
      this.playing = false;
      this.h.onVideoEnd();
    }
  }

  // ---------------------------------------------------------------- overlays

  /** Hides the overlay. */
  hideOverlay() {
    this.overlay.hidden = true;
    this.overlay.className = 'overlay';
    this.overlay.replaceChildren();
  }

  /** A message over the card that does not block swipes (strings and nodes). */
  showNotice(...parts) {
    this.overlay.className = 'overlay passive';
    fill(this.overlay, h('div', { class: 'notice' }, ...parts));
    this.overlay.hidden = false;
  }

  /** The "who are you?" form for user mode. */
  showProfileForm(p) {
    this.overlay.className = 'overlay form';
    const cats = CATEGORY_NAMES.map((c) => h('label', { class: 'cat-toggle', vars: { '--cat': categoryColor(c) } },
      h('input', { type: 'checkbox', name: 'interest', value: c, checked: p.interests.includes(c) }),
      categoryIconEl(c, 'icon'), h('span', { text: categoryLabel(c) })));
    const select = (name, options, current) => h('select', { name },
      options.map(([value, text]) => h('option', { value: String(value), text, selected: value === current })));
    const form = h('form', { class: 'profile', dataset: { testid: 'profile-form' }, on: { submit: (e) => e.preventDefault() } },
      h('h3', { text: 'Who are you?' }),
      h('p', { text: 'Pick a profile. The agent only knows what a simulated user would tell it.' }),
      // The plots' DQN needs thousands of sessions: a reader's few swipes would not move it.
      h('p', { class: 'small', dataset: { testid: 'profile-bandit' }, text: 'Your feed is served by a bandit, which learns from each of your swipes; the DQN of the plots needs thousands of sessions to learn.' }),
      h('div', { class: 'row' },
        h('label', null, 'Age ', select('age', Array.from({ length: 12 }, (_, i) => [18 + i, String(18 + i)]), p.age)),
        h('label', null, 'Gender ', select('gender', [['f', 'female'], ['m', 'male']], p.gender)),
        h('label', null, 'Region ', select('region', ['west', 'mid', 'east'].map((r) => [r, r]), p.region))),
      h('fieldset', { class: 'cats' }, h('legend', { text: 'Your two interests' }), cats),
      h('p', { class: 'small', text: "Region matters too (the post's market research): west leans to tech, mid to animals, east to food." }),
      h('button', { type: 'button', class: 'btn btn-primary btn-block', dataset: { action: 'start', testid: 'user-start' }, text: 'Start scrolling' }));
    fill(this.overlay, form);
    this.overlay.hidden = false;
    // Keep exactly two interests ticked: a third tick drops the oldest one.
    const order = [...p.interests];
    this.overlay.querySelectorAll('input[name="interest"]').forEach((box) => {
      box.addEventListener('change', () => {
        const i = order.indexOf(box.value);
        if (box.checked) {
          if (i < 0) order.push(box.value);
          while (order.length > 2) {
            const drop = order.shift();
            this.overlay.querySelector(`input[name="interest"][value="${drop}"]`).checked = false;
          }
        } else if (i >= 0) {
          order.splice(i, 1);
        }
      });
    });
    this.overlay.querySelector('[data-action="start"]').focus({ preventScroll: true });
  }

  /** Reads the profile form (or null when it is not shown). */
  readProfile() {
    const f = this.overlay.querySelector('form.profile');
    if (!f) return null;
    const interests = [...f.querySelectorAll('input[name="interest"]:checked')].map((b) => b.value);
    return { age: Number(f.age.value), gender: f.gender.value, region: f.region.value, interests };
  }

  /** End-of-session summary (user mode). */
  showSummary(s) {
    this.overlay.className = 'overlay form';
    fill(this.overlay, h('div', { class: 'summary', dataset: { testid: 'session-summary' } },
      h('h3', { text: 'Session over' }),
      h('p', null, h('b', { text: s.videos }), s.videos === 1 ? ' video · ' : ' videos · ', h('b', { text: Math.round(s.seconds) }), ' s · return ',
        h('b', { text: rewardText(Number(s.ret.toFixed(1))) })),
      // The reader's feed is served by a bandit, which updates its estimates with each response.
      h('p', null, 'Your feed\u2019s bandit updated its estimates ', h('b', { text: s.updates }),
        ` ${s.updates === 1 ? 'time' : 'times'} during your session (the DQN of the plots did not take part).`),
      h('p', { class: 'small', text: 'On the skill plot a pink dot places this return between the simulated sessions\u2019 mean returns under random (0) and the oracle (1). ' +
        'It is one session\u2019s total, not a skill: theirs last a few videos, so yours often lands off the scale, a triangle marked \u201cyou\u201d with its value.' }),
      h('button', { type: 'button', class: 'btn btn-primary btn-block', dataset: { action: 'again', testid: 'user-again' }, text: 'New session' }),
      h('button', { type: 'button', class: 'btn btn-block', dataset: { action: 'profile' }, text: 'Change profile' })));
    this.overlay.hidden = false;
    this.overlay.querySelector('[data-action="again"]').focus({ preventScroll: true });
  }

  /** Empty card (before the first step). */
  blank() {
    this.card.style.setProperty('--cat', '#334155');
    delete this.card.dataset.category;
    this.who.replaceChildren();
    this.sessionLine.textContent = '';
    fill(this.body, h('div', { class: 'cover cover-idle' }, iconEl('play', 'icon cover-icon')));
    this.meta.replaceChildren();
    this.setProgress(0);
    this.hideBadge();
    this.setLiked(false);
  }
}

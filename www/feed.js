// The phone-shaped feed: renders one video card, plays its progress bar, animates the swipe to
// the next card and turns pointer / wheel / keyboard input into "next", "like" and "end"
// requests. It does not talk to the Playground; app.js decides what each request means.

import { CATEGORIES, CATEGORY_NAMES, categoryIcon, categoryColor, categoryChip, icon } from './icons.js';

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

const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' }[c]));

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
      if (!this.swipeEnabled) return;
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
      this.who.innerHTML = '';
      return;
    }
    const interests = o.revealed || o.you
      ? u.interests.map((c) => categoryChip(c)).join('')
      : '<span class="secret" title="Hidden: reveal them to check whether the agent learns them">? ?</span>';
    const reveal = o.you ? '' : `<button type="button" class="reveal" data-reveal data-testid="reveal" aria-pressed="${o.revealed ? 'true' : 'false'}" title="Show the simulated user's two interest categories (the agent sees them: they are part of its state)">${icon('eye')}${o.revealed ? 'hide' : 'reveal'}</button>`;
    this.who.innerHTML = `<div class="who-line">${icon('user', 'icon who-icon')}<b>${o.you ? 'You' : `User #${esc(u.id)}`}</b>
      <span>${esc(u.age)} y</span><span>${u.gender === 'f' ? 'female' : 'male'}</span><span>${esc(u.region)}</span></div>
      <div class="who-line interests" id="interests"><span class="muted">interests</span>${interests}${reveal}</div>`;
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
    const info = CATEGORIES[cat] || { label: cat };
    this.card.style.setProperty('--cat', categoryColor(cat));
    this.card.dataset.category = cat;
    this.card.dataset.videoId = String(v.video.id);
    this.renderWho(v.user, { you: v.you, revealed: v.revealed });
    this.setSession(v.session);
    this.body.innerHTML = `<div class="cover">${categoryIcon(cat, 'icon cover-icon')}</div>
      <div class="cat-name">${esc(info.label)}</div>
      <div class="vid-id">video #${esc(v.video.id)}</div>`;
    this.meta.innerHTML = `<span class="creator">@creator${esc(v.video.creator)}</span>
      <span>${esc(v.video.views)} views</span>
      <span title="Position in the candidate list the agent picked from">slot ${v.slot + 1} of ${v.nCandidates}</span>`;
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
    this.badge.innerHTML = `${ACTION_TEXT[action] || action} <b>${rewardText(reward)}</b>`;
    if (!this.reduceMotion) this.badge.animate([{ transform: 'scale(0.7)', opacity: 0 }, { transform: 'scale(1)', opacity: 1 }], { duration: 160, easing: 'ease-out' });
  }

  hideBadge() {
    this.badge.hidden = true;
  }

  heartBurst(ev) {
    this.burst.innerHTML = icon('heart', 'icon burst-icon');
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
    this.overlay.innerHTML = '';
  }

  /** A message over the card that does not block swipes. */
  showNotice(html) {
    this.overlay.className = 'overlay passive';
    this.overlay.innerHTML = `<div class="notice">${html}</div>`;
    this.overlay.hidden = false;
  }

  /** The "who are you?" form for user mode. */
  showProfileForm(p) {
    this.overlay.className = 'overlay form';
    const cats = CATEGORY_NAMES.map((c) => `<label class="cat-toggle" style="--cat:${categoryColor(c)}">
        <input type="checkbox" name="interest" value="${c}" ${p.interests.includes(c) ? 'checked' : ''}>${categoryIcon(c, 'icon')}<span>${CATEGORIES[c].label}</span></label>`).join('');
    this.overlay.innerHTML = `<form class="profile" data-testid="profile-form" onsubmit="return false">
      <h3>Who are you?</h3>
      <p>Pick a profile. The agent only knows what a simulated user would tell it.</p>
      <div class="row">
        <label>Age <select name="age">${Array.from({ length: 12 }, (_, i) => 18 + i).map((a) => `<option ${a === p.age ? 'selected' : ''}>${a}</option>`).join('')}</select></label>
        <label>Gender <select name="gender"><option value="f" ${p.gender === 'f' ? 'selected' : ''}>female</option><option value="m" ${p.gender === 'm' ? 'selected' : ''}>male</option></select></label>
        <label>Region <select name="region">${['west', 'mid', 'east'].map((r) => `<option ${r === p.region ? 'selected' : ''}>${r}</option>`).join('')}</select></label>
      </div>
      <fieldset class="cats"><legend>Your two interests</legend>${cats}</fieldset>
      <p class="small">Region matters too (the post's market research): west leans to tech, mid to animals, east to food.</p>
      <button type="button" class="btn btn-primary btn-block" data-action="start" data-testid="user-start">Start scrolling</button>
    </form>`;
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
    this.overlay.innerHTML = `<div class="summary" data-testid="session-summary">
      <h3>Session over</h3>
      <p><b>${s.videos}</b> videos · <b>${Math.round(s.seconds)}</b> s · return <b>${rewardText(Number(s.ret.toFixed(1)))}</b></p>
      <p>The agent made <b>${s.updates}</b> learning updates during your session${s.updates ? '' : ` (learning starts once its replay memory holds a batch of ${s.batch})`}.</p>
      <button type="button" class="btn btn-primary btn-block" data-action="again" data-testid="user-again">New session</button>
      <button type="button" class="btn btn-block" data-action="profile">Change profile</button>
    </div>`;
    this.overlay.hidden = false;
    this.overlay.querySelector('[data-action="again"]').focus({ preventScroll: true });
  }

  /** Empty card (before the first step). */
  blank() {
    this.card.style.setProperty('--cat', '#334155');
    delete this.card.dataset.category;
    this.who.innerHTML = '';
    this.sessionLine.textContent = '';
    this.body.innerHTML = `<div class="cover cover-idle">${icon('play', 'icon cover-icon')}</div>`;
    this.meta.innerHTML = '';
    this.setProgress(0);
    this.hideBadge();
    this.setLiked(false);
  }
}

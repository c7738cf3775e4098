// The message area (aria-live): validation errors, URL problems, runtime errors and hints.

import { iconEl } from './icons.js';
import { h, clip } from './dom.js';

export class Messages {
  /** @param {HTMLElement} box  the `[data-testid="message"]` element */
  constructor(box) {
    this.box = box;
    box.addEventListener('click', (e) => {
      const b = e.target.closest('.msg-close');
      if (b) b.closest('.msg').remove();
    });
  }

  /**
   * Shows a message. Errors and warnings stay until dismissed; info messages fade out.
   * Repeating the text of a visible message just refreshes it.
   * @param {string} text   shown as text, at most 600 characters
   * @param {'error'|'warn'|'info'} level
   * @param {string[]} [items]  a short list under the text (at most 8, each at most 800 characters)
   */
  show(text, level = 'error', items = null) {
    text = clip(text, 600);
    for (const old of this.box.querySelectorAll('.msg')) {
      if (old.dataset.text === text) old.remove();
    }
    const p = document.createElement('div');
    p.className = `msg msg-${level}`;
    p.dataset.text = text;
    const span = document.createElement('span');
    span.className = 'msg-text';
    if (items && items.length) {
      const shown = items.slice(0, 8).map((t) => h('li', { text: clip(t, 800) }));
      if (items.length > 8) shown.push(h('li', { text: `and ${items.length - 8} more` }));
      const list = h('ul', { class: 'msg-list' }, shown);
      // On a phone a message stays in view while the page scrolls, and a list of link
      // problems filled a third of the screen: there the list is folded until asked for.
      if (window.matchMedia('(max-width: 720px)').matches) span.append(h('details', { class: 'msg-details' }, h('summary', { text }), list));
      else span.append(text, list);
    } else {
      span.textContent = text;
    }
    const close = document.createElement('button');
    close.type = 'button';
    close.className = 'msg-close';
    close.setAttribute('aria-label', 'Dismiss message');
    close.append(iconEl('close'));
    p.append(span, close);
    this.box.append(p);
    while (this.box.children.length > 6) this.box.firstElementChild.remove();
    if (level === 'info') setTimeout(() => p.remove(), 6000);
    return p;
  }

  error(text, items) {
    return this.show(text, 'error', items);
  }

  warn(text, items) {
    return this.show(text, 'warn', items);
  }

  info(text, items) {
    return this.show(text, 'info', items);
  }

  /** Removes every message (e.g. the early-error placeholders). */
  clear() {
    this.box.replaceChildren();
  }
}

// The message area (aria-live): validation errors, URL problems, runtime errors and hints.

import { icon } from './icons.js';

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
   * @param {string} text
   * @param {'error'|'warn'|'info'} level
   */
  show(text, level = 'error') {
    for (const old of this.box.querySelectorAll('.msg')) {
      if (old.dataset.text === text) old.remove();
    }
    const p = document.createElement('div');
    p.className = `msg msg-${level}`;
    p.dataset.text = text;
    const span = document.createElement('span');
    span.className = 'msg-text';
    span.textContent = text;
    const close = document.createElement('button');
    close.type = 'button';
    close.className = 'msg-close';
    close.setAttribute('aria-label', 'Dismiss message');
    close.innerHTML = icon('close');
    p.append(span, close);
    this.box.append(p);
    while (this.box.children.length > 6) this.box.firstElementChild.remove();
    if (level === 'info') setTimeout(() => p.remove(), 6000);
    return p;
  }

  error(text) {
    return this.show(text, 'error');
  }

  warn(text) {
    return this.show(text, 'warn');
  }

  info(text) {
    return this.show(text, 'info');
  }

  /** Removes every message (e.g. the early-error placeholders). */
  clear() {
    this.box.replaceChildren();
  }
}

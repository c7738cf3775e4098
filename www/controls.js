// The settings panel: one labelled slider + value box (or select / number box) per parameter,
// built from PARAMS. Knows nothing about the Playground; reports changes through a callback.

import { PARAMS, PARAM, formatValue, parseValue, toSlider, fromSlider, sliderRange } from './params.js';
import { clip } from './dom.js';

export class Controls {
  /**
   * @param {HTMLElement} root  element holding the `.ctl-list[data-group]` containers
   * @param {{onChange: (p: object, value: any, source: string) => void}} handlers
   *   A value that does not parse is reported beside its field (setError), not to the handler.
   */
  constructor(root, handlers) {
    this.handlers = handlers;
    this.els = new Map();
    this.values = new Map();
    for (const p of PARAMS) {
      const list = root.querySelector(`.ctl-list[data-group="${p.group}"]`);
      if (list) this.els.set(p.key, this.build(list, p));
    }
  }

  build(list, p) {
    const wrap = document.createElement('div');
    wrap.className = 'ctl';
    wrap.dataset.key = p.key;
    const id = `ctl-${p.key}`;
    const helpId = `help-${p.key}`;
    const label = document.createElement('label');
    label.htmlFor = id;
    label.textContent = p.label;
    wrap.append(label);

    let range = null, box = null, select = null;
    if (p.kind === 'select') {
      select = document.createElement('select');
      select.id = id;
      select.dataset.testid = `ctl-${p.key}`;
      for (const o of p.options) select.add(new Option(p.optionLabels ? p.optionLabels[o] : o, o));
      select.setAttribute('aria-describedby', helpId);
      select.addEventListener('change', () => this.commit(p, select.value, 'select'));
      wrap.append(select);
    } else {
      box = document.createElement('input');
      box.type = 'text';
      box.inputMode = 'decimal';
      box.autocomplete = 'off';
      box.spellcheck = false;
      box.className = 'ctl-value';
      box.dataset.testid = `value-${p.key}`;
      box.setAttribute('aria-label', `${p.label} value`);
      box.addEventListener('change', () => {
        let v;
        try {
          v = parseValue(p, box.value);
        } catch (e) {
          this.refuse(p, `${p.label} (${p.key}): ${e.message}`, this.values.get(p.key));
          return;
        }
        // As the value reads back ("infinity" -> "∞", "1e-4" stays, "0.50" -> "0.5").
        box.value = formatValue(p, v);
        this.commit(p, v, 'box');
      });
      // A refused value's message goes as soon as the field holds a value that parses again
      // (typed, or put back with Escape); a refused one is explained on commit (change).
      box.addEventListener('input', () => {
        if (!this.hasError(p.key)) return;
        try {
          parseValue(p, box.value);
        } catch {
          return;
        }
        this.setError(p.key, null);
      });
      box.addEventListener('keydown', (e) => {
        if (e.key === 'Enter') box.dispatchEvent(new Event('change'));
        if (e.key === 'Escape') {
          this.show(p.key, this.values.get(p.key));
          this.setError(p.key, null);
        }
      });
      if (p.kind === 'number') {
        box.id = id;
        box.classList.add('ctl-value-wide');
        box.setAttribute('aria-describedby', helpId);
        const dice = document.createElement('button');
        dice.type = 'button';
        dice.className = 'btn btn-small';
        dice.textContent = 'New';
        dice.title = 'Pick a new random seed';
        dice.addEventListener('click', () => {
          const v = Math.floor(Math.random() * 1000);
          // Show the seed picked while it waits for "Apply & reset".
          box.value = formatValue(p, v);
          this.commit(p, v, 'button');
        });
        wrap.append(box, dice);
      } else {
        range = document.createElement('input');
        range.type = 'range';
        range.id = id;
        range.dataset.testid = `ctl-${p.key}`;
        const r = sliderRange(p);
        range.min = String(r.min);
        range.max = String(r.max);
        range.step = String(r.step);
        range.setAttribute('aria-describedby', helpId);
        range.addEventListener('input', () => {
          const v = fromSlider(p, range.value);
          box.value = formatValue(p, v);
          range.setAttribute('aria-valuetext', box.value);
          // World parameters are only committed on release: each one asks for a rebuild.
          if (p.live) this.commit(p, v, 'slider');
        });
        range.addEventListener('change', () => {
          if (!p.live) this.commit(p, fromSlider(p, range.value), 'slider');
        });
        wrap.append(box, range);
      }
    }
    const help = document.createElement('small');
    help.className = 'ctl-help';
    help.id = helpId;
    help.textContent = p.help || '';
    // The field's own message line: a refused value is explained here, beside it, and a new
    // message replaces the old one instead of stacking.
    const error = document.createElement('p');
    error.className = 'ctl-error';
    error.id = `error-${p.key}`;
    error.dataset.testid = `error-${p.key}`;
    error.setAttribute('role', 'status');
    error.hidden = true;
    wrap.append(help, error);
    list.append(wrap);
    return { wrap, range, box, select, error };
  }

  /**
   * A refused value: the field shows `kept` (the value still in force) again, and its message
   * says why and that the old value stays.
   */
  refuse(p, text, kept) {
    this.show(p.key, kept);
    this.setError(p.key, `${text} ${/[.!]$/.test(text) ? '' : '\u2014 '}Kept ${formatValue(p, kept)}.`);
  }

  /**
   * Shows `text` beside the field (null clears it). Level 'error' (refused value) or 'info'.
   */
  setError(key, text, level = 'error') {
    const el = this.els.get(key);
    if (!el) return;
    const input = el.box || el.select;
    el.error.hidden = !text;
    el.error.textContent = text ? clip(text, 240) : '';
    el.error.className = `ctl-error ctl-${level}`;
    el.wrap.classList.toggle('has-error', !!text && level === 'error');
    if (input) {
      if (text && level === 'error') {
        input.setAttribute('aria-invalid', 'true');
        input.setAttribute('aria-errormessage', el.error.id);
      } else {
        input.removeAttribute('aria-invalid');
        input.removeAttribute('aria-errormessage');
      }
    }
  }

  /** Whether the field shows a refused value's message (not an info note). */
  hasError(key) {
    const el = this.els.get(key);
    return !!el && el.wrap.classList.contains('has-error');
  }

  /** Clears every field's message. */
  clearErrors() {
    for (const key of this.els.keys()) this.setError(key, null);
  }

  commit(p, value, source) {
    this.setError(p.key, null);
    this.handlers.onChange(p, value, source);
  }

  /**
   * Displays `value` for parameter `key` (does not report a change). `keepSlider` leaves the
   * slider where the reader's pointer put it (a log slider would otherwise snap while dragging).
   */
  show(key, value, keepSlider = false) {
    const p = PARAM[key];
    const el = this.els.get(key);
    if (!p || !el) return;
    this.values.set(key, value);
    if (el.select) {
      // A value outside the options (a world whose size fields were typed: 'custom') is shown
      // as a disabled option.
      if (value != null && ![...el.select.options].some((o) => o.value === value)) {
        const o = new Option(String(value), String(value));
        o.disabled = true;
        el.select.add(o);
      }
      el.select.value = value;
    }
    if (el.box) el.box.value = formatValue(p, value);
    if (el.range && !keepSlider) {
      el.range.value = String(toSlider(p, value));
      el.range.setAttribute('aria-valuetext', formatValue(p, value));
    }
  }

  /** Marks controls whose change waits for "Apply & reset". */
  markPending(keys) {
    for (const [key, el] of this.els) el.wrap.classList.toggle('is-pending', keys.has(key));
  }

  /** Shows every parameter's value from `getter(p)`. */
  showAll(getter) {
    for (const p of PARAMS) this.show(p.key, getter(p));
  }
}

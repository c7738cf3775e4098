// Building DOM nodes without markup: every string becomes a text node, so nothing from the
// simulation, a link or a file is ever parsed as HTML (the page's Content-Security-Policy
// also forbids inline styles, so style values go through the CSSOM here).

/**
 * Creates an element.
 * @param {string} tag
 * @param {object|null} props  class, text, title, id, dataset {..}, attrs {..}, vars {--x: v}, on {event: fn}
 * @param {...(Node|string|number|null|undefined|Array)} children
 */
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  if (props) {
    for (const [k, v] of Object.entries(props)) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'class') el.className = v;
      else if (k === 'text') el.textContent = String(v);
      else if (k === 'dataset') Object.assign(el.dataset, v);
      else if (k === 'attrs') for (const [a, x] of Object.entries(v)) { if (x !== undefined && x !== null && x !== false) el.setAttribute(a, x === true ? '' : String(x)); }
      else if (k === 'vars') for (const [a, x] of Object.entries(v)) el.style.setProperty(a, String(x));
      else if (k === 'style') for (const [a, x] of Object.entries(v)) el.style[a] = x;
      else if (k === 'on') for (const [ev, fn] of Object.entries(v)) el.addEventListener(ev, fn);
      else el[k] = v;
    }
  }
  append(el, children);
  return el;
}

/** Appends children (nodes, strings as text, nested arrays; null/undefined skipped). */
export function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

/** Replaces an element's children. */
export function fill(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

/** Shortens a value for a message: at most `max` characters, then an ellipsis. */
export function clip(value, max = 80) {
  const s = String(value);
  return s.length > max ? `${s.slice(0, max)}\u2026` : s;
}

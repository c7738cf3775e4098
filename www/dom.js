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

/**
 * Sets an element's text and, if given, its title, only where they differ: setting an equal
 * text still replaces the text node, and the browser lays the element out again (the
 * toolbar's counters are set ten times a second while training, most of them unchanged).
 */
export function setText(el, text, title) {
  const t = String(text);
  if (el.textContent !== t) el.textContent = t;
  if (title !== undefined && el.title !== title) el.title = title;
  return el;
}

const steady = new WeakMap();

/**
 * Keeps `el` from shrinking while its content changes in place: a panel redrawn while
 * training (the candidate table and its note, the why panel) varies by a few lines from step
 * to step, and each time everything below it jumped under a reader who had scrolled past it.
 * Its height only grows (a `min-height` at the tallest content seen) until its width changes
 * or {@link releaseHeight} is called (new content of another kind: a placeholder, a new world).
 */
export function steadyHeight(el) {
  const s = { width: -1, max: 0, frame: 0 };
  steady.set(el, s);
  // Notified after layout and before paint: a shrink is undone before it is ever drawn.
  new ResizeObserver(([e]) => {
    const [box] = e.borderBoxSize;
    if (Math.abs(box.inlineSize - s.width) > 0.5) {
      // Another width (a rotated phone, a resized window, a panel shown again): the tallest
      // content so far no longer says anything. Start from the content's own height, in the
      // next frame: shrinking the element here would resize it inside its own notification,
      // which browsers report as a "ResizeObserver loop" error.
      s.width = box.inlineSize;
      s.max = box.blockSize;
      cancelAnimationFrame(s.frame);
      s.frame = requestAnimationFrame(() => {
        el.style.minHeight = '';
        s.max = el.offsetHeight;
        el.style.minHeight = `${s.max}px`;
      });
    } else if (box.blockSize > s.max + 0.5) {
      s.max = box.blockSize;
      el.style.minHeight = `${s.max}px`;
    }
  }).observe(el);
}

/** Lets an element kept by {@link steadyHeight} take its content's height again. */
export function releaseHeight(el) {
  const s = steady.get(el);
  if (!s) return;
  s.max = 0;
  el.style.minHeight = '';
}

/** Replaces an element's children. */
export function fill(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

/**
 * Makes an element's children what `fill(el, ...children)` would make them, changing only
 * the nodes, attributes and texts that differ. Panels redrawn while training (the card, the
 * candidate table, the why panel) keep their nodes: a new step changes a few texts instead of
 * replacing a few hundred nodes, whose style, layout and paint the browser would redo on the
 * page's main thread. Event listeners and properties that are not attributes are not
 * compared: use it for markup built with `h` from data only. Not morphdom: it copies style
 * attributes with setAttribute, which the page's Content-Security-Policy refuses.
 */
export function patch(el, ...children) {
  morphChildren(el, append(document.createDocumentFragment(), children));
  return el;
}

function morphChildren(cur, next) {
  let a = cur.firstChild;
  let b = next.firstChild;
  while (b) {
    const nb = b.nextSibling;
    if (!a) {
      cur.appendChild(b);
    } else if (a.nodeType === b.nodeType && a.nodeName === b.nodeName && a.namespaceURI === b.namespaceURI) {
      morph(a, b);
      a = a.nextSibling;
    } else {
      const na = a.nextSibling;
      cur.replaceChild(b, a);
      a = na;
    }
    b = nb;
  }
  while (a) {
    const na = a.nextSibling;
    cur.removeChild(a);
    a = na;
  }
}

function morph(a, b) {
  if (a.nodeType !== Node.ELEMENT_NODE) {
    if (a.nodeValue !== b.nodeValue) a.nodeValue = b.nodeValue;
    return;
  }
  // Most of a redrawn panel is unchanged (headers, legends, labels): one native comparison.
  if (a.isEqualNode(b)) return;
  for (const name of b.getAttributeNames()) {
    const value = b.getAttribute(name);
    if (a.getAttribute(name) === value) continue;
    // The page's Content-Security-Policy refuses style attributes: styles go through the CSSOM.
    if (name === 'style') morphStyle(a.style, b.style);
    else a.setAttribute(name, value);
  }
  for (const name of a.getAttributeNames()) if (!b.hasAttribute(name)) a.removeAttribute(name);
  morphChildren(a, b);
}

function morphStyle(a, b) {
  for (let i = 0; i < b.length; i++) {
    const p = b[i];
    const v = b.getPropertyValue(p);
    const prio = b.getPropertyPriority(p);
    if (a.getPropertyValue(p) !== v || a.getPropertyPriority(p) !== prio) a.setProperty(p, v, prio);
  }
  for (let i = a.length - 1; i >= 0; i--) if (b.getPropertyValue(a[i]) === '') a.removeProperty(a[i]);
}

/** Shortens a value for a message: at most `max` characters, then an ellipsis. */
export function clip(value, max = 80) {
  const s = String(value);
  return s.length > max ? `${s.slice(0, max)}\u2026` : s;
}

// Inline SVG icons (24x24, stroked with currentColor) and the category palette.
// Drawn here rather than using emoji so the feed looks the same on every platform.

/** Video categories in the order the simulator uses, with a colour and an icon each. */
export const CATEGORIES = {
  comedy: { color: '#f59e0b', label: 'Comedy', icon: '<circle cx="12" cy="12" r="9"/><path d="M8 14s1.5 2.5 4 2.5 4-2.5 4-2.5"/><path d="M9 9.5h.01M15 9.5h.01" stroke-width="3"/>' },
  educational: { color: '#3b82f6', label: 'Educational', icon: '<path d="M22 9.5 12 5 2 9.5 12 14z"/><path d="M6 11.5v4.5c3.5 2.5 8.5 2.5 12 0v-4.5"/><path d="M22 9.5v5"/>' },
  news: { color: '#64748b', label: 'News', icon: '<rect x="3" y="4" width="18" height="16" rx="2"/><path d="M7 8h10M7 12h10M7 16h6"/>' },
  food: { color: '#ef4444', label: 'Food', icon: '<path d="M3 11h18a9 9 0 0 1-18 0z"/><path d="M8 7.5c0-1.2 1.2-1.2 1.2-2.5M12 7.5c0-1.2 1.2-1.2 1.2-2.5M16 7.5c0-1.2 1.2-1.2 1.2-2.5"/>' },
  politics: { color: '#8b5cf6', label: 'Politics', icon: '<path d="M3 21h18M5 18V11M9.5 18V11M14.5 18V11M19 18V11M2.5 9 12 3.5 21.5 9z"/>' },
  animals: { color: '#10b981', label: 'Animals', icon: '<circle cx="5.5" cy="11" r="2"/><circle cx="9.5" cy="6" r="2"/><circle cx="14.5" cy="6" r="2"/><circle cx="18.5" cy="11" r="2"/><path d="M8 17.5c0-2.6 2-5.5 4-5.5s4 2.9 4 5.5c0 1.6-1.1 2.5-2.4 2.5-.9 0-1.1-.6-1.6-.6s-.7.6-1.6.6C9.1 20 8 19.1 8 17.5z"/>' },
  tech: { color: '#0891b2', label: 'Tech', icon: '<rect x="4" y="5" width="16" height="11" rx="1.5"/><path d="M2 19.5h20"/><path d="m10 9-2 1.5 2 1.5M14 9l2 1.5-2 1.5"/>' },
  fashion: { color: '#db2777', label: 'Fashion', icon: '<path d="M8.5 3.5 3 6.5l2 4.5 2.5-1.2V20h9V9.8L19 11l2-4.5-5.5-3c0 1.8-1.6 3-3.5 3s-3.5-1.2-3.5-3z"/>' },
};

export const CATEGORY_NAMES = Object.keys(CATEGORIES);

const UI = {
  heart: '<path d="M12 20.5s-7.5-4.6-9.6-9.3C.9 7.8 3.2 4.5 6.6 4.5c2.2 0 3.7 1.3 5.4 3.2 1.7-1.9 3.2-3.2 5.4-3.2 3.4 0 5.7 3.3 4.2 6.7-2.1 4.7-9.6 9.3-9.6 9.3z"/>',
  stop: '<rect x="6" y="6" width="12" height="12" rx="2.5"/>',
  play: '<path d="M7 4.5v15l12.5-7.5z" fill="currentColor"/>',
  pause: '<path d="M7 5h3.5v14H7zM13.5 5H17v14h-3.5z" fill="currentColor" stroke="none"/>',
  step: '<path d="M5 5v14l10-7z" fill="currentColor"/><path d="M19 5v14"/>',
  reset: '<path d="M3.5 12a8.5 8.5 0 1 0 2.7-6.2L3.5 8.5"/><path d="M3.5 3.5v5h5"/>',
  up: '<path d="m6 14 6-6 6 6"/>',
  eye: '<path d="M2 12s3.6-7 10-7 10 7 10 7-3.6 7-10 7S2 12 2 12z"/><circle cx="12" cy="12" r="3"/>',
  user: '<circle cx="12" cy="8" r="4"/><path d="M4 21c0-4 3.6-7 8-7s8 3 8 7"/>',
  close: '<path d="M6 6l12 12M18 6 6 18"/>',
};

function svg(body, cls = 'icon') {
  return `<svg class="${cls}" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true">${body}</svg>`;
}

/** SVG markup of a UI icon by name. */
export function icon(name, cls) {
  return svg(Object.hasOwn(UI, name) ? UI[name] : '', cls);
}

/** SVG markup of a category's icon. Unknown categories get a neutral circle. */
export function categoryIcon(cat, cls) {
  const c = Object.hasOwn(CATEGORIES, cat) ? CATEGORIES[cat] : null;
  return svg(c ? c.icon : '<circle cx="12" cy="12" r="8"/>', cls);
}

/** A category's colour (grey for unknown ones). */
export function categoryColor(cat) {
  return Object.hasOwn(CATEGORIES, cat) ? CATEGORIES[cat].color : '#6b7280';
}

/** Parsed icons by markup: a few dozen at most (the markup comes from the constants above). */
const PARSED = new Map();

/**
 * An SVG element for markup built from the constants above only (never from data). Each
 * markup is parsed once and cloned after: the feed, the candidate table and the explanation
 * draw many icons while training, and parsing them every time shows on the main thread.
 */
function svgEl(markup) {
  let el = PARSED.get(markup);
  if (!el) {
    const t = document.createElement('template');
    t.innerHTML = markup;
    el = t.content.firstElementChild;
    PARSED.set(markup, el);
  }
  return el.cloneNode(true);
}

/** A UI icon as an SVG element. */
export function iconEl(name, cls) {
  return svgEl(icon(name, cls));
}

/** A category's icon as an SVG element (unknown categories: a neutral circle). */
export function categoryIconEl(cat, cls) {
  return svgEl(categoryIcon(Object.hasOwn(CATEGORIES, cat) ? cat : '', cls));
}

/** A category's display name (the raw name, as text, for an unknown one). */
export function categoryLabel(cat) {
  return Object.hasOwn(CATEGORIES, cat) ? CATEGORIES[cat].label : String(cat);
}

/** Small inline chip: coloured dot + icon + name, as an element. */
export function categoryChip(cat) {
  const el = document.createElement('span');
  el.className = 'chip';
  el.style.setProperty('--cat', categoryColor(cat));
  el.append(categoryIconEl(cat, 'icon chip-icon'), document.createTextNode(categoryLabel(cat)));
  return el;
}

/** Fills every `[data-icon]` placeholder under `root` with its SVG. */
export function hydrateIcons(root = document) {
  for (const el of root.querySelectorAll('[data-icon]')) {
    if (!el.querySelector('svg')) el.prepend(iconEl(el.dataset.icon));
  }
}

// Building the page from data. Every value from the API becomes a text node or an attribute, never markup:
// nothing here parses HTML, so an email or an audit detail cannot run as script.

/**
 * An element: `h('a', { href: '#/users', className: 'x', onclick: fn }, 'text', child)`. Keys starting
 * with `on` add listeners; `className`, `textContent`, `value`, `checked`, `disabled`, `hidden` and
 * `required` are set as properties; the rest as attributes (false, null and undefined leave one out).
 */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on')) element.addEventListener(key.slice(2), value);
    else if (properties.has(key)) element[key] = value;
    else element.setAttribute(key, value === true ? '' : String(value));
  }
  append(element, children);
  return element;
}

const properties = new Set([
  'className',
  'textContent',
  'value',
  'checked',
  'disabled',
  'hidden',
  'required',
]);

function append(element, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : String(child));
  }
}

/** Replaces an element's children. */
export function replaceChildren(element, ...children) {
  element.replaceChildren();
  append(element, children);
}

/** Text for screen readers only (the visible text stays short). */
export function hidden(text) {
  return h('span', { className: 'visually-hidden' }, text);
}

/** A time as `2026-12-01 05:40 UTC` in a <time> element, or a dash for none. */
export function time(iso) {
  if (iso === null || iso === undefined) return h('span', { 'aria-label': 'none' }, '—');
  return h('time', { datetime: iso }, timeText(iso));
}

/** A time as text, `2026-12-01 05:40 UTC` (as it came when it is not one). */
export function timeText(iso) {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/**
 * The hint of a datetime-local field, which reads the browser's own time: named, so that an operator
 * whose browser keeps another zone than they think sees it before saving.
 */
export function localTimeHint() {
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  return zone === undefined ? 'Your local time' : `Your local time (${zone})`;
}

/** Yes or No for a flag. */
export function yesNo(flag) {
  return flag ? 'Yes' : 'No';
}

/** A table with a caption, its column headings and a row of cells per item. */
export function table(caption, headings, rows) {
  return h(
    'div',
    { className: 'table-wrap' },
    h(
      'table',
      {},
      h('caption', {}, caption),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          headings.map((heading) => h('th', { scope: 'col' }, heading)),
        ),
      ),
      h(
        'tbody',
        {},
        rows.map((cells) =>
          h(
            'tr',
            {},
            cells.map((cell) => h('td', {}, cell)),
          ),
        ),
      ),
    ),
  );
}

/** A labelled form field; `control` is an input, select or textarea with an id. */
export function field(label, control, hint) {
  const hintId = hint === undefined ? undefined : `${control.id}-hint`;
  if (hintId !== undefined) control.setAttribute('aria-describedby', hintId);
  return h(
    'div',
    { className: 'field' },
    h('label', { for: control.id }, label),
    control,
    hint === undefined ? null : h('span', { id: hintId, className: 'hint' }, hint),
  );
}

/** A select of `[value, text]` options with one chosen. */
export function select(id, options, chosen) {
  return h(
    'select',
    { id, name: id },
    options.map(([value, text]) => h('option', { value, selected: value === chosen }, text)),
  );
}

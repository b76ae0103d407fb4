// What every page shares: its heading, the announcement of results, failures, and cursor pagination.
import { ApiError } from '../api.js';
import { h } from '../dom.js';

/** The page's h1; the router focuses it after navigation. */
export function heading(text) {
  return h('h1', { tabindex: '-1' }, text);
}

/** A polite live region: "12 users shown" is read out when a search or a page changes. */
export function liveStatus() {
  return h('p', { role: 'status', 'aria-live': 'polite', className: 'status' });
}

/** An alert for a failed call, with the server's sentence. */
export function failure(error) {
  return h('div', { role: 'alert', className: 'alert' }, describe(error));
}

/** The server's sentence for a failed call (and its field problems), or why there was none. */
export function describe(error) {
  if (!(error instanceof ApiError))
    return 'Gatehouse could not be reached. Check the connection and try again.';
  const problems = Object.entries(error.fields).map(([name, messages]) => `${name}: ${messages.join(' ')}`);
  return [error.message, ...problems].join(' ');
}

/**
 * Previous/Next over a cursor-paged list. The API hands only a next cursor, so the pages seen are a stack
 * of the cursors that opened them. `load(cursor)` fetches one page and resolves to `{ nextCursor, show }`;
 * `show()` puts it on screen, unless a later load has started meanwhile (typing outruns the network).
 */
export function pager(load) {
  let stack = [null];
  let nextCursor = null;
  let latest = 0;
  const previous = h('button', { type: 'button', className: 'secondary' }, 'Previous');
  const next = h('button', { type: 'button', className: 'secondary' }, 'Next');
  const element = h('nav', { className: 'pager', 'aria-label': 'Pages' }, previous, next);

  async function show() {
    const mine = ++latest;
    previous.disabled = true;
    next.disabled = true;
    const page = await load(stack.at(-1));
    if (mine !== latest) return;
    page.show();
    nextCursor = page.nextCursor ?? null;
    previous.disabled = stack.length === 1;
    next.disabled = nextCursor === null;
  }
  previous.addEventListener('click', () => {
    stack = stack.slice(0, -1);
    void show();
  });
  next.addEventListener('click', () => {
    stack = [...stack, nextCursor];
    void show();
  });
  return {
    element,
    /** back to the first page, as after a new search */
    restart() {
      stack = [null];
      return show();
    },
    /** the page on screen again, as after an action changed it */
    reload: show,
  };
}

/** The sentence a live region reads after a page of `count` things arrived. */
export function countSentence(count, noun, more) {
  if (count === 0) return `No ${noun}s match.`;
  return `${count} ${noun}${count === 1 ? '' : 's'} shown${more ? ', more on the next page' : ''}.`;
}

// Audit log: every event, filtered by user, type, acting staff member and time, in pages, with a CSV export of the
// same filters.
import { api, query } from '../api.js';
import { field, h, localTimeHint } from '../dom.js';
import { eventsTable } from './events.js';
import { countSentence, describe, heading, liveStatus, pager } from './page.js';

const pageSize = 50;

/** An ISO time from a datetime-local value (the browser's local time), or '' for none. */
function isoOf(local) {
  if (local === '') return '';
  const date = new Date(local);
  return Number.isNaN(date.getTime()) ? '' : date.toISOString();
}

export async function renderAudit(main, _staff, parameters) {
  const user = h('input', {
    id: 'user',
    name: 'user',
    type: 'text',
    value: parameters.get('user') ?? '',
    autocomplete: 'off',
  });
  const type = h('input', {
    id: 'type',
    name: 'type',
    type: 'text',
    value: parameters.get('type') ?? '',
    autocomplete: 'off',
  });
  const actor = h('input', { id: 'actor', name: 'actor', type: 'text', autocomplete: 'off' });
  const since = h('input', { id: 'since', name: 'since', type: 'datetime-local' });
  const until = h('input', { id: 'until', name: 'until', type: 'datetime-local' });
  const form = h(
    'form',
    { className: 'filters', role: 'search', 'aria-label': 'Audit log' },
    field('User ID', user),
    field('Type', type, 'e.g. sign_in_failed'),
    field('Actor ID', actor, 'The staff member who acted'),
    field('Since', since, localTimeHint()),
    field('Until', until, localTimeHint()),
    h('div', { className: 'field actions' }, h('button', { type: 'submit' }, 'Apply filters')),
  );
  const status = liveStatus();
  const results = h('div', { className: 'results' });
  const csv = h('a', { className: 'button-link', download: 'gatehouse-audit.csv' }, 'Download CSV');

  let filters = {};
  const read = () => {
    filters = {
      user: user.value.trim(),
      type: type.value.trim(),
      actor: actor.value.trim(),
      since: isoOf(since.value),
      until: isoOf(until.value),
    };
    // the cookie goes with a same-origin link, so the export is a plain download of every matching row
    csv.href = `/api/admin/audit.csv${query(filters)}`;
  };

  const pages = pager(async (cursor) => {
    try {
      const answer = await api('GET', `/audit${query({ ...filters, limit: pageSize, cursor })}`);
      return {
        nextCursor: answer.nextCursor,
        show() {
          results.replaceChildren(eventsTable('Audit events, latest first', answer.events, true));
          status.textContent = countSentence(answer.events.length, 'event', answer.nextCursor !== null);
        },
      };
    } catch (error) {
      return {
        nextCursor: null,
        show() {
          results.replaceChildren();
          status.textContent = describe(error);
        },
      };
    }
  });
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    read();
    void pages.restart();
  });

  read();
  main.append(heading('Audit log'), form, h('p', {}, csv), status, results, pages.element);
  await pages.restart();
}

// Audit events as a table: the user page's latest ones and the audit log's pages.
import { h, table, time } from '../dom.js';

/** An event's detail in a line: the reason first (a staff action's), then the rest as key=value (empty ones left out). */
export function detailText(detail) {
  if (detail === null || typeof detail !== 'object') return '';
  const { reason, ...rest } = detail;
  const parts = Object.entries(rest)
    .filter(([, value]) => value !== null && value !== undefined && value !== '')
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`);
  return [reason === undefined ? null : `Reason: ${reason}`, ...parts].filter(Boolean).join('; ');
}

/** A table of events; `withUser` adds the column naming whose event it is, linked to their page. */
export function eventsTable(caption, events, withUser) {
  const headings = ['Time', 'Type', ...(withUser ? ['User'] : []), 'Actor', 'IP', 'Detail'];
  return table(
    caption,
    headings,
    events.map((event) => [
      time(event.at),
      h('code', {}, event.type),
      ...(withUser
        ? [
            event.userId === null
              ? '—'
              : h('a', { href: `#/users/${encodeURIComponent(event.userId)}` }, event.userId),
          ]
        : []),
      event.actorId === null ? event.actor : `${event.actor} (${event.actorId})`,
      event.ip ?? '—',
      detailText(event.detail),
    ]),
  );
}

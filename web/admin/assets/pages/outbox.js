// Outbox: the mails Gatehouse sends, by state, with attempts and the last error, and a retry of a failed one.
import { api, query } from '../api.js';
import { field, h, hidden, select, table, time } from '../dom.js';
import { confirmAction } from '../dialog.js';
import { countSentence, describe, heading, liveStatus, pager } from './page.js';

const pageSize = 50;

export async function renderOutbox(main) {
  const state = select(
    'state',
    [
      ['', 'Any'],
      ['queued', 'Queued'],
      ['sent', 'Sent'],
      ['failed', 'Failed'],
    ],
    '',
  );
  const form = h('form', { className: 'filters', 'aria-label': 'Outbox' }, field('State', state));
  const status = liveStatus();
  const alert = h('div', { role: 'alert', className: 'alert' });
  const results = h('div', { className: 'results' });

  async function retry(mail) {
    const answer = await confirmAction({
      title: `Retry the ${mail.kind} mail to ${mail.to}?`,
      confirmLabel: 'Retry',
    });
    if (answer === null) return;
    alert.textContent = '';
    try {
      await api('POST', `/outbox/${encodeURIComponent(mail.id)}/retry`);
      await pages.reload();
      status.textContent = 'The mail is queued again.';
    } catch (error) {
      alert.textContent = describe(error);
    }
  }

  const pages = pager(async (cursor) => {
    try {
      const answer = await api('GET', `/outbox${query({ state: state.value, limit: pageSize, cursor })}`);
      return {
        nextCursor: answer.nextCursor,
        show() {
          results.replaceChildren(mailsTable(answer.mails, retry));
          status.textContent = countSentence(answer.mails.length, 'mail', answer.nextCursor !== null);
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
  state.addEventListener('change', () => void pages.restart());
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void pages.restart();
  });

  main.append(heading('Outbox'), form, status, alert, results, pages.element);
  await pages.restart();
}

function mailsTable(mails, retry) {
  return table(
    'Mails, latest first',
    ['Queued', 'Kind', 'To', 'State', 'Attempts', 'Last error', 'Sent', 'Action'],
    mails.map((mail) => [
      time(mail.createdAt),
      mail.kind,
      mail.to,
      h('span', { className: `state state-${mail.state}` }, mail.state),
      String(mail.attempts),
      mail.lastError ?? '—',
      time(mail.sentAt),
      mail.state === 'failed'
        ? h(
            'button',
            { type: 'button', onclick: () => void retry(mail) },
            'Retry',
            hidden(` the mail to ${mail.to}`),
          )
        : '',
    ]),
  );
}

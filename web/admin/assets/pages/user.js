// One user: profile and flags, the actions staff may take (each confirmed first), the sign-in lock,
// roles, staff flags for superusers, live sessions and the latest audit events.
import { api } from '../api.js';
import { confirmAction } from '../dialog.js';
import { field, h, hidden, localTimeHint, replaceChildren, table, time, timeText, yesNo } from '../dom.js';
import { eventsTable } from './events.js';
import { describe, failure, heading } from './page.js';

export async function renderUser(main, staff, id) {
  const path = `/users/${encodeURIComponent(id)}`;
  const status = h('p', { role: 'status', className: 'status', tabindex: '-1' });
  const alert = h('div', { role: 'alert', className: 'alert', tabindex: '-1' });
  const body = h('div');
  const title = heading('User');
  main.append(
    h('p', { className: 'crumb' }, h('a', { href: '#/users' }, 'Back to users')),
    title,
    status,
    alert,
    body,
  );

  async function load() {
    const { user } = await api('GET', path);
    title.textContent = user.email;
    document.title = `${user.email} · Gatehouse console`;
    replaceChildren(body, ...sections(user));
  }

  /**
   * Runs a confirmed action, then shows the user as they now are and says what happened. A refusal is
   * shown the same way: the forms go back to what the server holds (a box unticked in vain does not
   * stay unticked), and the focus moves to the alert, which scrolls it into view from a section below.
   */
  async function act(call, done) {
    alert.textContent = '';
    status.textContent = '';
    try {
      await call();
      await load();
      status.textContent = done;
      status.focus();
    } catch (error) {
      await load().catch(() => undefined);
      alert.textContent = describe(error);
      alert.focus();
    }
  }

  function sections(user) {
    return [
      accountSection(user),
      actionsSection(user),
      lockSection(user),
      rolesSection(user),
      staff.isSuperuser ? flagsSection(user) : null,
      sessionsSection(user),
      eventsSection(user),
    ];
  }

  function actionsSection(user) {
    const buttons = [];
    if (user.isActive) {
      buttons.push(
        button('Deactivate', 'danger', async () => {
          const answer = await confirmAction({
            title: `Deactivate ${user.email}?`,
            text: 'They are signed out everywhere at once and cannot sign in until activated again.',
            confirmLabel: 'Deactivate',
            danger: true,
            fields: [
              field(
                'Reason',
                h('textarea', { id: 'reason', name: 'reason', required: true, maxlength: '500', rows: '3' }),
                'Recorded in the audit log',
              ),
              field(
                'Until (optional)',
                h('input', { id: 'until', name: 'until', type: 'datetime-local' }),
                `${localTimeHint()}; empty: until activated by staff`,
              ),
            ],
          });
          if (answer === null) return;
          const until = String(answer.get('until') ?? '');
          const request = { reason: String(answer.get('reason')).trim() };
          if (until !== '') request.until = new Date(until).toISOString();
          await act(
            () => api('POST', `${path}/deactivate`, request),
            'The user is deactivated and signed out everywhere.',
          );
        }),
      );
    } else {
      buttons.push(
        button('Activate', '', async () => {
          const answer = await confirmAction({
            title: `Activate ${user.email}?`,
            confirmLabel: 'Activate',
            fields: [
              field(
                'Reason (optional)',
                h('textarea', { id: 'reason', name: 'reason', maxlength: '500', rows: '2' }),
              ),
            ],
          });
          if (answer === null) return;
          const reason = String(answer.get('reason') ?? '').trim();
          await act(
            () => api('POST', `${path}/activate`, reason === '' ? {} : { reason }),
            'The user is active again.',
          );
        }),
      );
    }
    buttons.push(
      confirmed('Revoke all sessions', `Sign ${user.email} out everywhere?`, 'Revoke all sessions', () =>
        act(() => api('DELETE', `${path}/sessions`), 'Every session of the user is revoked.'),
      ),
    );
    // a deactivated account could use neither mail, and the API refuses both (account_inactive)
    if (user.isActive) {
      buttons.push(
        confirmed('Send password reset', `Send ${user.email} a password-reset mail?`, 'Send', () =>
          act(
            () => api('POST', `${path}/password-reset`),
            'A password-reset mail is queued (see the Outbox).',
          ),
        ),
      );
    }
    if (user.isActive && !user.emailVerified) {
      buttons.push(
        confirmed('Resend verification', `Send ${user.email} a new verification mail?`, 'Send', () =>
          act(() => api('POST', `${path}/verification`), 'A verification mail is queued (see the Outbox).'),
        ),
      );
    }
    return section('Actions', h('div', { className: 'button-row' }, buttons));
  }

  function lockSection(user) {
    const { lock } = user;
    const text = lock.locked
      ? ['Locked until ', time(lock.until), ` after ${lock.failures} failed sign-ins.`]
      : [`Not locked (${lock.failures} recent failed sign-in${lock.failures === 1 ? '' : 's'}).`];
    return section(
      'Sign-in lock',
      h('p', {}, text),
      lock.locked || lock.failures > 0
        ? confirmed('Clear lock', `Clear the sign-in lock of ${user.email}?`, 'Clear lock', () =>
            act(() => api('DELETE', `${path}/lock`), 'The sign-in lock is cleared.'),
          )
        : null,
    );
  }

  function rolesSection(user) {
    const input = h('input', {
      id: 'roles',
      name: 'roles',
      type: 'text',
      value: user.roles.join(', '),
      autocomplete: 'off',
    });
    const form = h(
      'form',
      { className: 'inline-form' },
      field('Roles', input, 'Names separated by commas, e.g. organizer, attendee'),
      h('button', { type: 'submit' }, 'Save roles'),
    );
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const roles = input.value
        .split(',')
        .map((role) => role.trim())
        .filter((role) => role !== '');
      void act(() => api('PUT', `${path}/roles`, { roles }), 'Roles saved.');
    });
    return section('Roles', form);
  }

  function flagsSection(user) {
    const isStaff = h('input', {
      id: 'flag-staff',
      name: 'isStaff',
      type: 'checkbox',
      checked: user.isStaff,
    });
    const isSuperuser = h('input', {
      id: 'flag-superuser',
      name: 'isSuperuser',
      type: 'checkbox',
      checked: user.isSuperuser,
    });
    const form = h(
      'form',
      { className: 'inline-form' },
      h('div', { className: 'check' }, isStaff, h('label', { for: 'flag-staff' }, 'Staff')),
      h('div', { className: 'check' }, isSuperuser, h('label', { for: 'flag-superuser' }, 'Superuser')),
      h('button', { type: 'submit' }, 'Save flags'),
    );
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const answer = await confirmAction({
        title: `Change the staff flags of ${user.email}?`,
        text: `Staff: ${yesNo(isStaff.checked)}. Superuser: ${yesNo(isSuperuser.checked)}.`,
        confirmLabel: 'Save flags',
        fields: [
          field(
            'Reason (optional)',
            h('textarea', { id: 'flags-reason', name: 'reason', maxlength: '500', rows: '2' }),
          ),
        ],
      });
      if (answer === null) return;
      const request = { isStaff: isStaff.checked, isSuperuser: isSuperuser.checked };
      const reason = String(answer.get('reason') ?? '').trim();
      if (reason !== '') request.reason = reason;
      await act(() => api('PUT', `${path}/flags`, request), 'Staff flags saved.');
    });
    return section(
      'Staff flags',
      h('p', { className: 'hint' }, 'Only superusers see and change these.'),
      form,
    );
  }

  function sessionsSection(user) {
    if (user.sessions.length === 0) return section('Sessions', h('p', {}, 'No live sessions.'));
    return section(
      'Sessions',
      table(
        `Live sessions (${user.sessions.length})`,
        ['Started', 'Last used', 'Expires', 'Device', 'IP', 'Action'],
        user.sessions.map((session) => [
          time(session.createdAt),
          time(session.lastUsedAt),
          time(session.expiresAt),
          session.userAgent ?? '—',
          session.ip ?? '—',
          confirmed(
            [
              'Revoke',
              hidden(
                ` the session from ${session.userAgent ?? 'an unknown device'}, started ${timeText(session.createdAt)}`,
              ),
            ],
            'Revoke this session?',
            'Revoke',
            () =>
              act(
                () => api('DELETE', `${path}/sessions/${encodeURIComponent(session.id)}`),
                'The session is revoked.',
              ),
          ),
        ]),
      ),
    );
  }

  function eventsSection(user) {
    return section(
      'Audit events',
      user.events.length === 0
        ? h('p', {}, 'No events recorded.')
        : eventsTable('Latest audit events of this user', user.events, false),
      h(
        'p',
        {},
        h(
          'a',
          { href: `#/audit?user=${encodeURIComponent(user.id)}` },
          'All events of this user in the Audit log',
        ),
      ),
    );
  }

  try {
    await load();
  } catch (error) {
    main.append(failure(error));
  }
}

function accountSection(user) {
  const rows = [
    ['Username', user.username],
    ['ID', h('code', {}, user.id)],
    ['Active', yesNo(user.isActive)],
    ['Email verified', yesNo(user.emailVerified)],
    ['Staff', yesNo(user.isStaff)],
    ['Superuser', yesNo(user.isSuperuser)],
    ['Roles', user.roles.length === 0 ? 'None' : user.roles.join(', ')],
    ['Joined', time(user.joinedAt)],
    ['Last sign-in', time(user.lastLoginAt)],
  ];
  if (user.deactivation !== null) {
    rows.push(
      ['Deactivated', time(user.deactivation.at)],
      ['Reason', user.deactivation.reason ?? 'None given (the user deactivated the account)'],
      [
        'Until',
        user.deactivation.until === null
          ? 'Until activated by staff'
          : [time(user.deactivation.until), yourTime(user.deactivation.until)],
      ],
    );
  }
  return section(
    'Account',
    h(
      'dl',
      { className: 'facts' },
      rows.map(([term, value]) => [h('dt', {}, term), h('dd', {}, value)]),
    ),
  );
}

/**
 * The same moment in the browser's own time, which is what the deactivation dialog asked for: the
 * staff member who typed 09:30 sees 09:30 again beside the UTC time. Nothing when the browser keeps UTC.
 */
function yourTime(iso) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime()) || date.getTimezoneOffset() === 0) return null;
  const two = (number) => String(number).padStart(2, '0');
  const local =
    `${date.getFullYear()}-${two(date.getMonth() + 1)}-${two(date.getDate())} ` +
    `${two(date.getHours())}:${two(date.getMinutes())}`;
  return ` (${local} your time)`;
}

function section(title, ...content) {
  const id = `section-${title.toLowerCase().replace(/[^a-z]+/g, '-')}`;
  return h('section', { 'aria-labelledby': id }, h('h2', { id }, title), content);
}

function button(label, className, onClick) {
  return h('button', { type: 'button', className, onclick: onClick }, label);
}

/** A button that asks first, then runs `run`. */
function confirmed(label, title, confirmLabel, run) {
  return button(label, '', async () => {
    const answer = await confirmAction({ title, confirmLabel });
    if (answer !== null) await run();
  });
}

// Users: search by email or username prefix, filters, sort, and pages of results.
import { api, query } from '../api.js';
import { field, h, select, table, time, yesNo } from '../dom.js';
import { countSentence, describe, heading, liveStatus, pager } from './page.js';

// kept while the console is open, so coming back from a user page finds the same search; no sort is the
// API's default: a search by the name it matched, else newest first
const filters = { q: '', active: '', staff: '', verified: '', role: '', sort: '' };
const pageSize = 25;
const flagOptions = [
  ['', 'Any'],
  ['true', 'Yes'],
  ['false', 'No'],
];

export async function renderUsers(main) {
  const search = h('input', { id: 'q', name: 'q', type: 'search', value: filters.q, autocomplete: 'off' });
  const active = select('active', flagOptions, filters.active);
  const staff = select('staff', flagOptions, filters.staff);
  const verified = select('verified', flagOptions, filters.verified);
  const role = h('input', {
    id: 'role',
    name: 'role',
    type: 'text',
    value: filters.role,
    autocomplete: 'off',
  });
  const sort = select(
    'sort',
    [
      ['', 'Name, A to Z (when searching)'],
      ['-joined', 'Newest first'],
      ['joined', 'Oldest first'],
      ['-lastLogin', 'Last signed in, latest first'],
      ['lastLogin', 'Last signed in, earliest first'],
    ],
    filters.sort,
  );
  const form = h(
    'form',
    { className: 'filters', role: 'search', 'aria-label': 'Users' },
    field('Search users', search, 'Start of an email or username'),
    field('Active', active),
    field('Staff', staff),
    field('Verified', verified),
    field('Role', role),
    field('Sort', sort),
    h('div', { className: 'field actions' }, h('button', { type: 'submit' }, 'Search')),
  );
  const status = liveStatus();
  const results = h('div', { className: 'results' });

  const pages = pager(async (cursor) => {
    try {
      const answer = await api('GET', `/users${query({ ...filters, limit: pageSize, cursor })}`);
      return {
        nextCursor: answer.nextCursor,
        show() {
          results.replaceChildren(usersTable(answer.users));
          status.textContent = countSentence(answer.users.length, 'user', answer.nextCursor !== null);
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

  // results follow the typing, a moment after it pauses; a search started otherwise cancels that one
  let typing;
  const apply = () => {
    clearTimeout(typing);
    Object.assign(filters, {
      q: search.value.trim(),
      active: active.value,
      staff: staff.value,
      verified: verified.value,
      role: role.value.trim(),
      sort: sort.value,
    });
    return pages.restart();
  };
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void apply();
  });
  search.addEventListener('input', () => {
    clearTimeout(typing);
    typing = setTimeout(() => void apply(), 300);
  });
  for (const control of [active, staff, verified, sort])
    control.addEventListener('change', () => void apply());

  main.append(heading('Users'), form, status, results, pages.element);
  await pages.restart();
}

function usersTable(users) {
  return table(
    'Users',
    ['Email', 'Username', 'Active', 'Staff', 'Verified', 'Roles', 'Joined', 'Last sign-in'],
    users.map((user) => [
      h('a', { href: `#/users/${encodeURIComponent(user.id)}` }, user.email),
      user.username,
      yesNo(user.isActive),
      user.isSuperuser ? 'Superuser' : yesNo(user.isStaff),
      yesNo(user.emailVerified),
      user.roles.join(', '),
      time(user.joinedAt),
      time(user.lastLoginAt),
    ]),
  );
}

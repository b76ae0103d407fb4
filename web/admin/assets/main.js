// The console's entry: signed in or not, the shell (header, navigation) and the router over the URL's
// fragment (#/users/…), so the server has one page to answer and a reload keeps the place.
import { currentSession, onSignedOut, signOut } from './api.js';
import { h, replaceChildren } from './dom.js';
import { renderAudit } from './pages/audit.js';
import { renderOutbox } from './pages/outbox.js';
import { renderOverview } from './pages/overview.js';
import { renderUser } from './pages/user.js';
import { renderUsers } from './pages/users.js';
import { renderSignIn } from './sign-in.js';

const root = document.getElementById('root');

const pages = [
  { pattern: /^\/overview$/, nav: 'overview', render: () => renderOverview },
  { pattern: /^\/users$/, nav: 'users', render: () => renderUsers },
  {
    pattern: /^\/users\/([^/]+)$/,
    nav: 'users',
    render: (id) => (main, staff) => renderUser(main, staff, id),
  },
  { pattern: /^\/audit$/, nav: 'audit', render: () => renderAudit },
  { pattern: /^\/outbox$/, nav: 'outbox', render: () => renderOutbox },
];

const navigation = [
  ['overview', '#/overview', 'Overview'],
  ['users', '#/users', 'Users'],
  ['audit', '#/audit', 'Audit log'],
  ['outbox', '#/outbox', 'Outbox'],
];

let staff = null;

function showSignIn(message) {
  staff = null;
  document.title = 'Sign in · Gatehouse console';
  renderSignIn(root, message, (user) => {
    staff = user;
    if (location.hash === '' || location.hash === '#/') location.hash = '#/overview';
    else route();
  });
}

function shell(active) {
  const main = h('main', { id: 'main', tabindex: '-1' });
  const signOutButton = h('button', { type: 'button', className: 'secondary' }, 'Sign out');
  signOutButton.addEventListener('click', async () => {
    signOutButton.disabled = true;
    try {
      await signOut();
    } finally {
      history.replaceState(null, '', '#/');
      showSignIn('You are signed out.');
    }
  });
  replaceChildren(
    root,
    h('a', { href: '#main', className: 'skip-link', onclick: skipToMain }, 'Skip to content'),
    h(
      'header',
      { className: 'top' },
      h('p', { className: 'brand' }, 'Gatehouse console'),
      h(
        'nav',
        { 'aria-label': 'Console' },
        h(
          'ul',
          {},
          navigation.map(([key, href, text]) =>
            h('li', {}, h('a', { href, 'aria-current': key === active ? 'page' : null }, text)),
          ),
        ),
      ),
      h('div', { className: 'who' }, h('span', {}, staff.email), signOutButton),
    ),
    main,
  );
  return main;
}

// the fragment is the router's: the skip link moves focus instead of navigating
function skipToMain(event) {
  event.preventDefault();
  document.getElementById('main')?.focus();
}

/** Renders the page the fragment names, then moves focus to its heading so a screen reader announces it. */
async function route() {
  if (staff === null) return;
  const [path, search = ''] = (location.hash.replace(/^#/, '') || '/overview').split('?');
  const match = pages.map((page) => ({ page, found: page.pattern.exec(path) })).find(({ found }) => found);
  if (match === undefined) {
    location.replace('#/overview');
    return;
  }
  const main = shell(match.page.nav);
  const render = match.page.render(...match.found.slice(1).map(decodeURIComponent));
  await render(main, staff, new URLSearchParams(search));
  const heading = main.querySelector('h1');
  if (heading !== null) {
    heading.setAttribute('tabindex', '-1');
    heading.focus();
    document.title = `${heading.textContent} · Gatehouse console`;
  }
}

window.addEventListener('hashchange', () => void route());
onSignedOut(() => showSignIn('Your session has ended. Please sign in again.'));

staff = await currentSession().catch(() => null);
if (staff === null) showSignIn();
else await route();

// The sign-in form: email and password to POST /api/admin/session, which sets the console's cookie.
import { ApiError, signIn } from './api.js';
import { field, h, replaceChildren } from './dom.js';

/** Why a sign-in failed, in words for the person at the form. */
function explain(error) {
  if (!(error instanceof ApiError))
    return 'Gatehouse could not be reached. Check the connection and try again.';
  switch (error.status) {
    case 401:
      return 'Wrong email or password.';
    case 403:
      return 'This account is not staff: only staff may use the console.';
    case 429: {
      const minutes = error.retryAfter === undefined ? undefined : Math.ceil(error.retryAfter / 60);
      return minutes === undefined
        ? 'Too many attempts: sign-in is locked for now. Try again later.'
        : `Too many attempts: sign-in is locked. Try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`;
    }
    default:
      return error.message;
  }
}

/** Shows the form in `root`; `signedIn(user)` once the server has accepted it. */
export function renderSignIn(root, notice, signedIn) {
  const email = h('input', {
    id: 'email',
    name: 'email',
    type: 'email',
    autocomplete: 'username',
    required: true,
  });
  const password = h('input', {
    id: 'password',
    name: 'password',
    type: 'password',
    autocomplete: 'current-password',
    required: true,
  });
  const alert = h('div', { role: 'alert', className: 'alert' });
  const submit = h('button', { type: 'submit' }, 'Sign in');
  const form = h(
    'form',
    { className: 'sign-in', novalidate: true },
    field('Email', email),
    field('Password', password),
    submit,
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (email.value.trim() === '' || password.value === '') {
      showAlert('Enter your email and password.');
      return;
    }
    submit.disabled = true;
    try {
      const user = await signIn(email.value.trim(), password.value);
      signedIn(user);
    } catch (error) {
      showAlert(explain(error));
      password.value = '';
      password.focus();
    } finally {
      submit.disabled = false;
    }
  });

  function showAlert(message) {
    alert.textContent = message;
  }

  const heading = h('h1', { tabindex: '-1' }, 'Sign in to the Gatehouse console');
  replaceChildren(
    root,
    h(
      'main',
      { id: 'main', className: 'sign-in-page' },
      heading,
      notice === undefined ? null : h('p', { role: 'status' }, notice),
      alert,
      form,
    ),
  );
  email.focus();
}

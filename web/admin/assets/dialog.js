// Confirmation before an action: a modal <dialog>, which keeps focus inside it, closes on Escape and
// gives focus back to the button that opened it.
import { h } from './dom.js';

/**
 * Asks to confirm `title`. `fields` are extra form fields (built with dom.js's field()) whose values the
 * answer carries, by their controls' names. Resolves to a FormData-like object, or null when cancelled.
 */
export function confirmAction({ title, text, confirmLabel = 'Confirm', fields = [], danger = false }) {
  return new Promise((resolve) => {
    const opener = document.activeElement;
    const titleId = `dialog-title-${Math.random().toString(36).slice(2)}`;
    const cancel = h('button', { type: 'button', className: 'secondary' }, 'Cancel');
    const form = h(
      'form',
      { method: 'dialog' },
      h('h2', { id: titleId }, title),
      text === undefined ? null : h('p', {}, text),
      fields,
      h(
        'div',
        { className: 'dialog-buttons' },
        h('button', { type: 'submit', className: danger ? 'danger' : '' }, confirmLabel),
        cancel,
      ),
    );
    const dialog = h('dialog', { 'aria-labelledby': titleId }, form);
    let answer = null;
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      if (!form.reportValidity()) return;
      answer = new FormData(form);
      dialog.close();
    });
    cancel.addEventListener('click', () => dialog.close());
    dialog.addEventListener('close', () => {
      dialog.remove();
      if (opener instanceof HTMLElement && opener.isConnected) opener.focus();
      resolve(answer);
    });
    document.body.append(dialog);
    dialog.showModal();
  });
}

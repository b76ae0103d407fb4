/** Where the links in mails lead: from settings alone, never from a request's Host. */
export interface LinkSettings {
  publicUrl: string;
  /** with `{token}` and optionally `{uid}`; unset: `<publicUrl>/verify-email?token={token}` */
  verifyEmailLink: string | undefined;
  /** with `{token}` and optionally `{uid}`; unset: `<publicUrl>/reset-password?token={token}` */
  passwordResetLink: string | undefined;
  /** with `{token}` and optionally `{uid}`; unset: `<publicUrl>/reset-login-name?token={token}` */
  loginNameResetLink: string | undefined;
}

export interface Links {
  /** confirms an address: a new account's, or a changed one */
  verifyEmail(uid: string, token: string): string;
  resetPassword(uid: string, token: string): string;
  /** djoser's USERNAME_RESET_CONFIRM_URL */
  resetLoginName(uid: string, token: string): string;
}

/** Links from templates in which `{token}` and `{uid}` stand for the mail's values, URL-encoded. */
export function createLinks(settings: LinkSettings): Links {
  const fill = (template: string) => (uid: string, token: string) =>
    template.replaceAll('{uid}', encodeURIComponent(uid)).replaceAll('{token}', encodeURIComponent(token));
  return {
    verifyEmail: fill(settings.verifyEmailLink ?? `${settings.publicUrl}/verify-email?token={token}`),
    resetPassword: fill(settings.passwordResetLink ?? `${settings.publicUrl}/reset-password?token={token}`),
    resetLoginName: fill(
      settings.loginNameResetLink ?? `${settings.publicUrl}/reset-login-name?token={token}`,
    ),
  };
}

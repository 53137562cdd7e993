/** `scheme://user:password@` in any text; the password part is what must never be shown. */
const USER_INFO = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s/?#@:]*):([^\s/?#]*)@/gi;

/** What a redacted password reads as; a URI read back with it has lost its password. */
export const REDACTED = '***';

/**
 * `http://user:pw@host` -> `http://user:***@host` wherever a URI appears in
 * `text` (a config value, a log line, an error message): credentials in a
 * tracking URI are never printed or saved.
 */
export function redactCredentials(text: string): string {
  return text.replace(USER_INFO, (_m, scheme: string, user: string) => `${scheme}${user}:${REDACTED}@`);
}

// RFC 4180: a field holding a comma, a quote or a line break is quoted, its quotes doubled; lines end CRLF.
const needsQuotes = /[",\r\n]/;
// OWASP's CSV injection: a spreadsheet runs a cell that starts so as a formula. A leading quote makes it
// text, and shows the value as it was.
const formulaStart = /^[=+\-@\t\r]/;

/** One field, neutralised and quoted as it needs; null is an empty field. */
function csvField(value: string | number | null): string {
  if (value === null) return '';
  const text = typeof value === 'number' ? String(value) : formulaStart.test(value) ? `'${value}` : value;
  return needsQuotes.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** One CSV record, CRLF-terminated. */
export function csvLine(values: ReadonlyArray<string | number | null>): string {
  return `${values.map(csvField).join(',')}\r\n`;
}

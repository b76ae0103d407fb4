// A cell wider than this is cut with an ellipsis, so that one long user agent does not wrap every line.
const maxCellWidth = 48;

const fit = (cell: string): string => {
  // a control character (a line break in a user agent) would break the table's lines
  const flat = cell.replace(/\p{Cc}/gu, ' ');
  return flat.length > maxCellWidth ? `${flat.slice(0, maxCellWidth - 1)}…` : flat;
};

/** Rows under a header, columns padded to their widest cell: what an operator reads at a terminal. */
export function formatTable(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const cells = [header, ...rows].map((row) => row.map(fit));
  const widths = header.map((_, column) => Math.max(...cells.map((row) => row[column]?.length ?? 0)));
  return cells
    .map((row) =>
      row
        .map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** A time as the tables show it: ISO 8601 to the second, UTC; `-` for none. */
export function formatTime(epochMs: number | null): string {
  return epochMs === null ? '-' : `${new Date(epochMs).toISOString().slice(0, 19)}Z`;
}

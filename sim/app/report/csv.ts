/**
 * Tidy CSV for pandas and R: a header row, RFC 4180 quoting, null as an empty field, full
 * precision.
 */
export function toCsv<T extends object>(
  rows: readonly T[],
  columns: readonly (keyof T & string)[],
): string {
  const field = (v: unknown): string => {
    if (v === null || v === undefined) return "";
    const s = String(v);
    return /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
  };
  return (
    [columns.join(","), ...rows.map((r) => columns.map((c) => field(r[c])).join(","))].join("\n") +
    "\n"
  );
}

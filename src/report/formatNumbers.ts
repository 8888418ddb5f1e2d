/**
 * Number formatting for tables, independent of the host's locale so that
 * reports are byte-identical everywhere.
 */

/** `1234567` -> `1,234,567`; fractions keep `digits` decimals. */
export function groupedNumber(value: number, digits = 0): string {
  if (!Number.isFinite(value)) return String(value);
  const [whole, fraction] = Math.abs(value).toFixed(digits).split('.');
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${value < 0 && Number(value.toFixed(digits)) !== 0 ? '-' : ''}${grouped}${fraction !== undefined ? `.${fraction}` : ''}`;
}

/** A signed change in %: `+12.5%`, `-3.0%`, `0.0%`; `new` when the old value was 0. */
export function signedPercent(value: number | undefined, digits = 1): string {
  if (value === undefined) return 'new';
  if (Number(value.toFixed(digits)) === 0) return `${(0).toFixed(digits)}%`;
  return `${value > 0 ? '+' : ''}${value.toFixed(digits)}%`;
}

/** A signed difference: `+3`, `-1,024`, `0`. */
export function signedNumber(value: number, digits = 0): string {
  return `${value > 0 ? '+' : ''}${groupedNumber(value, digits)}`;
}

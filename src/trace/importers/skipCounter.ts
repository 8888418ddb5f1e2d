/**
 * Shared line classification for importers: every line that makes no row is
 * counted under a reason. Reasons are either *bad* (input the importer does
 * not understand: `--strict` stops at the first, with `file:line: reason: line`)
 * or *ignored* (lines recognised and left out on purpose, which never fail).
 */
import { InputError } from '../../errors.js';
import type { SkipTally } from './importTypes.js';

/** Distinct reasons kept; later new reasons are folded into one (reasons can embed event names). */
const MAX_REASONS = 64;
const OVERFLOW_REASON = 'other reasons';
/** Characters of a line quoted in an error message. */
const QUOTE_CHARS = 160;

/** `text` on one printable line: ASCII control characters (newlines, escapes, DEL) become `\xNN`. */
export function escapeControlCharacters(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
  return text.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** A line as one printable line: control characters as `\xNN`, long lines cut. */
export function quoteLine(text: string): string {
  const printable = escapeControlCharacters(text.length > QUOTE_CHARS ? text.slice(0, QUOTE_CHARS) : text);
  return text.length > QUOTE_CHARS ? `${printable}...` : printable;
}

export class SkipCounter {
  private readonly tallies = new Map<string, SkipTally>();

  constructor(private readonly strict: boolean) {}

  /**
   * Count a bad line; with `--strict`, throw `file:line: reason: line` instead.
   * `text` is read only when it is needed (a function, so the hot path does
   * not decode lines it will not quote).
   */
  bad(reason: string, file: string, line: number, text: () => string): void {
    if (this.strict) throw new InputError(`${file}:${line}: ${reason}: ${quoteLine(text())}`);
    this.count(reason, true);
  }

  /** Count a line left out on purpose. */
  ignored(reason: string): void {
    this.count(reason, false);
  }

  /** Tallies in first-seen order. */
  list(): SkipTally[] {
    return [...this.tallies.values()].map((t) => ({ ...t }));
  }

  private count(reason: string, bad: boolean): void {
    const key = `${bad ? 'b' : 'i'}${reason}`;
    let tally = this.tallies.get(key);
    if (tally === undefined) {
      if (this.tallies.size >= MAX_REASONS) {
        this.count(OVERFLOW_REASON, bad);
        return;
      }
      tally = { reason, count: 0, bad };
      this.tallies.set(key, tally);
    }
    tally.count++;
  }
}

/** `12 bad (reason 5, reason 7); 3 ignored (...)`: the end-of-import line and header comment. */
export function describeSkips(tallies: readonly SkipTally[]): string {
  if (tallies.length === 0) return 'none';
  const part = (bad: boolean, label: string): string | undefined => {
    const list = tallies.filter((t) => t.bad === bad);
    if (list.length === 0) return undefined;
    const total = list.reduce((sum, t) => sum + t.count, 0);
    return `${total} ${label} (${list.map((t) => `${t.reason}: ${t.count}`).join('; ')})`;
  };
  return [part(true, 'not understood'), part(false, 'left out')].filter((p) => p !== undefined).join(', ');
}

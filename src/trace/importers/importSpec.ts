/**
 * Trace arguments that name an importer: `FORMAT:PATH`, optionally with
 * importer options, `FORMAT,OPTION=VALUE,...:PATH`, e.g.
 * `lackey:ls.log`, `ftrace,gpa-below=0x40000000:capture.txt`,
 * `lackey,vcpus=4:ls.log`, `ftrace,strict:capture.txt`. The options are
 * `import`'s flags without the dashes. Anything else is not an import spec
 * (a CSV path, even one that contains a colon).
 */
import { InputError } from '../../errors.js';
import { IMPORT_FORMATS, parseImportOptions, type ImportFormat, type ImportOptions, type RawImportOptions } from './importOptions.js';

/** A parsed `FORMAT[,OPTIONS]:PATH`. */
export interface ImportSpec {
  format: ImportFormat;
  path: string;
  options: ImportOptions;
}

const SPEC = new RegExp(`^(${IMPORT_FORMATS.join('|')})((?:,[^,:]*)*):(.+)$`, 's');

/** Spec option name -> the raw option it sets. */
const OPTION_KEYS: Record<string, keyof RawImportOptions> = {
  'gpa-below': 'gpaBelow',
  'ftrace-accesses': 'ftraceAccesses',
  'x86-error-code': 'x86ErrorCode',
  vcpus: 'vcpus',
};

/** Parse `spec`; undefined when it does not start with `FORMAT:` or `FORMAT,`. Bad options are an `InputError`. */
export function parseImportSpec(spec: string): ImportSpec | undefined {
  const m = SPEC.exec(spec);
  if (m === null) return undefined;
  const format = m[1] as ImportFormat;
  const raw: RawImportOptions = {};
  for (const item of m[2].split(',').slice(1)) {
    const eq = item.indexOf('=');
    const name = eq < 0 ? item : item.slice(0, eq);
    if (name === 'strict' && eq < 0) {
      raw.strict = true;
      continue;
    }
    const key = OPTION_KEYS[name];
    if (key === undefined || eq < 0 || key === 'strict') {
      throw new InputError(
        `${spec}: "${item}" is not an import option (strict, ${Object.keys(OPTION_KEYS)
          .map((k) => `${k}=VALUE`)
          .join(', ')})`,
      );
    }
    (raw as Record<string, string>)[key] = item.slice(eq + 1);
  }
  try {
    return { format, path: m[3], options: parseImportOptions(format, raw, 1) };
  } catch (error) {
    if (error instanceof InputError) throw new InputError(`${spec}: ${error.message}`);
    throw error;
  }
}

/**
 * `mmubench check-levels CAPTURE [scenario flags]`: compare the mapping level
 * the kernel chose (kvm_mmu_spte_requested / kvm_mmu_set_spte /
 * kvm_tdp_mmu_spte_changed in an ftrace capture) with the level the model
 * chooses for the same fault, GFN by GFN. Exit 0 when every GFN agrees, 1
 * when any differs, 2 on bad input.
 *
 * The capture is imported as `import --format ftrace` would, then replayed
 * through the model's fault path (`Vm.translate`, the code `run` replays with)
 * in capture order: each access takes its fault; at each level event the
 * model's level is the level of the leaf mapping the GFN (taking a read fault
 * first when the model has none there, e.g. for a prefetched SPTE). One row
 * per distinct (GFN, kernel level), in capture order.
 */
import type { Command } from 'commander';
import { EXIT_FAILED, EXIT_OK, InputError } from '../errors.js';
import { DEFAULTS } from '../defaults.js';
import { parseMatrix, parseMemslots } from '../replay/parseMatrix.js';
import { readVmLayout } from './vmLayout.js';
import { validateLayout } from '../replay/validateLayout.js';
import { ARCHES } from '../mmu/arch/archProfile.js';
import { Vm } from '../mmu/vm.js';
import { AccessKind } from '../mmu/vmOptions.js';
import { VcpuStats } from '../mmu/stats.js';
import { type Level, levelName } from '../mmu/level.js';
import { gfnToGpa, gpaToGfn } from '../mmu/address.js';
import { Op } from '../trace/ops.js';
import { vmOptionsFor } from '../replay/vmOptions.js';
import { slotFromSpec } from '../replay/openCell.js';
import type { MemslotSpec, Scenario } from '../replay/scenario.js';
import { parseImportOptions, IMPORT_DEFAULTS, type RawImportOptions } from '../trace/importers/importOptions.js';
import { importFtrace } from '../trace/importers/ftraceImporter.js';
import type { ImportSink, LevelEventName } from '../trace/importers/importTypes.js';

export interface CheckLevelsOptions extends RawImportOptions {
  arch?: string;
  maxLevel?: string;
  backing?: string;
  nxHugePages?: string;
  stolenBits?: string;
  fwb?: string;
  memslot?: string[];
  /** `--vm FILE`: a JSON layout (memslots with flags, stolen bits, fwb), as for `run`. */
  vm?: string;
  diffOnly?: boolean;
}

/** A capture held in memory: accesses and level events, in capture order. */
export class CaptureRecording implements ImportSink {
  /** Per event: an `Op` for an access, 0 for a level event. */
  readonly ops: number[] = [];
  /** GPA of an access; GFN of a level event. */
  readonly where: number[] = [];
  /** Level of a level event (0 for accesses). */
  readonly levels: number[] = [];
  readonly lines: number[] = [];
  readonly events: (LevelEventName | undefined)[] = [];
  levelEvents = 0;
  touchedEndGpa = 0;

  access(op: Op, _vcpu: number, gpa: number, sizeBytes: number, _input: number, line: number): void {
    this.push(op, gpa, 0, line, undefined);
    this.touchedEndGpa = Math.max(this.touchedEndGpa, gpa + sizeBytes);
  }

  level(gfn: number, level: number, event: LevelEventName, _input: number, line: number): void {
    this.push(0, gfn, level, line, event);
    this.levelEvents++;
    this.touchedEndGpa = Math.max(this.touchedEndGpa, gfnToGpa(gfn + 1));
  }

  private push(op: number, where: number, level: number, line: number, event: LevelEventName | undefined): void {
    this.ops.push(op);
    this.where.push(where);
    this.levels.push(level);
    this.lines.push(line);
    this.events.push(event);
  }
}

/** One compared GFN. `modelLevel` 0: the model maps nothing there (no memslot: MMIO). */
export interface LevelCheckRow {
  gfn: number;
  kernelLevel: Level;
  modelLevel: Level | 0;
  event: LevelEventName;
  line: number;
}

const ACCESS_KIND: Record<number, AccessKind> = { [Op.R]: AccessKind.Read, [Op.W]: AccessKind.Write, [Op.X]: AccessKind.Exec };
const NO_FLUSHES = { requestFlush(): void {} };

/**
 * Replay `capture` under `scenario` and compare levels. Memslots: `memslots`,
 * else one slot from GPA 0 over everything the capture touches, rounded up
 * to 1 GiB (as `run` makes its default slot).
 */
export function checkLevels(capture: CaptureRecording, scenario: Scenario, memslots: readonly MemslotSpec[]): LevelCheckRow[] {
  // 1. A fresh VM with the run's memslots.
  const align = DEFAULTS.defaultSlotAlignBytes;
  const specs: MemslotSpec[] =
    memslots.length > 0 ? [...memslots] : [{ gpa: 0, sizeBytes: Math.max(align, Math.ceil(capture.touchedEndGpa / align) * align), source: 'default memslot' }];
  const end = specs.reduce((max, s) => Math.max(max, s.gpa + s.sizeBytes), capture.touchedEndGpa);
  const vm = new Vm(vmOptionsFor(scenario, end), NO_FLUSHES);
  const privateByDefault = vm.options.profile.privateByDefault;
  specs.forEach((spec, index) => {
    vm.addSlot(slotFromSpec(spec, index, scenario.backing, privateByDefault));
  });
  // 2. The capture in order: accesses fault; level events read the model's leaf.
  const stats = new VcpuStats();
  const seen = new Set<number>();
  const rows: LevelCheckRow[] = [];
  for (let i = 0; i < capture.ops.length; i++) {
    const op = capture.ops[i];
    if (op !== 0) {
      const gpa = capture.where[i];
      vm.translate(gpaToGfn(gpa), ACCESS_KIND[op], stats);
      continue;
    }
    const gfn = capture.where[i];
    const kernelLevel = capture.levels[i] as Level;
    const key = gfn * 4 + kernelLevel;
    if (seen.has(key)) continue;
    seen.add(key);
    const word = vm.translate(gfn, AccessKind.Read, stats);
    rows.push({ gfn, kernelLevel, modelLevel: word === 0 ? 0 : vm.translatedLevel, event: capture.events[i] as LevelEventName, line: capture.lines[i] });
  }
  return rows;
}

/** Add `check-levels` to `program`; its action reports the exit code through `setExit`. */
export function registerCheckLevelsCommand(program: Command, setExit: (code: number) => void): void {
  const collect = (value: string, previous: string[] = []): string[] => [...previous, value];
  program
    .command('check-levels')
    .description(
      "compare the kernel's mapping levels in an ftrace capture with the model's, GFN by GFN (docs/importing.md); exit 0 when all agree, 1 when any differ, 2 on bad input",
    )
    .argument('<capture>', 'ftrace text with kvmmmu:kvm_mmu_set_spte / kvm_mmu_spte_requested / kvm_tdp_mmu_spte_changed events')
    .option('--arch <list>', `architecture profiles: ${ARCHES.join(', ')}`, DEFAULTS.arch)
    .option('--max-level <list>', 'largest mapping level a fault may use: 4k, 2m, 1g', DEFAULTS.maxLevel)
    .option('--backing <list>', 'host page size behind every memslot: 4k, 2m (THP), 1g (hugetlbfs)', DEFAULTS.backing)
    .option('--nx-huge-pages <list>', `on | off [default: ${DEFAULTS.nxHugePages}]`)
    .option('--stolen-bits <list>', `auto | none | GPA bit (12-51) | 0x mask [default: ${DEFAULTS.stolenBits}]`)
    .option('--fwb <list>', `on | off: arm64 stage-2 forced write-back [default: ${DEFAULTS.fwb}]`)
    .option('--vm <file>', 'VM layout in JSON, as for run: memslots with flags (dirty logging, read-only, ...), stolenBits, fwb')
    .option('--memslot <gpa:size>', 'a memslot (repeatable); default: one slot from 0 over the capture, rounded up to 1 GiB', collect)
    .option('--gpa-below <gpa>', 'leave out events at or above this GPA (e.g. the guest code slot)')
    .option('--ftrace-accesses <mode>', `faults | sptes | auto [default: ${IMPORT_DEFAULTS.ftraceAccesses}]`)
    .option('--x86-error-code <kind>', `pferr | ept [default: ${IMPORT_DEFAULTS.x86ErrorCode}]`)
    .option('--strict', 'stop at the first line the importer does not understand')
    .option('--diff-only', 'list only the GFNs whose levels differ')
    .action(async (capture: string, options: CheckLevelsOptions) => setExit(await checkLevelsCommand(capture, options)));
}

/** Run the comparison and print it; returns the exit code. */
export async function checkLevelsCommand(capturePath: string, options: CheckLevelsOptions, out: NodeJS.WritableStream = process.stdout): Promise<number> {
  // 1. Options, once, at the boundary.
  let memslots = parseMemslots(options.memslot ?? []);
  let { stolenBits, fwb } = options;
  if (options.vm !== undefined) {
    if (memslots.length > 0) throw new InputError('--vm: give memslots either in the layout file or with --memslot, not both');
    const layout = await readVmLayout(options.vm);
    memslots = layout.memslots;
    stolenBits ??= layout.stolenBits;
    fwb ??= layout.fwb;
  }
  const { arch, maxLevel, backing, nxHugePages } = options;
  // No pre-fault: the kernel's levels in a capture come from its faults.
  const scenarios = parseMatrix({ arch, maxLevel, backing, nxHugePages, stolenBits, fwb, prefault: 'none' });
  validateLayout(scenarios, { memslots, defaultSlotAlignBytes: DEFAULTS.defaultSlotAlignBytes });
  const importOptions = parseImportOptions('ftrace', options, 1);
  // 2. The capture, in memory.
  const capture = new CaptureRecording();
  await importFtrace([{ name: capturePath, path: capturePath }], importOptions, capture);
  if (capture.levelEvents === 0) {
    throw new InputError(
      `${capturePath}: no kvm_mmu_set_spte, kvm_mmu_spte_requested or kvm_tdp_mmu_spte_changed event to compare (enable the kvmmmu events, docs/importing.md)`,
    );
  }
  // 3. One table and summary per scenario. A reader that stops early (`| head`) closes
  //    the pipe: the writes then fail with EPIPE, which is no error of the comparison.
  out.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') process.stderr.write(`mmubench: cannot write the table: ${error.message}\n`);
  });
  let anyDiffer = false;
  for (const scenario of scenarios) {
    const rows = checkLevels(capture, scenario, memslots);
    const differ = rows.filter((r) => r.modelLevel !== r.kernelLevel);
    anyDiffer ||= differ.length > 0;
    out.write(`scenario: ${scenario.name}\n`);
    out.write(formatTable(options.diffOnly === true ? differ : rows));
    out.write(`summary: ${rows.length} GFNs, ${rows.length - differ.length} agree, ${differ.length} differ${breakdown(differ)}\n`);
  }
  return anyDiffer ? EXIT_FAILED : EXIT_OK;
}

const levelText = (level: Level | 0): string => (level === 0 ? 'none' : levelName(level));

/** Aligned columns: gfn, kernel, model, verdict, event, line. */
function formatTable(rows: readonly LevelCheckRow[]): string {
  const cells = rows.map((r) => [
    `0x${r.gfn.toString(16)}`,
    levelText(r.kernelLevel),
    levelText(r.modelLevel),
    r.modelLevel === r.kernelLevel ? 'agree' : 'DIFFER',
    r.event,
    String(r.line),
  ]);
  const all = [['gfn', 'kernel', 'model', 'verdict', 'event', 'line'], ...cells];
  const widths = all[0].map((_, c) => Math.max(...all.map((row) => row[c].length)));
  return all.map((row) => row.map((cell, c) => (c === row.length - 1 ? cell : cell.padEnd(widths[c]))).join('  ') + '\n').join('');
}

/** ` (kernel 4k / model 2m: 300; ...)` for the differing rows. */
function breakdown(differ: readonly LevelCheckRow[]): string {
  if (differ.length === 0) return '';
  const counts = new Map<string, number>();
  for (const r of differ) {
    const key = `kernel ${levelText(r.kernelLevel)} / model ${levelText(r.modelLevel)}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return ` (${[...counts].map(([key, n]) => `${key}: ${n}`).join('; ')})`;
}

/**
 * The text job that native/kvm-runner reads (its format is documented at the
 * top of native/kvm-runner/runner.h): the same memslots and the same events, in the
 * same order, as `replayCell` replays for one (trace, scenario, layout).
 * Pure: trace and options in, text out.
 */
import { InputError, located } from '../errors.js';
import { Level, levelName } from '../mmu/level.js';
import { Op, OP_NAMES, needsSlot } from '../trace/ops.js';
import type { Trace } from '../trace/traceEvents.js';
import type { Layout } from '../replay/openCell.js';
import type { Scenario } from '../replay/scenario.js';

/** Host memory behind the trace's memslots in the real guest. */
export type HostBacking = '4k' | 'thp' | 'hugetlb-2m' | 'hugetlb-1g';

/** `--host-memory` values for a 2 MiB `--backing`. */
export const HUGE_2M_SOURCES = ['thp', 'hugetlbfs'] as const;
export type Huge2mSource = (typeof HUGE_2M_SOURCES)[number];

/** Ops the runner can make happen in a real guest or through the KVM API. */
const RUNNABLE = new Set<Op>([
  Op.R,
  Op.W,
  Op.X,
  Op.PREFAULT,
  Op.UNMAP,
  Op.SLOT_ADD,
  Op.SLOT_DEL,
  Op.DIRTY_LOG_ON,
  Op.DIRTY_LOG_OFF,
  Op.DIRTY_LOG_GET,
  Op.DIRTY_LOG_CLEAR,
]);

/**
 * The host backing for a scenario: 4k → anonymous 4 KiB pages, 2m → THP or
 * hugetlbfs 2 MiB (`source`), 1g → hugetlbfs 1 GiB (THP has no 1 GiB pages).
 */
export function hostBackingFor(backing: Level, source: Huge2mSource): HostBacking {
  if (backing === Level.L4K) return '4k';
  if (backing === Level.L2M) return source === 'thp' ? 'thp' : 'hugetlb-2m';
  return 'hugetlb-1g';
}

/** One memslot present before the trace runs. */
export interface JobSlot {
  id: number;
  gpa: number;
  sizeBytes: number;
}

/**
 * The memslots `openCell` creates before replay: the layout's, else (when
 * the trace adds none) the default slot from 0 over everything touched,
 * rounded up to `layout.defaultSlotAlignBytes`.
 */
export function initialSlots(trace: Trace, layout: Layout): JobSlot[] {
  if (layout.memslots.length > 0) return layout.memslots.map((m, index) => ({ id: m.id ?? index, gpa: m.gpa, sizeBytes: m.sizeBytes }));
  if (trace.declaresSlots) return [];
  const align = layout.defaultSlotAlignBytes;
  return [{ id: 0, gpa: 0, sizeBytes: Math.max(align, Math.ceil(trace.touchedEndGpa / align) * align) }];
}

const hex = (n: number): string => `0x${n.toString(16)}`;

/**
 * The job text for `trace` under `scenario`. The scenario's `--prefault`
 * becomes PREFAULT events on vCPU 0 (trace line 0) before the trace's own,
 * as `replayCell` issues them. The guest's page size is the scenario's
 * `--max-level`: under shadow paging the guest's page size caps the mapping
 * level as `--max-level` caps the model's. `--slot-zap` says whether the
 * runner keeps KVM_X86_QUIRK_SLOT_ZAP_ALL. Throws `InputError` for a row the
 * runner cannot make happen.
 */
export function buildRunnerJob(trace: Trace, scenario: Scenario, layout: Layout, backing: HostBacking): string {
  const slots = initialSlots(trace, layout);
  const out: string[] = ['mmubench-kvm-job 1', `backing ${backing}`, `guest-page ${levelName(scenario.maxLevel)}`, `vcpus ${Math.max(1, trace.vcpuCount)}`];
  // `--slot-zap all` keeps KVM_X86_QUIRK_SLOT_ZAP_ALL (upstream's default), `slot` asks the runner to disable it.
  out.push(`slot-zap-quirk ${scenario.slotZap === 'all' ? 'keep' : 'disable'}`);
  for (const s of slots) out.push(`slot ${s.id} ${hex(s.gpa)} ${hex(s.sizeBytes)}`);
  // 1. The scenario's pre-fault, on vCPU 0, before the guest runs.
  const prefault = scenario.prefault;
  if (prefault.kind === 'all') for (const s of slots) out.push(`ev 0 PREFAULT 0 ${hex(s.gpa)} ${hex(s.sizeBytes)} -1`);
  else if (prefault.kind === 'ranges') for (const r of prefault.ranges) out.push(`ev 0 PREFAULT 0 ${hex(r.gpa)} ${hex(r.sizeBytes)} -1`);
  // 2. The trace, in replay order.
  const ev = trace.events;
  for (let i = 0; i < ev.count; i++) {
    const op = ev.op[i] as Op;
    if (!RUNNABLE.has(op)) {
      throw new InputError(
        located(
          trace.path,
          ev.line[i],
          'op',
          `${OP_NAMES[op]} cannot be made to happen in a real guest by validate (it runs R, W, X, PREFAULT, UNMAP, SLOT_ADD, SLOT_DEL, DIRTY_LOG_ON, DIRTY_LOG_OFF, DIRTY_LOG_GET, DIRTY_LOG_CLEAR)`,
        ),
      );
    }
    const slot = needsSlot(op) ? ev.slot[i] : -1;
    out.push(`ev ${ev.line[i]} ${OP_NAMES[op]} ${ev.vcpu[i]} ${hex(ev.gpa[i])} ${hex(ev.sizeBytes[i])} ${slot}`);
  }
  out.push('end', '');
  return out.join('\n');
}

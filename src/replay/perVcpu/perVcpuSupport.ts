/**
 * What `--threads per-vcpu` can replay, checked once before any replay: one
 * clear message (exit 2) for the first combination it refuses.
 *
 * Supported: x86-tdp and arm64, guest accesses (R, W, X) and the host events
 * UNMAP and WRPROTECT, PREFAULT rows (a vCPU ioctl, upstream policy), the
 * scenario's `--prefault` (done before the vCPUs start). Refused, because they need the whole VM serialised or a part of the
 * model the shared table does not have: x86-tdx and stolen bits (two
 * aliases, memory attributes), pKVM (every change is a hypercall to EL2 under
 * the host's lock), NX huge pages (splits on exec faults), guest stage-1
 * walks (`--guest-levels`), dirty logging memslots, and trace rows that
 * change memslots, dirty logging or attributes; PREFAULT rows with
 * `--prefault-policy exact` (it may split a huge leaf, which the shared table
 * does not do).
 */
import { InputError, located } from '../../errors.js';
import { Op, OP_NAMES } from '../../trace/ops.js';
import type { Trace } from '../../trace/traceEvents.js';
import type { Layout } from '../openCell.js';
import type { Scenario } from '../scenario.js';

/** Arches the per-vCPU mode replays. */
export const PER_VCPU_ARCHES = ['x86-tdp', 'arm64'] as const;

/** Ops a vCPU worker replays; every other op is refused. */
const PER_VCPU_OPS: ReadonlySet<number> = new Set([Op.R, Op.W, Op.X, Op.PREFAULT, Op.UNMAP, Op.WRPROTECT]);

const PREFIX = '--threads per-vcpu';

/** Throw `InputError` for the first scenario, layout or trace row the per-vCPU mode cannot replay. */
export function checkPerVcpuSupport(scenarios: readonly Scenario[], traces: readonly Trace[], layout: Layout): void {
  for (const s of scenarios) {
    if (!(PER_VCPU_ARCHES as readonly string[]).includes(s.arch)) {
      throw new InputError(`${PREFIX}: --arch ${s.arch} is not supported (${PER_VCPU_ARCHES.join(' and ')} only; see docs/per-vcpu-threads.md)`);
    }
    if (s.stolenBits !== 'auto' && s.stolenBits.length > 0) throw new InputError(`${PREFIX}: --stolen-bits is not supported (one GPA alias only)`);
    if (s.nxHugePages) throw new InputError(`${PREFIX}: --nx-huge-pages on is not supported (exec faults would split huge pages)`);
    if (s.guestLevels !== 0) throw new InputError(`${PREFIX}: --guest-levels ${s.guestLevels} is not supported (stage-2 walks only)`);
  }
  for (const slot of layout.memslots) {
    if (slot.dirtyLogging) throw new InputError(`${PREFIX}: ${slot.source}: dirty logging memslots are not supported`);
  }
  for (const trace of traces) {
    const ev = trace.events;
    for (let i = 0; i < ev.count; i++) {
      const op = ev.op[i];
      if (!PER_VCPU_OPS.has(op)) {
        throw new InputError(
          located(trace.path, ev.line[i], 'op', `${OP_NAMES[op]} needs the whole VM serialised; ${PREFIX} replays R, W, X, PREFAULT, UNMAP and WRPROTECT rows only`),
        );
      }
      const exact = scenarios.find((s) => s.prefaultPolicy !== 'upstream');
      if (op === Op.PREFAULT && exact) {
        throw new InputError(located(trace.path, ev.line[i], 'op', `PREFAULT with --prefault-policy ${exact.prefaultPolicy} is not supported by ${PREFIX} (it may split a huge leaf)`));
      }
    }
  }
}

/**
 * What `--threads per-vcpu` can replay, checked once before any replay: one
 * clear message (exit 2) for the first combination it refuses.
 *
 * The workers run the model's own fault path, pre-fault and host events
 * (src/mmu) and access path (vcpuAccessPath.ts) over the shared stage-2, so
 * whatever those do under the mmu_lock works here: guest accesses (R, W, X),
 * UNMAP and WRPROTECT, PREFAULT rows, the scenario's `--prefault`, read-only,
 * dirty-logging and PFNMAP memslots, NX huge pages, guest stage-1 walks, AT
 * rows (the vCPU's own emulation, atEmulation.ts, over the shared stage-2),
 * pKVM (each worker counts the hypercalls of the leaf changes it makes; the
 * teardown's unshares are counted once, at the merge: runPerVcpu.ts).
 * Refused, because they need state the shared stage-2 does not share between
 * workers: x86-tdx and stolen bits (a second alias table and the memory
 * attributes), trace rows that change memslots, dirty logging or attributes
 * (each worker holds its own copy of the memslots); PREFAULT rows with
 * `--prefault-policy exact` or `--prefault-flags` other than `auto` (a step
 * may break a huge leaf, which arm64 does as an exclusive zap, or split an
 * NX huge page for an exec).
 */
import { InputError, located } from '../../errors.js';
import { Op, OP_NAMES } from '../../trace/ops.js';
import type { Trace } from '../../trace/traceEvents.js';
import type { Scenario } from '../scenario.js';
import { prefaultFlagsText } from '../../mmu/preFaultFlags.js';
import { ARCHES, archProfile, type Arch } from '../../mmu/arch/archProfile.js';

/**
 * Arches the per-vCPU mode replays: those whose VM has one GPA alias (one
 * table) unless told otherwise; x86-tdx's shared bit makes two (`--stolen-bits`).
 */
export const PER_VCPU_ARCHES: readonly Arch[] = ARCHES.filter((arch) => archProfile(arch).defaultStolenGpaBits.length === 0);

/** Ops a vCPU worker replays; every other op is refused. */
const PER_VCPU_OPS: ReadonlySet<number> = new Set([Op.R, Op.W, Op.X, Op.PREFAULT, Op.UNMAP, Op.WRPROTECT, Op.AT]);

const PREFIX = '--threads per-vcpu';

/** Throw `InputError` for the first scenario or trace row the per-vCPU mode cannot replay. */
export function checkPerVcpuSupport(scenarios: readonly Scenario[], traces: readonly Trace[]): void {
  for (const s of scenarios) {
    if (!PER_VCPU_ARCHES.includes(s.arch)) {
      throw new InputError(`${PREFIX}: --arch ${s.arch} is not supported (${PER_VCPU_ARCHES.join(', ')} only; see docs/per-vcpu-threads.md)`);
    }
    if (s.stolenBits !== 'auto' && s.stolenBits.length > 0) throw new InputError(`${PREFIX}: --stolen-bits is not supported (one GPA alias only)`);
  }
  for (const trace of traces) {
    const ev = trace.events;
    for (let i = 0; i < ev.count; i++) {
      const op = ev.op[i];
      if (!PER_VCPU_OPS.has(op)) {
        throw new InputError(
          located(
            trace.path,
            ev.line[i],
            'op',
            `${OP_NAMES[op]} needs the whole VM serialised; ${PREFIX} replays R, W, X, PREFAULT, UNMAP, WRPROTECT and AT rows only`,
          ),
        );
      }
      const exact = scenarios.find((s) => s.prefaultPolicy !== 'upstream');
      if (op === Op.PREFAULT && exact) {
        throw new InputError(
          located(
            trace.path,
            ev.line[i],
            'op',
            `PREFAULT with --prefault-policy ${exact.prefaultPolicy} is not supported by ${PREFIX} (it may split a huge leaf)`,
          ),
        );
      }
      const flagged = scenarios.find((s) => s.prefaultFlags !== 'auto');
      if (op === Op.PREFAULT && flagged) {
        throw new InputError(
          located(
            trace.path,
            ev.line[i],
            'op',
            `PREFAULT with --prefault-flags ${prefaultFlagsText(flagged.prefaultFlags)} is not supported by ${PREFIX} (it may split a huge leaf)`,
          ),
        );
      }
    }
  }
}

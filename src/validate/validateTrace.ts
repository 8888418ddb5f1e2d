/**
 * One validation: the trace in a real guest (native/kvm-runner) and through
 * the model, for the same scenario and layout, adapted to what the host's
 * KVM is; then the comparison. Outcomes travel as data.
 *
 * Steps:
 *  1. /dev/kvm usable? Otherwise skip, saying why.
 *  2. The scenario the model replays: the given one, with the dimensions left
 *     `auto` resolved to what this host's KVM does (shadow paging: no eager
 *     split, collapsible SPTEs zapped when logging stops).
 *  3. The job, the runner (built when missing), its output.
 *  4. The model: the scenario's replay; when the host cannot pre-fault, a
 *     second replay without pre-faults is the one the counters are compared with.
 *  5. The rows and the verdict.
 */
import { replayWithDirtyPages } from './modelDirtyPages.js';
import { Op } from '../trace/ops.js';
import { allocateTraceEvents, type Trace } from '../trace/traceEvents.js';
import type { Layout } from '../replay/openCell.js';
import { scenarioName, type Scenario } from '../replay/scenario.js';
import { levelSizeBytes } from '../mmu/level.js';
import type { CellResult } from '../replay/results.js';
import { allAgree, compareCounters } from './compareCounters.js';
import { describeHost, hostMode, nxHugePagesOn, type HostFacts } from './hostFacts.js';
import { ensureRunner, runKvmRunner } from './kvmRunner.js';
import { kernelCounters, type RunnerOutput } from './runnerOutput.js';
import { buildRunnerJob, hostBackingFor, type Huge2mSource } from './runnerJob.js';
import type { ValidationReport } from './validationReport.js';

export interface ValidateInput {
  trace: Trace;
  scenario: Scenario;
  layout: Layout;
  /** What backs a 2 MiB `--backing` in the real guest. */
  huge2m: Huge2mSource;
  facts: HostFacts;
}

export type ValidateOutcome =
  | { kind: 'report'; report: ValidationReport }
  | { kind: 'skipped'; reason: string }
  | { kind: 'failed'; message: string; badInput: boolean };

/** The given scenario with `auto` dimensions set to what this host's KVM does, and why. */
export function hostScenario(scenario: Scenario, facts: HostFacts): { scenario: Scenario; notes: string[] } {
  const notes: string[] = [];
  const next: Omit<Scenario, 'name'> = { ...scenario };
  if (hostMode(facts) === 'shadow') {
    if (scenario.eagerSplit === 'auto') {
      next.eagerSplit = 'off';
      notes.push(
        '--eager-split auto modelled as off: the shadow MMU does not split huge pages when dirty logging starts (eager page splitting is a TDP MMU feature)',
      );
    }
    if (scenario.dirtyLogOff === 'auto') {
      next.dirtyLogOff = 'zap-leaves';
      notes.push(
        '--dirty-log-off auto modelled as zap-leaves: the shadow MMU zaps collapsible SPTEs when dirty logging stops (kvm_rmap_zap_collapsible_sptes), the next fault maps them huge',
      );
    }
  } else if (scenario.eagerSplit === 'auto' && facts.eagerPageSplit !== undefined) {
    next.eagerSplit = facts.eagerPageSplit ? 'on' : 'off';
    notes.push(`--eager-split auto modelled as ${next.eagerSplit}: kvm eager_page_split is ${facts.eagerPageSplit ? 'Y' : 'N'}`);
  }
  return { scenario: { ...next, name: scenarioName(next) }, notes };
}

/** `trace` without its PREFAULT rows (what a host without KVM_PRE_FAULT_MEMORY maps from them: nothing). */
export function withoutPrefaults(trace: Trace): Trace {
  const ev = trace.events;
  let count = 0;
  for (let i = 0; i < ev.count; i++) if (ev.op[i] !== Op.PREFAULT) count++;
  const out = allocateTraceEvents(count);
  let j = 0;
  for (let i = 0; i < ev.count; i++) {
    if (ev.op[i] === Op.PREFAULT) continue;
    out.op[j] = ev.op[i];
    out.vcpu[j] = ev.vcpu[i];
    out.gpa[j] = ev.gpa[i];
    out.sizeBytes[j] = ev.sizeBytes[i];
    out.slot[j] = ev.slot[i];
    out.line[j] = ev.line[i];
    j++;
  }
  return { ...trace, events: out };
}

function hasOp(trace: Trace, op: Op): boolean {
  const ev = trace.events;
  for (let i = 0; i < ev.count; i++) if (ev.op[i] === op) return true;
  return false;
}

/**
 * The scenario's `--slot-zap` as the real guest ran it. The runner keeps
 * KVM_X86_QUIRK_SLOT_ZAP_ALL for `all` and disables it for `slot`; a kernel
 * without the quirk (before Linux 6.12) always zaps every mapping
 * (`kvm_mmu_zap_all_fast`): the model then does too. Notes say so, and
 * when the runner had to map its own memslot again after a zap-all.
 */
function slotZapAsRun(scenario: Scenario, trace: Trace, out: RunnerOutput, notes: string[]): Scenario {
  if (out.sysRewarms > 0)
    notes.push(
      `a memslot deletion zapped every mapping (kvm_mmu_zap_all_fast), the runner's own memslot's too: the runner mapped it again ${out.sysRewarms} time(s) off the books, so the counters are the trace's memslots only`,
    );
  const deletes = hasOp(trace, Op.SLOT_DEL) || hasOp(trace, Op.SLOT_MOVE);
  if (out.slotZapAllQuirkDisabled || scenario.slotZap !== 'slot' || !deletes) return scenario;
  notes.push('this KVM cannot disable KVM_X86_QUIRK_SLOT_ZAP_ALL: memslot deletion is modelled with --slot-zap all (every mapping is zapped)');
  const next = { ...scenario, slotZap: 'all' as const };
  return { ...next, name: scenarioName(next) };
}

/** Run the validation. Throws `InputError` (from the model or the job) for bad input. */
export function validateTrace(input: ValidateInput): ValidateOutcome {
  const { trace, layout, facts } = input;
  // 1. /dev/kvm.
  if (facts.kvmDevice === 'missing')
    return { kind: 'skipped', reason: '/dev/kvm does not exist: this host has no KVM (load kvm_intel or kvm_amd, or run on a machine with virtualization)' };
  if (facts.kvmDevice === 'denied') return { kind: 'skipped', reason: '/dev/kvm is not readable and writable by this user (add the user to the kvm group)' };
  // 2. The scenario as this host runs it.
  const host0 = hostScenario(input.scenario, facts);
  let scenario = host0.scenario;
  const notes = host0.notes;
  const mode = hostMode(facts);
  const backing = hostBackingFor(scenario.backing, input.huge2m);
  // 3. The real guest.
  const job = buildRunnerJob(trace, scenario, layout, backing);
  const notBuilt = ensureRunner();
  if (notBuilt !== undefined) return { kind: 'skipped', reason: notBuilt };
  const outcome = runKvmRunner(job);
  if (outcome.kind === 'skipped') return outcome;
  if (outcome.kind === 'failed') return { kind: 'failed', message: outcome.message, badInput: outcome.badJob };
  const out: RunnerOutput = outcome.output;
  // 4. The model, and the host-equivalent replay when the host cannot pre-fault.
  scenario = slotZapAsRun(scenario, trace, out, notes);
  const asGivenReplay = replayWithDirtyPages(trace, scenario, layout);
  const asGiven = asGivenReplay.result;
  let compared: CellResult = asGiven;
  let modelDirty = asGivenReplay.dirty;
  const prefaults = scenario.prefault.kind !== 'none' || hasOp(trace, Op.PREFAULT);
  if (prefaults && !out.capPreFaultMemory) {
    const hostEquivalent = replayWithDirtyPages(withoutPrefaults(trace), { ...scenario, prefault: { kind: 'none' } }, layout);
    compared = hostEquivalent.result;
    modelDirty = hostEquivalent.dirty;
    notes.push(
      'this host has no KVM_PRE_FAULT_MEMORY: the counters are compared with a model replay without the pre-faults (the pre-fault rows show both answers)',
    );
  }
  if (!out.manualDirtyProtect && hasOp(trace, Op.DIRTY_LOG_ON))
    notes.push('no KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2: dirty logs were not read (reading them would write-protect pages again)');
  // 5. Compare.
  const rows = compareCounters(
    compared,
    kernelCounters(out),
    {
      mode,
      tdpMmu: facts.tdpMmu === true,
      mmioCaching: facts.mmioCaching === true,
      dirtyLogging: hasOp(trace, Op.DIRTY_LOG_ON),
      guestPageBytes: out.guestPageBytes,
      guestPageAskedBytes: out.guestPageAskedBytes,
      hostPageBytes: out.hostPageBytes,
      hostHugeBytes: out.hostHugeBytes,
      nxMismatch: scenario.nxHugePages !== nxHugePagesOn(facts) && hasOp(trace, Op.X),
    },
    asGiven.prefaultCalls,
    out.prefault,
    out.dirtyLog,
    modelDirty,
  );
  const host = [
    ...describeHost(facts),
    `guest pages ${out.guestPageBytes / 1024} KiB (asked ${levelSizeBytes(scenario.maxLevel) / 1024} KiB; PDPE1GB ${out.guestPdpe1gb ? 'yes' : 'no'}); host pages ${out.hostPageBytes / 1024} KiB, ${out.hostHugeBytes / 1048576} MiB of the slots huge at the end`,
    `KVM_PRE_FAULT_MEMORY ${out.capPreFaultMemory ? 'supported' : 'not supported'}; slot deletion ${out.slotZapAllQuirkDisabled ? 'zaps only the slot (KVM_X86_QUIRK_SLOT_ZAP_ALL disabled)' : 'zaps every shadow page (quirk kept)'}`,
  ];
  if (mode === 'shadow')
    notes.push(
      'this host runs shadow paging; the model follows the TDP MMU. Pairs that differ for that reason are marked "differs (explained)". On a TDP host (ept/npt Y) the same command checks the TDP paths directly (docs/validation.md).',
    );
  return {
    kind: 'report',
    report: { trace: trace.path, scenario: input.scenario.name, modelledAs: scenario.name, hostBacking: backing, host, notes, rows, agree: allAgree(rows) },
  };
}

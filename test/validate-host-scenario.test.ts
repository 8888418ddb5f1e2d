/** How `validate` adapts the run to the host (pure: no KVM needed). */
import { describe, expect, it } from 'vitest';
import { hostScenario, validateTrace, withoutPrefaults } from '../src/validate/validateTrace.js';
import type { HostFacts } from '../src/validate/hostFacts.js';
import { Op } from '../src/trace/ops.js';
import { parseMatrix } from '../src/replay/parseMatrix.js';
import { traceFromText } from './helpers/traceFromText.js';

const SHADOW: HostFacts = { kvmDevice: 'ok', tdpMmu: false, pvm: true, hugetlb2m: { total: 0, free: 0 }, hugetlb1g: { total: 0, free: 0 } };
const TDP: HostFacts = { ...SHADOW, pvm: false, tdpMmu: true, ept: true, eagerPageSplit: false };
const [SCENARIO] = parseMatrix({ backing: '4k', maxLevel: '4k', prefault: 'none' });

describe('validate: adapting to the host', () => {
  it('shadow host: --eager-split auto → off and --dirty-log-off auto → zap-leaves (the shadow MMU leaf zap), each with its reason', () => {
    const { scenario, notes } = hostScenario(SCENARIO, SHADOW);
    expect(scenario.eagerSplit).toBe('off');
    expect(scenario.dirtyLogOff).toBe('zap-leaves');
    expect(scenario.name).toBe('x86-tdp max=4k backing=4k prefault=none tlb=1536x12 eager-split=off dirty-log-off=zap-leaves');
    expect(notes).toHaveLength(2);
  });

  it('TDP host: --eager-split auto follows eager_page_split; explicit flags are kept', () => {
    expect(hostScenario(SCENARIO, TDP).scenario.eagerSplit).toBe('off');
    const [explicit] = parseMatrix({ backing: '4k', prefault: 'none', eagerSplit: 'on', dirtyLogOff: 'recover' });
    const { scenario, notes } = hostScenario(explicit, SHADOW);
    expect([scenario.eagerSplit, scenario.dirtyLogOff, notes.length]).toEqual(['on', 'recover', 0]);
  });

  it('withoutPrefaults drops the PREFAULT rows and keeps the others with their lines', async () => {
    const trace = await traceFromText('vcpu,op,gpa,size\n0,R,0x1000,8\n0,PREFAULT,0x0,0x2000\n0,W,0x3000,8\n');
    const t = withoutPrefaults(trace);
    expect(t.events.count).toBe(2);
    expect([...t.events.op.subarray(0, 2)]).toEqual([Op.R, Op.W]);
    expect([...t.events.line.subarray(0, 2)]).toEqual([2, 4]);
  });

  it('no /dev/kvm, or no permission: skipped with the reason, nothing run', async () => {
    const trace = await traceFromText('vcpu,op,gpa\n0,R,0x1000\n');
    const layout = { memslots: [], defaultSlotAlignBytes: 1 << 30 };
    const missing = validateTrace({ trace, scenario: SCENARIO, layout, huge2m: 'thp', facts: { ...SHADOW, kvmDevice: 'missing' } });
    expect(missing).toEqual({ kind: 'skipped', reason: expect.stringMatching(/^\/dev\/kvm does not exist/) });
    const denied = validateTrace({ trace, scenario: SCENARIO, layout, huge2m: 'thp', facts: { ...SHADOW, kvmDevice: 'denied' } });
    expect(denied).toEqual({ kind: 'skipped', reason: expect.stringMatching(/^\/dev\/kvm is not readable and writable/) });
  });
});

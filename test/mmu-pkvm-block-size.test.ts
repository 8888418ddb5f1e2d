/**
 * Block sizes on a pKVM host (seed 000 vs upstream).
 * - seed 000 (`--arch pkvm`): every guest maps PAGE_SIZE only (`user_mem_abort`:
 *   `if (logging_active || is_protected_kvm_enabled()) force_pte = true`;
 *   `pkvm_pgtable_stage2_map`: `size != PAGE_SIZE` -> -EINVAL).
 * - upstream (`--arch pkvm-pmd`, "KVM: arm64: Stage-2 huge mappings for np-guests"):
 *   `pkvm_pgtable_stage2_map` accepts PAGE_SIZE and PMD_SIZE, and
 *   `fault_supports_stage2_huge_mapping` refuses any other block on pKVM, so a
 *   1G-backed fault falls through to PMD_SHIFT: 2M.
 * Each cut below the slot's level counts one `level_clamps`.
 */
import { describe, expect, it } from 'vitest';
import { replayText } from './helpers/traceFromText.js';

const READ = 'vcpu,op,gpa,size\n0,R,0x0,8\n';
const SLOT = [{ gpa: 0, sizeBytes: 1 << 30 }];

describe('pKVM block sizes: 4K in seed 000, up to 2M upstream', () => {
  it('seed 000 (pkvm): a 2M-backed fault maps 4K, one clamp', async () => {
    const r = await replayText(READ, { arch: 'pkvm', backing: '2m' }, SLOT);
    expect([r.vm.pages_4k, r.vm.pages_2m, r.vm.level_clamps]).toEqual([1, 0, 1]);
  });

  it('upstream (pkvm-pmd): a 1G-backed fault maps 2M (no PUD on pKVM), one clamp; 2M backing maps 2M unclamped', async () => {
    const oneGig = await replayText(READ, { arch: 'pkvm-pmd', backing: '1g' }, SLOT);
    expect([oneGig.vm.pages_2m, oneGig.vm.pages_1g, oneGig.vm.level_clamps]).toEqual([1, 0, 1]);
    const twoMeg = await replayText(READ, { arch: 'pkvm-pmd', backing: '2m' }, SLOT);
    expect([twoMeg.vm.pages_2m, twoMeg.vm.level_clamps]).toEqual([1, 0]);
    // One share hypercall for the block (upstream passes nr_pages = 512).
    expect(twoMeg.hypercallsByKind?.host_share_guest).toBe(1);
  });

  it('plain arm64 keeps the 1G block', async () => {
    const r = await replayText(READ, { arch: 'arm64', backing: '1g' }, SLOT);
    expect([r.vm.pages_1g, r.vm.level_clamps]).toEqual([1, 0]);
  });
});

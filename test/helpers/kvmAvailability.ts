/**
 * Whether the tests that run a real KVM guest can run here: /dev/kvm usable
 * and native/kvm-runner built (built now if missing). When not, `reason`
 * says why, and the tests skip with it.
 */
import { readHostFacts } from '../../src/validate/hostFacts.js';
import { ensureRunner } from '../../src/validate/kvmRunner.js';

function check(): { ok: boolean; reason: string } {
  const facts = readHostFacts();
  if (facts.kvmDevice === 'missing') return { ok: false, reason: '/dev/kvm does not exist on this machine' };
  if (facts.kvmDevice === 'denied') return { ok: false, reason: '/dev/kvm is not readable and writable by this user' };
  const notBuilt = ensureRunner();
  if (notBuilt !== undefined) return { ok: false, reason: notBuilt };
  return { ok: true, reason: '' };
}

export const KVM = check();

/** Print why KVM tests of `file` skip (once per file), so a skip is never silent. */
export function announceKvmSkip(file: string): void {
  if (!KVM.ok) console.warn(`${file}: skipping the tests that need a real KVM guest: ${KVM.reason}`);
}

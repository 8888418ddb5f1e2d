/**
 * Up-front check of the layout against every scenario, so an impossible
 * layout (overlap, a PFNMAP kind the arch refuses, a slot reaching a stolen
 * bit) fails before any replay, with one message naming where the slot was
 * declared.
 */
import { InputError } from '../errors.js';
import { MemslotError } from '../mmu/memslots.js';
import { Vm } from '../mmu/vm.js';
import { slotFromSpec, type Layout } from './openCell.js';
import { vmOptionsFor } from './vmOptions.js';
import type { Scenario } from './scenario.js';

const NO_FLUSH = { requestFlush(): void {} };

export function validateLayout(scenarios: readonly Scenario[], layout: Layout): void {
  for (const scenario of scenarios) {
    const options = vmOptionsFor(scenario, Math.max(0, ...layout.memslots.map((m) => m.gpa + m.sizeBytes)));
    const vm = new Vm(options, NO_FLUSH);
    layout.memslots.forEach((spec, index) => {
      try {
        vm.addSlot(slotFromSpec(spec, index, scenario.backing, options.profile.privateByDefault));
      } catch (error) {
        if (error instanceof MemslotError) throw new InputError(`${spec.source}: ${error.message} (arch ${scenario.arch})`);
        throw error;
      }
    });
  }
}

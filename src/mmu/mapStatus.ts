/** Results of the fault-path table operations `PageTable.map`, `split` and `relax` (re-exported by pageTable.ts). */
/** The entry was changed as asked. */
export const MAP_FIXED = 0;
/** A cmpxchg lost, or a frozen entry was met: the guest re-executes (RET_PF_RETRY). */
export const MAP_RETRY = -1;
/** The entry already holds what the fault wanted (RET_PF_SPURIOUS; arm64 -EAGAIN from `stage2_pte_needs_update`). */
export const MAP_SPURIOUS = -2;
/** A larger leaf already covers the frame (its level in `lookupLevel`): another vCPU mapped it. */
export const MAP_LEAF_ABOVE = -3;

/**
 * `run`'s own flags that are not matrix dimensions (the matrix flags:
 * `src/replay/parseMatrix.ts`). `--threads per-vcpu`: one worker per vCPU
 * against one shared stage-2 (docs/per-vcpu-threads.md).
 */
export const PER_VCPU_THREADS = 'per-vcpu';

/** True when `--threads` asks for the per-vCPU mode rather than a pool size (`auto`, N). */
export function isPerVcpuThreads(value: string | undefined): boolean {
  return value === PER_VCPU_THREADS;
}

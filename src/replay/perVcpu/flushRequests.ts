/**
 * TLB flush requests between vCPU workers, as KVM delivers KVM_REQ_TLB_FLUSH:
 * the requester sets a bit in every vCPU's request word
 * (`kvm_make_all_cpus_request` -> `kvm_make_request`); each vCPU checks its
 * own word before it runs guest code again (`vcpu_enter_guest` ->
 * `kvm_check_request(KVM_REQ_TLB_FLUSH)`), clears it and flushes its own TLB.
 * Requests made before a vCPU looks coalesce into one flush, as a request
 * bit does.
 *
 * arm64's range invalidation is a broadcast TLBI rather than a request, and
 * x86 range flushes name a range too, so each request also carries its frame
 * range in a small per-vCPU mailbox (a ring guarded by a spin word). A full
 * mailbox turns the request into a full flush (`mailboxOverflows` counts it).
 *
 * Layout, one SharedArrayBuffer: per vCPU four Int32 words (request bits,
 * mailbox lock, entry count, overflow flag), then per vCPU
 * `MAILBOX_ENTRIES` x (start, end, requested start, requested end, full) doubles.
 */

/** Request bit: flush this vCPU's TLB (KVM_REQ_TLB_FLUSH). */
export const REQ_TLB_FLUSH = 1;
/** Range requests a vCPU can hold before they become one full flush. */
export const MAILBOX_ENTRIES = 32;

const WORDS_PER_VCPU = 4;
const REQUEST = 0;
const MAILBOX_LOCK = 1;
const COUNT = 2;
const OVERFLOW = 3;
const DOUBLES_PER_ENTRY = 5;

/** What a vCPU found in its mailbox (reused by `take`, no allocation per check). */
export interface TakenRequests {
  /** True when some request was a full flush, or the mailbox overflowed. */
  full: boolean;
  /** True when a request was lost to overflow (its requested range unknown). */
  overflowed: boolean;
  count: number;
  /** Per entry: the frames to flush, [start, end), as flat pairs (ignored when `full`). */
  drop: Float64Array;
  /** Per entry: the frames its request named, [start, end), as flat pairs (collateral of a full flush is outside them). */
  requested: Float64Array;
}

export function newTakenRequests(): TakenRequests {
  return { full: false, overflowed: false, count: 0, drop: new Float64Array(MAILBOX_ENTRIES * 2), requested: new Float64Array(MAILBOX_ENTRIES * 2) };
}

export class FlushRequests {
  private readonly words: Int32Array;
  private readonly entries: Float64Array;

  constructor(
    readonly buffer: SharedArrayBuffer,
    readonly vcpuCount: number,
  ) {
    this.words = new Int32Array(buffer, 0, vcpuCount * WORDS_PER_VCPU);
    this.entries = new Float64Array(buffer, vcpuCount * WORDS_PER_VCPU * 4, vcpuCount * MAILBOX_ENTRIES * DOUBLES_PER_ENTRY);
  }

  /** Zeroed request words and mailboxes for `vcpuCount` vCPUs. */
  static allocate(vcpuCount: number): SharedArrayBuffer {
    // Int32 words first, padded to 8 bytes for the doubles.
    const wordBytes = Math.ceil((vcpuCount * WORDS_PER_VCPU * 4) / 8) * 8;
    return new SharedArrayBuffer(wordBytes + vcpuCount * MAILBOX_ENTRIES * DOUBLES_PER_ENTRY * 8);
  }

  /**
   * `vcpu`'s request word, for a hot loop that loads it itself
   * (`Atomics.load(word, 0) !== 0` means a request is pending).
   */
  requestWord(vcpu: number): Int32Array {
    return this.words.subarray(vcpu * WORDS_PER_VCPU + REQUEST, vcpu * WORDS_PER_VCPU + REQUEST + 1);
  }

  /** True when `vcpu` has a request pending (one atomic load). */
  pending(vcpu: number): boolean {
    return Atomics.load(this.words, vcpu * WORDS_PER_VCPU + REQUEST) !== 0;
  }

  /**
   * Post a flush to `vcpu`: frames `[start, end)` (ignored when `full`), for
   * a request that named `[requestedStart, requestedEnd)`.
   */
  post(vcpu: number, full: boolean, start: number, end: number, requestedStart: number, requestedEnd: number): void {
    const base = vcpu * WORDS_PER_VCPU;
    this.lockMailbox(base);
    const count = this.words[base + COUNT];
    if (count < MAILBOX_ENTRIES) {
      const e = (vcpu * MAILBOX_ENTRIES + count) * DOUBLES_PER_ENTRY;
      this.entries[e] = start;
      this.entries[e + 1] = end;
      this.entries[e + 2] = requestedStart;
      this.entries[e + 3] = requestedEnd;
      this.entries[e + 4] = full ? 1 : 0;
      this.words[base + COUNT] = count + 1;
    } else {
      this.words[base + OVERFLOW] = 1;
    }
    Atomics.or(this.words, base + REQUEST, REQ_TLB_FLUSH);
    this.unlockMailbox(base);
  }

  /** `kvm_check_request`: take and clear every request pending for `vcpu` into `out`. */
  take(vcpu: number, out: TakenRequests): void {
    const base = vcpu * WORDS_PER_VCPU;
    this.lockMailbox(base);
    const count = this.words[base + COUNT];
    out.overflowed = this.words[base + OVERFLOW] !== 0;
    out.full = out.overflowed;
    out.count = count;
    for (let i = 0; i < count; i++) {
      const e = (vcpu * MAILBOX_ENTRIES + i) * DOUBLES_PER_ENTRY;
      out.drop[i * 2] = this.entries[e];
      out.drop[i * 2 + 1] = this.entries[e + 1];
      out.requested[i * 2] = this.entries[e + 2];
      out.requested[i * 2 + 1] = this.entries[e + 3];
      if (this.entries[e + 4] !== 0) out.full = true;
    }
    this.words[base + COUNT] = 0;
    this.words[base + OVERFLOW] = 0;
    Atomics.store(this.words, base + REQUEST, 0);
    this.unlockMailbox(base);
  }

  /** Spin on the mailbox word; the holder is a running thread with a few stores to make. */
  private lockMailbox(base: number): void {
    while (Atomics.compareExchange(this.words, base + MAILBOX_LOCK, 0, 1) !== 0) {
      Atomics.wait(this.words, base + MAILBOX_LOCK, 1, 1);
    }
  }

  private unlockMailbox(base: number): void {
    Atomics.store(this.words, base + MAILBOX_LOCK, 0);
    Atomics.notify(this.words, base + MAILBOX_LOCK);
  }
}

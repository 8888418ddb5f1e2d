/** Every default of the command line, in one place (README documents them). */
export const DEFAULTS = {
  arch: 'x86-tdp',
  maxLevel: '1g',
  /** THP backs anonymous memory with 2 MiB pages. */
  backing: '2m',
  /** Every run answers "with and without pre-population". */
  prefault: 'none,all',
  /** Skylake's second-level TLB: 1536 entries, 12 ways. */
  tlbEntries: '1536',
  tlbWays: '12',
  /** Upstream KVM_PRE_FAULT_MEMORY; `exact` is seed 002's RFC. */
  prefaultPolicy: 'upstream',
  /** Merged KVM_PRE_FAULT_MEMORY has no access flags (a read, private where the GFN is). */
  prefaultFlags: 'auto',
  /**
   * KVM's `nx_huge_pages=auto` is on for CPUs with X86_BUG_ITLB_MULTIHIT, off elsewhere;
   * the modelled CPU has no such erratum (docs/model.md, NX huge pages).
   */
  nxHugePages: 'off',
  /** x86 eager_page_split = on, arm64 EAGER_SPLIT_CHUNK_SIZE = 0 (off). */
  eagerSplit: 'auto',
  /** x86 recovers huge pages in place (Linux 6.13+), arm64 keeps 4K mappings. */
  dirtyLogOff: 'auto',
  /** x86-tdx: the shared bit at GPA bit 47; none elsewhere. */
  stolenBits: 'auto',
  /** arm64 CTR_EL0.DIC, present on current server cores (Neoverse). */
  dic: 'on',
  /** Upstream guest_memfd has no huge pages: private memory maps 4K. */
  privateHuge: 'off',
  /** Merged upstream (v6.17 `user_mem_abort`) has no copy-on-write check: a COW VM_PFNMAP slot is allowed (seed 004 v3 refused it). */
  cowPfnmap: 'allow',
  /** arm64 hardware Access Flag updates (FEAT_HAFDBS; `kvm_get_vtcr` sets VTCR_EL2.HA): every current server and phone core has it. */
  hwAf: 'on',
  /** KVM_X86_QUIRK_SLOT_ZAP_ALL is on unless userspace disables it: a memslot delete/move zaps every mapping. */
  slotZap: 'all',
  /** arm64 stage-2 forced write-back (ARMv8.4 FEAT_S2FWB), present on current cores. */
  fwb: 'on',
  /** The foundation's single-level TLB (--tlb-entries x --tlb-ways). */
  tlb: 'simple',
  pwc: 'off',
  /** Each arch's own flush policy (docs/model.md). */
  flushMode: 'auto',
  /** Bare-metal x86 has no range flush. */
  rangeFlush: 'none',
  /** FEAT_TLBIRANGE (Armv8.4) on current arm64 cores. */
  tlbiRange: 'on',
  /** Upstream TDX flushes all when the VM has a shared bit. */
  aliasFlush: 'full',
  /** No guest stage-1: stage-2 walks only. */
  guestLevels: '0',
  /**
   * run: MiB of trace events (27 bytes each) held in memory in all, decoded
   * once and shared by every worker; a trace beyond what is left streams
   * from its file, decoded by each cell (docs/trace-format.md, "Streaming").
   */
  traceMemoryMb: '64',
  /** run, nightly: TLB reach curves (tlb-reach.csv) unless --no-tlb-reach; a run option, not a scenario dimension. */
  tlbReach: true,
  /** The default memslot is the touched range rounded up to this. */
  defaultSlotAlignBytes: 1 << 30,
  nightlyConfig: 'bench/nightly.json',
  reportsDir: 'reports',
  /** compare: any change of a deterministic count is beyond 0 %. */
  countThreshold: '0',
  /** compare: significance level of the Mann-Whitney U test on timings (gbench's compare.py uses 0.05). */
  alpha: '0.01',
  /** compare: smallest median timing change, in %, that may fail a run. */
  minChange: '5',
  /** compare: both a count and a timing regression fail the run. */
  failOn: 'counts,timings',
  /** nightly: tinybench CPU time per quick-benchmark task, ms (two tasks: about 2.5 s in all). */
  benchTimeMs: '1000',
  /** nightly: history lines (runs of the same matrix) the trend chart shows. */
  trendRuns: 30,
} as const;

/** `mmubench record` (README, docs/recording.md). */
export const RECORD_DEFAULTS = {
  /** Guest RAM: 256 MiB, all below the PCI hole. */
  memoryBytes: 256 * 1024 * 1024,
  vcpus: 1,
  /** Serial console, no boot messages, power off (not reboot) on a panic with -no-reboot. */
  append: 'console=ttyS0 quiet panic=-1',
  /** About 3 % of the default guest's whole run (624.6 M accesses): ~3 s, a 340 MB .mtr. */
  maxAccesses: 20_000_000,
  qemu: 'qemu-system-x86_64',
} as const;

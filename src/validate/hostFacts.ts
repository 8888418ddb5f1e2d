/**
 * What this host's KVM is, read from sysfs and /dev/kvm: which MMU it runs
 * (two-dimensional paging, TDP, or shadow paging), its MMU parameters, and
 * the huge pages it can give. `hostMode` and `describeHost` are pure.
 */
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Raw facts; `undefined` where the file does not exist. */
export interface HostFacts {
  /** /dev/kvm: usable, missing, or present without read/write permission. */
  kvmDevice: 'ok' | 'missing' | 'denied';
  /** /sys/module/kvm/parameters/tdp_mmu (Y/N). */
  tdpMmu?: boolean;
  /** kvm_intel `ept`, kvm_amd `npt`: the hardware's two-dimensional paging is in use. */
  ept?: boolean;
  npt?: boolean;
  /** The kvm_pvm module (PVM: a guest hypervisor without hardware virtualization) is loaded; it always shadows. */
  pvm: boolean;
  /** kvm `nx_huge_pages` (N, Y, off, force, auto...) and `eager_page_split`. */
  nxHugePages?: string;
  eagerPageSplit?: boolean;
  /** kvm `mmio_caching`: MMIO SPTEs make repeated MMIO faults cheaper and uncounted. */
  mmioCaching?: boolean;
  /** Transparent huge pages mode: the bracketed word of transparent_hugepage/enabled. */
  thp?: string;
  /** hugetlbfs pool sizes (nr_hugepages, free_hugepages). */
  hugetlb2m: { total: number; free: number };
  hugetlb1g: { total: number; free: number };
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
}

function readYesNo(path: string): boolean | undefined {
  const text = readText(path);
  if (text === undefined) return undefined;
  return text === 'Y' || text === 'y' || text === '1';
}

function readCount(path: string): number {
  const n = Number(readText(path));
  return Number.isInteger(n) && n >= 0 ? n : 0;
}

/** Read the facts under `root` (`/` on a real host; a fake tree in tests). */
export function readHostFacts(root = '/'): HostFacts {
  const sys = (...parts: string[]): string => join(root, 'sys', ...parts);
  const dev = join(root, 'dev', 'kvm');
  let kvmDevice: HostFacts['kvmDevice'] = 'ok';
  if (!existsSync(dev)) kvmDevice = 'missing';
  else {
    try {
      accessSync(dev, constants.R_OK | constants.W_OK);
    } catch {
      kvmDevice = 'denied';
    }
  }
  const thpText = readText(sys('kernel', 'mm', 'transparent_hugepage', 'enabled'));
  const pool = (dir: string): { total: number; free: number } => ({
    total: readCount(sys('kernel', 'mm', 'hugepages', dir, 'nr_hugepages')),
    free: readCount(sys('kernel', 'mm', 'hugepages', dir, 'free_hugepages')),
  });
  return {
    kvmDevice,
    tdpMmu: readYesNo(sys('module', 'kvm', 'parameters', 'tdp_mmu')),
    ept: readYesNo(sys('module', 'kvm_intel', 'parameters', 'ept')),
    npt: readYesNo(sys('module', 'kvm_amd', 'parameters', 'npt')),
    pvm: existsSync(sys('module', 'kvm_pvm')),
    nxHugePages: readText(sys('module', 'kvm', 'parameters', 'nx_huge_pages')),
    eagerPageSplit: readYesNo(sys('module', 'kvm', 'parameters', 'eager_page_split')),
    mmioCaching: readYesNo(sys('module', 'kvm', 'parameters', 'mmio_caching')),
    thp: thpText?.match(/\[(\w+)\]/)?.[1],
    hugetlb2m: pool('hugepages-2048kB'),
    hugetlb1g: pool('hugepages-1048576kB'),
  };
}

/** The MMU a guest of this host gets. */
export type HostMmuMode = 'tdp' | 'shadow';

/**
 * TDP when the vendor module uses EPT/NPT (and PVM is not the one loaded:
 * PVM runs guests without hardware virtualization, always with shadow
 * paging); shadow otherwise.
 */
export function hostMode(facts: HostFacts): HostMmuMode {
  if (facts.pvm) return 'shadow';
  return facts.ept === true || facts.npt === true ? 'tdp' : 'shadow';
}

/** True when the kernel's nx_huge_pages value turns the mitigation on. */
export function nxHugePagesOn(facts: HostFacts): boolean {
  const v = facts.nxHugePages?.toLowerCase();
  return v === 'y' || v === 'force' || v === '1' || v === 'on';
}

/** One line per fact, for the report's header. */
export function describeHost(facts: HostFacts): string[] {
  const mode = hostMode(facts);
  const yn = (v: boolean | undefined): string => (v === undefined ? 'absent' : v ? 'Y' : 'N');
  const source = facts.pvm ? 'kvm_pvm loaded' : `ept ${yn(facts.ept)}, npt ${yn(facts.npt)}`;
  return [
    `MMU: ${mode === 'tdp' ? 'TDP (two-dimensional paging)' : 'shadow paging'} (${source}; tdp_mmu ${yn(facts.tdpMmu)})`,
    `/dev/kvm: ${facts.kvmDevice}`,
    `nx_huge_pages ${facts.nxHugePages ?? 'absent'}, eager_page_split ${yn(facts.eagerPageSplit)}, mmio_caching ${yn(facts.mmioCaching)}`,
    `THP ${facts.thp ?? 'absent'}; hugetlbfs 2M ${facts.hugetlb2m.free}/${facts.hugetlb2m.total} free, 1G ${facts.hugetlb1g.free}/${facts.hugetlb1g.total} free`,
  ];
}

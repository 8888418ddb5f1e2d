/*
 * kvm-runner: runs the accesses of an mmubench trace in a real KVM guest and
 * reports the differences of KVM's own statistics (KVM_GET_STATS_FD) before
 * and after. Driven by `mmubench validate` (src/validate/); see
 * docs/validation.md. No dependency beyond libc and the kernel uAPI headers.
 *
 * Input (stdin, or the file named by the only argument): a text job.
 *
 *   mmubench-kvm-job 1
 *   backing 4k|thp|hugetlb-2m|hugetlb-1g   host memory behind the trace's slots
 *   guest-page 4k|2m|1g                    page size of the guest's identity map (1g falls
 *                                          back to 2m when the guest CPUID lacks PDPE1GB)
 *   sys-warmup all|stubs                   fault in the runner's whole memslot before the
 *                                          trace (TDP hosts: the guest's page tables are
 *                                          GPAs there), or only the pages it executes
 *   vcpus N
 *   slot ID GPA SIZE                       a memslot present before the trace
 *   ev LINE OP VCPU GPA SIZE SLOT          one trace event, in replay order
 *   end
 *
 * OP is R, W, X, PREFAULT, UNMAP, SLOT_ADD, SLOT_DEL, DIRTY_LOG_ON or
 * DIRTY_LOG_OFF; LINE is the trace line (for messages); SLOT is the memslot
 * id of slot events (-1 otherwise). Numbers are decimal or 0x hex.
 *
 * Output (stdout): one JSON object with the statistics' differences (every
 * scalar statistic of the VM and of each vCPU, by the name KVM gives it), the
 * KVM_PRE_FAULT_MEMORY results and what the runner had to do around the
 * trace. Exit status: 0 done, 1 a KVM or system call failed (message on
 * stderr), 2 a bad job, 3 skipped (stdout: {"skipped": "why"}).
 *
 * How a guest access is made (the facts behind each choice are in
 * docs/validation.md):
 * - the vCPU runs at CPL3 from its very first instruction (KVM_SET_SREGS puts
 *   it there), with IOPL=3, so its loads, stores and fetches take real MMU
 *   faults instead of being emulated;
 * - for each access the host points RIP at a two-instruction stub (`mov
 *   (%rdi),%al` or `mov %al,(%rdi)`, then `out %al,$0x10`), or, for X, at
 *   the target itself, where it has written `out %al,$0x10`: every access
 *   ends with an I/O exit to the host, so events run in trace order;
 * - the guest's page tables identity-map the trace's memory with 4K or 2M
 *   pages, user-accessible, Dirty preset and Accessed clear (cleared again
 *   after each access), so that shadow paging neither refaults a read-only
 *   mapping on the first write nor prefetches neighbours;
 * - host memory is written before the guest first touches it, so KVM never
 *   maps the shared zero page.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

/* uAPI newer than some distributions' headers (Linux 6.11, 6.12). */
#ifndef KVM_CAP_PRE_FAULT_MEMORY
#define KVM_CAP_PRE_FAULT_MEMORY 236
struct kvm_pre_fault_memory {
	__u64 gpa;
	__u64 size;
	__u64 flags;
	__u64 padding[5];
};
#define KVM_PRE_FAULT_MEMORY _IOWR(KVMIO, 0xd5, struct kvm_pre_fault_memory)
#endif
#ifndef KVM_X86_QUIRK_SLOT_ZAP_ALL
#define KVM_X86_QUIRK_SLOT_ZAP_ALL (1 << 7)
#endif
#ifndef MAP_HUGE_SHIFT
#define MAP_HUGE_SHIFT 26
#endif

#define PAGE_4K 0x1000ULL
#define PAGE_2M 0x200000ULL
#define PAGE_1G 0x40000000ULL
#define REGION_512G 0x8000000000ULL

/* Guest page-table entry bits (Intel SDM vol. 3, 4.5). */
#define PTE_P (1ULL << 0)
#define PTE_W (1ULL << 1)
#define PTE_U (1ULL << 2)
#define PTE_A (1ULL << 5)
#define PTE_D (1ULL << 6)
#define PTE_PS (1ULL << 7)
#define PTE_ADDR 0x000ffffffffff000ULL

/* Layout of the runner's own memslot, at SYS_BASE (a 512 GiB boundary above the trace). */
#define SYS_CODE 0x0000    /* access stubs, exception handlers */
#define SYS_GDT 0x1000     /* GDT; IDT at SYS_GDT + 0x800 */
#define SYS_TSS 0x2000     /* 64-bit TSS + I/O bitmap: 0x2000..0x4068 */
#define SYS_STACK 0x5000   /* CPL0 stack for exception handlers (TSS.rsp0 = its end) */
#define SYS_SCRATCH 0x6000 /* the warm-up access reads here */
#define SYS_PT 0x7000      /* guest page-table pages from here */
#define STUB_READ 0x00
#define STUB_WRITE 0x10
#define STUB_EXC 0x100 /* 16 bytes per vector */
#define EXIT_PORT 0x10
#define EXC_PORT 0x11
#define SYS_SLOT 0 /* KVM slot number of the runner's memslot */

enum op { OP_R, OP_W, OP_X, OP_PREFAULT, OP_UNMAP, OP_SLOT_ADD, OP_SLOT_DEL, OP_DIRTY_LOG_ON, OP_DIRTY_LOG_OFF, OP_COUNT };
static const char *const OP_NAMES[OP_COUNT] = {"R", "W", "X", "PREFAULT", "UNMAP", "SLOT_ADD", "SLOT_DEL", "DIRTY_LOG_ON", "DIRTY_LOG_OFF"};

enum backing { BACK_4K, BACK_THP, BACK_HUGETLB_2M, BACK_HUGETLB_1G };
#define CPUID_PDPE1GB (1U << 26) /* CPUID 0x80000001 EDX */

struct event {
	unsigned line;
	enum op op;
	unsigned vcpu;
	uint64_t gpa, size;
	int slot;
};

/* One memslot instance: an initial `slot` line or a SLOT_ADD event. */
struct slot {
	int id;
	uint64_t gpa, size;
	uint8_t *host;       /* host memory at GPA `gpa`: congruent to the GPA modulo the backing page */
	uint8_t *touched;    /* one byte per 4 KiB page: written by the host since the last UNMAP */
	int kvm_slot;        /* KVM slot number while registered, else -1 */
	uint32_t flags;      /* KVM_MEM_* flags while registered */
	int initial;         /* a `slot` line (registered before the trace), not a SLOT_ADD */
	int deleted;         /* SLOT_DEL has removed this instance */
};

/* A statistics fd, its descriptors parsed once (KVM_GET_STATS_FD, api.rst). */
struct stats {
	int fd;
	unsigned count;     /* scalar statistics kept */
	char (*names)[64];
	uint32_t *offsets;  /* byte offsets in the data block */
	uint32_t data_offset, data_size;
	uint8_t *buf;
};

struct vcpu {
	int fd;
	struct kvm_run *run;
	struct stats stats;
	int needs_warmup;
};

static struct {
	enum backing backing;
	uint64_t guest_page, guest_page_asked;
	int sys_warmup_all;
	int guest_pdpe1gb;
	struct kvm_cpuid2 *cpuid;
	unsigned nvcpus;
	struct event *events;
	size_t nevents, cap_events;
	struct slot *slots;
	size_t nslots, cap_slots;
	int kvm, vm;
	int pre_fault_cap;
	int zap_all_disabled;
	int manual_dirty_protect;
	uint64_t sys_base, sys_size;
	uint8_t *sys;
	struct vcpu *vcpus;
	struct stats vm_stats;
	unsigned long runs, io_exits, mmio_exits, warmups;
	unsigned next_kvm_slot;
} g;

/* ---- errors ---------------------------------------------------------------- */

static void die(int status, const char *fmt, ...) __attribute__((noreturn, format(printf, 2, 3)));
static void die(int status, const char *fmt, ...)
{
	va_list ap;
	fputs("kvm-runner: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(status);
}

/* A failed system call: what was being done and errno's text; exit 1. */
#define SYSFAIL(...) die(1, "%s: %s", fmt_msg(__VA_ARGS__), strerror(errno))
static const char *fmt_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static const char *fmt_msg(const char *fmt, ...)
{
	static char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return msg;
}

static void skip(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
static void skip(const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	printf("{\"skipped\": \"%s\"}\n", msg);
	exit(3);
}

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);
	if (!p)
		die(1, "out of memory");
	return p;
}

/* ---- 1. the job ------------------------------------------------------------ */

static uint64_t parse_num(const char *text, unsigned lineno, const char *what)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(text, &end, 0);
	if (errno || *end || text[0] == '-' || text[0] == '\0')
		die(2, "job line %u: %s \"%s\" is not a number", lineno, what, text);
	return v;
}

static struct slot *add_slot(int id, uint64_t gpa, uint64_t size, int initial)
{
	if (g.nslots == g.cap_slots) {
		g.cap_slots = g.cap_slots ? 2 * g.cap_slots : 8;
		g.slots = realloc(g.slots, g.cap_slots * sizeof *g.slots);
		if (!g.slots)
			die(1, "out of memory");
	}
	struct slot *s = &g.slots[g.nslots++];
	memset(s, 0, sizeof *s);
	s->id = id;
	s->gpa = gpa;
	s->size = size;
	s->kvm_slot = -1;
	s->initial = initial;
	return s;
}

static void read_job(FILE *in)
{
	char line[512];
	unsigned lineno = 0;
	int header = 0, ended = 0;
	g.guest_page = PAGE_4K;
	g.nvcpus = 1;
	g.sys_warmup_all = 1;
	while (fgets(line, sizeof line, in)) {
		lineno++;
		char *tok[8];
		int n = 0;
		for (char *p = strtok(line, " \t\r\n"); p && n < 8; p = strtok(NULL, " \t\r\n"))
			tok[n++] = p;
		if (n == 0 || tok[0][0] == '#')
			continue;
		if (!header) {
			if (n != 2 || strcmp(tok[0], "mmubench-kvm-job") || strcmp(tok[1], "1"))
				die(2, "job line %u: expected \"mmubench-kvm-job 1\"", lineno);
			header = 1;
		} else if (!strcmp(tok[0], "backing") && n == 2) {
			if (!strcmp(tok[1], "4k"))
				g.backing = BACK_4K;
			else if (!strcmp(tok[1], "thp"))
				g.backing = BACK_THP;
			else if (!strcmp(tok[1], "hugetlb-2m"))
				g.backing = BACK_HUGETLB_2M;
			else if (!strcmp(tok[1], "hugetlb-1g"))
				g.backing = BACK_HUGETLB_1G;
			else
				die(2, "job line %u: backing \"%s\" is not 4k, thp, hugetlb-2m or hugetlb-1g", lineno, tok[1]);
		} else if (!strcmp(tok[0], "guest-page") && n == 2) {
			if (!strcmp(tok[1], "4k"))
				g.guest_page = PAGE_4K;
			else if (!strcmp(tok[1], "2m"))
				g.guest_page = PAGE_2M;
			else if (!strcmp(tok[1], "1g"))
				g.guest_page = PAGE_1G;
			else
				die(2, "job line %u: guest-page \"%s\" is not 4k, 2m or 1g", lineno, tok[1]);
		} else if (!strcmp(tok[0], "sys-warmup") && n == 2) {
			if (strcmp(tok[1], "all") && strcmp(tok[1], "stubs"))
				die(2, "job line %u: sys-warmup \"%s\" is not all or stubs", lineno, tok[1]);
			g.sys_warmup_all = !strcmp(tok[1], "all");
		} else if (!strcmp(tok[0], "vcpus") && n == 2) {
			g.nvcpus = parse_num(tok[1], lineno, "vcpus");
			if (g.nvcpus < 1 || g.nvcpus > 64)
				die(2, "job line %u: vcpus must be 1..64", lineno);
		} else if (!strcmp(tok[0], "slot") && n == 4) {
			add_slot(parse_num(tok[1], lineno, "slot id"), parse_num(tok[2], lineno, "gpa"), parse_num(tok[3], lineno, "size"), 1);
		} else if (!strcmp(tok[0], "ev") && n == 7) {
			struct event e = {0};
			e.line = parse_num(tok[1], lineno, "line");
			e.op = OP_COUNT;
			for (int i = 0; i < OP_COUNT; i++)
				if (!strcmp(tok[2], OP_NAMES[i]))
					e.op = i;
			if (e.op == OP_COUNT)
				die(2, "job line %u: op \"%s\" cannot be run by kvm-runner", lineno, tok[2]);
			e.vcpu = parse_num(tok[3], lineno, "vcpu");
			e.gpa = parse_num(tok[4], lineno, "gpa");
			e.size = parse_num(tok[5], lineno, "size");
			e.slot = !strcmp(tok[6], "-1") ? -1 : (int)parse_num(tok[6], lineno, "slot");
			if (g.nevents == g.cap_events) {
				g.cap_events = g.cap_events ? 2 * g.cap_events : 1024;
				g.events = realloc(g.events, g.cap_events * sizeof *g.events);
				if (!g.events)
					die(1, "out of memory");
			}
			g.events[g.nevents++] = e;
		} else if (!strcmp(tok[0], "end") && n == 1) {
			ended = 1;
			break;
		} else {
			die(2, "job line %u: unknown or malformed line \"%s\"", lineno, tok[0]);
		}
	}
	if (!header || !ended)
		die(2, "job: missing %s", header ? "\"end\" line (truncated job?)" : "header \"mmubench-kvm-job 1\"");
	for (size_t i = 0; i < g.nevents; i++) {
		struct event *e = &g.events[i];
		if (e->vcpu >= g.nvcpus)
			die(2, "trace line %u: vCPU %u, but the job has %u vCPUs", e->line, e->vcpu, g.nvcpus);
		if (e->op == OP_SLOT_ADD)
			add_slot(e->slot, e->gpa, e->size, 0);
	}
	for (size_t i = 0; i < g.nslots; i++)
		if (g.slots[i].gpa % PAGE_4K || g.slots[i].size % PAGE_4K || g.slots[i].size == 0)
			die(2, "memslot %d: GPA and size must be 4 KiB multiples", g.slots[i].id);
}

/* ---- 2. host memory -------------------------------------------------------- */

static uint64_t host_page_bytes(void)
{
	return g.backing == BACK_4K ? PAGE_4K : g.backing == BACK_HUGETLB_1G ? PAGE_1G : PAGE_2M;
}

static long read_long_file(const char *path)
{
	FILE *f = fopen(path, "r");
	long v = -1;
	if (f) {
		if (fscanf(f, "%ld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

/* The slot registered at `gpa` now, or NULL (an MMIO access). */
static struct slot *live_slot_at(uint64_t gpa)
{
	for (size_t i = 0; i < g.nslots; i++) {
		struct slot *s = &g.slots[i];
		if (s->kvm_slot >= 0 && gpa >= s->gpa && gpa < s->gpa + s->size)
			return s;
	}
	return NULL;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/*
 * Huge host pages the trace will touch: for hugetlbfs they must be free
 * before we start, or the job is skipped (nothing is half-run).
 */
static void check_hugetlb(void)
{
	if (g.backing != BACK_HUGETLB_2M && g.backing != BACK_HUGETLB_1G)
		return;
	const char *dir = g.backing == BACK_HUGETLB_2M ? "hugepages-2048kB" : "hugepages-1048576kB";
	char path[128];
	snprintf(path, sizeof path, "/sys/kernel/mm/hugepages/%s/free_hugepages", dir);
	long free_pages = read_long_file(path);
	/* Distinct huge pages the guest accesses and pre-faults touch (sorted, then counted once each). */
	uint64_t huge = host_page_bytes(), needed = 0, count = 0, cap = 1024;
	uint64_t *units = xcalloc(cap, sizeof *units);
	for (size_t i = 0; i < g.nevents; i++) {
		struct event *e = &g.events[i];
		if (e->op > OP_PREFAULT)
			continue;
		for (uint64_t a = e->gpa & ~(huge - 1); a < e->gpa + (e->size ? e->size : 1); a += huge) {
			if (count == cap) {
				cap *= 2;
				units = realloc(units, cap * sizeof *units);
				if (!units)
					die(1, "out of memory");
			}
			units[count++] = a / huge;
		}
	}
	qsort(units, count, sizeof *units, cmp_u64);
	for (size_t i = 0; i < count; i++)
		if (i == 0 || units[i] != units[i - 1])
			needed++;
	free(units);
	if (needed == 0)
		needed = 1;
	if (free_pages < (long)needed)
		skip("not enough hugetlbfs pages: the trace needs %llu free %s pages and %s says %ld (echo N > /proc/sys/vm/nr_hugepages)",
		     (unsigned long long)needed, dir, path, free_pages);
}

/*
 * Map a slot's host memory so that HVA and GPA are congruent modulo the
 * backing page (KVM allows a huge mapping only then, as the model assumes):
 * the mapping covers the slot rounded out to whole backing pages.
 */
static void map_slot_memory(struct slot *s)
{
	uint64_t unit = host_page_bytes();
	uint64_t lead = s->gpa & (unit - 1);
	uint64_t len = (lead + s->size + unit - 1) & ~(unit - 1);
	uint8_t *base;
	if (g.backing == BACK_HUGETLB_2M || g.backing == BACK_HUGETLB_1G) {
		int shift = g.backing == BACK_HUGETLB_2M ? 21 : 30;
		base = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | MAP_NORESERVE | (shift << MAP_HUGE_SHIFT),
			    -1, 0);
		if (base == MAP_FAILED)
			skip("no hugetlbfs pages: mmap(MAP_HUGETLB) of memslot %d failed: %s", s->id, strerror(errno));
	} else {
		/* Over-allocate, then trim to a window aligned to the backing page. */
		uint64_t extra = g.backing == BACK_THP ? unit : 0;
		uint8_t *p = mmap(NULL, len + extra, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (p == MAP_FAILED)
			SYSFAIL("mmap of %llu bytes for memslot %d", (unsigned long long)(len + extra), s->id);
		base = p;
		if (g.backing == BACK_THP) {
			base = (uint8_t *)(((uintptr_t)p + unit - 1) & ~(uintptr_t)(unit - 1));
			if (base > p)
				munmap(p, base - p);
			if (p + len + extra > base + len)
				munmap(base + len, (p + len + extra) - (base + len));
		}
		/* THP for `thp` only: plain 4 KiB pages even where THP is "always". */
		if (madvise(base, len, g.backing == BACK_THP ? MADV_HUGEPAGE : MADV_NOHUGEPAGE))
			SYSFAIL("madvise(%s) for memslot %d", g.backing == BACK_THP ? "MADV_HUGEPAGE" : "MADV_NOHUGEPAGE", s->id);
	}
	s->host = base + lead;
	s->touched = xcalloc(s->size / PAGE_4K, 1);
}

/*
 * Write the host pages behind [gpa, gpa + size) of `s` that are not written
 * yet: a whole backing page at a time (so THP gets a huge page), before the
 * guest touches them, so KVM finds a present, writable host page.
 */
static void pretouch(struct slot *s, uint64_t gpa, uint64_t size)
{
	uint64_t unit = host_page_bytes();
	uint64_t first = gpa & ~(unit - 1), last = (gpa + (size ? size : 1) + unit - 1) & ~(unit - 1);
	if (first < s->gpa)
		first = s->gpa;
	if (last > s->gpa + s->size)
		last = s->gpa + s->size;
	for (uint64_t a = first; a < last; a += PAGE_4K) {
		uint64_t page = (a - s->gpa) / PAGE_4K;
		if (s->touched[page])
			continue;
		*(volatile uint8_t *)(s->host + (a - s->gpa)) = 0;
		s->touched[page] = 1;
	}
}

/* Backing pages (4K, 2M or 1G) of the trace's slots the host has written. */
static uint64_t units_touched(void)
{
	uint64_t unit = host_page_bytes(), count = 0;
	for (size_t i = 0; i < g.nslots; i++) {
		struct slot *s = &g.slots[i];
		uint64_t last = UINT64_MAX;
		for (uint64_t page = 0; page < s->size / PAGE_4K; page++) {
			uint64_t u = (s->gpa + page * PAGE_4K) / unit;
			if (s->touched[page] && u != last)
				count++, last = u;
		}
	}
	return count;
}

/* Bytes of [start, start + len) backed by huge pages now, from /proc/self/smaps. */
static uint64_t huge_bytes(const void *start, uint64_t len)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	if (!f)
		return 0;
	char line[512];
	int inside = 0;
	uint64_t total = 0;
	uintptr_t lo = (uintptr_t)start, hi = lo + len;
	while (fgets(line, sizeof line, f)) {
		unsigned long a, b, kb;
		if (sscanf(line, "%lx-%lx ", &a, &b) == 2 && strchr(line, '-') < strchr(line, ' ')) {
			inside = a >= lo && b <= hi;
		} else if (inside && sscanf(line, "AnonHugePages: %lu kB", &kb) == 1) {
			total += (uint64_t)kb * 1024;
		} else if (inside && g.backing >= BACK_HUGETLB_2M &&
			   (sscanf(line, "Private_Hugetlb: %lu kB", &kb) == 1 || sscanf(line, "Shared_Hugetlb: %lu kB", &kb) == 1)) {
			total += (uint64_t)kb * 1024;
		}
	}
	fclose(f);
	return total;
}

/* ---- 3. the VM and the runner's own memslot -------------------------------- */

static void set_region(struct slot *s, uint32_t flags)
{
	struct kvm_userspace_memory_region r = {
		.slot = (uint32_t)s->kvm_slot,
		.flags = flags,
		.guest_phys_addr = s->gpa,
		.memory_size = s->size,
		.userspace_addr = (uintptr_t)s->host,
	};
	if (ioctl(g.vm, KVM_SET_USER_MEMORY_REGION, &r))
		SYSFAIL("KVM_SET_USER_MEMORY_REGION (memslot %d, GPA 0x%llx, size 0x%llx, flags 0x%x)", s->id,
			(unsigned long long)s->gpa, (unsigned long long)s->size, flags);
	s->flags = flags;
}

static void register_slot(struct slot *s)
{
	s->kvm_slot = (int)g.next_kvm_slot++;
	set_region(s, 0);
}

static void unregister_slot(struct slot *s)
{
	struct kvm_userspace_memory_region r = {.slot = (uint32_t)s->kvm_slot, .guest_phys_addr = s->gpa};
	if (ioctl(g.vm, KVM_SET_USER_MEMORY_REGION, &r))
		SYSFAIL("KVM_SET_USER_MEMORY_REGION deleting memslot %d", s->id);
	s->kvm_slot = -1;
}

static void create_vm(void)
{
	g.kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (g.kvm < 0)
		SYSFAIL("open /dev/kvm");
	int version = ioctl(g.kvm, KVM_GET_API_VERSION, 0);
	if (version != KVM_API_VERSION)
		die(1, "KVM_GET_API_VERSION: %d, expected %d", version, KVM_API_VERSION);
	g.vm = ioctl(g.kvm, KVM_CREATE_VM, 0);
	if (g.vm < 0)
		SYSFAIL("KVM_CREATE_VM");
	if (ioctl(g.vm, KVM_CHECK_EXTENSION, KVM_CAP_USER_MEMORY) <= 0)
		die(1, "KVM_CAP_USER_MEMORY is missing");
	if (ioctl(g.vm, KVM_CHECK_EXTENSION, KVM_CAP_BINARY_STATS_FD) <= 0)
		die(1, "KVM_CAP_BINARY_STATS_FD is missing: this kernel has no KVM_GET_STATS_FD (Linux 5.14+)");
	g.pre_fault_cap = ioctl(g.vm, KVM_CHECK_EXTENSION, KVM_CAP_PRE_FAULT_MEMORY) > 0;
	/*
	 * Deleting a memslot zaps every shadow page of the VM by default
	 * (KVM_X86_QUIRK_SLOT_ZAP_ALL), the runner's own included; without the
	 * quirk only the slot's mappings go, as in the modelled TDP MMU.
	 */
	/*
	 * KVM_GET_DIRTY_LOG re-write-protects the pages it reports unless
	 * userspace protects them itself (KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2):
	 * with it, reading the log changes no mapping, so the fault counts of
	 * the trace stay those of the trace alone.
	 */
	int manual = ioctl(g.vm, KVM_CHECK_EXTENSION, KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2);
	if (manual > 0 && (manual & KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE)) {
		struct kvm_enable_cap cap = {.cap = KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2, .args = {KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE}};
		if (ioctl(g.vm, KVM_ENABLE_CAP, &cap))
			SYSFAIL("KVM_ENABLE_CAP(KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2)");
		g.manual_dirty_protect = 1;
	}
	int quirks = ioctl(g.vm, KVM_CHECK_EXTENSION, KVM_CAP_DISABLE_QUIRKS2);
	if (quirks > 0 && (quirks & KVM_X86_QUIRK_SLOT_ZAP_ALL)) {
		struct kvm_enable_cap cap = {.cap = KVM_CAP_DISABLE_QUIRKS2, .args = {KVM_X86_QUIRK_SLOT_ZAP_ALL}};
		if (ioctl(g.vm, KVM_ENABLE_CAP, &cap))
			SYSFAIL("KVM_ENABLE_CAP(KVM_CAP_DISABLE_QUIRKS2, KVM_X86_QUIRK_SLOT_ZAP_ALL)");
		g.zap_all_disabled = 1;
	}
}

/* Guest page-table pages, built in a growing buffer, then copied into the sys slot. */
static struct {
	uint64_t *pages; /* 512 entries per page */
	size_t count, cap;
} pt;

static uint64_t pt_gpa(size_t index) { return g.sys_base + SYS_PT + index * PAGE_4K; }

static size_t pt_alloc(void)
{
	if (pt.count == pt.cap) {
		pt.cap = pt.cap ? 2 * pt.cap : 64;
		pt.pages = realloc(pt.pages, pt.cap * 512 * sizeof(uint64_t));
		if (!pt.pages)
			die(1, "out of memory for guest page tables");
	}
	memset(&pt.pages[pt.count * 512], 0, 512 * sizeof(uint64_t));
	return pt.count++;
}

/* The table below `entry` of table page `table`, created when missing. */
static size_t pt_child(size_t table, unsigned index)
{
	uint64_t *e = &pt.pages[table * 512 + index];
	if (*e & PTE_P)
		return (size_t)(((*e & PTE_ADDR) - pt_gpa(0)) / PAGE_4K);
	size_t child = pt_alloc();
	pt.pages[table * 512 + index] = pt_gpa(child) | PTE_P | PTE_W | PTE_U; /* pt.pages may have moved: index again */
	return child;
}

/* Identity-map [gpa, gpa + size) with `page` (4 KiB, 2 MiB or 1 GiB) leaves: U/S set, Dirty preset, Accessed clear. */
static void pt_map(uint64_t gpa, uint64_t size, uint64_t page)
{
	for (uint64_t a = gpa & ~(page - 1); a < gpa + size; a += page) {
		size_t pdpt = pt_child(0, (a >> 39) & 511);
		if (page == PAGE_1G) {
			pt.pages[pdpt * 512 + ((a >> 30) & 511)] = a | PTE_P | PTE_W | PTE_U | PTE_D | PTE_PS;
			continue;
		}
		size_t pd = pt_child(pdpt, (a >> 30) & 511);
		if (page == PAGE_2M) {
			pt.pages[pd * 512 + ((a >> 21) & 511)] = a | PTE_P | PTE_W | PTE_U | PTE_D | PTE_PS;
		} else {
			size_t ptp = pt_child(pd, (a >> 21) & 511);
			pt.pages[ptp * 512 + ((a >> 12) & 511)] = a | PTE_P | PTE_W | PTE_U | PTE_D;
		}
	}
}

/* Host pointer to the guest leaf entry mapping `gpa` (after the sys slot is filled), or NULL. */
static uint64_t *guest_leaf(uint64_t gpa)
{
	uint64_t *table = (uint64_t *)(g.sys + SYS_PT);
	for (int shift = 39; shift >= 12; shift -= 9) {
		uint64_t *e = &table[(gpa >> shift) & 511];
		if (!(*e & PTE_P))
			return NULL;
		if (shift == 12 || (*e & PTE_PS))
			return e;
		table = (uint64_t *)(g.sys + ((*e & PTE_ADDR) - g.sys_base));
	}
	return NULL;
}

static void put_u64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }

/*
 * The runner's memslot: code stubs, GDT, IDT, TSS with an I/O bitmap, a CPL0
 * stack, a scratch page and the guest page tables, at the first 512 GiB
 * boundary above everything the trace names (so the trace's page-table pages
 * are not shared with the runner's, as the model assumes).
 */
static void build_sys_slot(void)
{
	uint64_t end = 0;
	for (size_t i = 0; i < g.nslots; i++)
		if (g.slots[i].gpa + g.slots[i].size > end)
			end = g.slots[i].gpa + g.slots[i].size;
	for (size_t i = 0; i < g.nevents; i++)
		if (g.events[i].op <= OP_X && g.events[i].gpa + g.events[i].size > end)
			end = g.events[i].gpa + g.events[i].size;
	g.sys_base = (end + REGION_512G - 1) & ~(REGION_512G - 1);
	if (g.sys_base == 0)
		g.sys_base = REGION_512G;
	if (g.sys_base + REGION_512G > (1ULL << 47))
		die(2, "the trace reaches GPA 0x%llx: no room above it for the runner's memslot below 2^47", (unsigned long long)end);

	/*
	 * Step 1: page tables: the region (2 MiB, or 1 GiB for 1G pages) around
	 * every access, MMIO ones included, then the sys slot itself. Only what
	 * the trace touches: shadow pages mirror the guest page-table pages that
	 * accesses walk, and a TDP host ignores the rest.
	 */
	pt_alloc(); /* PML4 */
	uint64_t region = g.guest_page == PAGE_1G ? PAGE_1G : PAGE_2M;
	for (size_t i = 0; i < g.nevents; i++) {
		const struct event *e = &g.events[i];
		if (e->op > OP_X)
			continue;
		uint64_t first = e->gpa & ~(region - 1), last = (e->gpa + (e->size ? e->size : 1) + region - 1) & ~(region - 1);
		pt_map(first, last - first, g.guest_page);
	}
	/* The sys slot's own pages (incl. its page tables) need a size first: map a generous bound. */
	size_t trace_pages = pt.count;
	uint64_t sys_size = (SYS_PT + (trace_pages + 8) * PAGE_4K + PAGE_2M - 1) & ~(PAGE_2M - 1);
	pt_map(g.sys_base, sys_size, PAGE_4K);
	if (SYS_PT + pt.count * PAGE_4K > sys_size)
		sys_size = (SYS_PT + pt.count * PAGE_4K + PAGE_2M - 1) & ~(PAGE_2M - 1), pt_map(g.sys_base, sys_size, PAGE_4K);
	if (SYS_PT + pt.count * PAGE_4K > sys_size)
		die(1, "internal: guest page tables do not fit the runner's memslot");
	g.sys_size = sys_size;

	/* Step 2: host memory for the sys slot, written whole (no zero page, no lazy faults). */
	g.sys = mmap(NULL, g.sys_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (g.sys == MAP_FAILED)
		SYSFAIL("mmap of the runner's memslot (%llu bytes)", (unsigned long long)g.sys_size);
	madvise(g.sys, g.sys_size, MADV_NOHUGEPAGE);
	memset(g.sys, 0, g.sys_size);
	memcpy(g.sys + SYS_PT, pt.pages, pt.count * PAGE_4K);

	/* Step 3: code. Access stubs (CPL3) and one exception stub per vector (CPL0). */
	static const uint8_t read_stub[] = {0x8a, 0x07, 0xe6, EXIT_PORT};  /* mov (%rdi),%al; out %al,$0x10 */
	static const uint8_t write_stub[] = {0x88, 0x07, 0xe6, EXIT_PORT}; /* mov %al,(%rdi); out %al,$0x10 */
	memcpy(g.sys + SYS_CODE + STUB_READ, read_stub, sizeof read_stub);
	memcpy(g.sys + SYS_CODE + STUB_WRITE, write_stub, sizeof write_stub);
	for (unsigned v = 0; v < 32; v++) {
		/* mov $v,%al; out %al,$0x11; jmp . */
		const uint8_t exc[] = {0xb0, (uint8_t)v, 0xe6, EXC_PORT, 0xeb, 0xfe};
		memcpy(g.sys + SYS_CODE + STUB_EXC + v * 16, exc, sizeof exc);
	}

	/* Step 4: GDT: null, kernel code 0x08, kernel data 0x10, user code 0x18, user data 0x20, TSS 0x28. */
	uint8_t *gdt = g.sys + SYS_GDT;
	put_u64(gdt + 0x08, 0x00af9b000000ffffULL);
	put_u64(gdt + 0x10, 0x00cf93000000ffffULL);
	put_u64(gdt + 0x18, 0x00affb000000ffffULL);
	put_u64(gdt + 0x20, 0x00cff3000000ffffULL);
	uint64_t tss = g.sys_base + SYS_TSS, tss_limit = 0x68 + 0x2000;
	put_u64(gdt + 0x28, (tss_limit & 0xffff) | ((tss & 0xffffff) << 16) | (0x8bULL << 40) | (((tss_limit >> 16) & 0xf) << 48) |
				    (((tss >> 24) & 0xff) << 56));
	put_u64(gdt + 0x30, tss >> 32);

	/* Step 5: IDT: interrupt gates, DPL0, to the exception stubs. */
	uint8_t *idt = g.sys + SYS_GDT + 0x800;
	for (unsigned v = 0; v < 32; v++) {
		uint64_t h = g.sys_base + SYS_CODE + STUB_EXC + v * 16;
		uint64_t lo = (h & 0xffff) | (0x08ULL << 16) | (0x8eULL << 40) | (((h >> 16) & 0xffff) << 48);
		put_u64(idt + v * 16, lo);
		put_u64(idt + v * 16 + 8, h >> 32);
	}

	/* Step 6: TSS: rsp0 for exceptions; I/O bitmap at 0x68 allowing every port, then the 0xff terminator. */
	uint8_t *t = g.sys + SYS_TSS;
	put_u64(t + 4, g.sys_base + SYS_STACK + PAGE_4K);
	t[0x66] = 0x68;
	t[0x67] = 0;
	t[0x68 + 0x2000] = 0xff;
}

/* ---- 4. vCPUs ---------------------------------------------------------------- */

static void stats_open(struct stats *st, int owner_fd, const char *what)
{
	st->fd = ioctl(owner_fd, KVM_GET_STATS_FD, NULL);
	if (st->fd < 0)
		SYSFAIL("KVM_GET_STATS_FD on the %s", what);
	struct kvm_stats_header h;
	if (pread(st->fd, &h, sizeof h, 0) != (ssize_t)sizeof h)
		SYSFAIL("reading the %s stats header", what);
	size_t desc_size = sizeof(struct kvm_stats_desc) + h.name_size;
	uint8_t *descs = xcalloc(h.num_desc, desc_size);
	if (pread(st->fd, descs, desc_size * h.num_desc, h.desc_offset) != (ssize_t)(desc_size * h.num_desc))
		SYSFAIL("reading the %s stats descriptors", what);
	st->names = xcalloc(h.num_desc, sizeof *st->names);
	st->offsets = xcalloc(h.num_desc, sizeof *st->offsets);
	st->data_offset = h.data_offset;
	for (uint32_t i = 0; i < h.num_desc; i++) {
		struct kvm_stats_desc *d = (struct kvm_stats_desc *)(descs + i * desc_size);
		uint32_t type = d->flags & KVM_STATS_TYPE_MASK;
		uint32_t end = d->offset + d->size * 8;
		if (end > st->data_size)
			st->data_size = end;
		/* Scalars only: histograms have size > 1. */
		if (d->size != 1 || type > KVM_STATS_TYPE_PEAK)
			continue;
		snprintf(st->names[st->count], sizeof st->names[0], "%.*s", (int)h.name_size, d->name);
		st->offsets[st->count++] = d->offset;
	}
	free(descs);
	st->buf = xcalloc(st->data_size, 1);
}

/* Read every scalar statistic of `st` into `out[count]`. */
static void stats_read(struct stats *st, uint64_t *out)
{
	if (pread(st->fd, st->buf, st->data_size, st->data_offset) != (ssize_t)st->data_size)
		SYSFAIL("reading statistics");
	for (unsigned i = 0; i < st->count; i++)
		memcpy(&out[i], st->buf + st->offsets[i], 8);
}

static void set_segment(struct kvm_segment *s, uint16_t sel, uint8_t type, uint8_t dpl, int code)
{
	memset(s, 0, sizeof *s);
	s->selector = sel;
	s->base = 0;
	s->limit = 0xffffffff;
	s->type = type;
	s->present = 1;
	s->dpl = dpl;
	s->s = 1;
	s->l = code;
	s->db = !code;
	s->g = 1;
}

/*
 * The guest gets KVM's supported CPUID: its MAXPHYADDR must cover the
 * runner's memslot, and 1 GiB guest pages need PDPE1GB (else they fall back
 * to 2 MiB, which the output says).
 */
static void get_cpuid(void)
{
	int nent = 128;
	for (;;) {
		g.cpuid = xcalloc(1, sizeof *g.cpuid + nent * sizeof(struct kvm_cpuid_entry2));
		g.cpuid->nent = nent;
		if (!ioctl(g.kvm, KVM_GET_SUPPORTED_CPUID, g.cpuid))
			break;
		if (errno != E2BIG)
			SYSFAIL("KVM_GET_SUPPORTED_CPUID");
		free(g.cpuid);
		nent *= 2;
	}
	for (unsigned i = 0; i < g.cpuid->nent; i++)
		if (g.cpuid->entries[i].function == 0x80000001)
			g.guest_pdpe1gb = !!(g.cpuid->entries[i].edx & CPUID_PDPE1GB);
	g.guest_page_asked = g.guest_page;
	if (g.guest_page == PAGE_1G && !g.guest_pdpe1gb)
		g.guest_page = PAGE_2M;
}

static void create_vcpus(void)
{
	int run_size = ioctl(g.kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (run_size <= 0)
		SYSFAIL("KVM_GET_VCPU_MMAP_SIZE");
	g.vcpus = xcalloc(g.nvcpus, sizeof *g.vcpus);
	for (unsigned i = 0; i < g.nvcpus; i++) {
		struct vcpu *v = &g.vcpus[i];
		v->fd = ioctl(g.vm, KVM_CREATE_VCPU, i);
		if (v->fd < 0)
			SYSFAIL("KVM_CREATE_VCPU %u", i);
		v->run = mmap(NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
		if (v->run == MAP_FAILED)
			SYSFAIL("mmap of vCPU %u's kvm_run", i);
		if (ioctl(v->fd, KVM_SET_CPUID2, g.cpuid))
			SYSFAIL("KVM_SET_CPUID2 on vCPU %u", i);

		/* 64-bit mode at CPL3 from the first instruction: user code/data segments, IOPL=3. */
		struct kvm_sregs sr;
		if (ioctl(v->fd, KVM_GET_SREGS, &sr))
			SYSFAIL("KVM_GET_SREGS on vCPU %u", i);
		sr.cr0 = 0x80050033; /* PG WP NE ET MP PE */
		sr.cr3 = pt_gpa(0);
		sr.cr4 = 0x20 | 0x200 | 0x400; /* PAE OSFXSR OSXMMEXCPT */
		sr.efer = 0x500;               /* LME LMA */
		set_segment(&sr.cs, 0x1b, 0xb, 3, 1);
		set_segment(&sr.ss, 0x23, 0x3, 3, 0);
		sr.ds = sr.es = sr.fs = sr.gs = sr.ss;
		memset(&sr.tr, 0, sizeof sr.tr);
		sr.tr.selector = 0x28;
		sr.tr.base = g.sys_base + SYS_TSS;
		sr.tr.limit = 0x68 + 0x2000;
		sr.tr.type = 0xb; /* busy 64-bit TSS */
		sr.tr.present = 1;
		memset(&sr.ldt, 0, sizeof sr.ldt);
		sr.ldt.unusable = 1;
		sr.gdt.base = g.sys_base + SYS_GDT;
		sr.gdt.limit = 0x37;
		sr.idt.base = g.sys_base + SYS_GDT + 0x800;
		sr.idt.limit = 32 * 16 - 1;
		if (ioctl(v->fd, KVM_SET_SREGS, &sr))
			SYSFAIL("KVM_SET_SREGS on vCPU %u", i);
		char what[32];
		snprintf(what, sizeof what, "vCPU %u", i);
		stats_open(&v->stats, v->fd, what);
		v->needs_warmup = 1;
	}
}

/* ---- 5. running one access ------------------------------------------------- */

static void guest_exception(unsigned index, uint8_t vector)
{
	struct kvm_regs r;
	struct kvm_sregs sr;
	ioctl(g.vcpus[index].fd, KVM_GET_REGS, &r);
	ioctl(g.vcpus[index].fd, KVM_GET_SREGS, &sr);
	/* Frame on the CPL0 stack: [error code,] RIP, CS, RFLAGS, RSP, SS. */
	int has_error = vector == 8 || (vector >= 10 && vector <= 14) || vector == 17;
	uint64_t frame = r.rsp - g.sys_base, rip = 0, err = 0;
	if (frame + 16 <= g.sys_size) {
		if (has_error)
			memcpy(&err, g.sys + frame, 8), frame += 8;
		memcpy(&rip, g.sys + frame, 8);
	}
	die(1, "guest exception vector %u on vCPU %u at rip 0x%llx (error code 0x%llx, cr2 0x%llx)", vector, index,
	    (unsigned long long)rip, (unsigned long long)err, (unsigned long long)sr.cr2);
}

/* Run vCPU `index` from `rip` with RDI = `rdi` until it exits through port 0x10. */
static void run_guest(unsigned index, uint64_t rip, uint64_t rdi, unsigned line)
{
	struct vcpu *v = &g.vcpus[index];
	struct kvm_regs r = {0};
	r.rip = rip;
	r.rdi = rdi;
	r.rsp = g.sys_base + SYS_STACK + PAGE_4K - 64;
	r.rflags = 0x3002; /* IOPL=3, reserved bit 1 */
	if (ioctl(v->fd, KVM_SET_REGS, &r))
		SYSFAIL("KVM_SET_REGS on vCPU %u", index);
	for (unsigned spins = 0;; spins++) {
		if (spins > 100000)
			die(1, "trace line %u: vCPU %u did not reach its exit after 100000 KVM_RUNs", line, index);
		g.runs++;
		if (ioctl(v->fd, KVM_RUN, 0)) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			SYSFAIL("KVM_RUN on vCPU %u (trace line %u)", index, line);
		}
		struct kvm_run *run = v->run;
		switch (run->exit_reason) {
		case KVM_EXIT_IO:
			if (run->io.port == EXIT_PORT) {
				g.io_exits++;
				return;
			}
			if (run->io.port == EXC_PORT)
				guest_exception(index, *((uint8_t *)run + run->io.data_offset));
			die(1, "trace line %u: unexpected I/O exit on port 0x%x", line, run->io.port);
		case KVM_EXIT_MMIO:
			/* No memslot here: reads see zeros, writes are dropped (KVM emulated the access). */
			g.mmio_exits++;
			if (!run->mmio.is_write)
				memset(run->mmio.data, 0, sizeof run->mmio.data);
			continue;
		case KVM_EXIT_SHUTDOWN:
			die(1, "trace line %u: vCPU %u shut down (triple fault)", line, index);
		case KVM_EXIT_FAIL_ENTRY:
			die(1, "trace line %u: vCPU %u failed to enter the guest (hardware reason 0x%llx)", line, index,
			    (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
		case KVM_EXIT_INTERNAL_ERROR:
			die(1, "trace line %u: KVM internal error on vCPU %u (suberror %u)", line, index, run->internal.suberror);
		default:
			die(1, "trace line %u: unexpected exit reason %u on vCPU %u", line, run->exit_reason, index);
		}
	}
}

/* ---- 6. statistics around the trace ---------------------------------------- */

struct snapshot {
	uint64_t *vm;
	uint64_t **vcpu;
};

static void snap_alloc(struct snapshot *s)
{
	s->vm = xcalloc(g.vm_stats.count, 8);
	s->vcpu = xcalloc(g.nvcpus, sizeof *s->vcpu);
	for (unsigned i = 0; i < g.nvcpus; i++)
		s->vcpu[i] = xcalloc(g.vcpus[i].stats.count, 8);
}

static void snap_take(struct snapshot *s)
{
	stats_read(&g.vm_stats, s->vm);
	for (unsigned i = 0; i < g.nvcpus; i++)
		stats_read(&g.vcpus[i].stats, s->vcpu[i]);
}

/* acc += b - a, for every statistic. */
static void snap_accumulate(struct snapshot *acc, const struct snapshot *a, const struct snapshot *b)
{
	for (unsigned k = 0; k < g.vm_stats.count; k++)
		acc->vm[k] += b->vm[k] - a->vm[k];
	for (unsigned i = 0; i < g.nvcpus; i++)
		for (unsigned k = 0; k < g.vcpus[i].stats.count; k++)
			acc->vcpu[i][k] += b->vcpu[i][k] - a->vcpu[i][k];
}

static struct snapshot excluded, tmp_a, tmp_b;

/* KVM_RUNNER_VERBOSE=1: each event's nonzero differences on stderr, for diagnosis. */
static void print_event_deltas(const struct event *e, const struct snapshot *a, const struct snapshot *b)
{
	fprintf(stderr, "line %u %s vcpu %u gpa 0x%llx:", e->line, OP_NAMES[e->op], e->vcpu, (unsigned long long)e->gpa);
	for (unsigned k = 0; k < g.vm_stats.count; k++)
		if (b->vm[k] != a->vm[k])
			fprintf(stderr, " %s%+lld", g.vm_stats.names[k], (long long)(b->vm[k] - a->vm[k]));
	for (unsigned i = 0; i < g.nvcpus; i++)
		for (unsigned k = 0; k < g.vcpus[i].stats.count; k++)
			if (b->vcpu[i][k] != a->vcpu[i][k] && !strncmp(g.vcpus[i].stats.names[k], "pf_", 3))
				fprintf(stderr, " vcpu%u.%s%+lld", i, g.vcpus[i].stats.names[k], (long long)(b->vcpu[i][k] - a->vcpu[i][k]));
	fputc('\n', stderr);
}

/*
 * Fault in the runner's own pages on vCPU `index` (code, TSS, stack, the
 * scratch page), with the statistics it moves set aside: first on each vCPU,
 * and again after every host event, which may have zapped them.
 */
static void warm_up(unsigned index)
{
	snap_take(&tmp_a);
	run_guest(index, g.sys_base + SYS_CODE + STUB_READ, g.sys_base + SYS_SCRATCH, 0);
	snap_take(&tmp_b);
	snap_accumulate(&excluded, &tmp_a, &tmp_b);
	g.vcpus[index].needs_warmup = 0;
	g.warmups++;
}

/* ---- 7. the trace's events -------------------------------------------------- */

static struct slot *slot_by_id(int id, unsigned line)
{
	for (size_t i = 0; i < g.nslots; i++)
		if (g.slots[i].id == id && g.slots[i].kvm_slot >= 0)
			return &g.slots[i];
	die(2, "trace line %u: memslot %d does not exist", line, id);
}

/* The memory prepared for the next SLOT_ADD of `id` (instances were created in event order). */
static struct slot *pending_slot(int id, unsigned line)
{
	for (size_t i = 0; i < g.nslots; i++)
		if (g.slots[i].id == id && !g.slots[i].initial && g.slots[i].kvm_slot < 0 && !g.slots[i].deleted)
			return &g.slots[i];
	die(2, "trace line %u: internal: no memory prepared for SLOT_ADD of memslot %d", line, id);
}

static void clear_accessed(uint64_t gpa)
{
	uint64_t *e = guest_leaf(gpa);
	if (e)
		*e &= ~PTE_A;
}

static void guest_access(const struct event *e)
{
	struct vcpu *v = &g.vcpus[e->vcpu];
	if (v->needs_warmup)
		warm_up(e->vcpu);
	uint64_t end = e->gpa + (e->size ? e->size : 1);
	/* One guest instruction per 4 KiB page the range spans. */
	for (uint64_t a = e->gpa; a < end; a = (a & ~(PAGE_4K - 1)) + PAGE_4K) {
		struct slot *s = live_slot_at(a);
		if (s)
			pretouch(s, a, 1);
		if (e->op == OP_X) {
			if (!s)
				die(2, "trace line %u: X at GPA 0x%llx, which has no memslot: the guest cannot execute from MMIO", e->line,
				    (unsigned long long)a);
			if ((a & (PAGE_4K - 1)) > PAGE_4K - 2)
				die(2, "trace line %u: X at GPA 0x%llx: the exit instruction (2 bytes) would cross the page", e->line,
				    (unsigned long long)a);
			uint8_t *code = s->host + (a - s->gpa);
			code[0] = 0xe6; /* out %al,$0x10 */
			code[1] = EXIT_PORT;
			run_guest(e->vcpu, a, 0, e->line);
		} else {
			run_guest(e->vcpu, g.sys_base + SYS_CODE + (e->op == OP_W ? STUB_WRITE : STUB_READ), a, e->line);
		}
		clear_accessed(a);
	}
}

struct prefault_record {
	unsigned line, vcpu;
	uint64_t gpa, size, remaining;
	int result; /* 0 or -errno */
};
static struct prefault_record *prefaults;
static size_t nprefaults;

/*
 * KVM_PRE_FAULT_MEMORY as userspace issues it: again while it returns 0 with
 * bytes left. Issued even when KVM_CHECK_EXTENSION says the capability is
 * absent, to record the kernel's own answer (EOPNOTSUPP without TDP, ENOTTY
 * before Linux 6.11); nothing is mapped then.
 */
static void prefault(const struct event *e)
{
	struct vcpu *v = &g.vcpus[e->vcpu];
	struct kvm_pre_fault_memory range = {.gpa = e->gpa, .size = e->size};
	for (;;) {
		prefaults = realloc(prefaults, (nprefaults + 1) * sizeof *prefaults);
		if (!prefaults)
			die(1, "out of memory");
		struct prefault_record *p = &prefaults[nprefaults++];
		*p = (struct prefault_record){.line = e->line, .vcpu = e->vcpu, .gpa = range.gpa, .size = range.size};
		for (uint64_t a = range.gpa; g.pre_fault_cap && a < range.gpa + range.size; a += PAGE_4K) {
			struct slot *s = live_slot_at(a);
			if (s)
				pretouch(s, a, 1);
		}
		int r = ioctl(v->fd, KVM_PRE_FAULT_MEMORY, &range);
		p->result = r ? -errno : 0;
		p->remaining = range.size;
		if (r && errno == EINTR)
			continue;
		if (r || range.size == 0)
			return;
	}
}

struct dirty_record {
	unsigned line;
	int slot;
	uint64_t pages;
};
static struct dirty_record *dirty_logs;
static size_t ndirty_logs;

/*
 * KVM_GET_DIRTY_LOG of a slot whose logging is about to stop (or is still on
 * at the end, line 0): the number of 4 KiB pages KVM logged dirty. A read
 * only when manual protection is on (create_vm); otherwise it is skipped,
 * because it would write-protect the pages again and change later faults.
 */
static void read_dirty_log(struct slot *s, unsigned line)
{
	if (!g.manual_dirty_protect)
		return;
	uint64_t npages = s->size / PAGE_4K;
	uint64_t *bitmap = xcalloc((npages + 63) / 64, 8);
	struct kvm_dirty_log log = {.slot = (uint32_t)s->kvm_slot, .dirty_bitmap = bitmap};
	if (ioctl(g.vm, KVM_GET_DIRTY_LOG, &log))
		SYSFAIL("KVM_GET_DIRTY_LOG (memslot %d, trace line %u)", s->id, line);
	uint64_t count = 0;
	for (uint64_t w = 0; w < (npages + 63) / 64; w++)
		count += (uint64_t)__builtin_popcountll(bitmap[w]);
	free(bitmap);
	dirty_logs = realloc(dirty_logs, (ndirty_logs + 1) * sizeof *dirty_logs);
	if (!dirty_logs)
		die(1, "out of memory");
	dirty_logs[ndirty_logs++] = (struct dirty_record){.line = line, .slot = s->id, .pages = count};
}

static void host_event(const struct event *e)
{
	struct slot *s;
	switch (e->op) {
	case OP_PREFAULT:
		prefault(e);
		break;
	case OP_UNMAP: {
		/*
		 * Host invalidation through the MMU notifier: MADV_DONTNEED drops the
		 * host pages (KVM zaps through kvm_unmap_gfn_range); the next guest
		 * access finds them written again by pretouch(). Whole backing pages
		 * only: part of a huge page would split it.
		 */
		uint64_t unit = host_page_bytes();
		if (e->gpa % unit || e->size % unit)
			die(2, "trace line %u: UNMAP of [0x%llx, +0x%llx) does not cover whole %llu KiB host pages", e->line,
			    (unsigned long long)e->gpa, (unsigned long long)e->size, (unsigned long long)(unit >> 10));
		for (uint64_t a = e->gpa; a < e->gpa + e->size; a += unit) {
			s = live_slot_at(a);
			if (!s || a + unit > s->gpa + s->size)
				continue;
			uint64_t off = a - s->gpa;
			if (madvise(s->host + off, unit, MADV_DONTNEED))
				SYSFAIL("madvise(MADV_DONTNEED) for UNMAP at trace line %u", e->line);
			memset(s->touched + off / PAGE_4K, 0, unit / PAGE_4K);
		}
		break;
	}
	case OP_SLOT_ADD:
		s = pending_slot(e->slot, e->line);
		register_slot(s);
		break;
	case OP_SLOT_DEL:
		s = slot_by_id(e->slot, e->line);
		unregister_slot(s);
		s->deleted = 1;
		break;
	case OP_DIRTY_LOG_ON:
	case OP_DIRTY_LOG_OFF:
		s = slot_by_id(e->slot, e->line);
		if (e->op == OP_DIRTY_LOG_OFF && (s->flags & KVM_MEM_LOG_DIRTY_PAGES))
			read_dirty_log(s, e->line);
		set_region(s, e->op == OP_DIRTY_LOG_ON ? KVM_MEM_LOG_DIRTY_PAGES : 0);
		break;
	default:
		die(1, "internal: op %d is not a host event", e->op);
	}
	/* Host events may zap the runner's own mappings: fault them in again before the next access, off the books. */
	for (unsigned i = 0; i < g.nvcpus; i++)
		g.vcpus[i].needs_warmup = 1;
}

/* ---- 8. output ---------------------------------------------------------------- */

static void print_stats(const char *indent, struct stats *st, const uint64_t *before, const uint64_t *after, const uint64_t *minus)
{
	printf("{");
	for (unsigned k = 0; k < st->count; k++) {
		int64_t d = (int64_t)(after[k] - before[k] - (minus ? minus[k] : 0));
		printf("%s\n%s  \"%s\": %lld", k ? "," : "", indent, st->names[k], (long long)d);
	}
	printf("\n%s}", indent);
}

static void print_excluded(struct stats *st, const uint64_t *v)
{
	int first = 1;
	printf("{");
	for (unsigned k = 0; k < st->count; k++)
		if (v[k]) {
			printf("%s\"%s\": %lld", first ? "" : ", ", st->names[k], (long long)(int64_t)v[k]);
			first = 0;
		}
	printf("}");
}

int main(int argc, char **argv)
{
	/* 1. The job. */
	FILE *in = stdin;
	if (argc == 2 && !(in = fopen(argv[1], "r")))
		SYSFAIL("open %s", argv[1]);
	if (argc > 2)
		die(2, "usage: kvm-runner [JOB-FILE]  (the job on stdin otherwise)");
	read_job(in);
	/* 2. Host memory: skip before anything runs when hugetlbfs pages are missing. */
	check_hugetlb();
	for (size_t i = 0; i < g.nslots; i++)
		map_slot_memory(&g.slots[i]);
	/* 3. The VM, the runner's memslot, then the trace's initial memslots. */
	create_vm();
	get_cpuid();
	build_sys_slot();
	struct slot sys = {.id = -1, .gpa = g.sys_base, .size = g.sys_size, .host = g.sys, .kvm_slot = SYS_SLOT};
	g.next_kvm_slot = SYS_SLOT + 1;
	set_region(&sys, 0);
	for (size_t i = 0; i < g.nslots; i++)
		if (g.slots[i].initial)
			register_slot(&g.slots[i]);
	/* 4. vCPUs and statistics fds. */
	create_vcpus();
	stats_open(&g.vm_stats, g.vm, "VM");
	struct snapshot before, after;
	snap_alloc(&before);
	snap_alloc(&after);
	snap_alloc(&excluded);
	snap_alloc(&tmp_a);
	snap_alloc(&tmp_b);
	/*
	 * 5. Warm-up, before the statistics are taken: the runner's memslot
	 *    whole (`sys-warmup all`: by KVM_PRE_FAULT_MEMORY when there is one,
	 *    else one guest read per page), then its stubs on every vCPU.
	 */
	if (g.sys_warmup_all) {
		if (g.pre_fault_cap) {
			struct kvm_pre_fault_memory range = {.gpa = g.sys_base, .size = g.sys_size};
			while (range.size)
				if (ioctl(g.vcpus[0].fd, KVM_PRE_FAULT_MEMORY, &range) && errno != EINTR)
					SYSFAIL("KVM_PRE_FAULT_MEMORY of the runner's memslot");
		} else {
			for (uint64_t off = 0; off < g.sys_size; off += PAGE_4K)
				run_guest(0, g.sys_base + SYS_CODE + STUB_READ, g.sys_base + off, 0);
		}
	}
	for (unsigned i = 0; i < g.nvcpus; i++)
		run_guest(i, g.sys_base + SYS_CODE + STUB_READ, g.sys_base + SYS_SCRATCH, 0), g.vcpus[i].needs_warmup = 0;
	snap_take(&before);
	unsigned long warmup_runs = g.runs;
	/* 6. The trace, in order. */
	const char *verbose_env = getenv("KVM_RUNNER_VERBOSE");
	int verbose = verbose_env && *verbose_env && strcmp(verbose_env, "0");
	struct snapshot ev_a, ev_b;
	if (verbose)
		snap_alloc(&ev_a), snap_alloc(&ev_b);
	for (size_t i = 0; i < g.nevents; i++) {
		const struct event *e = &g.events[i];
		if (verbose)
			snap_take(&ev_a);
		if (e->op <= OP_X)
			guest_access(e);
		else
			host_event(e);
		if (verbose)
			snap_take(&ev_b), print_event_deltas(e, &ev_a, &ev_b);
	}
	/* 7. The statistics after; differences minus what the runner's own re-warm-ups moved. */
	snap_take(&after);
	for (size_t i = 0; i < g.nslots; i++)
		if (g.slots[i].kvm_slot >= 0 && (g.slots[i].flags & KVM_MEM_LOG_DIRTY_PAGES))
			read_dirty_log(&g.slots[i], 0);
	uint64_t trace_huge = 0, trace_bytes = 0;
	for (size_t i = 0; i < g.nslots; i++) {
		trace_huge += huge_bytes(g.slots[i].host, g.slots[i].size);
		trace_bytes += g.slots[i].size;
	}
	/* 8. Output. */
	printf("{\n  \"runner\": 1,\n  \"sysBaseGpa\": %llu,\n  \"sysSizeBytes\": %llu,\n", (unsigned long long)g.sys_base,
	       (unsigned long long)g.sys_size);
	printf("  \"guestPageBytes\": %llu,\n  \"guestPageAskedBytes\": %llu,\n  \"guestPdpe1gb\": %s,\n", (unsigned long long)g.guest_page,
	       (unsigned long long)g.guest_page_asked, g.guest_pdpe1gb ? "true" : "false");
	printf("  \"hostPageBytes\": %llu,\n  \"hostUnitsTouched\": %llu,\n  \"hostHugeBytes\": %llu,\n  \"slotBytes\": %llu,\n",
	       (unsigned long long)host_page_bytes(), (unsigned long long)units_touched(), (unsigned long long)trace_huge,
	       (unsigned long long)trace_bytes);
	printf("  \"capPreFaultMemory\": %s,\n  \"slotZapAllQuirkDisabled\": %s,\n", g.pre_fault_cap ? "true" : "false",
	       g.zap_all_disabled ? "true" : "false");
	printf("  \"warmupRuns\": %lu,\n  \"runs\": %lu,\n  \"mmioExits\": %lu,\n  \"rewarmups\": %lu,\n", warmup_runs, g.runs - warmup_runs,
	       g.mmio_exits, g.warmups);
	printf("  \"prefault\": [");
	for (size_t i = 0; i < nprefaults; i++) {
		struct prefault_record *p = &prefaults[i];
		printf("%s\n    {\"line\": %u, \"vcpu\": %u, \"gpa\": %llu, \"sizeBytes\": %llu, \"result\": %d, \"remainingBytes\": %llu}",
		       i ? "," : "", p->line, p->vcpu, (unsigned long long)p->gpa, (unsigned long long)p->size, p->result,
		       (unsigned long long)p->remaining);
	}
	printf("%s],\n  \"manualDirtyProtect\": %s,\n  \"dirtyLog\": [", nprefaults ? "\n  " : "", g.manual_dirty_protect ? "true" : "false");
	for (size_t i = 0; i < ndirty_logs; i++)
		printf("%s\n    {\"line\": %u, \"slot\": %d, \"dirtyPages\": %llu}", i ? "," : "", dirty_logs[i].line, dirty_logs[i].slot,
		       (unsigned long long)dirty_logs[i].pages);
	printf("%s],\n  \"excluded\": {\"vm\": ", ndirty_logs ? "\n  " : "");
	print_excluded(&g.vm_stats, excluded.vm);
	printf(", \"vcpus\": [");
	for (unsigned i = 0; i < g.nvcpus; i++) {
		printf("%s", i ? ", " : "");
		print_excluded(&g.vcpus[i].stats, excluded.vcpu[i]);
	}
	printf("]},\n  \"vm\": ");
	print_stats("  ", &g.vm_stats, before.vm, after.vm, excluded.vm);
	printf(",\n  \"vcpus\": [");
	for (unsigned i = 0; i < g.nvcpus; i++) {
		printf("%s\n    ", i ? "," : "");
		print_stats("    ", &g.vcpus[i].stats, before.vcpu[i], after.vcpu[i], excluded.vcpu[i]);
	}
	printf("\n  ]\n}\n");
	return 0;
}

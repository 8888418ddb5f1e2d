/* kvm-runner: Step 2: host memory behind the trace's memslots, and the memslots themselves. */
#include "runner.h"

/* ---- 2. host memory -------------------------------------------------------- */

uint64_t host_page_bytes(void)
{
	return g.backing == BACK_4K ? PAGE_4K : g.backing == BACK_HUGETLB_1G ? PAGE_1G : PAGE_2M;
}

long read_long_file(const char *path)
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
struct slot *live_slot_at(uint64_t gpa)
{
	for (size_t i = 0; i < g.nslots; i++) {
		struct slot *s = &g.slots[i];
		if (s->kvm_slot >= 0 && gpa >= s->gpa && gpa < s->gpa + s->size)
			return s;
	}
	return NULL;
}

int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/*
 * Huge host pages the trace will touch: for hugetlbfs they must be free
 * before we start, or the job is skipped (nothing is half-run).
 */
void check_hugetlb(void)
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
		if (!IS_ACCESS(e->op) && e->op != OP_PREFAULT)
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
void map_slot_memory(struct slot *s)
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
void pretouch(struct slot *s, uint64_t gpa, uint64_t size)
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
uint64_t units_touched(void)
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
uint64_t huge_bytes(const void *start, uint64_t len)
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

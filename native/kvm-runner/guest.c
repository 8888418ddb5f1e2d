/* kvm-runner: Steps 3-4: the VM, the runner's own memslot (code, GDT, IDT, TSS, guest page tables) and the vCPUs. */
#include "runner.h"

/* ---- 3. the VM and the runner's own memslot -------------------------------- */

void set_region(struct slot *s, uint32_t flags)
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

void register_slot(struct slot *s)
{
	s->kvm_slot = (int)g.next_kvm_slot++;
	set_region(s, 0);
}

void unregister_slot(struct slot *s)
{
	struct kvm_userspace_memory_region r = {.slot = (uint32_t)s->kvm_slot, .guest_phys_addr = s->gpa};
	if (ioctl(g.vm, KVM_SET_USER_MEMORY_REGION, &r))
		SYSFAIL("KVM_SET_USER_MEMORY_REGION deleting memslot %d", s->id);
	s->kvm_slot = -1;
}

void create_vm(void)
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
	 * (KVM_X86_QUIRK_SLOT_ZAP_ALL: kvm_arch_flush_shadow_memslot ->
	 * kvm_mmu_zap_all_fast), the runner's own included; without the quirk
	 * only the slot's mappings go. The job chooses (`slot-zap-quirk`).
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
	for (size_t i = 0; i < g.nevents && !g.manual_dirty_protect; i++)
		if (g.events[i].op == OP_DIRTY_LOG_CLEAR)
			skip("DIRTY_LOG_CLEAR needs KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2, which this KVM lacks");
	int quirks = ioctl(g.vm, KVM_CHECK_EXTENSION, KVM_CAP_DISABLE_QUIRKS2);
	if (!g.keep_zap_all_quirk && quirks > 0 && (quirks & KVM_X86_QUIRK_SLOT_ZAP_ALL)) {
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

size_t pt_alloc(void)
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
size_t pt_child(size_t table, unsigned index)
{
	uint64_t *e = &pt.pages[table * 512 + index];
	if (*e & PTE_P)
		return (size_t)(((*e & PTE_ADDR) - pt_gpa(0)) / PAGE_4K);
	size_t child = pt_alloc();
	pt.pages[table * 512 + index] = pt_gpa(child) | PTE_P | PTE_W | PTE_U; /* pt.pages may have moved: index again */
	return child;
}

/* Identity-map [gpa, gpa + size) with `page` (4 KiB, 2 MiB or 1 GiB) leaves: U/S set, Dirty preset, Accessed clear. */
void pt_map(uint64_t gpa, uint64_t size, uint64_t page)
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
uint64_t *guest_leaf(uint64_t gpa)
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

void put_u64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }

/*
 * The runner's memslot: code stubs, GDT, IDT, TSS with an I/O bitmap, a CPL0
 * stack, a scratch page and the guest page tables, at the first 512 GiB
 * boundary above everything the trace names (so the trace's page-table pages
 * are not shared with the runner's, as the model assumes).
 */
void build_sys_slot(void)
{
	uint64_t end = 0;
	for (size_t i = 0; i < g.nslots; i++)
		if (g.slots[i].gpa + g.slots[i].size > end)
			end = g.slots[i].gpa + g.slots[i].size;
	for (size_t i = 0; i < g.nevents; i++)
		if (IS_ACCESS(g.events[i].op) && g.events[i].gpa + g.events[i].size > end)
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
		if (!IS_ACCESS(e->op))
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
	/* loop: mov %al,(%rdi); add %rsi,%rdi; dec %rcx; jnz loop; out %al,$0x10 */
	static const uint8_t touch_stub[] = {0x88, 0x07, 0x48, 0x01, 0xf7, 0x48, 0xff, 0xc9, 0x75, 0xf6, 0xe6, EXIT_PORT};
	memcpy(g.sys + SYS_CODE + STUB_TOUCH, touch_stub, sizeof touch_stub);
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


void set_segment(struct kvm_segment *s, uint16_t sel, uint8_t type, uint8_t dpl, int code)
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
void get_cpuid(void)
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

void create_vcpus(void)
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

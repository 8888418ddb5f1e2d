/* kvm-runner: Steps 5-7: running one guest access, warm-ups, and the trace's host events. */
#include "runner.h"

/* ---- 5. running one access ------------------------------------------------- */

void guest_exception(unsigned index, uint8_t vector)
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
void run_guest(unsigned index, uint64_t rip, uint64_t rdi, unsigned line)
{
	run_guest_regs(index, rip, rdi, 0, 0, line);
}

/* run_guest with RSI and RCX set too (the TOUCH loop's stride and count). */
void run_guest_regs(unsigned index, uint64_t rip, uint64_t rdi, uint64_t rsi, uint64_t rcx, unsigned line)
{
	struct vcpu *v = &g.vcpus[index];
	struct kvm_regs r = {0};
	r.rip = rip;
	r.rdi = rdi;
	r.rsi = rsi;
	r.rcx = rcx;
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

/*
 * Fault in the runner's own pages on vCPU `index` (code, TSS, stack, the
 * scratch page), with the statistics it moves set aside: first on each vCPU,
 * and again after every host event, which may have zapped them.
 */
void warm_up(unsigned index)
{
	snap_take(&tmp_a);
	run_guest(index, g.sys_base + SYS_CODE + STUB_READ, g.sys_base + SYS_SCRATCH, 0);
	snap_take(&tmp_b);
	snap_accumulate(&excluded, &tmp_a, &tmp_b);
	g.vcpus[index].needs_warmup = 0;
	g.warmups++;
}

/* The runner's memslot whole: by KVM_PRE_FAULT_MEMORY when there is one, else one guest read per page on vCPU 0. */
void warm_sys_slot(void)
{
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

/*
 * A memslot deletion with KVM_X86_QUIRK_SLOT_ZAP_ALL kept zapped every
 * mapping of the VM, the runner's own memslot's too (its code, stack, and on
 * TDP hosts the guest's page tables). Map that memslot again as the warm-up
 * before the trace did, with the events it counts set aside (`excluded`:
 * its faults, cache misses, flushes), so the statistics count the trace's
 * memslots only. Levels (pages_4k) are not set aside: the zap lowered them by
 * the runner's pages, which this maps again. Each vCPU's stubs follow at its
 * next access (`needs_warmup`), already mapped.
 */
void rewarm_after_zap_all(void)
{
	if (!g.sys_warmup_all)
		return;
	snap_take(&tmp_a);
	warm_sys_slot();
	snap_take(&tmp_b);
	snap_accumulate_counts(&excluded, &tmp_a, &tmp_b);
	g.sys_rewarms++;
}

/* ---- 7. the trace's events -------------------------------------------------- */

struct slot *slot_by_id(int id, unsigned line)
{
	for (size_t i = 0; i < g.nslots; i++)
		if (g.slots[i].id == id && g.slots[i].kvm_slot >= 0)
			return &g.slots[i];
	die(2, "trace line %u: memslot %d does not exist", line, id);
}

/* The memory prepared for the next SLOT_ADD of `id` (instances were created in event order). */
struct slot *pending_slot(int id, unsigned line)
{
	for (size_t i = 0; i < g.nslots; i++)
		if (g.slots[i].id == id && !g.slots[i].initial && g.slots[i].kvm_slot < 0 && !g.slots[i].deleted)
			return &g.slots[i];
	die(2, "trace line %u: internal: no memory prepared for SLOT_ADD of memslot %d", line, id);
}

void clear_accessed(uint64_t gpa)
{
	uint64_t *e = guest_leaf(gpa);
	if (e)
		*e &= ~PTE_A;
}

void guest_access(const struct event *e)
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

struct timing_record *timings;
size_t ntimings;

uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

void record_timing(const struct event *e, uint64_t ns, int result)
{
	timings = realloc(timings, (ntimings + 1) * sizeof *timings);
	if (!timings)
		die(1, "out of memory");
	timings[ntimings++] = (struct timing_record){.line = e->line, .op = e->op, .size = e->size, .ns = ns, .result = result};
}

/*
 * TOUCH: write one byte at the start of every guest page of [gpa, gpa +
 * size) in one KVM_RUN (the guest loop at STUB_TOUCH), timed around the
 * run; the host memory is written first, off the clock, so the time is
 * KVM's fault handling (plus one I/O exit), as demand_paging_test's.
 */
void guest_touch(const struct event *e)
{
	struct vcpu *v = &g.vcpus[e->vcpu];
	if (v->needs_warmup)
		warm_up(e->vcpu);
	struct slot *s = live_slot_at(e->gpa);
	if (!s || e->gpa + e->size > s->gpa + s->size || e->size < g.guest_page || e->gpa % g.guest_page || e->size % g.guest_page)
		die(2, "trace line %u: TOUCH of [0x%llx, +0x%llx) must be whole guest pages inside one memslot", e->line,
		    (unsigned long long)e->gpa, (unsigned long long)e->size);
	pretouch(s, e->gpa, e->size);
	uint64_t start = now_ns();
	run_guest_regs(e->vcpu, g.sys_base + SYS_CODE + STUB_TOUCH, e->gpa, g.guest_page, e->size / g.guest_page, e->line);
	record_timing(e, now_ns() - start, 0);
}

struct prefault_record *prefaults;
size_t nprefaults;

/*
 * KVM_PRE_FAULT_MEMORY as userspace issues it: again while it returns 0 with
 * bytes left. Issued even when KVM_CHECK_EXTENSION says the capability is
 * absent, to record the kernel's own answer (EOPNOTSUPP without TDP, ENOTTY
 * before Linux 6.11); nothing is mapped then.
 */
void prefault(const struct event *e)
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

struct dirty_record *dirty_logs;
size_t ndirty_logs;

/*
 * KVM_GET_DIRTY_LOG of a slot whose logging is about to stop (or is still on
 * at the end, line 0): the number of 4 KiB pages KVM logged dirty. A read
 * only when manual protection is on (create_vm); otherwise it is skipped,
 * because it would write-protect the pages again and change later faults.
 */
void read_dirty_log(struct slot *s, unsigned line)
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

/*
 * DIRTY_LOG_GET / DIRTY_LOG_CLEAR: harvest pages [first, first + count) of
 * the slot so that the dirty ones are write-protected again, as
 * KVM_GET_DIRTY_LOG without manual protect does (kvm_get_dirty_log_protect).
 * With manual protect on (create_vm), that is KVM_GET_DIRTY_LOG (a copy)
 * then KVM_CLEAR_DIRTY_LOG of the range with the copied bits
 * (kvm_clear_dirty_log_protect); without it, a whole-slot GET is that
 * already, and a CLEAR cannot be made (create_vm skips such a job up front).
 */
static void harvest_dirty_log(struct slot *s, const struct event *e)
{
	uint64_t npages = s->size / PAGE_4K, words = (npages + 63) / 64;
	uint64_t first = 0, count = npages;
	if (e->op == OP_DIRTY_LOG_CLEAR) {
		if (e->gpa < s->gpa || e->gpa % PAGE_4K || e->size % PAGE_4K || e->gpa + e->size > s->gpa + s->size)
			die(2, "trace line %u: DIRTY_LOG_CLEAR range is not whole pages inside memslot %d", e->line, s->id);
		first = (e->gpa - s->gpa) / PAGE_4K;
		count = e->size / PAGE_4K;
	}
	uint64_t *bitmap = xcalloc(words, 8);
	struct kvm_dirty_log log = {.slot = (uint32_t)s->kvm_slot, .dirty_bitmap = bitmap};
	if (ioctl(g.vm, KVM_GET_DIRTY_LOG, &log))
		SYSFAIL("KVM_GET_DIRTY_LOG (memslot %d, trace line %u)", s->id, e->line);
	uint64_t dirty = 0;
	for (uint64_t p = first; p < first + count; p++)
		dirty += (bitmap[p / 64] >> (p % 64)) & 1;
	if (g.manual_dirty_protect) {
		/* first is a multiple of 64 (KVM's rule, checked by the model first): the range's bits start a word. */
		struct kvm_clear_dirty_log clear = {.slot = (uint32_t)s->kvm_slot, .first_page = first, .num_pages = (uint32_t)count, .dirty_bitmap = bitmap + first / 64};
		if (ioctl(g.vm, KVM_CLEAR_DIRTY_LOG, &clear))
			SYSFAIL("KVM_CLEAR_DIRTY_LOG (memslot %d, trace line %u)", s->id, e->line);
	}
	free(bitmap);
	dirty_logs = realloc(dirty_logs, (ndirty_logs + 1) * sizeof *dirty_logs);
	if (!dirty_logs)
		die(1, "out of memory");
	dirty_logs[ndirty_logs++] = (struct dirty_record){.line = e->line, .slot = s->id, .pages = dirty};
}

void host_event(const struct event *e)
{
	struct slot *s;
	switch (e->op) {
	case OP_PREFAULT: {
		size_t first = nprefaults;
		uint64_t start = now_ns();
		prefault(e);
		record_timing(e, now_ns() - start, prefaults[first].result);
		break;
	}
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
		{
			uint64_t start = now_ns();
			register_slot(s);
			record_timing(e, now_ns() - start, 0);
		}
		break;
	case OP_SLOT_DEL:
		s = slot_by_id(e->slot, e->line);
		{
			uint64_t start = now_ns();
			unregister_slot(s);
			record_timing(e, now_ns() - start, 0);
		}
		s->deleted = 1;
		if (!g.zap_all_disabled)
			rewarm_after_zap_all();
		break;
	case OP_DIRTY_LOG_ON:
	case OP_DIRTY_LOG_OFF:
		s = slot_by_id(e->slot, e->line);
		if (e->op == OP_DIRTY_LOG_OFF && (s->flags & KVM_MEM_LOG_DIRTY_PAGES))
			read_dirty_log(s, e->line);
		{
			uint64_t start = now_ns();
			set_region(s, e->op == OP_DIRTY_LOG_ON ? KVM_MEM_LOG_DIRTY_PAGES : 0);
			record_timing(e, now_ns() - start, 0);
		}
		break;
	case OP_DIRTY_LOG_GET:
	case OP_DIRTY_LOG_CLEAR:
		s = slot_by_id(e->slot, e->line);
		if (!(s->flags & KVM_MEM_LOG_DIRTY_PAGES))
			die(2, "trace line %u: %s of memslot %d, which has no dirty logging", e->line, OP_NAMES[e->op], s->id);
		harvest_dirty_log(s, e);
		break;
	default:
		die(1, "internal: op %d is not a host event", e->op);
	}
	/* Host events may zap the runner's own mappings: fault them in again before the next access, off the books. */
	for (unsigned i = 0; i < g.nvcpus; i++)
		g.vcpus[i].needs_warmup = 1;
}

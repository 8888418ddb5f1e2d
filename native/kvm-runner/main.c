/* kvm-runner: the runner's main: the steps in order, then the JSON output. */
#include "runner.h"

struct globals g;

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
	if (g.sys_warmup_all)
		warm_sys_slot();
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
		if (e->op == OP_TOUCH)
			guest_touch(e);
		else if (e->op <= OP_X)
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
	printf("  \"sysRewarms\": %lu,\n", g.sys_rewarms);
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
	printf("%s],\n  \"timings\": [", ndirty_logs ? "\n  " : "");
	for (size_t i = 0; i < ntimings; i++)
		printf("%s\n    {\"line\": %u, \"op\": \"%s\", \"sizeBytes\": %llu, \"ns\": %llu, \"result\": %d}", i ? "," : "",
		       timings[i].line, OP_NAMES[timings[i].op], (unsigned long long)timings[i].size, (unsigned long long)timings[i].ns,
		       timings[i].result);
	printf("%s],\n  \"excluded\": {\"vm\": ", ntimings ? "\n  " : "");
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

/* kvm-runner: KVM_GET_STATS_FD: reading statistics, snapshots and their differences. */
#include "runner.h"

void stats_open(struct stats *st, int owner_fd, const char *what)
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
	st->instant = xcalloc(h.num_desc, 1);
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
		st->instant[st->count] = type == KVM_STATS_TYPE_INSTANT;
		st->offsets[st->count++] = d->offset;
	}
	free(descs);
	st->buf = xcalloc(st->data_size, 1);
}

/* Read every scalar statistic of `st` into `out[count]`. */
void stats_read(struct stats *st, uint64_t *out)
{
	if (pread(st->fd, st->buf, st->data_size, st->data_offset) != (ssize_t)st->data_size)
		SYSFAIL("reading statistics");
	for (unsigned i = 0; i < st->count; i++)
		memcpy(&out[i], st->buf + st->offsets[i], 8);
}

/* ---- 6. statistics around the trace ---------------------------------------- */


void snap_alloc(struct snapshot *s)
{
	s->vm = xcalloc(g.vm_stats.count, 8);
	s->vcpu = xcalloc(g.nvcpus, sizeof *s->vcpu);
	for (unsigned i = 0; i < g.nvcpus; i++)
		s->vcpu[i] = xcalloc(g.vcpus[i].stats.count, 8);
}

void snap_take(struct snapshot *s)
{
	stats_read(&g.vm_stats, s->vm);
	for (unsigned i = 0; i < g.nvcpus; i++)
		stats_read(&g.vcpus[i].stats, s->vcpu[i]);
}

/* acc += b - a, for every statistic. */
void snap_accumulate(struct snapshot *acc, const struct snapshot *a, const struct snapshot *b)
{
	for (unsigned k = 0; k < g.vm_stats.count; k++)
		acc->vm[k] += b->vm[k] - a->vm[k];
	for (unsigned i = 0; i < g.nvcpus; i++)
		for (unsigned k = 0; k < g.vcpus[i].stats.count; k++)
			acc->vcpu[i][k] += b->vcpu[i][k] - a->vcpu[i][k];
}

/*
 * acc += b - a for the statistics that count events (pf_fixed, mmu_cache_miss),
 * not for levels (pages_4k): a level the runner lowered and raised again
 * (its memslot zapped, then mapped again) has no net change to set aside.
 */
void snap_accumulate_counts(struct snapshot *acc, const struct snapshot *a, const struct snapshot *b)
{
	for (unsigned k = 0; k < g.vm_stats.count; k++)
		if (!g.vm_stats.instant[k])
			acc->vm[k] += b->vm[k] - a->vm[k];
	for (unsigned i = 0; i < g.nvcpus; i++)
		for (unsigned k = 0; k < g.vcpus[i].stats.count; k++)
			if (!g.vcpus[i].stats.instant[k])
				acc->vcpu[i][k] += b->vcpu[i][k] - a->vcpu[i][k];
}

struct snapshot excluded, tmp_a, tmp_b;

/* KVM_RUNNER_VERBOSE=1: each event's nonzero differences on stderr, for diagnosis. */
void print_event_deltas(const struct event *e, const struct snapshot *a, const struct snapshot *b)
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


void print_stats(const char *indent, struct stats *st, const uint64_t *before, const uint64_t *after, const uint64_t *minus)
{
	printf("{");
	for (unsigned k = 0; k < st->count; k++) {
		int64_t d = (int64_t)(after[k] - before[k] - (minus ? minus[k] : 0));
		printf("%s\n%s  \"%s\": %lld", k ? "," : "", indent, st->names[k], (long long)d);
	}
	printf("\n%s}", indent);
}

void print_excluded(struct stats *st, const uint64_t *v)
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

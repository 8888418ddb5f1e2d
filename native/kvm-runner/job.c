/* kvm-runner: Step 1: reading the job (format in runner.h). */
#include "runner.h"

const char *const OP_NAMES[OP_COUNT] = {"R", "W", "X", "PREFAULT", "UNMAP", "SLOT_ADD", "SLOT_DEL", "DIRTY_LOG_ON", "DIRTY_LOG_OFF", "DIRTY_LOG_GET", "DIRTY_LOG_CLEAR", "TOUCH"};

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

struct slot *add_slot(int id, uint64_t gpa, uint64_t size, int initial)
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

void read_job(FILE *in)
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
		} else if (!strcmp(tok[0], "slot-zap-quirk") && n == 2) {
			if (strcmp(tok[1], "keep") && strcmp(tok[1], "disable"))
				die(2, "job line %u: slot-zap-quirk \"%s\" is not keep or disable", lineno, tok[1]);
			g.keep_zap_all_quirk = !strcmp(tok[1], "keep");
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

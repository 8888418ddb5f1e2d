/*
 * kvm-runner: runs the accesses of an mmubench trace in a real KVM guest and
 * reports the differences of KVM's own statistics (KVM_GET_STATS_FD) before
 * and after. Driven by `mmubench validate` (src/validate/); see
 * docs/validation.md. No dependency beyond libc and the kernel uAPI headers.
 * Files: job.c (step 1), memory.c (2), guest.c (3-4), run.c (5-7),
 * stats.c (statistics), main.c (the steps in order, output), util.c.
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
 *   slot-zap-quirk keep|disable            memslot deletion with KVM_X86_QUIRK_SLOT_ZAP_ALL kept
 *                                          (upstream's default: every shadow page of the VM is
 *                                          zapped, the runner's own too) or disabled where the
 *                                          kernel allows it (the slot alone); default disable
 *   vcpus N
 *   slot ID GPA SIZE                       a memslot present before the trace
 *   ev LINE OP VCPU GPA SIZE SLOT          one trace event, in replay order
 *   end
 *
 * OP is R, W, X, PREFAULT, UNMAP, SLOT_ADD, SLOT_DEL, DIRTY_LOG_ON,
 * DIRTY_LOG_OFF, DIRTY_LOG_GET, DIRTY_LOG_CLEAR or TOUCH; LINE is the trace line
 * (for messages); SLOT is the memslot id of slot events (-1 otherwise).
 * Numbers are decimal or 0x hex.
 * TOUCH (`mmubench calibrate`) writes one byte per guest page (`guest-page`)
 * of [GPA, GPA + SIZE) in ONE KVM_RUN (a guest loop), host memory written
 * before, so its time is KVM's alone, as demand_paging_test measures.
 *
 * Every PREFAULT, host event and TOUCH is timed (CLOCK_MONOTONIC around the
 * ioctls, or around the KVM_RUN of the TOUCH loop): `timings` in the output.
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
#ifndef KVM_RUNNER_H
#define KVM_RUNNER_H

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
#include <time.h>
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
#define STUB_TOUCH 0x20 /* loop: mov %al,(%rdi); add %rsi,%rdi; dec %rcx; jnz loop; out */
#define STUB_EXC 0x100 /* 16 bytes per vector */
#define EXIT_PORT 0x10
#define EXC_PORT 0x11
#define SYS_SLOT 0 /* KVM slot number of the runner's memslot */

enum op { OP_R, OP_W, OP_X, OP_PREFAULT, OP_UNMAP, OP_SLOT_ADD, OP_SLOT_DEL, OP_DIRTY_LOG_ON, OP_DIRTY_LOG_OFF, OP_DIRTY_LOG_GET, OP_DIRTY_LOG_CLEAR, OP_TOUCH, OP_COUNT };
/* A guest access (R, W, X, or TOUCH: one KVM_RUN writing every guest page of a range, for `mmubench calibrate`). */
#define IS_ACCESS(op) ((op) <= OP_X || (op) == OP_TOUCH)
extern const char *const OP_NAMES[OP_COUNT];

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
	uint8_t *instant;   /* KVM_STATS_TYPE_INSTANT: a level (pages_4k), not a count of events */
	uint32_t data_offset, data_size;
	uint8_t *buf;
};

struct vcpu {
	int fd;
	struct kvm_run *run;
	struct stats stats;
	int needs_warmup;
};

/* The runner's state: the job, the VM, its vCPUs (defined in main.c). */
struct globals {
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
	int keep_zap_all_quirk; /* job `slot-zap-quirk keep` */
	unsigned long sys_rewarms; /* whole-slot re-warm-ups after a zap-all deletion */
	int manual_dirty_protect;
	uint64_t sys_base, sys_size;
	uint8_t *sys;
	struct vcpu *vcpus;
	struct stats vm_stats;
	unsigned long runs, io_exits, mmio_exits, warmups;
	unsigned next_kvm_slot;
};
extern struct globals g;

/* Statistics of the VM and of each vCPU at one moment (stats.c). */
struct snapshot {
	uint64_t *vm;
	uint64_t **vcpu;
};

/* One KVM_PRE_FAULT_MEMORY call as issued and answered (run.c). */
struct prefault_record {
	unsigned line, vcpu;
	uint64_t gpa, size, remaining;
	int result; /* 0 or -errno */
};

/* The time one event took (run.c): ns of its ioctls or of its KVM_RUN. */
struct timing_record {
	unsigned line;
	enum op op;
	uint64_t size, ns;
	int result; /* PREFAULT: 0 or the first -errno; else 0 */
};
extern struct timing_record *timings;
extern size_t ntimings;
uint64_t now_ns(void);
void record_timing(const struct event *e, uint64_t ns, int result);
void guest_touch(const struct event *e);

/* One KVM_GET_DIRTY_LOG read: the 4 KiB pages logged dirty (run.c). */
struct dirty_record {
	unsigned line;
	int slot;
	uint64_t pages;
};

extern struct snapshot excluded, tmp_a, tmp_b;
extern struct prefault_record *prefaults;
extern size_t nprefaults;
extern struct dirty_record *dirty_logs;
extern size_t ndirty_logs;

/* A failed system call: what was being done and errno's text; exit 1. */
#define SYSFAIL(...) die(1, "%s: %s", fmt_msg(__VA_ARGS__), strerror(errno))

/* ---- functions, by file ---- */
void die(int status, const char *fmt, ...) __attribute__((noreturn, format(printf, 2, 3)));
const char *fmt_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void skip(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
void *xcalloc(size_t n, size_t size);
struct slot *add_slot(int id, uint64_t gpa, uint64_t size, int initial);
void read_job(FILE *in);
long read_long_file(const char *path);
struct slot *live_slot_at(uint64_t gpa);
int cmp_u64(const void *a, const void *b);
void check_hugetlb(void);
void map_slot_memory(struct slot *s);
void pretouch(struct slot *s, uint64_t gpa, uint64_t size);
void set_region(struct slot *s, uint32_t flags);
void register_slot(struct slot *s);
void unregister_slot(struct slot *s);
void create_vm(void);
size_t pt_alloc(void);
size_t pt_child(size_t table, unsigned index);
void pt_map(uint64_t gpa, uint64_t size, uint64_t page);
void put_u64(uint8_t *p, uint64_t v);
void build_sys_slot(void);
void set_segment(struct kvm_segment *s, uint16_t sel, uint8_t type, uint8_t dpl, int code);
void get_cpuid(void);
void create_vcpus(void);
void stats_open(struct stats *st, int owner_fd, const char *what);
void stats_read(struct stats *st, uint64_t *out);
void snap_alloc(struct snapshot *s);
void snap_take(struct snapshot *s);
void snap_accumulate(struct snapshot *acc, const struct snapshot *a, const struct snapshot *b);
void snap_accumulate_counts(struct snapshot *acc, const struct snapshot *a, const struct snapshot *b);
void print_event_deltas(const struct event *e, const struct snapshot *a, const struct snapshot *b);
void print_stats(const char *indent, struct stats *st, const uint64_t *before, const uint64_t *after, const uint64_t *minus);
void print_excluded(struct stats *st, const uint64_t *v);
void guest_exception(unsigned index, uint8_t vector);
void run_guest(unsigned index, uint64_t rip, uint64_t rdi, unsigned line);
void run_guest_regs(unsigned index, uint64_t rip, uint64_t rdi, uint64_t rsi, uint64_t rcx, unsigned line);
void warm_up(unsigned index);
void warm_sys_slot(void);
void rewarm_after_zap_all(void);
struct slot *slot_by_id(int id, unsigned line);
struct slot *pending_slot(int id, unsigned line);
void clear_accessed(uint64_t gpa);
void guest_access(const struct event *e);
void prefault(const struct event *e);
void read_dirty_log(struct slot *s, unsigned line);
void host_event(const struct event *e);
uint64_t host_page_bytes(void);
uint64_t units_touched(void);
uint64_t huge_bytes(const void *start, uint64_t len);
uint64_t *guest_leaf(uint64_t gpa);

#endif

/*
 * mmutrace: a QEMU TCG plugin that records every guest memory access of a
 * system-emulation guest for `mmubench record` (src/cli/recordCommand.ts).
 *
 * Debian 12 ships no qemu-plugin.h, so the few types and functions used are
 * declared below from QEMU's documented plugin API (include/qemu/qemu-plugin.h,
 * API version 1, QEMU 4.2 to 8.1; docs/devel/tcg-plugins.rst). The plugin
 * exports qemu_plugin_version = 1 and refuses, with a message, a QEMU whose
 * API range (qemu_info_t.version) does not include it.
 *
 * Output: 16-byte little-endian records on file descriptor `fd=N`:
 *   u64 gpa, u32 size in bytes, u16 vCPU index, u8 op (1 R, 2 W, 3 X), u8 0.
 * - Data accesses: one record per load or store the guest's instructions
 *   make, size 1 << size_shift bytes, vCPU = the callback's vcpu_index, at
 *   the guest-physical address from qemu_plugin_hwaddr_phys_addr. In API
 *   version 1 (QEMU 7.2, plugins/api.c) that is, for RAM, the RAMBlock's
 *   ram_addr plus the offset in it, not the GPA: guest RAM (the first block,
 *   ram_addr 0) maps as below; MMIO (qemu_plugin_hwaddr_is_io) is already
 *   the GPA; other RAM blocks (BIOS and option ROMs) take the virtual
 *   address when it is below 4 GiB (they run in real or flat 32-bit mode,
 *   where linear = physical), and other accesses are counted, not recorded.
 *   Accesses of the emulated MMU's own page walks are not guest memory
 *   operations and are not reported by QEMU.
 * - Instruction fetches: one X record per executed translation block, at the
 *   GPA of its first instruction, size = the block's bytes. The GPA comes
 *   from the host address of the instruction (qemu_plugin_insn_haddr): guest
 *   RAM is a memory-backend-file whose mapping the plugin finds in
 *   /proc/self/maps (`ram=PATH`), so GPA = offset in RAM below
 *   `below4g=BYTES`, and 4 GiB + (offset - below4g) above. Code outside RAM
 *   (the BIOS ROM at reset, in real mode, where linear = physical) takes its
 *   virtual address when that is below 4 GiB; other blocks are counted as
 *   unmapped fetches and not recorded.
 * Records are buffered (1 MiB) under a mutex (several vCPU threads may call
 * back at once) and written with write(2); the last buffer at exit.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- QEMU plugin API, version 1 (include/qemu/qemu-plugin.h) ---- */
typedef uint64_t qemu_plugin_id_t;
typedef uint32_t qemu_plugin_meminfo_t;
struct qemu_plugin_tb;
struct qemu_plugin_insn;
struct qemu_plugin_hwaddr;
typedef struct qemu_info_t {
    const char *target_name;
    struct {
        int min;
        int cur;
    } version;
    bool system_emulation;
    union {
        struct {
            int smp_vcpus;
            int max_vcpus;
        } system;
    };
} qemu_info_t;
enum qemu_plugin_cb_flags { QEMU_PLUGIN_CB_NO_REGS, QEMU_PLUGIN_CB_R_REGS, QEMU_PLUGIN_CB_RW_REGS };
enum qemu_plugin_mem_rw { QEMU_PLUGIN_MEM_R = 1, QEMU_PLUGIN_MEM_W, QEMU_PLUGIN_MEM_RW };
typedef void (*qemu_plugin_udata_cb_t)(qemu_plugin_id_t id, void *userdata);
typedef void (*qemu_plugin_vcpu_tb_trans_cb_t)(qemu_plugin_id_t id, struct qemu_plugin_tb *tb);
typedef void (*qemu_plugin_vcpu_udata_cb_t)(unsigned int vcpu_index, void *userdata);
typedef void (*qemu_plugin_vcpu_mem_cb_t)(unsigned int vcpu_index, qemu_plugin_meminfo_t info, uint64_t vaddr, void *userdata);
void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id, qemu_plugin_vcpu_tb_trans_cb_t cb);
void qemu_plugin_register_vcpu_tb_exec_cb(struct qemu_plugin_tb *tb, qemu_plugin_vcpu_udata_cb_t cb, enum qemu_plugin_cb_flags flags, void *userdata);
void qemu_plugin_register_vcpu_mem_cb(struct qemu_plugin_insn *insn, qemu_plugin_vcpu_mem_cb_t cb, enum qemu_plugin_cb_flags flags, enum qemu_plugin_mem_rw rw, void *userdata);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, qemu_plugin_udata_cb_t cb, void *userdata);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *tb, size_t idx);
uint64_t qemu_plugin_insn_vaddr(const struct qemu_plugin_insn *insn);
size_t qemu_plugin_insn_size(const struct qemu_plugin_insn *insn);
void *qemu_plugin_insn_haddr(const struct qemu_plugin_insn *insn);
unsigned int qemu_plugin_mem_size_shift(qemu_plugin_meminfo_t info);
bool qemu_plugin_mem_is_store(qemu_plugin_meminfo_t info);
struct qemu_plugin_hwaddr *qemu_plugin_get_hwaddr(qemu_plugin_meminfo_t info, uint64_t vaddr);
uint64_t qemu_plugin_hwaddr_phys_addr(const struct qemu_plugin_hwaddr *haddr);
bool qemu_plugin_hwaddr_is_io(const struct qemu_plugin_hwaddr *haddr);
/* ---- end of the API declarations ---- */

#define MMUTRACE_API_VERSION 1
__attribute__((visibility("default"))) int qemu_plugin_version = MMUTRACE_API_VERSION;

enum { OP_R = 1, OP_W = 2, OP_X = 3 };
#define RECORD_BYTES 16
#define BUFFER_BYTES (1 << 20)
#define FOUR_GIB 0x100000000ULL

/* What a translation block's X record says, fixed at translation. */
struct tb_info {
    uint64_t gpa;
    uint32_t size;
};

static int out_fd = -1;
static char ram_path[4096];
static uint64_t below4g;
static uintptr_t ram_base;
static uint64_t ram_bytes;
static bool ram_looked_up;
static uint64_t unmapped_fetches;
static uint64_t unmapped_data;
static uint64_t records;
static bool write_failed;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned char buffer[BUFFER_BYTES];
static size_t used;

static void flush_locked(void)
{
    size_t done = 0;
    while (done < used && !write_failed) {
        ssize_t n = write(out_fd, buffer + done, used - done);
        if (n < 0) {
            if (errno == EINTR) continue;
            /* The reader went away (record stopped at --max-accesses): stop writing, keep running. */
            write_failed = true;
            break;
        }
        done += (size_t)n;
    }
    used = 0;
}

static void put_u64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) p[i] = (unsigned char)(v >> (8 * i));
}

static void emit(uint64_t gpa, uint32_t size, unsigned int vcpu, int op)
{
    pthread_mutex_lock(&lock);
    if (!write_failed) {
        if (used + RECORD_BYTES > BUFFER_BYTES) flush_locked();
        unsigned char *p = buffer + used;
        put_u64(p, gpa);
        p[8] = (unsigned char)size;
        p[9] = (unsigned char)(size >> 8);
        p[10] = (unsigned char)(size >> 16);
        p[11] = (unsigned char)(size >> 24);
        p[12] = (unsigned char)vcpu;
        p[13] = (unsigned char)(vcpu >> 8);
        p[14] = (unsigned char)op;
        p[15] = 0;
        used += RECORD_BYTES;
        records++;
    }
    pthread_mutex_unlock(&lock);
}

/* Find the guest RAM's host mapping: the /proc/self/maps line of the memory-backend-file. */
static void look_up_ram(void)
{
    ram_looked_up = true;
    FILE *maps = fopen("/proc/self/maps", "r");
    if (maps == NULL) return;
    char line[8192];
    while (fgets(line, sizeof line, maps) != NULL) {
        unsigned long start, end, offset;
        int path_at = 0;
        if (sscanf(line, "%lx-%lx %*s %lx %*s %*s %n", &start, &end, &offset, &path_at) < 3 || path_at == 0) continue;
        char *path = line + path_at;
        path[strcspn(path, "\n")] = '\0';
        if (strcmp(path, ram_path) == 0 && offset == 0) {
            ram_base = start;
            ram_bytes = end - start;
            break;
        }
    }
    fclose(maps);
}

/* GPA of byte `offset` of guest RAM: below 4 GiB up to `below4g`, the rest from 4 GiB (the PC machine's layout). */
static uint64_t ram_gpa(uint64_t offset)
{
    return offset < below4g ? offset : FOUR_GIB + (offset - below4g);
}

/* GPA of code at host address `haddr` and guest virtual address `vaddr`, or UINT64_MAX. */
static uint64_t code_gpa(const void *haddr, uint64_t vaddr)
{
    if (!ram_looked_up) look_up_ram();
    uintptr_t h = (uintptr_t)haddr;
    if (ram_base != 0 && h >= ram_base && h < ram_base + ram_bytes) return ram_gpa(h - ram_base);
    return vaddr < FOUR_GIB ? vaddr : UINT64_MAX;
}

static void on_mem(unsigned int vcpu, qemu_plugin_meminfo_t info, uint64_t vaddr, void *udata)
{
    (void)udata;
    if (!ram_looked_up) look_up_ram();
    struct qemu_plugin_hwaddr *hw = qemu_plugin_get_hwaddr(info, vaddr);
    uint64_t gpa = UINT64_MAX;
    if (hw != NULL) {
        uint64_t phys = qemu_plugin_hwaddr_phys_addr(hw);
        if (qemu_plugin_hwaddr_is_io(hw)) gpa = phys;
        else if (phys < ram_bytes) gpa = ram_gpa(phys);
        else if (vaddr < FOUR_GIB) gpa = vaddr;
    }
    if (gpa == UINT64_MAX) {
        __atomic_add_fetch(&unmapped_data, 1, __ATOMIC_RELAXED);
        return;
    }
    emit(gpa, 1u << qemu_plugin_mem_size_shift(info), vcpu, qemu_plugin_mem_is_store(info) ? OP_W : OP_R);
}

static void on_tb_exec(unsigned int vcpu, void *udata)
{
    const struct tb_info *tb = udata;
    emit(tb->gpa, tb->size, vcpu, OP_X);
}

static void on_tb_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
    (void)id;
    size_t n = qemu_plugin_tb_n_insns(tb);
    if (n == 0) return;
    struct qemu_plugin_insn *first = qemu_plugin_tb_get_insn(tb, 0);
    struct qemu_plugin_insn *last = qemu_plugin_tb_get_insn(tb, n - 1);
    uint64_t start = qemu_plugin_insn_vaddr(first);
    uint64_t gpa = code_gpa(qemu_plugin_insn_haddr(first), start);
    if (gpa == UINT64_MAX) {
        __atomic_add_fetch(&unmapped_fetches, 1, __ATOMIC_RELAXED);
    } else {
        /* Leaked on purpose: the block may run until QEMU exits (QEMU's own plugins do the same). */
        struct tb_info *info = malloc(sizeof *info);
        if (info != NULL) {
            info->gpa = gpa;
            info->size = (uint32_t)(qemu_plugin_insn_vaddr(last) + qemu_plugin_insn_size(last) - start);
            qemu_plugin_register_vcpu_tb_exec_cb(tb, on_tb_exec, QEMU_PLUGIN_CB_NO_REGS, info);
        }
    }
    for (size_t i = 0; i < n; i++) {
        qemu_plugin_register_vcpu_mem_cb(qemu_plugin_tb_get_insn(tb, i), on_mem, QEMU_PLUGIN_CB_NO_REGS, QEMU_PLUGIN_MEM_RW, NULL);
    }
}

static void on_exit_cb(qemu_plugin_id_t id, void *udata)
{
    (void)id;
    (void)udata;
    pthread_mutex_lock(&lock);
    flush_locked();
    pthread_mutex_unlock(&lock);
    fprintf(stderr, "mmutrace: %" PRIu64 " records; not recorded: %" PRIu64 " translation blocks and %" PRIu64 " data accesses without a GPA%s\n", records,
            unmapped_fetches, unmapped_data, ram_base == 0 ? " (guest RAM mapping not found)" : "");
}

__attribute__((visibility("default"))) int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc, char **argv)
{
    if (info->version.min > MMUTRACE_API_VERSION || info->version.cur < MMUTRACE_API_VERSION) {
        fprintf(stderr, "mmutrace: this QEMU has plugin API versions %d to %d; mmutrace is written for version %d\n", info->version.min, info->version.cur,
                MMUTRACE_API_VERSION);
        return -1;
    }
    if (!info->system_emulation) {
        fprintf(stderr, "mmutrace: needs system emulation (guest-physical addresses)\n");
        return -1;
    }
    for (int i = 0; i < argc; i++) {
        if (strncmp(argv[i], "fd=", 3) == 0) out_fd = atoi(argv[i] + 3);
        else if (strncmp(argv[i], "ram=", 4) == 0) snprintf(ram_path, sizeof ram_path, "%s", argv[i] + 4);
        else if (strncmp(argv[i], "below4g=", 8) == 0) below4g = strtoull(argv[i] + 8, NULL, 0);
        else {
            fprintf(stderr, "mmutrace: unknown option %s (expected fd=N, ram=PATH, below4g=BYTES)\n", argv[i]);
            return -1;
        }
    }
    if (out_fd < 0 || ram_path[0] == '\0' || below4g == 0) {
        fprintf(stderr, "mmutrace: needs fd=N, ram=PATH and below4g=BYTES\n");
        return -1;
    }
    qemu_plugin_register_vcpu_tb_trans_cb(id, on_tb_trans);
    qemu_plugin_register_atexit_cb(id, on_exit_cb, NULL);
    return 0;
}

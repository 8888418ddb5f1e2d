/* C reference of issue 14 (target 6), built by native/build.mjs into native/build/cref-replay.
 * Usage: cref-replay TRACE.csv. Hand-parses a trace CSV (docs/trace-format.md: header row, `#`
 * comments, gpa hex or decimal, size default 1; rows other than R/W/X are skipped, nothing else is
 * validated; size is read as 32 bits), then replays it: one lookup per 4 KiB page an access spans in a set-associative LRU
 * TLB of 1536 entries x 12 ways (set = gfn mod 128, as src/tlb/tlbArray.ts), a miss walks a
 * 4-level radix table (9 bits per level) that maps on first touch at 4K (a fault). Prints
 * accesses, lookups, misses, faults, the replay loop's seconds (wall and CPU clock), the whole
 * process's wall seconds from main() on and its CPU seconds. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#define SETS 128
#define WAYS 12
static uint64_t tags[SETS * WAYS], ages[SETS * WAYS], clk, faults;
static void *root[512];
static double clockSeconds(clockid_t id) { struct timespec t; clock_gettime(id, &t); return t.tv_sec + t.tv_nsec * 1e-9; }
static double now(void) { return clockSeconds(CLOCK_MONOTONIC); }
static void walk(uint64_t gfn) { /* levels index gfn bits 35:27, 26:18, 17:9, 8:0 */
  void **node = root;
  for (int shift = 27; shift > 0; shift -= 9) {
    void **next = &node[(gfn >> shift) & 511];
    if (*next == NULL && (*next = calloc(512, sizeof(void *))) == NULL) exit(3);
    node = *next;
  }
  if (node[gfn & 511] == NULL) { node[gfn & 511] = node; faults++; }
}
static int hit(uint64_t gfn) { /* 1 on a hit; a miss fills the first empty way (age 0), else the LRU one */
  uint64_t *tag = &tags[(gfn % SETS) * WAYS], *age = &ages[(gfn % SETS) * WAYS];
  for (int w = 0; w < WAYS; w++)
    if (tag[w] == gfn && age[w] != 0) { age[w] = ++clk; return 1; }
  int victim = 0;
  for (int w = 1; w < WAYS; w++) if (age[w] < age[victim]) victim = w;
  walk(gfn); tag[victim] = gfn; age[victim] = ++clk;
  return 0;
}
static signed char hexDigit[256]; /* value of a hex digit byte, else -1 (filled in main) */
static uint64_t number(char *p, char **end) { /* hex with 0x, else decimal; empty -> 1 */
  while (*p == ' ') p++;
  uint64_t value = 0;
  char *first = p;
  if (p[0] == '0' && (p[1] | 32) == 'x')
    for (first = p += 2; hexDigit[(unsigned char)*p] >= 0; p++) value = value << 4 | (uint64_t)hexDigit[(unsigned char)*p];
  else for (; (unsigned)(*p - '0') < 10; p++) value = value * 10 + (uint64_t)(*p - '0');
  *end = p;
  return p == first ? 1 : value;
}
int main(int argc, char **argv) {
  double started = now();
  for (int c = 0; c < 256; c++) hexDigit[c] = c >= '0' && c <= '9' ? c - '0' : (c | 32) >= 'a' && (c | 32) <= 'f' ? (c | 32) - 'a' + 10 : -1;
  FILE *f = argc == 2 ? fopen(argv[1], "rb") : NULL;
  if (f == NULL) { fprintf(stderr, "usage: cref-replay TRACE.csv (a readable file)\n"); return 2; }
  fseek(f, 0, SEEK_END); long bytes = ftell(f); rewind(f);
  char *text = malloc(bytes + 1);
  if (text == NULL || fread(text, 1, bytes, f) != (size_t)bytes) return 3;
  text[bytes] = 0; fclose(f);
  size_t lines = 1, rows = 0;
  for (char *p = text; (p = memchr(p, '\n', text + bytes - p)) != NULL; p++) lines++;
  uint64_t *gpa = malloc(lines * 8);
  uint32_t *size = malloc(lines * 4);
  int opCol = -1, gpaCol = -1, sizeCol = -1, header = 1;
  for (char *p = text; *p != 0; p += *p != 0) { /* one line per turn, p at its first byte */
    while (*p == ' ' || *p == '\t') p++;
    if (*p == '#' || *p == '\r' || *p == '\n') { while (*p != '\n' && *p != 0) p++; continue; }
    int isAccess = 0; gpa[rows] = 0; size[rows] = 1;
    for (int col = 0;; col++) { /* one cell per turn */
      while (*p == ' ') p++;
      if (header) {
        size_t len = strcspn(p, " ,\r\n");
        if (len == 2 && strncasecmp(p, "op", 2) == 0) opCol = col;
        if (len == 3 && strncasecmp(p, "gpa", 3) == 0) gpaCol = col;
        if (len == 4 && strncasecmp(p, "size", 4) == 0) sizeCol = col;
      } else if (col == opCol) isAccess = (*p == 'R' || *p == 'W' || *p == 'X') && strchr(" ,\r\n", p[1]) != NULL;
      else if (col == gpaCol) gpa[rows] = number(p, &p);
      else if (col == sizeCol) size[rows] = (uint32_t)number(p, &p);
      while (*p != ',' && *p != '\n' && *p != 0) p++;
      if (*p != ',') break;
      p++;
    }
    if (header && (opCol < 0 || gpaCol < 0)) { fprintf(stderr, "%s: the header has no op or gpa column\n", argv[1]); return 2; }
    rows += isAccess && !header; header = 0;
  }
  double loopStarted = now(), loopCpuStarted = clockSeconds(CLOCK_PROCESS_CPUTIME_ID);
  uint64_t lookups = 0, misses = 0;
  for (size_t i = 0; i < rows; i++)
    for (uint64_t gfn = gpa[i] >> 12, last = (gpa[i] + size[i] - 1) >> 12; gfn <= last; gfn++) { lookups++; misses += !hit(gfn); }
  double loopSeconds = now() - loopStarted, loopCpuSeconds = clockSeconds(CLOCK_PROCESS_CPUTIME_ID) - loopCpuStarted;
  printf("accesses=%zu lookups=%llu misses=%llu faults=%llu loop_s=%.6f loop_cpu_s=%.6f total_s=%.6f total_cpu_s=%.6f\n", rows,
         (unsigned long long)lookups, (unsigned long long)misses, (unsigned long long)faults, loopSeconds, loopCpuSeconds, now() - started,
         clockSeconds(CLOCK_PROCESS_CPUTIME_ID));
  return 0;
}

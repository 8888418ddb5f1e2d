/* kvm-runner: Errors and small helpers. */
#include "runner.h"

/* ---- errors ---------------------------------------------------------------- */

void die(int status, const char *fmt, ...)
{
	va_list ap;
	fputs("kvm-runner: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(status);
}

const char *fmt_msg(const char *fmt, ...)
{
	static char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return msg;
}

void skip(const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	printf("{\"skipped\": \"%s\"}\n", msg);
	exit(3);
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);
	if (!p)
		die(1, "out of memory");
	return p;
}

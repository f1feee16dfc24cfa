/*
 * report_json.c: one JSON Lines record per report (contract.md).
 */
#include <string.h>
#include <time.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "irq.h"
#include "options.h"
#include "report.h"
#include "symbols.h"

/* ISO 8601 UTC from the realtime clock, without gmtime (not signal-safe). */
static void
iso_time(struct uld__buf *b)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	long days = ts.tv_sec / 86400, secs = ts.tv_sec % 86400;
	/* Civil date from days since 1970-01-01 (H. Hinnant's algorithm). */
	long z = days + 719468, era = (z >= 0 ? z : z - 146096) / 146097;
	long doe = z - era * 146097;
	long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	long y = yoe + era * 400, doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	long mp = (5 * doy + 2) / 153, d = doy - (153 * mp + 2) / 5 + 1;
	long m = mp < 10 ? mp + 3 : mp - 9;
	if (m <= 2)
		y++;
	uld__buf_printf(b, "\"%04ld-%02ld-%02ldT%02ld:%02ld:%02ld.%03ldZ\"", y,
	    m, d, secs / 3600, secs / 60 % 60, secs % 60,
	    ts.tv_nsec / 1000000);
}

/* One frame object; inlined frames carry "inlined":true. */
static void
frame_obj(struct uld__buf *b, const struct uld__frame *f, const char *function,
    const char *file, unsigned line, int inl)
{
	uld__buf_printf(b, "{\"ip\":\"%p\",\"function\":",
	    uld__sym_addr(f->ip));
	if (function)
		uld__buf_json_str(b, function);
	else
		uld__buf_puts(b, "null");
	uld__buf_printf(b, ",\"offset\":%lu,\"module\":",
	    (unsigned long)f->offset);
	if (f->module)
		uld__buf_json_str(b, f->module);
	else
		uld__buf_puts(b, "null");
	uld__buf_puts(b, ",\"file\":");
	if (file && line) {
		uld__buf_json_str(b, file);
		uld__buf_printf(b, ",\"line\":%u", line);
	} else {
		uld__buf_puts(b, "null,\"line\":null");
	}
	uld__buf_puts(b, inl ? ",\"inlined\":true}" : "}");
}

static void
frames(struct uld__buf *b, void *const *ips, uint32_t n)
{
	int first = 1;

	uld__buf_putc(b, '[');
	for (uint32_t i = 0; i < n; i++) {
		struct uld__frame f;
		uld__sym_frame(ips[i], &f);
		/* Inlined functions first, each as its own frame. */
		for (unsigned k = 0; k < f.ninline; k++) {
			uld__buf_puts(b, first ? "" : ",");
			first = 0;
			frame_obj(b, &f, f.inl[k].function, f.inl[k].file,
			    f.inl[k].line, 1);
		}
		uld__buf_puts(b, first ? "" : ",");
		first = 0;
		frame_obj(b, &f, f.function, f.file, f.line, 0);
	}
	uld__buf_putc(b, ']');
}

static void
dependencies(struct uld__buf *b, const struct uld__path *p)
{
	for (uint32_t k = 0; p && k < p->n; k++) {
		const struct uld__edge *e = p->e[k];
		struct uld__buf tb;
		char title[1024];
		uld__buf_init(&tb, title, sizeof(title));
		uld__report_edge_title(&tb, p, k);
		uld__buf_puts(b, ",{\"role\":\"dependency\",\"title\":");
		uld__buf_json_str(b, uld__buf_str(&tb));
		uld__buf_puts(b, ",\"thread\":");
		uld__buf_json_str(b, e->thread);
		uld__buf_printf(b, ",\"tid\":%d,\"frames\":", (int)e->tid);
		frames(b, e->stack ? e->stack->ips : NULL,
		    e->stack ? e->stack->n : 0);
		uld__buf_putc(b, '}');
	}
}

static void
irq_fields(struct uld__buf *b, const struct uld__report *r)
{
	char sig[24], u[32];

	uld__signal_name(r->irq_sig, sig, sizeof(sig));
	uld__buf_puts(b, ",\"signal\":");
	uld__buf_json_str(b, sig);
	uld__buf_printf(b, ",\"irq\":\"%s\"",
	    uld__irq_is_soft(r->irq_sig) ? "softirq" : "hardirq");
	if (r->kind == ULD_REPORT_IRQ_INCONSISTENT) {
		uld__buf_printf(b, ",\"usage\":\"%s\"",
		    uld__usage_name(r->usage_new, r->irq_sig, u, sizeof(u)));
		uld__buf_printf(b, ",\"conflicts_with\":\"%s\"",
		    uld__usage_name(r->usage_old, r->irq_sig, u, sizeof(u)));
		return;
	}
	uld__buf_puts(b, ",\"irq_safe\":");
	uld__buf_json_str(b, uld__class_name(r->irq_safe));
	uld__buf_puts(b, ",\"irq_unsafe\":");
	uld__buf_json_str(b, uld__class_name(r->irq_unsafe));
	uld__buf_puts(b, ",\"chain\":[");
	int first = 1;
	for (int i = 0; i < 2; i++)
		for (uint32_t k = 0; r->irq_paths[i] && k <= r->irq_paths[i]->n;
		     k++) {
			if (!first)
				uld__buf_putc(b, ',');
			first = 0;
			uld__buf_json_str(b,
			    uld__class_name(r->irq_paths[i]->c[k]));
		}
	uld__buf_putc(b, ']');
}

/*
 * Which program on which machine: pids collide across the machines of a
 * nightly run, so `ulockdep report` tells processes apart by host and
 * names the binary.  readlink and uname are async-signal-safe.
 */
void
uld__json_process(struct uld__buf *b)
{
	char exe[4096];
	struct utsname u;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	uld__buf_puts(b, ",\"exe\":");
	if (n > 0) {
		exe[n] = '\0';
		uld__buf_json_str(b, exe);
	} else {
		uld__buf_puts(b, "null");
	}
	uld__buf_puts(b, ",\"host\":");
	if (uname(&u) == 0)
		uld__buf_json_str(b, u.nodename);
	else
		uld__buf_puts(b, "null");
}

void
uld__report_json(struct uld__buf *b, const struct uld__report *r)
{
	uld__buf_printf(b, "{\"kind\":\"%s\",\"pid\":%d,\"tid\":%d,\"thread\":",
	    uld__report_kind_name(r->kind), (int)getpid(), (int)r->tid);
	uld__buf_json_str(b, r->thread);
	uld__json_process(b);
	uld__buf_puts(b, ",\"headline\":");
	uld__buf_json_str(b, r->headline[0] ? r->headline
					    : uld__report_headline(r->kind));
	if (r->advice) {
		uld__buf_puts(b, ",\"advice\":");
		uld__buf_json_str(b, r->advice);
	}
	uld__buf_puts(b, ",\"time\":");
	iso_time(b);
	uld__buf_printf(b, ",\"signature\":\"%016lx\",\"message\":",
	    (unsigned long)r->signature);
	uld__buf_json_str(b, r->message);

	uld__buf_puts(b, ",\"locks\":[");
	for (uint32_t i = 0; i < r->nlocks; i++) {
		const struct uld__rlock *l = &r->locks[i];
		char var[256];
		uld__buf_puts(b, i ? ",{\"class\":" : "{\"class\":");
		uld__buf_json_str(b, uld__class_name(l->class));
		uld__buf_printf(b, ",\"address\":\"%p\",\"mode\":\"%s\"",
		    l->addr, uld__report_mode(l->type, l->read));
		uld__name_variable(l->addr, l->type, 0, var, sizeof(var), NULL);
		if (var[0]) {
			uld__buf_puts(b, ",\"variable\":");
			uld__buf_json_str(b, var);
		}
		uld__buf_putc(b, '}');
	}
	uld__buf_puts(b, "],\"stacks\":[");
	for (uint32_t i = 0; i < r->nstacks; i++) {
		const struct uld__rstack *s = &r->stacks[i];
		uld__buf_puts(b, i ? ",{\"role\":" : "{\"role\":");
		uld__buf_json_str(b, s->role);
		uld__buf_puts(b, ",\"title\":");
		uld__buf_json_str(b, s->title);
		uld__buf_puts(b, ",\"thread\":");
		uld__buf_json_str(b, s->thread);
		uld__buf_printf(b, ",\"tid\":%d,\"frames\":", (int)s->tid);
		frames(b, s->ips, s->n);
		uld__buf_putc(b, '}');
	}
	/* Each dependency of a cycle or an irq chain, with the stack that
	 * first made it. */
	dependencies(b, r->cycle);
	dependencies(b, r->irq_paths[0]);
	dependencies(b, r->irq_paths[1]);
	uld__buf_putc(b, ']');
	if (r->kind == ULD_REPORT_IRQ_INCONSISTENT ||
	    r->kind == ULD_REPORT_IRQ_ORDER)
		irq_fields(b, r);
	if (r->kind == ULD_REPORT_CIRCULAR && r->cycle) {
		uld__buf_puts(b, ",\"cycle\":[");
		for (uint32_t k = 0; k <= r->cycle->n; k++) {
			if (k)
				uld__buf_putc(b, ',');
			uld__buf_json_str(b, uld__class_name(r->cycle->c[k]));
		}
		uld__buf_putc(b, ']');
	}
	if (r->kind == ULD_REPORT_SLEEP_IN_ATOMIC) {
		uld__buf_puts(b, ",\"call\":");
		uld__buf_json_str(b, r->sleeper);
		uld__buf_printf(b, ",\"in_atomic\":%u,\"irqs_disabled\":%s",
		    r->spins_held, r->irqs_off ? "true" : "false");
	}
	if (r->kind == ULD_REPORT_BAD_MAGIC)
		uld__buf_printf(b, ",\"magic\":\"%08x\",\"operation\":\"%s\"",
		    r->magic, r->op);
	if (r->kind == ULD_REPORT_SPIN_TIMEOUT ||
	    r->kind == ULD_REPORT_SOFT_LOCKUP) {
		uld__buf_printf(b, ",\"waited_ms\":%ld,\"owner_signals_blocked\":"
				   "%s",
		    r->waited_ms, r->owner_blocked ? "true" : "false");
		if (r->owner_ip)
			uld__buf_printf(b, ",\"owner_acquired_at\":\"%p\"",
			    r->owner_ip);
	}
	if (r->other_owner) {
		uld__buf_printf(b, ",\"owner_tid\":%d,\"owner_thread\":",
		    (int)r->other_owner);
		uld__buf_json_str(b, r->other_thread);
	}
	uld__buf_puts(b, "}\n");
	/* A truncated record would not parse: say so in a valid line. */
	if (b->truncated) {
		b->len = 0;
		b->truncated = 0;
		uld__buf_printf(b, "{\"kind\":\"%s\",\"pid\":%d,\"signature\":"
				   "\"%016lx\",\"message\":\"report too large "
				   "for the JSON buffer\"}\n",
		    uld__report_kind_name(r->kind), (int)getpid(),
		    (unsigned long)r->signature);
	}
}

/*
 * The graph file (graph_save.c) writes its frames and its time through
 * these, so a frame reads the same in a report and in a saved graph, and
 * whatever a frame gains (file and line) both gain at once.
 */
void
uld__json_frames(struct uld__buf *b, void *const *ips, uint32_t n)
{
	frames(b, ips, n);
}

void
uld__json_time(struct uld__buf *b)
{
	iso_time(b);
}

/*
 * A session driven through a structured CLI protocol. The CLI's stdin and
 * stdout are pipes: its stdout goes through an output pipeline in records
 * mode (redacted, sanitized; each JSON line is forwarded and given to the
 * driver, other lines are transcript text), and the driver's messages are
 * queued for its stdin. The driver tells the session what happens through
 * the sink below: transcript text, approvals (decided here by the session's
 * policy, or asked of a human), commands (commandsRun, test runs), token
 * usage, messages (the last is the final answer) and turns (idle after the
 * last one, until agent_idle_timeout_ms ends the session).
 *
 * Approvals of the CLI's own. A command is classified with the exec
 * policy's matcher: denied by the shell lists at once (with an ALERT), asked
 * of a human when a gated category of requiresApprovalFor matches it (or
 * "shell" is there), else allowed at once. When a human allows one, the
 * exec gate is told (execnotify_preapprove) so that the same command is not
 * held again when the CLI runs it. A denial is told to the CLI, which
 * goes on: the session does not fail as it does for a held exec. File
 * edits (patches) have no category of their own in the design: they are
 * allowed at once (the workspace is the sandbox; FILE_TOUCHED and the diff
 * show them), as are a CLI's other tools; network requests are asked when
 * "network" is in requiresApprovalFor.
 */
#include "config.h"

#include <sys/queue.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <json-c/json.h>

#include "common/conf.h"
#include "common/event.h"
#include "common/jsonget.h"
#include "common/log.h"
#include "common/redact.h"
#include "common/util.h"
#include "worker/agent.h"
#include "worker/escstrip.h"
#include "worker/execpol.h"
#include "worker/gate.h"
#include "worker/output.h"
#include "worker/ptyio.h"
#include "worker/wstate.h"

#define CAUSE(...) do { snprintf(cause, causelen, __VA_ARGS__); } while (0)

/* A driver approval waiting for a human. */
struct agent_ask {
	char			 id[37];	/* approvalId */
	char			*token;		/* the driver's */
	char			*command;	/* or NULL */
	TAILQ_ENTRY(agent_ask)	 entry;
};

/* A test run the CLI reported, from its begin to its end. */
struct agent_run {
	char			*id;
	char			*command;
	int64_t			 start_ms;
	TAILQ_ENTRY(agent_run)	 entry;
};

static struct {
	struct drv		*drv;
	struct output_cb	 cb;		/* the session's callbacks */
	struct output		*rec;		/* the CLI's stdout */
	struct output		*text;		/* the driver's transcript */
	struct redact		*redact;	/* for commands and messages */
	struct evbuffer		*in;		/* for its stdin */
	struct event		*read_ev;
	struct event		*write_ev;
	struct event		*idle_ev;	/* idle: close stdin */
	struct event		*term_ev;	/* stdin closed: SIGTERM */
	int			 out_eof;
	int			 fatal;		/* the driver gave up */
	char			*fatal_why;	/* before the CLI ran */
	struct drv_usage	 usage;
	int			 has_usage;
	char			*final;		/* the last message */
	TAILQ_HEAD(, agent_ask)	 asks;
	TAILQ_HEAD(, agent_run)	 runs;
} ag = {
	.asks = TAILQ_HEAD_INITIALIZER(ag.asks),
	.runs = TAILQ_HEAD_INITIALIZER(ag.runs)
};

static void	agent_fatal_cb(const char *, void *);

/* s redacted and as valid UTF-8; malloc'd. */
static char *
agent_clean(const char *s)
{
	struct evbuffer	*b;
	const char	*u;
	char		*r, *out;

	if (ag.redact == NULL)
		ag.redact = redact_create();
	r = redact_string(ag.redact, s);
	u = wstate_utf8(r, &b);
	out = xstrdup(u);
	if (b != NULL)
		evbuffer_free(b);
	free(r);
	return (out);
}

/* A message's first line, trimmed, at most max characters. */
char *
agent_summary(const char *s, size_t max)
{
	const char	*nl;
	char		*line, *out;

	while (*s == '\n' || *s == '\r' || *s == ' ' || *s == '\t')
		s++;
	nl = strpbrk(s, "\r\n");
	line = nl != NULL ? xstrndup(s, (size_t)(nl - s)) : xstrdup(s);
	out = output_summary(line, max);
	free(line);
	return (out);
}

/* The CLI's stdin took what it could: keep writing while some is left. */
static void
agent_write_cb(int fd, short events, void *arg)
{
	if (wk.stdin_fd != -1)
		ptyio_write(wk.stdin_fd, ag.in, ag.write_ev);
}

/* Close the CLI's stdin: it reads EOF once the queue is written. */
static void
agent_close_stdin(void)
{
	if (wk.stdin_fd == -1)
		return;
	if (ag.write_ev != NULL)
		event_del(ag.write_ev);
	close(wk.stdin_fd);
	wk.stdin_fd = -1;
}

/* sink->send: a message for the CLI's stdin, one line. */
static void
agent_send_cb(const char *data, size_t len, void *arg)
{
	if (wk.stdin_fd == -1 || ag.in == NULL) {
		log_debug("driver message dropped: the CLI's stdin is closed");
		return;
	}
	if (evbuffer_get_length(ag.in) + len + 1 > AGENT_STDIN_MAX) {
		log_warnx("driver message dropped: the CLI is not reading "
		    "its stdin");
		return;
	}
	evbuffer_add(ag.in, data, len);
	evbuffer_add(ag.in, "\n", 1);
	ptyio_write(wk.stdin_fd, ag.in, ag.write_ev);
}

/* sink->text: readable transcript text. */
static void
agent_text_cb(const char *data, size_t len, void *arg)
{
	if (ag.text != NULL && !wk.closing)
		output_feed(ag.text, (const unsigned char *)data, len);
}

/* Find a waiting approval by approvalId or by the driver's token. */
static struct agent_ask *
agent_ask_find(const char *id, const char *token)
{
	struct agent_ask	*a;

	TAILQ_FOREACH(a, &ag.asks, entry) {
		if (id != NULL && strcmp(a->id, id) == 0)
			return (a);
		if (token != NULL && strcmp(a->token, token) == 0)
			return (a);
	}
	return (NULL);
}

/* Forget a waiting approval. */
static void
agent_ask_free(struct agent_ask *a)
{
	TAILQ_REMOVE(&ag.asks, a, entry);
	free(a->token);
	free(a->command);
	free(a);
}

/* The approval object for a human: category, summary, risk, context. */
static struct json_object *
agent_approval_object(const struct agent_ask *a, const struct drv_approval *da,
    const char *category)
{
	struct json_object	*ap, *ctx, *files;
	const char		*summary;
	char			 ts[40], *s;
	size_t			 i;
	int64_t			 now = now_ms();

	summary = da->summary != NULL ? da->summary : a->command != NULL ?
	    a->command : da->tool != NULL ? da->tool : da->kind;
	ap = json_object_new_object();
	json_object_object_add(ap, "approvalId", json_object_new_string(a->id));
	json_object_object_add(ap, "sessionId",
	    json_object_new_string(wk.session_id));
	json_object_object_add(ap, "category",
	    json_object_new_string(category));
	s = agent_clean(summary != NULL ? summary : "approval");
	json_object_object_add(ap, "summary", json_object_new_string(s));
	free(s);
	json_object_object_add(ap, "risk",
	    json_object_new_string(execmatch_risk(category)));
	ctx = json_object_new_object();
	if (da->tool != NULL) {
		s = agent_clean(da->tool);
		json_object_object_add(ctx, "tool", json_object_new_string(s));
		free(s);
	}
	if (a->command != NULL)
		json_object_object_add(ctx, "command",
		    json_object_new_string(a->command));
	if (da->files != NULL) {
		files = json_object_new_array();
		for (i = 0; da->files[i] != NULL; i++) {
			s = agent_clean(da->files[i]);
			json_object_array_add(files, json_object_new_string(s));
			free(s);
		}
		json_object_object_add(ctx, "files", files);
	}
	if (da->reason != NULL) {
		s = agent_clean(da->reason);
		json_object_object_add(ctx, "reason",
		    json_object_new_string(s));
		free(s);
	}
	json_object_object_add(ctx, "driver",
	    json_object_new_string(drv_kind_name(wk.driven)));
	json_object_object_add(ap, "context", ctx);
	iso8601_ms(now, ts, sizeof ts);
	json_object_object_add(ap, "requestedAt", json_object_new_string(ts));
	iso8601_ms(now + wk.approval_timeout_ms, ts, sizeof ts);
	json_object_object_add(ap, "timeoutAt", json_object_new_string(ts));
	return (ap);
}

/* The command line of an approval: as given, or its argv joined; or NULL. */
static char *
agent_line(const struct drv_approval *da)
{
	struct evbuffer	*b;
	char		*out;
	size_t		 i;

	if (da->command != NULL)
		return (xstrdup(da->command));
	if (da->argv == NULL || da->argv[0] == NULL)
		return (NULL);
	if ((b = evbuffer_new()) == NULL)
		fatalx("evbuffer_new");
	for (i = 0; da->argv[i] != NULL; i++)
		evbuffer_add_printf(b, "%s%s", i > 0 ? " " : "", da->argv[i]);
	out = xstrndup((const char *)evbuffer_pullup(b, -1),
	    evbuffer_get_length(b));
	evbuffer_free(b);
	return (out);
}

/* Deny at once, and say so. */
static void
agent_deny_now(const struct drv_approval *da, const char *why)
{
	struct json_object	*ctx;
	char			*desc, *cmd;

	log_info("driver approval %s denied by policy: %s", da->token, why);
	drv_answer(ag.drv, da->token, 0, why);
	cmd = agent_clean(da->command != NULL ? da->command :
	    da->tool != NULL ? da->tool : da->kind != NULL ? da->kind :
	    "a tool");
	desc = xasprintf("the agent asked to run %s: denied (%s)", cmd, why);
	ctx = json_object_new_object();
	json_object_object_add(ctx, "command", json_object_new_string(cmd));
	json_object_object_add(ctx, "driver",
	    json_object_new_string(drv_kind_name(wk.driven)));
	wstate_alert("policy", "command denied by policy", desc, ctx);
	free(desc);
	free(cmd);
}

/* sink->approval: decide by the policy, or ask a human. */
static void
agent_approval_cb(const struct drv_approval *da, void *arg)
{
	struct agent_ask	*a;
	struct json_object	*ap;
	enum agent_verdict	 v = AGENT_ALLOW;
	const char		*category = NULL;
	char			 why[256] = "", *line;
	size_t			 i;

	if (da->token == NULL) {
		agent_fatal_cb("an approval without a token", NULL);
		return;
	}
	if (da->command != NULL || (da->argv != NULL && da->argv[0] != NULL))
		v = agentpol_classify(da->command, da->argv, &category, why,
		    sizeof why);
	else if (da->kind != NULL && strcmp(da->kind, "network") == 0) {
		for (i = 0; wk.task.approval_for != NULL &&
		    wk.task.approval_for[i] != NULL; i++)
			if (strcmp(wk.task.approval_for[i], "network") == 0) {
				v = AGENT_ASK;
				category = "network";
			}
	}
	if (v == AGENT_DENY) {
		agent_deny_now(da, why);
		return;
	}
	if (v == AGENT_ALLOW) {
		log_debug("driver approval %s allowed by policy", da->token);
		drv_answer(ag.drv, da->token, 1, NULL);
		return;
	}
	/* Paused, it is asked all the same: the CLI waits either way. */
	if (wk.closing || wk.exited || wk.stopping != STOP_NONE) {
		drv_answer(ag.drv, da->token, 0, "the session is ending");
		return;
	}
	a = xcalloc(1, sizeof *a);
	uuid_v4(a->id);
	a->token = xstrdup(da->token);
	if ((line = agent_line(da)) != NULL) {
		a->command = agent_clean(line);
		free(line);
	}
	TAILQ_INSERT_TAIL(&ag.asks, a, entry);
	ap = agent_approval_object(a, da, category);
	log_info("driver approval %s: %s asked as %s", da->token,
	    a->command != NULL ? a->command : da->kind, a->id);
	gate_approval_send(ap);
	json_object_put(ap);
}

/* sink->approval_gone: the CLI settled it itself. */
static void
agent_approval_gone_cb(const char *token, void *arg)
{
	struct agent_ask	*a;

	if ((a = agent_ask_find(NULL, token)) == NULL)
		return;
	log_info("approval %s withdrawn by the CLI", a->id);
	agent_ask_free(a);
	gate_approval_done(agent_pending(), "approval withdrawn");
}

/* Find an open test run by the CLI's item id. */
static struct agent_run *
agent_run_find(const char *id)
{
	struct agent_run	*r;

	TAILQ_FOREACH(r, &ag.runs, entry)
		if (id != NULL && strcmp(r->id, id) == 0)
			return (r);
	return (NULL);
}

/* TEST_RUN_FINISHED for a run, counts from its output; r is freed. */
static void
agent_run_end(struct agent_run *r, const struct drv_command *c)
{
	struct json_object	*ev;
	enum escstrip_state	 esc = ESC_NONE;
	char			*text = NULL;
	size_t			 i, n = 0;

	if (c != NULL && c->output != NULL && c->outlen > 0) {
		text = xmalloc(c->outlen + 1);
		for (i = 0; i < c->outlen; i++)
			if (escstrip_byte(&esc, (unsigned char)c->output[i]))
				text[n++] = c->output[i] == '\r' ? '\n' :
				    c->output[i];
		text[n] = '\0';
	}
	ev = event_create(EV_TEST_RUN_FINISHED);
	json_object_object_add(ev, "command",
	    json_object_new_string(r->command));
	json_object_object_add(ev, "exitCode", c != NULL && c->exit_code >= 0 ?
	    json_object_new_int(c->exit_code) : NULL);
	testsum_counts(ev, text, n);
	free(text);
	json_object_object_add(ev, "duration", json_object_new_int64(
	    c != NULL && c->duration_ms >= 0 ? c->duration_ms :
	    mono_ms() - r->start_ms));
	log_info("test run %s ended", r->command);
	if (!wk.closing)
		wstate_emit(ev);
	else
		json_object_put(ev);
	TAILQ_REMOVE(&ag.runs, r, entry);
	free(r->id);
	free(r->command);
	free(r);
}

/* sink->command: a tool call (commandsRun), maybe a test run. */
static void
agent_command_cb(const struct drv_command *c, void *arg)
{
	struct agent_run	*r;
	struct json_object	*ev;

	if (wk.closing || c->command == NULL)
		return;
	if (c->done) {
		if ((r = agent_run_find(c->id)) != NULL)
			agent_run_end(r, c);
		return;
	}
	wk.commands_run++;
	if (!agentpol_is_test(c->command))
		return;
	r = xcalloc(1, sizeof *r);
	r->id = xstrdup(c->id != NULL ? c->id : "");
	r->command = agent_clean(c->command);
	r->start_ms = mono_ms();
	TAILQ_INSERT_TAIL(&ag.runs, r, entry);
	log_info("test run %s started", r->command);
	ev = event_create(EV_TEST_RUN_STARTED);
	json_object_object_add(ev, "command",
	    json_object_new_string(r->command));
	wstate_emit(ev);
}

/* sink->usage: the whole session's so far. */
static void
agent_usage_cb(const struct drv_usage *u, void *arg)
{
	ag.usage = *u;
	ag.has_usage = 1;
}

/* sink->message: AGENT_MESSAGE; the last is the final answer. */
static void
agent_message_cb(const char *text, void *arg)
{
	struct json_object	*ev;
	size_t			 len;
	char			*s;

	if (wk.closing)
		return;
	s = agent_clean(text);
	/* Cut on a character boundary. */
	if ((len = strlen(s)) > AGENT_MESSAGE_MAX) {
		len = AGENT_MESSAGE_MAX;
		while (len > 0 && ((unsigned char)s[len] & 0xc0) == 0x80)
			len--;
		s[len] = '\0';
	}
	free(ag.final);
	ag.final = s;
	ev = event_create(EV_AGENT_MESSAGE);
	json_object_object_add(ev, "text", json_object_new_string(s));
	wstate_emit(ev);
}

/* The grace after stdin closed is over: stop it. */
static void
agent_term_cb(int fd, short events, void *arg)
{
	if (wk.exited || wk.closing || wk.stopping != STOP_NONE)
		return;
	wstate_stop(STOP_IDLE, "idle after its last turn", 1);
}

/* Idle past the timeout: close its stdin, SIGTERM after the grace. */
static void
agent_idle_cb(int fd, short events, void *arg)
{
	struct timeval	tv;

	if (wk.exited || wk.closing || wk.stopping != STOP_NONE)
		return;
	log_info("idle for %lld ms after its last turn: closing its stdin",
	    (long long)wk.idle_ms);
	agent_close_stdin();
	tv.tv_sec = wk.grace_ms / 1000;
	tv.tv_usec = (wk.grace_ms % 1000) * 1000;
	evtimer_add(ag.term_ev, &tv);
}

/* sink->turn: started (1) or ended (0), with an error when it failed. */
static void
agent_turn_cb(int started, const char *error, void *arg)
{
	struct timeval	tv;
	char		*desc, *e;

	if (wk.closing)
		return;
	if (started) {
		evtimer_del(ag.idle_ev);
		return;
	}
	if (error != NULL) {
		e = agent_clean(error);
		desc = xasprintf("the agent's turn failed: %s", e);
		wstate_alert("agent", "turn failed", desc, NULL);
		free(desc);
		free(e);
	}
	if (ag.drv == NULL || drv_busy(ag.drv))
		return;
	tv.tv_sec = wk.idle_ms / 1000;
	tv.tv_usec = (wk.idle_ms % 1000) * 1000;
	evtimer_add(ag.idle_ev, &tv);
}

/* sink->fatal: the protocol broke; the session fails with the reason. */
static void
agent_fatal_cb(const char *reason, void *arg)
{
	char	*why;

	why = agent_clean(reason);
	log_warnx("driver: %s", why);
	if (wk.pid <= 0) {
		/* Before the CLI runs: agent_create returns it. */
		free(ag.fatal_why);
		ag.fatal_why = why;
		return;
	}
	if (ag.fatal++ || wk.exited || wk.closing ||
	    wk.stopping != STOP_NONE) {
		free(why);
		return;
	}
	free(wk.denied);
	wk.denied = xasprintf("driver %s: %s", drv_kind_name(wk.driven), why);
	free(why);
	wstate_stop(STOP_DRIVER, wk.denied, 1);
}

/* A record on the CLI's stdout: forwarded, then to the driver. */
static void
agent_record_cb(struct json_object *o, void *arg)
{
	ag.cb.record(o, ag.cb.arg);
	if (ag.drv != NULL && !wk.closing)
		drv_record(ag.drv, o);
}

/* The driver, its sink, and the two pipelines. */
int
agent_create(const struct drv_params *params, const struct output_cb *cb,
    char *cause, size_t causelen)
{
	struct drv_sink		 sink = { agent_send_cb, agent_text_cb,
				    agent_approval_cb, agent_approval_gone_cb,
				    agent_command_cb, agent_usage_cb,
				    agent_message_cb, agent_turn_cb,
				    agent_fatal_cb, NULL };
	struct output_cb	 rcb, tcb;

	ag.cb = *cb;
	if (ag.redact == NULL)
		ag.redact = redact_create();
	rcb = *cb;
	rcb.record = agent_record_cb;
	rcb.prompt = NULL;
	tcb = rcb;
	if ((ag.rec = output_create(wk.base, &rcb, NULL, OUTPUT_RECORDS, cause,
	    causelen)) == NULL ||
	    (ag.text = output_create(wk.base, &tcb, NULL, OUTPUT_RAW, cause,
	    causelen)) == NULL)
		return (-1);
	if ((ag.drv = drv_create(wk.driven, params, &sink)) == NULL) {
		CAUSE("driver %s: %s", drv_kind_name(wk.driven),
		    ag.fatal_why != NULL ? ag.fatal_why : "cannot start");
		return (-1);
	}
	return (0);
}

/* A value never to leave the worker. */
void
agent_add_secret(const char *s)
{
	if (ag.redact == NULL)
		ag.redact = redact_create();
	redact_add(ag.redact, s);
	if (ag.rec != NULL)
		output_add_secret(ag.rec, s);
	if (ag.text != NULL)
		output_add_secret(ag.text, s);
}

/* Read what the CLI's stdout holds; at its end, flush the records. */
static void
agent_read(void)
{
	unsigned char	buf[WORKER_READ_SIZE];
	ssize_t		n;

	while (!ag.out_eof && wk.stdout_fd != -1) {
		n = read(wk.stdout_fd, buf, sizeof buf);
		if (n > 0) {
			output_feed(ag.rec, buf, (size_t)n);
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			return;
		if (n == -1)
			log_warn("stdout read");
		ag.out_eof = 1;
		if (ag.read_ev != NULL)
			event_del(ag.read_ev);
		output_flush(ag.rec);
	}
}

/* The CLI's stdout is readable. */
static void
agent_read_cb(int fd, short events, void *arg)
{
	agent_read();
}

/* The CLI runs: read its stdout, start the driver with the task. */
void
agent_start(void)
{
	if ((ag.in = evbuffer_new()) == NULL ||
	    (ag.read_ev = event_new(wk.base, wk.stdout_fd, EV_READ|EV_PERSIST,
	    agent_read_cb, NULL)) == NULL ||
	    (ag.write_ev = event_new(wk.base, wk.stdin_fd, EV_WRITE|EV_PERSIST,
	    agent_write_cb, NULL)) == NULL ||
	    (ag.idle_ev = evtimer_new(wk.base, agent_idle_cb, NULL)) == NULL ||
	    (ag.term_ev = evtimer_new(wk.base, agent_term_cb, NULL)) == NULL)
		fatalx("agent: out of memory");
	event_add(ag.read_ev, NULL);
	log_info("driver %s: starting", drv_kind_name(wk.driven));
	drv_start(ag.drv, wk.prompt);
}

/* INPUT: a user message for the CLI, never its terminal. */
void
agent_input(const char *data, size_t len)
{
	char	*text;

	if (ag.drv == NULL || wk.exited || wk.closing || wk.stdin_fd == -1) {
		log_debug("input dropped: the CLI takes no more input");
		return;
	}
	if (len > 0 && data[len - 1] == '\n')
		len--;
	if (len > 0 && data[len - 1] == '\r')
		len--;
	text = xstrndup(data, len);
	evtimer_del(ag.idle_ev);
	drv_input(ag.drv, text);
	free(text);
}

/* APPROVE for one of ours: answered over the protocol. */
int
agent_approve(const char *id, int allow, const char *note)
{
	struct agent_ask	*a;
	char			*desc;

	if ((a = agent_ask_find(id, NULL)) == NULL)
		return (-1);
	/* The exec gate lets the same command through once. */
	if (allow && a->command != NULL)
		agentpol_preapprove(wk.exec, a->command);
	log_info("driver approval %s %s", a->id, allow ? "allowed" : "denied");
	if (ag.drv != NULL)
		drv_answer(ag.drv, a->token, allow, note);
	if (!allow && note != NULL && strcmp(note, "timed out") == 0) {
		desc = xasprintf("approval %s (%s) was not answered in time "
		    "and was denied; the agent was told", a->id,
		    a->command != NULL ? a->command : "a tool");
		wstate_alert("approval", "approval timed out", desc, NULL);
		free(desc);
	}
	agent_ask_free(a);
	return (0);
}

/* Driver approvals waiting for a human. */
size_t
agent_pending(void)
{
	struct agent_ask	*a;
	size_t			 n = 0;

	TAILQ_FOREACH(a, &ag.asks, entry)
		n++;
	return (n);
}

/* A count, or null when the CLI does not say. */
static struct json_object *
agent_count(int64_t n)
{
	return (n >= 0 ? json_object_new_int64(n) : NULL);
}

/* Token usage into units. */
void
agent_usage(struct json_object *units)
{
	if (wk.driven == DRV_NONE || !ag.has_usage)
		return;
	json_object_object_add(units, "inputTokens",
	    agent_count(ag.usage.input));
	json_object_object_add(units, "cachedInputTokens",
	    agent_count(ag.usage.cached_input));
	json_object_object_add(units, "outputTokens",
	    agent_count(ag.usage.output));
	json_object_object_add(units, "reasoningTokens",
	    agent_count(ag.usage.reasoning));
	if (ag.usage.cost_usd >= 0)
		json_object_object_add(units, "costUsd",
		    json_object_new_double(ag.usage.cost_usd));
}

/* finalMessage and summary into SESSION_ENDED. */
void
agent_ended(struct json_object *ev)
{
	char	*summary;

	if (ag.final == NULL)
		return;
	summary = agent_summary(ag.final, AGENT_SUMMARY_MAX);
	json_object_object_add(ev, "finalMessage",
	    json_object_new_string(ag.final));
	json_object_object_add(ev, "summary", json_object_new_string(summary));
	free(summary);
}

/* Transcript bytes sent, stdout's text lines included. */
size_t
agent_sent(void)
{
	return ((ag.text != NULL ? output_sent(ag.text) : 0) +
	    (ag.rec != NULL ? output_sent(ag.rec) : 0));
}

/* The CLI is gone: the rest of its stdout, then flush the transcript. */
void
agent_finish(void)
{
	struct agent_run	*r;

	if (wk.driven == DRV_NONE)
		return;
	agent_read();
	if (!ag.out_eof && ag.rec != NULL)
		output_flush(ag.rec);
	if (ag.read_ev != NULL)
		event_del(ag.read_ev);
	if (ag.idle_ev != NULL)
		evtimer_del(ag.idle_ev);
	if (ag.term_ev != NULL)
		evtimer_del(ag.term_ev);
	while ((r = TAILQ_FIRST(&ag.runs)) != NULL)
		agent_run_end(r, NULL);
	if (ag.text != NULL)
		output_flush(ag.text);
	agent_close_stdin();
	if (wk.stdout_fd != -1) {
		close(wk.stdout_fd);
		wk.stdout_fd = -1;
	}
}

/*
 * The session ends: what still waits is denied, its ids added to ids for
 * gate_pending_alert's one ALERT.
 */
void
agent_end_approvals(struct json_object *ids)
{
	struct agent_ask	*a;

	while ((a = TAILQ_FIRST(&ag.asks)) != NULL) {
		if (ag.drv != NULL)
			drv_answer(ag.drv, a->token, 0, "session ended");
		json_object_array_add(ids, json_object_new_string(a->id));
		agent_ask_free(a);
	}
}

/* Free everything (the session is over). */
void
agent_free(void)
{
	struct agent_run	*r;
	struct agent_ask	*a;
	struct event		**evs[] = { &ag.read_ev, &ag.write_ev,
				    &ag.idle_ev, &ag.term_ev };
	size_t			  i;

	while ((a = TAILQ_FIRST(&ag.asks)) != NULL)
		agent_ask_free(a);
	while ((r = TAILQ_FIRST(&ag.runs)) != NULL) {
		TAILQ_REMOVE(&ag.runs, r, entry);
		free(r->id);
		free(r->command);
		free(r);
	}
	for (i = 0; i < nitems(evs); i++) {
		if (*evs[i] != NULL)
			event_free(*evs[i]);
		*evs[i] = NULL;
	}
	drv_free(ag.drv);
	ag.drv = NULL;
	output_free(ag.rec);
	output_free(ag.text);
	ag.rec = ag.text = NULL;
	if (ag.redact != NULL)
		redact_free(ag.redact);
	ag.redact = NULL;
	if (ag.in != NULL)
		evbuffer_free(ag.in);
	ag.in = NULL;
	free(ag.final);
	free(ag.fatal_why);
	ag.final = ag.fatal_why = NULL;
	ag.has_usage = ag.out_eof = ag.fatal = 0;
	if (wk.stdin_fd > 0)
		close(wk.stdin_fd);
	if (wk.stdout_fd > 0)
		close(wk.stdout_fd);
	wk.stdin_fd = wk.stdout_fd = -1;
}

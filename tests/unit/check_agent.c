/*
 * A driven session's side (agent.c) with a mock driver in the codex slot
 * and the real exec policy matcher: approvals by the policy, answers, the
 * exec gate's pre-approval, usage, messages, input, stdout records.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/wait.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <json-c/json.h>

#include "common/conf.h"
#include "common/event.h"
#include "common/frame.h"
#include "common/jsonget.h"
#include "common/proto.h"
#include "common/utf8.h"
#include "common/util.h"
#include "worker/agent.h"
#include "worker/command.h"
#include "worker/driver.h"
#include "worker/execpol.h"
#include "worker/gate.h"
#include "worker/output.h"
#include "worker/wstate.h"
#include "unit.h"

#define SID	"11111111-2222-4333-8444-555555555555"

/* What the mock driver saw and holds. */
static struct {
	struct drv_sink	 sink;
	int		 started;
	int		 records;
	char		 last_type[64];
	char		*input;
	char		 token[64];
	int		 allow;
	char		 note[128];
	int		 answers;
	int		 busy;
} mock;

static int		 sv[2] = { -1, -1 };
static int		 in_pipe[2] = { -1, -1 };	/* the CLI's stdin */
static int		 out_pipe[2] = { -1, -1 };	/* its stdout */
static struct evbuffer	*chunks;
static int		 forwarded;
static size_t		 seen;		/* channel bytes read by frames() */
static char		*deny_v[] = { "rm", NULL };
static char		*merge_v[] = { "merge", NULL };

/* The mock driver: records what it is told. */
static void *
mock_create(const struct drv_params *p, const struct drv_sink *s)
{
	(void)p;
	mock.sink = *s;
	return (&mock);
}

static void
mock_free(void *st)
{
	(void)st;
}

static void
mock_start(void *st, const char *prompt)
{
	mock.started = 1;
	mock.sink.send("{\"hello\":1}", 11, mock.sink.arg);
}

static void
mock_record(void *st, struct json_object *o)
{
	const char	*t = jsonget_str(o, "type");

	mock.records++;
	snprintf(mock.last_type, sizeof mock.last_type, "%s", t != NULL ? t :
	    "");
}

static void
mock_input(void *st, const char *text)
{
	free(mock.input);
	mock.input = strdup(text);
}

static void
mock_answer(void *st, const char *token, int allow, const char *note)
{
	snprintf(mock.token, sizeof mock.token, "%s", token);
	mock.allow = allow;
	snprintf(mock.note, sizeof mock.note, "%s", note != NULL ? note : "");
	mock.answers++;
}

static int
mock_busy(const void *st)
{
	return (mock.busy);
}

static char **
mock_argv(const char *command, const struct drv_params *p)
{
	char	**v = xcalloc(3, sizeof *v);

	v[0] = xstrdup(command);
	v[1] = xstrdup("--mock");
	return (v);
}

static const struct drv_ops mock_ops = {
	mock_argv, mock_create, mock_free, mock_start, mock_record,
	mock_input, mock_answer, mock_busy
};

/* The session's terminal chunks, collected. */
static void
chunk_cb(const char *data, size_t len, void *arg)
{
	evbuffer_add(chunks, data, len);
}

/* A forwarded record. */
static void
record_cb(struct json_object *o, void *arg)
{
	forwarded++;
}

/* A driven session: channel, pipes, policy, the mock as codex's driver. */
static void
setup(void)
{
	struct output_cb	cb = { chunk_cb, record_cb, NULL, NULL, NULL };
	struct drv_params	dp;
	char			cause[256];

	memset(&wk, 0, sizeof wk);
	memset(&mock, 0, sizeof mock);
	forwarded = 0;
	seen = 0;
	wk.master = -1;
	wk.notify_fd = wk.sb_status_fd = wk.proxy_fd = -1;
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	ck_assert_int_eq(pipe2(in_pipe, O_NONBLOCK | O_CLOEXEC), 0);
	ck_assert_int_eq(pipe2(out_pipe, O_NONBLOCK | O_CLOEXEC), 0);
	ck_assert_ptr_nonnull(wk.base = event_base_new());
	ck_assert_ptr_nonnull(wk.chan = bufferevent_socket_new(wk.base,
	    sv[0], 0));
	ck_assert_ptr_nonnull(chunks = evbuffer_new());
	wk.session_id = SID;
	wk.pid = getpid();
	wk.state = ST_RUNNING;
	wk.driven = DRV_CODEX;
	wk.stdin_fd = in_pipe[1];
	wk.stdout_fd = out_pipe[0];
	wk.idle_ms = 3600 * 1000;
	wk.grace_ms = 1000;
	wk.approval_timeout_ms = 60000;
	wk.prompt = "the task";
	wk.task.shell_deny = deny_v;
	wk.task.approval_for = merge_v;
	drv_set_ops(DRV_CODEX, &mock_ops);
	memset(&dp, 0, sizeof dp);
	ck_assert_msg(agent_create(&dp, &cb, cause, sizeof cause) == 0, "%s",
	    cause);
	agent_start();
}

static void
teardown(void)
{
	agent_free();
	drv_set_ops(DRV_CODEX, NULL);
	execpol_free(wk.exec);
	bufferevent_free(wk.chan);
	event_base_free(wk.base);
	evbuffer_free(chunks);
	close(sv[0]);
	close(sv[1]);
	close(in_pipe[0]);
	close(out_pipe[1]);
	free(mock.input);
	mock.input = NULL;
	memset(&wk, 0, sizeof wk);
}

/*
 * The frames queued on the channel since the last call; a JSON array to
 * put. The channel's buffer is frozen at its start: copy, don't drain.
 */
static struct json_object *
frames(void)
{
	struct json_object	*all, *o;
	struct evbuffer		*out, *in;
	unsigned char		*bytes;
	enum msg_type		 mt;
	enum event_type		 et;
	char			 cause[FRAME_CAUSE_MAX];
	size_t			 len;
	int			 rv;

	all = json_object_new_array();
	out = bufferevent_get_output(wk.chan);
	len = evbuffer_get_length(out);
	if (len == seen)
		return (all);
	ck_assert_ptr_nonnull(bytes = evbuffer_pullup(out, -1));
	ck_assert_ptr_nonnull(in = evbuffer_new());
	evbuffer_add(in, bytes + seen, len - seen);
	seen = len;
	while ((rv = frame_read(in, &o, &mt, &et, cause, sizeof cause)) == 1)
		json_object_array_add(all, o);
	ck_assert_msg(rv == 0, "frame_read: %s", cause);
	ck_assert_uint_eq(evbuffer_get_length(in), 0);
	evbuffer_free(in);
	return (all);
}

/* The first frame of a type in all (borrowed), or NULL. */
static struct json_object *
frame_of(struct json_object *all, const char *type)
{
	size_t	i;
	const char	*t;

	for (i = 0; i < json_object_array_length(all); i++) {
		t = jsonget_str(json_object_array_get_idx(all, i), "type");
		if (t != NULL && strcmp(t, type) == 0)
			return (json_object_array_get_idx(all, i));
	}
	return (NULL);
}

/* What the CLI's stdin got so far. */
static char *
stdin_text(void)
{
	static char	buf[65536];
	ssize_t		n;

	n = read(in_pipe[0], buf, sizeof buf - 1);
	buf[n > 0 ? n : 0] = '\0';
	return (buf);
}

/* Ask through the sink as a driver does. */
static void
ask(const char *token, const char *kind, const char *command)
{
	struct drv_approval	a;

	memset(&a, 0, sizeof a);
	a.token = token;
	a.kind = kind;
	a.command = command;
	a.tool = "shell";
	a.summary = command;
	mock.sink.approval(&a, mock.sink.arg);
}

START_TEST(test_classify)
{
	static char	*allow[] = { "ls", "git", NULL };
	static char	*shell[] = { "shell", NULL };
	static char	*argv[] = { "/usr/bin/git", "push", NULL };
	const char	*cat;
	char		 why[256];

	ck_assert_int_eq(agentpol_classify("rm -rf /", NULL, &cat, why,
	    sizeof why), AGENT_DENY);
	ck_assert_ptr_nonnull(strstr(why, "shellDenylist"));
	ck_assert_ptr_null(cat);
	ck_assert_int_eq(agentpol_classify("git push origin main", NULL, &cat,
	    why, sizeof why), AGENT_ASK);
	ck_assert_str_eq(cat, "merge");
	ck_assert_int_eq(agentpol_classify(NULL, argv, &cat, why, sizeof why),
	    AGENT_ASK);
	ck_assert_int_eq(agentpol_classify("bash -lc 'git push origin main'",
	    NULL, &cat, why, sizeof why), AGENT_ASK);
	ck_assert_str_eq(cat, "merge");
	ck_assert_int_eq(agentpol_classify("ls -la", NULL, &cat, why,
	    sizeof why), AGENT_ALLOW);
	ck_assert_int_eq(agentpol_classify("ls && rm x", NULL, &cat, why,
	    sizeof why), AGENT_DENY);
	ck_assert_int_eq(agentpol_classify("ls ; git push", NULL, &cat, why,
	    sizeof why), AGENT_ASK);
	/* Hostile: empty, unbalanced quotes, only separators. */
	ck_assert_int_eq(agentpol_classify("", NULL, &cat, why, sizeof why),
	    AGENT_ALLOW);
	ck_assert_int_eq(agentpol_classify("sh -c \"git push", NULL, &cat, why,
	    sizeof why), AGENT_ASK);
	ck_assert_int_eq(agentpol_classify("&& ; ||", NULL, &cat, why,
	    sizeof why), AGENT_ALLOW);

	wk.task.approval_for = shell;
	ck_assert_int_eq(agentpol_classify("ls", NULL, &cat, why, sizeof why),
	    AGENT_ASK);
	ck_assert_str_eq(cat, "shell");
	wk.task.approval_for = NULL;
	wk.task.shell_allow = allow;
	ck_assert_int_eq(agentpol_classify("make", NULL, &cat, why, sizeof why),
	    AGENT_DENY);
	ck_assert_ptr_nonnull(strstr(why, "shellAllowlist"));
	ck_assert_int_eq(agentpol_classify("git status", NULL, &cat, why,
	    sizeof why), AGENT_ALLOW);
	wk.task.shell_allow = NULL;
}
END_TEST

START_TEST(test_approval_denied_at_once)
{
	struct json_object	*all, *al;

	json_object_put(frames());
	ask("t1", "exec", "rm -rf build");
	ck_assert_int_eq(mock.answers, 1);
	ck_assert_str_eq(mock.token, "t1");
	ck_assert_int_eq(mock.allow, 0);
	ck_assert_ptr_nonnull(strstr(mock.note, "shellDenylist"));
	ck_assert_uint_eq(agent_pending(), 0);
	all = frames();
	ck_assert_ptr_nonnull(al = frame_of(all, "ALERT_RAISED"));
	ck_assert_str_eq(jsonget_str(al, "category"), "policy");
	ck_assert_ptr_null(frame_of(all, "APPROVAL_REQUESTED"));
	ck_assert_int_eq(wk.state, ST_RUNNING);
	json_object_put(all);
}
END_TEST

START_TEST(test_approval_allowed_at_once)
{
	struct json_object	*all;

	json_object_put(frames());
	ask("t2", "exec", "ls -la");
	ck_assert_int_eq(mock.answers, 1);
	ck_assert_int_eq(mock.allow, 1);
	all = frames();
	ck_assert_ptr_null(frame_of(all, "APPROVAL_REQUESTED"));
	ck_assert_ptr_null(frame_of(all, "ALERT_RAISED"));
	json_object_put(all);
}
END_TEST

START_TEST(test_approval_asked_then_allowed)
{
	struct json_object	*all, *ev, *ap, *ctx;
	const char		*id;
	char			 idc[40];
	char			*push[] = { "git", "push", "origin", "main", NULL };
	int			 p[2];
	struct execpol_params	 pp;
	struct execpol_cb	 cb;

	/* An exec policy to be told: on a pipe, it never gets a request. */
	ck_assert_int_eq(pipe(p), 0);
	memset(&pp, 0, sizeof pp);
	memset(&cb, 0, sizeof cb);
	wk.exec = execpol_create(wk.base, p[0], &pp, &cb);
	json_object_put(frames());
	ask("t3", "exec", "git push origin main");
	ck_assert_int_eq(mock.answers, 0);
	ck_assert_uint_eq(agent_pending(), 1);
	ck_assert_int_eq(wk.state, ST_WAITING_FOR_APPROVAL);
	all = frames();
	ck_assert_ptr_nonnull(ev = frame_of(all, "APPROVAL_REQUESTED"));
	ap = jsonget_member(ev, "approval");
	ck_assert_str_eq(jsonget_str(ap, "category"), "merge");
	ck_assert_str_eq(jsonget_str(ap, "risk"), "high");
	ck_assert_str_eq(jsonget_str(ap, "sessionId"), SID);
	ctx = jsonget_member(ap, "context");
	ck_assert_str_eq(jsonget_str(ctx, "driver"), "codex");
	ck_assert_str_eq(jsonget_str(ctx, "command"), "git push origin main");
	ck_assert_str_eq(jsonget_str(ctx, "tool"), "shell");
	ck_assert_ptr_nonnull(id = jsonget_str(ap, "approvalId"));
	snprintf(idc, sizeof idc, "%s", id);
	json_object_put(all);

	ck_assert_int_eq(agent_approve("not-ours", 1, NULL), -1);
	ck_assert_int_eq(agent_approve(idc, 1, NULL), 0);
	ck_assert_int_eq(mock.answers, 1);
	ck_assert_str_eq(mock.token, "t3");
	ck_assert_int_eq(mock.allow, 1);
	ck_assert_uint_eq(agent_pending(), 0);
	/* Answered once only. */
	ck_assert_int_eq(agent_approve(idc, 1, NULL), -1);
	/* The exec gate lets the same command through, once. */
	ck_assert_int_eq(execnotify_preapproved(wk.exec, push, 4), 1);
	ck_assert_int_eq(execnotify_preapproved(wk.exec, push, 4), 0);
	close(p[1]);
}
END_TEST

START_TEST(test_approval_denied_by_human)
{
	struct json_object	*all, *ev;
	char			 idc[40];

	json_object_put(frames());
	ask("t4", "exec", "git push");
	all = frames();
	ev = frame_of(all, "APPROVAL_REQUESTED");
	ck_assert_ptr_nonnull(ev);
	snprintf(idc, sizeof idc, "%s", jsonget_str(jsonget_member(ev,
	    "approval"), "approvalId"));
	json_object_put(all);
	ck_assert_int_eq(agent_approve(idc, 0, "timed out"), 0);
	ck_assert_int_eq(mock.allow, 0);
	ck_assert_str_eq(mock.note, "timed out");
	/* A timeout is alerted; the session goes on. */
	all = frames();
	ck_assert_ptr_nonnull(frame_of(all, "ALERT_RAISED"));
	json_object_put(all);
	ck_assert_int_eq(wk.stopping, STOP_NONE);
}
END_TEST

/* A timer that does nothing (the grace after SIGTERM). */
static void
noop_cb(int fd, short events, void *arg)
{
}

/* An approval with argv only, one paused, one without a token. */
START_TEST(test_approval_shapes)
{
	static char		*argv[] = { "git", "push", "origin", "HEAD", NULL };
	struct drv_approval	 a;
	struct json_object	*all, *ev;
	pid_t			 child;
	int			 status, ready[2];
	char			 c;

	json_object_put(frames());
	memset(&a, 0, sizeof a);
	a.token = "t7";
	a.kind = "exec";
	a.argv = argv;
	wk.state = ST_PAUSED_BY_HUMAN;
	mock.sink.approval(&a, mock.sink.arg);
	ck_assert_int_eq(mock.answers, 0);
	ck_assert_uint_eq(agent_pending(), 1);
	/* Paused stays paused; the approval waits all the same. */
	ck_assert_int_eq(wk.state, ST_PAUSED_BY_HUMAN);
	all = frames();
	ck_assert_ptr_nonnull(ev = frame_of(all, "APPROVAL_REQUESTED"));
	ck_assert_str_eq(jsonget_str(jsonget_member(jsonget_member(ev,
	    "approval"), "context"), "command"), "git push origin HEAD");
	ck_assert_str_eq(jsonget_str(jsonget_member(ev, "approval"),
	    "summary"), "git push origin HEAD");
	json_object_put(all);
	/* No kind, no command: allowed, nothing read from NULL. */
	memset(&a, 0, sizeof a);
	a.token = "t8";
	mock.sink.approval(&a, mock.sink.arg);
	ck_assert_int_eq(mock.answers, 1);
	ck_assert_int_eq(mock.allow, 1);
	/* No token: the protocol is broken; the CLI (a child) is stopped. */
	ck_assert_int_eq(pipe(ready), 0);
	if ((child = fork()) == 0) {
		/* Check's own SIGTERM handler would take the test with it. */
		signal(SIGTERM, SIG_DFL);
		setpgid(0, 0);
		(void)write(ready[1], "r", 1);
		pause();
		_exit(0);
	}
	ck_assert_int_gt(child, 0);
	close(ready[1]);
	ck_assert_int_eq(read(ready[0], &c, 1), 1);
	close(ready[0]);
	setpgid(child, child);
	wk.pid = child;
	ck_assert_ptr_nonnull(wk.kill_ev = evtimer_new(wk.base, noop_cb,
	    NULL));
	wk.state = ST_RUNNING;
	memset(&a, 0, sizeof a);
	a.kind = "exec";
	a.command = "ls";
	mock.sink.approval(&a, mock.sink.arg);
	ck_assert_int_eq(wk.stopping, STOP_DRIVER);
	ck_assert_int_eq(wk.state, ST_STOPPING);
	ck_assert_ptr_nonnull(strstr(wk.denied, "without a token"));
	ck_assert_int_eq(waitpid(child, &status, 0), child);
	ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
	free(wk.denied);
	wk.denied = NULL;
	event_free(wk.kill_ev);
	wk.kill_ev = NULL;
}
END_TEST

START_TEST(test_approval_pending_at_end)
{
	struct json_object	*all, *al, *ids;

	ask("t5", "exec", "git push");
	ask("t6", "exec", "gh pr merge 3");
	ck_assert_uint_eq(agent_pending(), 2);
	json_object_put(frames());
	ids = json_object_new_array();
	agent_end_approvals(ids);
	ck_assert_uint_eq(agent_pending(), 0);
	ck_assert_uint_eq(json_object_array_length(ids), 2);
	/* One ALERT for them and the exec gate's, gate.c's. */
	gate_pending_alert(ids);
	json_object_put(ids);
	ck_assert_int_eq(mock.answers, 2);
	ck_assert_int_eq(mock.allow, 0);
	ck_assert_str_eq(mock.note, "session ended");
	all = frames();
	ck_assert_ptr_nonnull(al = frame_of(all, "ALERT_RAISED"));
	ck_assert_uint_eq(json_object_array_length(jsonget_member(
	    jsonget_member(al, "context"), "approvalIds")), 2);
	json_object_put(all);
}
END_TEST

START_TEST(test_preapprove_bounds)
{
	char			*a[] = { "/usr/bin/make", "deploy", NULL };
	char			*b[] = { "make", "deploy", NULL };
	char			*c[] = { "make", "deploy", "now", NULL };
	struct execpol_params	 pp;
	struct execpol_cb	 cb;
	struct execpol		*ep;
	int			 p[2], i;

	ck_assert_int_eq(pipe(p), 0);
	memset(&pp, 0, sizeof pp);
	memset(&cb, 0, sizeof cb);
	ep = execpol_create(wk.base, p[0], &pp, &cb);
	ck_assert_int_eq(execnotify_preapproved(NULL, b, 2), 0);
	execnotify_preapprove(NULL, b, 2);
	execnotify_preapprove(ep, a, 2);
	ck_assert_int_eq(execnotify_preapproved(ep, c, 3), 0);
	ck_assert_int_eq(execnotify_preapproved(ep, b, 2), 1);
	ck_assert_int_eq(execnotify_preapproved(ep, b, 2), 0);
	/* More than it keeps: the oldest go, nothing leaks. */
	for (i = 0; i < 3 * EXECPOL_PREAPPROVALS; i++)
		execnotify_preapprove(ep, c, 3);
	for (i = 0; i < EXECPOL_PREAPPROVALS; i++)
		ck_assert_int_eq(execnotify_preapproved(ep, c, 3), 1);
	ck_assert_int_eq(execnotify_preapproved(ep, c, 3), 0);
	execpol_free(ep);
	close(p[1]);
}
END_TEST

START_TEST(test_usage)
{
	struct drv_usage	 u = { 1200, 300, 450, 64, 0.125 };
	struct json_object	*units, *v;

	units = json_object_new_object();
	agent_usage(units);
	ck_assert_int_eq(json_object_object_length(units), 0);
	mock.sink.usage(&u, mock.sink.arg);
	agent_usage(units);
	ck_assert_int_eq(json_object_get_int64(jsonget_member(units,
	    "inputTokens")), 1200);
	ck_assert_int_eq(json_object_get_int64(jsonget_member(units,
	    "cachedInputTokens")), 300);
	ck_assert_int_eq(json_object_get_int64(jsonget_member(units,
	    "outputTokens")), 450);
	ck_assert_int_eq(json_object_get_int64(jsonget_member(units,
	    "reasoningTokens")), 64);
	ck_assert_double_eq(json_object_get_double(jsonget_member(units,
	    "costUsd")), 0.125);
	json_object_put(units);

	u.reasoning = -1;
	u.cost_usd = -1;
	mock.sink.usage(&u, mock.sink.arg);
	units = json_object_new_object();
	agent_usage(units);
	ck_assert(json_object_object_get_ex(units, "reasoningTokens", &v));
	ck_assert_ptr_null(v);
	ck_assert(!json_object_object_get_ex(units, "costUsd", &v));
	json_object_put(units);
}
END_TEST

START_TEST(test_summary)
{
	char	*s, line[1024];
	size_t	 i;

	s = agent_summary("\n  Done: h\xc3\xa9llo\nmore", 200);
	ck_assert_str_eq(s, "Done: h\xc3\xa9llo");
	free(s);
	s = agent_summary("h\xc3\xa9llo w\xc3\xb6rld", 2);
	ck_assert_str_eq(s, "h\xc3\xa9");
	free(s);
	/* 300 two-byte characters: cut to 200, never inside one. */
	for (i = 0; i < 300; i++)
		memcpy(line + 2 * i, "\xc3\xa9", 2);
	line[600] = '\0';
	s = agent_summary(line, AGENT_SUMMARY_MAX);
	ck_assert_uint_eq(strlen(s), 400);
	ck_assert(utf8_valid((const unsigned char *)s, strlen(s)));
	free(s);
	s = agent_summary("", 200);
	ck_assert_str_eq(s, "");
	free(s);
}
END_TEST

START_TEST(test_message_final)
{
	struct json_object	*all, *ev, *end;

	json_object_put(frames());
	mock.sink.message("first", mock.sink.arg);
	mock.sink.message("All done.\nDetails follow.", mock.sink.arg);
	all = frames();
	ck_assert_ptr_nonnull(ev = frame_of(all, "AGENT_MESSAGE"));
	ck_assert_str_eq(jsonget_str(ev, "text"), "first");
	ck_assert(!json_object_get_boolean(jsonget_member(ev, "final")));
	json_object_put(all);
	end = json_object_new_object();
	agent_ended(end);
	ck_assert_str_eq(jsonget_str(end, "finalMessage"),
	    "All done.\nDetails follow.");
	ck_assert_str_eq(jsonget_str(end, "summary"), "All done.");
	json_object_put(end);
}
END_TEST

START_TEST(test_input_routing)
{
	struct json_object	*o;
	int			 pty[2];
	char			 buf[64];

	/* The handshake went to stdin, one line. */
	ck_assert(mock.started);
	ck_assert_str_eq(stdin_text(), "{\"hello\":1}\n");
	agent_input("fix the test\n", 13);
	ck_assert_str_eq(mock.input, "fix the test");
	agent_input("two\n\n", 5);
	ck_assert_str_eq(mock.input, "two\n");
	/* INPUT on a driven session never reaches the terminal. */
	ck_assert_int_eq(pipe2(pty, O_NONBLOCK), 0);
	wk.master = pty[1];
	ck_assert_ptr_nonnull(wk.input = evbuffer_new());
	ck_assert_ptr_nonnull(wk.write_ev = event_new(wk.base, pty[1],
	    EV_WRITE, NULL, NULL));
	o = json_tokener_parse("{\"type\":\"INPUT\",\"data\":\"next\\n\"}");
	command_input(o);
	json_object_put(o);
	ck_assert_str_eq(mock.input, "next");
	ck_assert_int_eq(read(pty[0], buf, sizeof buf), -1);
	ck_assert_int_eq(errno, EAGAIN);
	event_free(wk.write_ev);
	evbuffer_free(wk.input);
	wk.write_ev = NULL;
	wk.input = NULL;
	wk.master = -1;
	close(pty[0]);
	close(pty[1]);
}
END_TEST

START_TEST(test_stdout_records)
{
	static const char	 out[] = "{\"type\":\"turn.started\"}\n"
				    "plain text line\n{\"trunc\":\n"
				    "[1,2]\n{\"type\":\"x\"} trailing\n";
	char			*big, *text;
	size_t			 len;
	int			 i;

	ck_assert_int_eq(write(out_pipe[1], out, sizeof out - 1),
	    (ssize_t)(sizeof out - 1));
	for (i = 0; i < 5; i++)
		event_base_loop(wk.base, EVLOOP_NONBLOCK);
	ck_assert_int_eq(mock.records, 1);
	ck_assert_str_eq(mock.last_type, "turn.started");
	ck_assert_int_eq(forwarded, 1);
	/* Longer than a line may be: never shown, never a record. */
	big = xmalloc(OUTPUT_RECORDS_MAX + 16);
	big[0] = '{';
	memset(big + 1, 'a', OUTPUT_RECORDS_MAX + 10);
	big[OUTPUT_RECORDS_MAX + 11] = '\n';
	len = OUTPUT_RECORDS_MAX + 12;
	for (size_t off = 0; off < len;) {
		ssize_t	n = write(out_pipe[1], big + off, len - off);

		if (n > 0)
			off += (size_t)n;
		event_base_loop(wk.base, EVLOOP_NONBLOCK);
	}
	free(big);
	mock.sink.text("$ make\r\n", 8, mock.sink.arg);
	close(out_pipe[1]);
	out_pipe[1] = -1;
	agent_finish();
	ck_assert_int_eq(mock.records, 1);
	evbuffer_add(chunks, "", 1);
	text = (char *)evbuffer_pullup(chunks, -1);
	ck_assert_ptr_nonnull(strstr(text, "plain text line\r\n"));
	ck_assert_ptr_nonnull(strstr(text, "{\"trunc\":"));
	ck_assert_ptr_nonnull(strstr(text, "a line too long"));
	ck_assert_ptr_nonnull(strstr(text, "$ make"));
	ck_assert_ptr_null(strstr(text, "turn.started"));
	ck_assert_ptr_null(strstr(text, "aaaaaaaa"));
	ck_assert_uint_gt(agent_sent(), 0);
}
END_TEST

START_TEST(test_commands_and_tests)
{
	static const char	 sum[] = "\x1b[1m=== 1 failed, 5 passed in 0.2s"
				    " ===\x1b[0m\n";
	struct drv_command	 c;
	struct json_object	*all, *ev;

	json_object_put(frames());
	memset(&c, 0, sizeof c);
	c.id = "c1";
	c.command = "ls";
	mock.sink.command(&c, mock.sink.arg);
	c.id = "c2";
	c.command = "bash -lc 'python3 -m pytest -q'";
	mock.sink.command(&c, mock.sink.arg);
	ck_assert_uint_eq(wk.commands_run, 2);
	c.done = 1;
	c.output = sum;
	c.outlen = sizeof sum - 1;
	c.exit_code = 1;
	c.duration_ms = 200;
	mock.sink.command(&c, mock.sink.arg);
	/* An end is not another command. */
	ck_assert_uint_eq(wk.commands_run, 2);
	all = frames();
	ck_assert_ptr_nonnull(ev = frame_of(all, "TEST_RUN_STARTED"));
	ck_assert_str_eq(jsonget_str(ev, "command"),
	    "bash -lc 'python3 -m pytest -q'");
	ck_assert_ptr_nonnull(ev = frame_of(all, "TEST_RUN_FINISHED"));
	ck_assert_int_eq(json_object_get_int(jsonget_member(ev, "passed")), 5);
	ck_assert_int_eq(json_object_get_int(jsonget_member(ev, "failed")), 1);
	ck_assert_int_eq(json_object_get_int(jsonget_member(ev, "exitCode")),
	    1);
	ck_assert_int_eq(json_object_get_int(jsonget_member(ev, "duration")),
	    200);
	json_object_put(all);
}
END_TEST

START_TEST(test_no_driver)
{
	struct output_cb	cb = { chunk_cb, record_cb, NULL, NULL, NULL };
	struct drv_params	dp;
	char			cause[256];

	/* The built-in slot is a stub on this branch, or a real driver. */
	agent_free();
	drv_set_ops(DRV_CODEX, NULL);
	wk.pid = -1;
	memset(&dp, 0, sizeof dp);
	if (agent_create(&dp, &cb, cause, sizeof cause) == -1)
		ck_assert_ptr_nonnull(strstr(cause, "driver codex"));
	agent_free();
	wk.driven = (enum drv_kind)99;
	ck_assert_int_eq(agent_create(&dp, &cb, cause, sizeof cause), -1);
	ck_assert_ptr_nonnull(strstr(cause, "no driver of this kind"));
	wk.driven = DRV_CODEX;
}
END_TEST

Suite *
unit_suite(void)
{
	Suite	*s = suite_create("agent");
	TCase	*tc;

	tc = tcase_create("policy");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_classify);
	tcase_add_test(tc, test_approval_denied_at_once);
	tcase_add_test(tc, test_approval_allowed_at_once);
	tcase_add_test(tc, test_approval_asked_then_allowed);
	tcase_add_test(tc, test_approval_denied_by_human);
	tcase_add_test(tc, test_approval_shapes);
	tcase_add_test(tc, test_approval_pending_at_end);
	tcase_add_test(tc, test_preapprove_bounds);
	suite_add_tcase(s, tc);

	tc = tcase_create("session");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_usage);
	tcase_add_test(tc, test_summary);
	tcase_add_test(tc, test_message_final);
	tcase_add_test(tc, test_input_routing);
	tcase_add_test(tc, test_stdout_records);
	tcase_add_test(tc, test_commands_and_tests);
	tcase_add_test(tc, test_no_driver);
	suite_add_tcase(s, tc);
	return (s);
}

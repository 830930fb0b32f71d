/* A supervisor on a real event base, for unit tests (supfix.h). */
#include "config.h"

#include <sys/stat.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <json-c/json.h>

#include "common/conf.h"
#include "common/frame.h"
#include "common/proto.h"
#include "supervisor/pool.h"
#include "supervisor/server.h"
#include "supervisor/session.h"
#include "supfix.h"
#include "common/util.h"

static char		 supfix_dir[64];
static char		*supfix_script;
static struct event	*supfix_sigchld_ev;
static struct event	*supfix_timeout_ev;
static int		 supfix_nworkers;
static int		 supfix_waits;

static void
supfix_sigchld_cb(evutil_socket_t fd, short what, void *arg)
{
	pool_reap();
}

static void
supfix_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	event_base_loopbreak(server_base);
}

void
supfix_setup(void)
{
	snprintf(supfix_dir, sizeof supfix_dir, "/tmp/supfix.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(supfix_dir));
	signal(SIGPIPE, SIG_IGN);		/* as runnerd does */
	server_base = event_base_new();
	ck_assert_ptr_nonnull(server_base);
	supfix_waits = 0;
	server_cfg = config_default();
	server_cfg->pool_size = 0;	/* workers on demand only */
	server_cfg->sandbox = 0;
	free(server_cfg->state_dir);
	server_cfg->state_dir = xstrdup(supfix_dir);
	supfix_sigchld_ev = evsignal_new(server_base, SIGCHLD,
	    supfix_sigchld_cb, NULL);
	evsignal_add(supfix_sigchld_ev, NULL);
	supfix_timeout_ev = evtimer_new(server_base, supfix_timeout_cb, NULL);
	pool_init();
}

void
supfix_teardown(void)
{
	char	*cmd;

	session_fail_all("test over");
	pool_shutdown();
	session_free_all();
	pool_free_all();
	event_free(supfix_timeout_ev);
	event_free(supfix_sigchld_ev);
	event_base_free(server_base);
	config_free(server_cfg);
	free(supfix_script);
	cmd = xasprintf("rm -rf %s", supfix_dir);
	ck_assert_int_eq(system(cmd), 0);
	free(cmd);
}

void
supfix_frame(struct evbuffer *b, const char *json)
{
	struct json_object	*o;
	char			 cause[FRAME_CAUSE_MAX];

	o = json_tokener_parse(json);
	ck_assert_msg(o != NULL, "bad test JSON: %s", json);
	ck_assert_int_eq(frame_write(b, o, cause, sizeof cause), 0);
	json_object_put(o);
}

struct evbuffer *
supfix_ready(int protocol)
{
	struct evbuffer	*b = evbuffer_new();
	char		 json[96];

	snprintf(json, sizeof json, "{\"type\":\"READY\",\"pid\":1,"
	    "\"protocol\":%d}", protocol);
	supfix_frame(b, json);
	return (b);
}

/* Write b's bytes to a new file of the fixture's; its path. */
static char *
supfix_file(struct evbuffer *b)
{
	char	*path;
	FILE	*f;

	path = xasprintf("%s/frames.%d", supfix_dir, supfix_nworkers++);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(evbuffer_pullup(b, -1), 1,
	    evbuffer_get_length(b), f), evbuffer_get_length(b));
	fclose(f);
	evbuffer_free(b);
	return (path);
}

void
supfix_worker(struct evbuffer *first, struct evbuffer *later,
    const char *tail)
{
	char	*f1, *f2 = NULL;
	FILE	*f;

	f1 = supfix_file(first);
	if (later != NULL)
		f2 = supfix_file(later);
	free(supfix_script);
	supfix_script = xasprintf("%s/worker.%d", supfix_dir,
	    supfix_nworkers++);
	f = fopen(supfix_script, "w");
	ck_assert_ptr_nonnull(f);
	fprintf(f, "#!/bin/sh\n");
	/* One read: START comes in one piece, well under 64 KiB. */
	if (supfix_waits)
		fprintf(f, "dd bs=65536 count=1 <&3 >/dev/null 2>&1\n");
	fprintf(f, "cat '%s' >&3\n", f1);
	if (f2 != NULL)
		fprintf(f, "sleep 0.3\ncat '%s' >&3\n", f2);
	fprintf(f, "%s\n", tail);
	fclose(f);
	ck_assert_int_eq(chmod(supfix_script, 0755), 0);
	server_self = supfix_script;
	free(f1);
	free(f2);
}

void
supfix_wait_start(int on)
{
	supfix_waits = on;
}

void
supfix_run(int ms)
{
	struct timeval	tv = { ms / 1000, (ms % 1000) * 1000 };

	evtimer_add(supfix_timeout_ev, &tv);
	event_base_dispatch(server_base);
	evtimer_del(supfix_timeout_ev);
}

void
supfix_break(void)
{
	event_base_loopbreak(server_base);
}

struct session *
supfix_session(void)
{
	struct json_object	*req, *env;
	struct session		*s = NULL;
	struct sess_err		 err;

	req = json_tokener_parse("{\"providerId\":\"fake\",\"villageId\":"
	    "\"v1\",\"title\":\"t\",\"goal\":\"g\"}");
	env = json_object_new_object();
	json_object_object_add(env, "SECRET", json_object_new_string("x"));
	ck_assert_msg(session_start(req, env, "org1", "alice", &s, &err) == 0,
	    "session_start: %d %s %s", err.status, err.code, err.message);
	json_object_put(req);
	json_object_put(env);
	ck_assert_ptr_nonnull(s);
	return (s);
}

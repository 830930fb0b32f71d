/*
 * bad-worker: a stand-in for "runnerd --worker" that breaks the channel
 * protocol on request, for t-crash.sh (run through the worker_path config
 * key). It says READY on fd 3, reads START and then does what the task goal
 * says:
 *
 *   good N		a correct lifecycle with N "tick i" chunks 100 ms apart,
 *			then SESSION_ENDED and exit 0
 *   zero-length	a frame of length 0
 *   oversize		a frame header of length FRAME_MAX + 1
 *   bad-json		a frame whose body is not JSON
 *   unknown-type	an object whose type names no message
 *   bad-transition	SESSION_STATE_CHANGED CREATED -> RUNNING
 *   no-type		an object without a "type"
 *   truncated-then-exit  half a frame, then exit 0
 *   garbage		2 MiB of random bytes
 *
 * After a misbehaviour it sleeps: the supervisor must kill it. It writes its
 * pid to <workspaceDir>/<sessionId>.bad-worker.pid so that the test can
 * check that it is gone. Before any misbehaviour (except bad-transition) it
 * sends one valid transition and one chunk, so the error comes mid-session.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <json-c/json.h>

#include "common/event.h"
#include "common/frame.h"
#include "common/proto.h"
#include "common/util.h"

#define BAD_TICK_MS	100
#define BAD_GARBAGE	(2 * 1024 * 1024)
#define BAD_LIFETIME	300	/* s: a safety net if nobody kills us */

static __attribute__((noreturn, format(printf, 1, 2))) void
bad_die(const char *fmt, ...)
{
	va_list	ap;

	fputs("bad-worker: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	_exit(1);
}

/* Write all of buf to the channel. */
static void
bad_write(const void *buf, size_t len)
{
	const char	*p = buf;
	ssize_t		 n;

	while (len > 0) {
		if ((n = write(CHANNEL_FD, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			bad_die("write: %s", strerror(errno));
		}
		p += n;
		len -= (size_t)n;
	}
}

/* Send one well-formed frame holding o (consumed). */
static void
bad_send(struct json_object *o)
{
	struct evbuffer	*buf;
	char		 cause[FRAME_CAUSE_MAX];
	size_t		 len;

	if ((buf = evbuffer_new()) == NULL)
		bad_die("evbuffer_new");
	if (frame_write(buf, o, cause, sizeof cause) == -1)
		bad_die("frame_write: %s", cause);
	len = evbuffer_get_length(buf);
	bad_write(evbuffer_pullup(buf, -1), len);
	evbuffer_free(buf);
	json_object_put(o);
}

/* Send a frame header of length len followed by body (blen bytes). */
static void
bad_send_raw(uint32_t len, const char *body, size_t blen)
{
	uint32_t	hdr = htonl(len);

	bad_write(&hdr, sizeof hdr);
	if (blen > 0)
		bad_write(body, blen);
}

/* Read exactly len bytes; 0 on EOF before them. */
static int
bad_read(void *buf, size_t len)
{
	char	*p = buf;
	ssize_t	 n;

	while (len > 0) {
		if ((n = read(CHANNEL_FD, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			bad_die("read: %s", strerror(errno));
		}
		if (n == 0)
			return (0);
		p += n;
		len -= (size_t)n;
	}
	return (1);
}

/* The next frame from the supervisor; NULL on EOF. */
static struct json_object *
bad_recv(void)
{
	uint32_t		 hdr, len;
	char			*body;
	struct json_object	*o;

	if (!bad_read(&hdr, sizeof hdr))
		return (NULL);
	len = ntohl(hdr);
	if (len == 0 || len > FRAME_MAX)
		bad_die("supervisor sent a frame of length %u", len);
	body = xmalloc((size_t)len + 1);
	if (!bad_read(body, len))
		bad_die("EOF inside a frame");
	body[len] = '\0';
	if ((o = json_tokener_parse(body)) == NULL)
		bad_die("supervisor sent bad JSON");
	free(body);
	return (o);
}

static void
bad_sleep_ms(long ms)
{
	struct timespec	ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static void
bad_state(enum session_state from, enum session_state to)
{
	bad_send(event_state_changed(from, to, NULL));
}

static void
bad_chunk(const char *data)
{
	struct json_object	*o;

	o = event_create(EV_TERMINAL_CHUNK);
	json_object_object_add(o, "data", json_object_new_string(data));
	json_object_object_add(o, "stream", json_object_new_string("stdout"));
	bad_send(o);
}

/* A correct session: the lifecycle, n ticks, COMPLETED, SESSION_ENDED. */
static void
bad_good(long n, const char *workspace)
{
	struct json_object	*o;
	int64_t			 t0 = now_ms();
	char			 line[64];
	long			 i;

	bad_state(ST_CREATED, ST_PREPARING_WORKSPACE);
	bad_state(ST_PREPARING_WORKSPACE, ST_STARTING_PROVIDER);
	o = event_create(EV_SESSION_STARTED);
	json_object_object_add(o, "providerId", json_object_new_string("fake"));
	json_object_object_add(o, "providerVersion",
	    json_object_new_string("bad-worker 1.0"));
	json_object_object_add(o, "workspacePath",
	    json_object_new_string(workspace));
	bad_send(o);
	bad_state(ST_STARTING_PROVIDER, ST_RUNNING);
	for (i = 1; i <= n; i++) {
		snprintf(line, sizeof line, "tick %ld\n", i);
		bad_chunk(line);
		bad_sleep_ms(BAD_TICK_MS);
	}
	bad_state(ST_RUNNING, ST_COMPLETED);
	o = event_create(EV_SESSION_ENDED);
	json_object_object_add(o, "finalState",
	    json_object_new_string("COMPLETED"));
	json_object_object_add(o, "exitCode", json_object_new_int(0));
	json_object_object_add(o, "totalDurationMs",
	    json_object_new_int64(now_ms() - t0));
	json_object_object_add(o, "totalUsage", json_object_new_object());
	bad_send(o);
}

/* 2 MiB of random bytes: whatever length they start with, it is an error. */
static void
bad_garbage(void)
{
	char	*buf;
	size_t	 i;
	int	 fd;

	buf = xmalloc(BAD_GARBAGE);
	if ((fd = open("/dev/urandom", O_RDONLY|O_CLOEXEC)) == -1 ||
	    read(fd, buf, BAD_GARBAGE) != BAD_GARBAGE) {
		srandom((unsigned)getpid());
		for (i = 0; i < BAD_GARBAGE; i++)
			buf[i] = (char)random();
	}
	if (fd != -1)
		close(fd);
	bad_write(buf, BAD_GARBAGE);
	free(buf);
}

/* Misbehave as named; 0 if the name is unknown. */
static int
bad_misbehave(const char *how)
{
	static const char	 notjson[] = "{\"type\": \"TERMINAL_CHUNK\", dat";
	static const char	 unknown[] = "{\"type\":\"NO_SUCH_EVENT\"}";
	static const char	 notype[] = "{\"data\":\"tick\\n\"}";
	static const char	 half[] = "{\"type\":\"TERMINAL_CHUNK\",\"da";
	char			 pad[64];

	if (strcmp(how, "bad-transition") == 0) {
		bad_state(ST_CREATED, ST_RUNNING);
		return (1);
	}
	bad_state(ST_CREATED, ST_PREPARING_WORKSPACE);
	bad_chunk("before the misbehaviour\n");
	if (strcmp(how, "zero-length") == 0)
		bad_send_raw(0, NULL, 0);
	else if (strcmp(how, "oversize") == 0) {
		memset(pad, 'x', sizeof pad);
		bad_send_raw(FRAME_MAX + 1, pad, sizeof pad);
	} else if (strcmp(how, "bad-json") == 0)
		bad_send_raw(sizeof notjson - 1, notjson, sizeof notjson - 1);
	else if (strcmp(how, "unknown-type") == 0)
		bad_send_raw(sizeof unknown - 1, unknown, sizeof unknown - 1);
	else if (strcmp(how, "no-type") == 0)
		bad_send_raw(sizeof notype - 1, notype, sizeof notype - 1);
	else if (strcmp(how, "truncated-then-exit") == 0) {
		/* A header promising twice what follows, then goodbye. */
		bad_send_raw(2 * (sizeof half - 1), half, sizeof half - 1);
		_exit(0);
	} else if (strcmp(how, "garbage") == 0)
		bad_garbage();
	else
		return (0);
	return (1);
}

/* Record our pid where the test can find it. */
static void
bad_pidfile(struct json_object *start)
{
	struct json_object	*v, *sess, *conf;
	const char		*dir = NULL, *id = NULL;
	char			*path, pid[32];
	FILE			*f;

	if (json_object_object_get_ex(start, "config", &conf) &&
	    json_object_object_get_ex(conf, "workspace_dir", &v))
		dir = json_object_get_string(v);
	if (json_object_object_get_ex(start, "session", &sess) &&
	    json_object_object_get_ex(sess, "sessionId", &v))
		id = json_object_get_string(v);
	if (dir == NULL || id == NULL)
		bad_die("START without config.workspace_dir or "
		    "session.sessionId");
	path = xasprintf("%s/%s.bad-worker.pid", dir, id);
	snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
	if ((f = fopen(path, "w")) == NULL || fputs(pid, f) == EOF ||
	    fclose(f) == EOF)
		bad_die("%s: %s", path, strerror(errno));
	free(path);
}

int
main(int argc, char **argv)
{
	struct json_object	*o, *sess, *conf, *task, *v;
	const char		*goal, *type;
	char			*workspace;
	long			 n;
	int			 fl;

	(void)argc;
	(void)argv;
	signal(SIGPIPE, SIG_IGN);
	alarm(BAD_LIFETIME);
	if ((fl = fcntl(CHANNEL_FD, F_GETFL)) == -1 ||
	    fcntl(CHANNEL_FD, F_SETFL, fl & ~O_NONBLOCK) == -1)
		bad_die("fd %d: %s", CHANNEL_FD, strerror(errno));

	o = json_object_new_object();
	json_object_object_add(o, "type", json_object_new_string("READY"));
	json_object_object_add(o, "pid", json_object_new_int(getpid()));
	json_object_object_add(o, "protocol",
	    json_object_new_int(PROTO_VERSION));
	bad_send(o);

	/* Idle until START; EOF means the supervisor is gone. */
	for (;;) {
		if ((o = bad_recv()) == NULL)
			_exit(0);
		if (json_object_object_get_ex(o, "type", &v) &&
		    (type = json_object_get_string(v)) != NULL &&
		    strcmp(type, "START") == 0)
			break;
		json_object_put(o);
	}
	bad_pidfile(o);
	if (!json_object_object_get_ex(o, "session", &sess) ||
	    !json_object_object_get_ex(sess, "task", &task) ||
	    !json_object_object_get_ex(task, "goal", &v))
		bad_die("START without session.task.goal");
	goal = json_object_get_string(v);
	json_object_object_get_ex(o, "config", &conf);
	json_object_object_get_ex(conf, "workspace_dir", &v);
	workspace = xasprintf("%s/%s", json_object_get_string(v), "bad-worker");

	if (sscanf(goal, "good %ld", &n) == 1) {
		bad_good(n, workspace);
		_exit(0);
	}
	if (!bad_misbehave(goal))
		bad_die("unknown goal '%s'", goal);
	/* The supervisor must kill us now. */
	for (;;)
		pause();
}

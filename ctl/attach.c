/*
 * runnerctl attach: the session's terminal in ours. The output comes from
 * the SSE stream, replayed from the first event so the screen is complete;
 * keystrokes go out as POST …/input, the window size as POST …/resize (at
 * start and on SIGWINCH). Ctrl-] detaches. The terminal is put back on
 * every way out: normal return, atexit, and from the signal handler itself
 * (tcsetattr is async-signal-safe) for SIGINT, SIGTERM and SIGHUP. The
 * output goes through a termfilter (unless --raw), and on the way out the
 * modes it let the agent set (alternate screen, hidden cursor…) are undone.
 */
#include "config.h"

#include <sys/ioctl.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <json-c/json.h>

#include "common/utf8.h"
#include "common/util.h"
#include "ctl/attach.h"
#include "ctl/client.h"
#include "ctl/termfilter.h"

static struct termios		attach_saved;
static volatile sig_atomic_t	attach_is_raw;
static int			attach_pipe[2] = { -1, -1 };
/* The signals attach catches, and the one it ignores. */
static const int		attach_sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGWINCH };
static const int		attach_sigpipe[] = { SIGPIPE };

/* What the stream callback learns, and the output filter. */
struct attach_state {
	int			ended;
	int			status;
	int			at_bol;
	int			raw;
	struct termfilter	tf;
};

/* Put the terminal back as it was; safe in a signal handler. */
static void
attach_restore(void)
{
	if (attach_is_raw) {
		attach_is_raw = 0;
		tcsetattr(STDIN_FILENO, TCSADRAIN, &attach_saved);
	}
}

/* Signal handler: restore the terminal first, then wake the loop. */
static void
attach_signal(int sig)
{
	unsigned char	c = (unsigned char)sig;
	int		saved = errno;

	if (sig != SIGWINCH)
		attach_restore();
	if (attach_pipe[1] != -1)
		(void)write(attach_pipe[1], &c, 1);
	errno = saved;
}

/* POST …/id/action with a JSON body; -1 if runnerd cannot be reached. */
static int
attach_post(struct client *c, const char *id, const char *action,
    struct json_object *body)
{
	struct http_resp	 r;
	struct cbuf		 cause = { 0 };
	const char		*text;
	char			*path;
	int			 rc;

	path = xasprintf("/api/runner/sessions/%s/%s", id, action);
	text = json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN);
	rc = client_request(c, "POST", path, text, strlen(text), &r, &cause);
	free(path);
	cbuf_free(&cause);
	if (rc == 0)
		http_resp_free(&r);	/* 409 and the like: the stream tells */
	return (rc);
}

/* Send the terminal's size, if it has one. */
static int
attach_resize(struct client *c, const char *id)
{
	struct winsize		 ws;
	struct json_object	*o;
	int			 rc;

	if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) != 0 || ws.ws_col == 0 ||
	    ws.ws_row == 0)
		return (0);
	o = json_object_new_object();
	json_object_object_add(o, "cols", json_object_new_int(ws.ws_col));
	json_object_object_add(o, "rows", json_object_new_int(ws.ws_row));
	rc = attach_post(c, id, "resize", o);
	json_object_put(o);
	return (rc);
}

/* Send keystrokes as input, made valid UTF-8 (a split sequence waits). */
static int
attach_input(struct client *c, const char *id, struct utf8_carry *carry,
    const char *buf, size_t len)
{
	struct evbuffer		*eb;
	struct json_object	*o;
	size_t			 n;
	int			 rc = 0;

	if ((eb = evbuffer_new()) == NULL)
		return (0);
	utf8_sanitize(carry, (const unsigned char *)buf, len, eb);
	if ((n = evbuffer_get_length(eb)) > 0) {
		o = json_object_new_object();
		json_object_object_add(o, "data", json_object_new_string_len(
		    (const char *)evbuffer_pullup(eb, -1), (int)n));
		rc = attach_post(c, id, "input", o);
		json_object_put(o);
	}
	evbuffer_free(eb);
	return (rc);
}

/* One event from the stream: print terminal output, note the end. */
static int
attach_event_cb(const struct sse_event *sev, void *arg)
{
	struct attach_state	*as = arg;
	struct json_object	*ev, *v;
	struct cbuf		 out = { 0 };
	const char		*type, *data;
	size_t			 len;

	if ((ev = json_tokener_parse(sev->data)) == NULL)
		return (0);
	if (json_object_object_get_ex(ev, "type", &v) &&
	    (type = json_object_get_string(v)) != NULL) {
		if (strcmp(type, "TERMINAL_CHUNK") == 0 &&
		    json_object_object_get_ex(ev, "data", &v) &&
		    json_object_is_type(v, json_type_string) &&
		    (len = (size_t)json_object_get_string_len(v)) > 0) {
			data = json_object_get_string(v);
			if (!as->raw) {
				termfilter_feed(&as->tf, data, len, &out);
				data = out.data;
				len = out.len;
			}
			if (len > 0) {
				(void)write_all(STDOUT_FILENO, data, len,
				    0);
				as->at_bol = data[len - 1] == '\n';
			}
			cbuf_free(&out);
		} else if (strcmp(type, "SESSION_ENDED") == 0) {
			as->ended = 1;
			as->status = client_session_status(ev);
		}
	}
	json_object_put(ev);
	return (as->ended);
}

/* Install the handlers and make the terminal raw. */
static int
attach_setup(void)
{
	struct termios		raw;
	int			i;

	if (pipe(attach_pipe) != 0)
		return (-1);
	for (i = 0; i < 2; i++) {
		set_cloexec(attach_pipe[i]);
		set_nonblock(attach_pipe[i]);
	}
	client_signals(attach_sigpipe, 1, SIG_IGN, 0, 0);
	/* No SA_RESTART: poll must wake. */
	client_signals(attach_sigs, nitems(attach_sigs), attach_signal, 0, 0);
	if (isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &attach_saved) == 0) {
		atexit(attach_restore);
		raw = attach_saved;
		cfmakeraw(&raw);
		attach_is_raw = 1;
		if (tcsetattr(STDIN_FILENO, TCSADRAIN, &raw) != 0)
			attach_is_raw = 0;
	}
	return (0);
}

/* Undo attach_setup. */
static void
attach_teardown(void)
{
	attach_restore();
	client_signals(attach_sigs, nitems(attach_sigs), SIG_DFL, 0, 0);
	close(attach_pipe[0]);
	close(attach_pipe[1]);
	attach_pipe[0] = attach_pipe[1] = -1;
}

/* Undo the terminal modes the filtered output left set. */
static void
attach_restore_modes(struct attach_state *as)
{
	struct cbuf	out = { 0 };

	if (as->raw)
		return;
	termfilter_restore(&as->tf, &out);
	if (out.len > 0)
		(void)write_all(STDOUT_FILENO, out.data, out.len, 0);
	cbuf_free(&out);
}

/* Attach to session id; the runnerctl exit status. */
int
attach_run(struct client *c, const char *id, int raw)
{
	struct client_stream	 st;
	struct http_resp	 r;
	struct attach_state	 as;
	struct utf8_carry	 carry;
	struct cbuf		 cause = { 0 };
	struct pollfd		 pfd[3];
	char			 buf[4096], *path, *key, *msg;
	unsigned char		 sig;
	ssize_t			 n;
	int			 rc, code = -1, stdin_open = 1, detached = 0;
	int			 signo = 0;

	memset(&as, 0, sizeof as);
	as.at_bol = 1;
	as.raw = raw;
	termfilter_init(&as.tf);
	memset(&carry, 0, sizeof carry);
	path = xasprintf("/api/runner/sessions/%s/events?follow=1&after=0", id);
	rc = client_stream_start(c, path, &st, &r, &cause);
	free(path);
	if (rc != 0) {
		if (rc < 0) {
			fprintf(stderr, "runnerctl: %s\n", cause.data);
			code = CTL_EXIT_CONNECT;
		} else {
			msg = http_error_message(&r);
			fprintf(stderr, "runnerctl: %s\n", msg);
			free(msg);
			code = r.head.status == 404 ? CTL_EXIT_NOTFOUND :
			    CTL_EXIT_API;
			http_resp_free(&r);
		}
		cbuf_free(&cause);
		return (code);
	}
	if (attach_setup() != 0) {
		client_stream_close(&st);
		fprintf(stderr, "runnerctl: pipe: %s\n", strerror(errno));
		return (CTL_EXIT_API);
	}
	if (attach_resize(c, id) != 0)
		code = CTL_EXIT_CONNECT;

	while (code < 0) {
		if (st.pending.len > 0) {
			rc = client_stream_read(&st, attach_event_cb, &as,
			    &cause);
			if (rc != 1)
				break;
			continue;
		}
		pfd[0].fd = st.fd;
		pfd[0].events = POLLIN;
		pfd[1].fd = attach_pipe[0];
		pfd[1].events = POLLIN;
		pfd[2].fd = stdin_open ? STDIN_FILENO : -1;
		pfd[2].events = POLLIN;
		if (poll(pfd, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			code = CTL_EXIT_API;
			break;
		}
		if (pfd[1].revents & POLLIN) {
			while (read(attach_pipe[0], &sig, 1) == 1) {
				if (sig == SIGWINCH) {
					if (attach_resize(c, id) != 0)
						code = CTL_EXIT_CONNECT;
				} else if (signo == 0)
					signo = sig;
			}
			if (signo != 0) {
				code = 128 + signo;
				break;
			}
		}
		if (pfd[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			rc = client_stream_read(&st, attach_event_cb, &as,
			    &cause);
			if (rc != 1)
				break;
		}
		if (pfd[2].revents & (POLLIN | POLLHUP | POLLERR)) {
			n = read(STDIN_FILENO, buf, sizeof buf);
			if (n < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			if (n <= 0) {
				stdin_open = 0;	/* keep watching the output */
				continue;
			}
			key = memchr(buf, ATTACH_DETACH_KEY, (size_t)n);
			if (key != NULL)
				n = key - buf;
			if (n > 0 && attach_input(c, id, &carry, buf,
			    (size_t)n) != 0)
				code = CTL_EXIT_CONNECT;
			if (key != NULL) {
				detached = 1;
				code = CTL_EXIT_OK;
			}
		}
	}
	client_stream_close(&st);
	attach_restore_modes(&as);
	attach_teardown();
	if (detached) {
		fprintf(stderr, "%srunnerctl: detached from %s (it keeps "
		    "running)\n", as.at_bol ? "" : "\n", id);
		code = CTL_EXIT_OK;
	} else if (signo != 0)
		code = 128 + signo;
	else if (as.ended) {
		if (!as.at_bol)
			fputc('\n', stdout);
		code = as.status;
	} else if (code < 0 || code == CTL_EXIT_CONNECT) {
		fprintf(stderr, "%srunnerctl: %s\n", as.at_bol ? "" : "\n",
		    cause.len > 0 ? cause.data : "connection to runnerd lost");
		code = CTL_EXIT_CONNECT;
	}
	cbuf_free(&cause);
	fflush(stdout);
	return (code);
}

/*
 * runnerctl: drive runnerd over its Unix socket or TCP. One HTTP request
 * per API call; ids may be abbreviated to a unique prefix.
 */
#include "config.h"

#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "common/util.h"
#include "ctl/attach.h"
#include "ctl/client.h"
#include "ctl/render.h"
#include "ctl/termfilter.h"

static struct client	ctl_client;
static struct termfilter *ctl_events_tf;	/* for ctl_events_signal */

static const char ctl_usage_text[] =
"usage: runnerctl [-s SOCKET | -u URL] [-t TOKEN] COMMAND [ARGS]\n"
"\n"
"  -s SOCKET   Unix socket (RUNNER_SOCKET; default <state_dir>/runnerd.sock)\n"
"  -u URL      http://HOST:PORT instead of the socket (RUNNER_URL)\n"
"  -t TOKEN    bearer token for TCP (RUNNER_TOKEN)\n"
"\n"
"commands:\n"
"  list [--json]                       sessions: id, state, provider, village,\n"
"                                      age (live) or exit (ended)\n"
"  show [--json] ID                    a session's state\n"
"  start [--provider P] [--repo PATH] [--branch B | --commit SHA | --tag T]\n"
"        [--title T] [--goal G] [--village V] [--name N] [--env K=V]...\n"
"        [--file FILE|-]               start a session, print its id (flags\n"
"                                      override fields of the --file body)\n"
"  stop [--force] ID                   stop (graceful unless --force)\n"
"  pause ID, resume ID                 freeze / thaw the agent\n"
"  input [--raw] ID TEXT               send TEXT and a newline (none: --raw)\n"
"  approve ID APPROVAL [--note TEXT]   allow a pending approval\n"
"  deny ID APPROVAL [--note TEXT]      deny it\n"
"  events [--follow] [--json] [--raw] [--after N] ID\n"
"                                      events for humans or as JSON lines;\n"
"                                      --follow streams until the session ends\n"
"  attach [--raw] ID                   the session's terminal here; detach\n"
"                                      with Ctrl-]\n"

"  rm ID                               remove an ended session\n"
"\n"
"ID may be any unique prefix of a session id. The agent's terminal output\n"
"is filtered: text, colours, cursor movement, erase and the alternate\n"
"screen pass; title, clipboard, query and other escape sequences are\n"
"dropped. --raw writes it as it came.\n"
"\n"
"exit status: 0 ok, 1 server/API error, 2 usage or ambiguous id, 3 no such\n"
"session, 4 cannot connect or connection lost; attach and events --follow\n"
"exit with the session's exit code when it ends (1 if it FAILED without one),\n"
"0 on detach, 128+N on signal N.\n";

/* Print the usage on stderr and return the usage status. */
static int
ctl_usage(void)
{
	fputs(ctl_usage_text, stderr);
	return (CTL_EXIT_USAGE);
}

/* Print one error line and return code. */
static int
ctl_err(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int
ctl_err(int code, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vwarnx(fmt, ap);
	va_end(ap);
	return (code);
}

/* Make a request; -1 only when no response came (error printed). */
static int
ctl_call(const char *method, const char *path, const char *body,
    struct http_resp *r)
{
	struct cbuf	cause = { 0 };

	if (client_request(&ctl_client, method, path, body,
	    body != NULL ? strlen(body) : 0, r, &cause) != 0) {
		ctl_err(CTL_EXIT_CONNECT, "%s", cause.data);
		cbuf_free(&cause);
		return (-1);
	}
	cbuf_free(&cause);
	return (0);
}

/* The exit status for a response, printing its error if it is one. */
static int
ctl_status(struct http_resp *r)
{
	char	*msg;
	int	 code;

	if (r->head.status >= 200 && r->head.status < 300)
		return (CTL_EXIT_OK);
	msg = http_error_message(r);
	code = r->head.status == 404 ? CTL_EXIT_NOTFOUND : CTL_EXIT_API;
	ctl_err(code, "%s", msg);
	free(msg);
	return (code);
}

/* Call and parse a JSON answer; the exit status, *out set when 0. */
static int
ctl_json(const char *method, const char *path, const char *body,
    struct json_object **out)
{
	struct http_resp	r;
	int			code;

	*out = NULL;
	if (ctl_call(method, path, body, &r) != 0)
		return (CTL_EXIT_CONNECT);
	if ((code = ctl_status(&r)) != 0) {
		http_resp_free(&r);
		return (code);
	}
	if (r.body.len == 0)
		*out = json_object_new_object();
	else if ((*out = json_tokener_parse(r.body.data)) == NULL) {
		http_resp_free(&r);
		return (ctl_err(CTL_EXIT_API, "bad JSON from runnerd"));
	}
	http_resp_free(&r);
	return (CTL_EXIT_OK);
}

/* Resolve an id or unique prefix; the exit status, *id set when 0. */
static int
ctl_resolve(const char *prefix, char **id)
{
	struct json_object	*o, *a;
	struct cbuf		 cause = { 0 };
	int			 code, rc;

	*id = NULL;
	if (uuid_valid(prefix)) {
		*id = xstrdup(prefix);
		return (CTL_EXIT_OK);
	}
	if ((code = ctl_json("GET", "/api/runner/sessions", NULL, &o)) != 0)
		return (code);
	if (!json_object_object_get_ex(o, "sessions", &a)) {
		json_object_put(o);
		return (ctl_err(CTL_EXIT_API, "bad session list from runnerd"));
	}
	rc = client_resolve_id(a, prefix, id, &cause);
	json_object_put(o);
	if (rc == 0)
		return (CTL_EXIT_OK);
	code = ctl_err(rc == -1 ? CTL_EXIT_NOTFOUND : CTL_EXIT_USAGE, "%s",
	    cause.data);
	cbuf_free(&cause);
	return (code);
}

/* A string member or a fallback. */
static const char *
ctl_str(struct json_object *o, const char *key, const char *dflt)
{
	struct json_object	*v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return (dflt);
	return (json_object_get_string(v));
}

/* Seconds since an ISO 8601 UTC time, or -1. */
static int64_t
ctl_age(const char *iso)
{
	struct tm	tm;
	int		y, mo, d, h, mi, s;

	if (iso == NULL || sscanf(iso, "%d-%d-%dT%d:%d:%d", &y, &mo, &d, &h,
	    &mi, &s) != 6)
		return (-1);
	memset(&tm, 0, sizeof tm);
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = s;
	return ((int64_t)time(NULL) - (int64_t)timegm(&tm));
}

/* Print a JSON object pretty, or as one line, C1 controls escaped. */
static void
ctl_print_json(struct json_object *o, int pretty)
{
	struct cbuf	b = { 0 };

	render_json_clean(json_object_to_json_string_ext(o,
	    JSON_C_TO_STRING_NOSLASHESCAPE | (pretty ? JSON_C_TO_STRING_PRETTY :
	    JSON_C_TO_STRING_PLAIN)), &b);
	cbuf_add(&b, "\n", 1);
	fwrite(b.data, 1, b.len, stdout);
	cbuf_free(&b);
}

/* Server text s as plain text in b (emptied first); b's data. */
static const char *
ctl_plain(struct cbuf *b, const char *s)
{
	b->len = 0;
	termfilter_plain(s, strlen(s), b);
	cbuf_add(b, "", 0);
	return (b->data);
}

/* list: the sessions as a table. */
static int
ctl_cmd_list(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' }, { NULL, 0, NULL, 0 }
	};
	struct json_object	*o, *a, *s, *v;
	struct cbuf		 b[4];
	size_t			 i;
	int			 ch, json = 0, code;
	char			 age[32];
	const char		*id;

	while ((ch = getopt_long(argc, argv, "j", opts, NULL)) != -1) {
		if (ch != 'j')
			return (ctl_usage());
		json = 1;
	}
	if (optind != argc)
		return (ctl_usage());
	if ((code = ctl_json("GET", "/api/runner/sessions", NULL, &o)) != 0)
		return (code);
	if (json) {
		ctl_print_json(o, 1);
		json_object_put(o);
		return (CTL_EXIT_OK);
	}
	if (!json_object_object_get_ex(o, "sessions", &a) ||
	    !json_object_is_type(a, json_type_array)) {
		json_object_put(o);
		return (ctl_err(CTL_EXIT_API, "bad session list from runnerd"));
	}
	memset(b, 0, sizeof b);
	printf("%-8s  %-20s  %-12s  %-12s  %s\n", "ID", "STATE", "PROVIDER",
	    "VILLAGE", "AGE/EXIT");
	for (i = 0; i < json_object_array_length(a); i++) {
		s = json_object_array_get_idx(a, i);
		id = ctl_str(s, "sessionId", "?");
		if (json_object_object_get_ex(s, "exitCode", &v) &&
		    json_object_is_type(v, json_type_int))
			snprintf(age, sizeof age, "exit %d",
			    json_object_get_int(v));
		else if (ctl_str(s, "endedAt", NULL) != NULL)
			snprintf(age, sizeof age, "ended");
		else
			client_fmt_age(ctl_age(ctl_str(s, "createdAt", NULL)),
			    age, sizeof age);
		printf("%-8.8s  %-20s  %-12s  %-12s  %s\n",
		    ctl_plain(&b[0], id), ctl_plain(&b[1], ctl_str(s, "state",
		    "?")), ctl_plain(&b[2], ctl_str(s, "providerId", "-")),
		    ctl_plain(&b[3], ctl_str(s, "villageId", "-")), age);
	}
	for (i = 0; i < nitems(b); i++)
		cbuf_free(&b[i]);
	json_object_put(o);
	return (CTL_EXIT_OK);
}

/*
 * Parse "[--FLAG] ID [WORD...]" arguments: an optional switch (-F, its
 * first letter, for short; none if flag is NULL) that sets *set, the id,
 * resolved into *id, and nmore words after it, at argv[optind + 1].
 */
static int
ctl_id_args(int argc, char **argv, const char *flag, int *set, int nmore,
    char **id)
{
	struct option	opts[] = {
		{ flag, no_argument, NULL, 0 }, { NULL, 0, NULL, 0 }
	};
	char		short_opts[2] = { 0 };
	int		ch;

	if (flag != NULL)
		opts[0].val = short_opts[0] = flag[0];
	while ((ch = getopt_long(argc, argv, short_opts, opts, NULL)) != -1) {
		if (flag == NULL || ch != flag[0])
			return (ctl_usage());
		*set = 1;
	}
	if (optind != argc - 1 - nmore)
		return (ctl_usage());
	return (ctl_resolve(argv[optind], id));
}

/* show: a session as key: value lines. */
static int
ctl_cmd_show(int argc, char **argv)
{
	struct json_object	*o;
	struct cbuf		 kb = { 0 }, vb = { 0 };
	char			*id, *path;
	int			 json = 0, code;

	if ((code = ctl_id_args(argc, argv, "json", &json, 0, &id)) != 0)
		return (code);
	path = xasprintf("/api/runner/sessions/%s", id);
	code = ctl_json("GET", path, NULL, &o);
	free(path);
	free(id);
	if (code != 0)
		return (code);
	if (json)
		ctl_print_json(o, 1);
	else {
		json_object_object_foreach(o, k, v) {
			if (v == NULL)
				printf("%s: -\n", ctl_plain(&kb, k));
			else if (json_object_is_type(v, json_type_string))
				printf("%s: %s\n", ctl_plain(&kb, k),
				    ctl_plain(&vb, json_object_get_string(v)));
			else
				printf("%s: %s\n", ctl_plain(&kb, k),
				    ctl_plain(&vb,
				    json_object_to_json_string_ext(v,
				    JSON_C_TO_STRING_PLAIN |
				    JSON_C_TO_STRING_NOSLASHESCAPE)));
		}
	}
	cbuf_free(&kb);
	cbuf_free(&vb);
	json_object_put(o);
	return (CTL_EXIT_OK);
}

/* Read a whole file, or stdin for "-". */
static char *
ctl_read_input(const char *path)
{
	struct cbuf	 b = { 0 };
	char		 buf[8192];
	size_t		 n;
	FILE		*f;

	if (strcmp(path, "-") == 0)
		f = stdin;
	else if ((f = fopen(path, "r")) == NULL)
		return (NULL);
	while ((n = fread(buf, 1, sizeof buf, f)) > 0)
		cbuf_add(&b, buf, n);
	if (f != stdin)
		fclose(f);
	cbuf_add(&b, "", 0);
	return (b.data);
}

/* Get or create the object member key of o. */
static struct json_object *
ctl_member(struct json_object *o, const char *key)
{
	struct json_object	*v;

	if (json_object_object_get_ex(o, key, &v) &&
	    json_object_is_type(v, json_type_object))
		return (v);
	v = json_object_new_object();
	json_object_object_add(o, key, v);
	return (v);
}

/* start: build the body from flags and/or a file, print the id. */
static int
ctl_cmd_start(int argc, char **argv)
{
	enum { O_PROVIDER = 1, O_REPO, O_BRANCH, O_COMMIT, O_TAG, O_TITLE,
	    O_GOAL, O_VILLAGE, O_NAME, O_ENV, O_FILE };
	static const struct option opts[] = {
		{ "provider", required_argument, NULL, O_PROVIDER },
		{ "repo", required_argument, NULL, O_REPO },
		{ "branch", required_argument, NULL, O_BRANCH },
		{ "commit", required_argument, NULL, O_COMMIT },
		{ "tag", required_argument, NULL, O_TAG },
		{ "title", required_argument, NULL, O_TITLE },
		{ "goal", required_argument, NULL, O_GOAL },
		{ "village", required_argument, NULL, O_VILLAGE },
		{ "name", required_argument, NULL, O_NAME },
		{ "env", required_argument, NULL, O_ENV },
		{ "file", required_argument, NULL, O_FILE },
		{ NULL, 0, NULL, 0 }
	};
	struct json_object	*body, *env, *o, *v;
	const char		*file = NULL, *cause;
	char			*text, *abs, cwd[PATH_MAX];
	int			 ch, code, checkouts = 0;

	body = json_object_new_object();
	env = json_object_new_object();
	/* First pass for --file, so flags can be applied over it. */
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch == '?')
			goto usage;
		if (ch == O_FILE)
			file = optarg;
		if (ch == O_BRANCH || ch == O_COMMIT || ch == O_TAG)
			checkouts++;
	}
	if (optind != argc || checkouts > 1)
		goto usage;
	if (file != NULL) {
		if ((text = ctl_read_input(file)) == NULL) {
			json_object_put(body);
			json_object_put(env);
			return (ctl_err(CTL_EXIT_USAGE, "%s: %s", file,
			    strerror(errno)));
		}
		json_object_put(body);
		body = json_tokener_parse(text);
		free(text);
		if (body == NULL || !json_object_is_type(body,
		    json_type_object)) {
			json_object_put(body);
			json_object_put(env);
			return (ctl_err(CTL_EXIT_USAGE, "%s: not a JSON object",
			    file));
		}
	}
	optind = 0;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case O_PROVIDER:
			json_object_object_add(body, "providerId",
			    json_object_new_string(optarg));
			break;
		case O_REPO:
			abs = NULL;
			if (optarg[0] != '/' && getcwd(cwd, sizeof cwd) != NULL)
				abs = xasprintf("%s/%s", cwd, optarg);
			o = json_object_new_object();
			json_object_object_add(o, "provider",
			    json_object_new_string("local"));
			json_object_object_add(o, "path",
			    json_object_new_string(abs != NULL ? abs : optarg));
			json_object_object_add(body, "repoRef", o);
			free(abs);
			break;
		case O_BRANCH:
		case O_COMMIT:
		case O_TAG:
			o = json_object_new_object();
			json_object_object_add(o, "type", json_object_new_string(
			    ch == O_BRANCH ? "branch" : ch == O_COMMIT ?
			    "commit" : "tag"));
			json_object_object_add(o, ch == O_BRANCH ? "ref" :
			    ch == O_COMMIT ? "sha" : "tag",
			    json_object_new_string(optarg));
			json_object_object_add(body, "checkout", o);
			break;
		case O_TITLE:
		case O_GOAL:
			json_object_object_add(ctl_member(body, "task"),
			    ch == O_TITLE ? "title" : "goal",
			    json_object_new_string(optarg));
			break;
		case O_VILLAGE:
			json_object_object_add(body, "villageId",
			    json_object_new_string(optarg));
			break;
		case O_NAME:
			json_object_object_add(body, "agentName",
			    json_object_new_string(optarg));
			break;
		case O_ENV:
			if (client_env_add(env, optarg, &cause) != 0) {
				json_object_put(body);
				json_object_put(env);
				return (ctl_err(CTL_EXIT_USAGE, "%s", cause));
			}
			break;
		}
	}
	if (json_object_object_length(env) > 0) {
		o = ctl_member(body, "env");
		json_object_object_foreach(env, k, ev)	/* o keeps a ref */
			json_object_object_add(o, k, json_object_get(ev));
	}
	json_object_put(env);
	code = ctl_json("POST", "/api/runner/sessions",
	    json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE), &o);
	json_object_put(body);
	if (code != 0)
		return (code);
	if (!json_object_object_get_ex(o, "sessionId", &v)) {
		json_object_put(o);
		return (ctl_err(CTL_EXIT_API, "no sessionId in the answer"));
	}
	puts(json_object_get_string(v));
	json_object_put(o);
	return (CTL_EXIT_OK);
usage:
	json_object_put(body);
	json_object_put(env);
	return (ctl_usage());
}

/* POST …/ID/action with body; the exit status. */
static int
ctl_post(const char *id, const char *action, const char *body)
{
	struct json_object	*o;
	char			*path;
	int			 code;

	path = xasprintf("/api/runner/sessions/%s/%s", id, action);
	code = ctl_json("POST", path, body, &o);
	free(path);
	json_object_put(o);
	return (code);
}

/* stop [--force] ID. */
static int
ctl_cmd_stop(int argc, char **argv)
{
	char	*id;
	int	 force = 0, code;

	if ((code = ctl_id_args(argc, argv, "force", &force, 0, &id)) != 0)
		return (code);
	code = ctl_post(id, "stop", force ? "{\"graceful\":false}" :
	    "{\"graceful\":true}");
	free(id);
	return (code);
}

/* pause ID, resume ID. */
static int
ctl_cmd_pause_resume(int argc, char **argv)
{
	char	*id;
	int	 code;

	if ((code = ctl_id_args(argc, argv, NULL, NULL, 0, &id)) != 0)
		return (code);
	code = ctl_post(id, argv[0], NULL);
	free(id);
	return (code);
}

/* input [--raw] ID TEXT. */
static int
ctl_cmd_input(int argc, char **argv)
{
	struct json_object	*o;
	struct cbuf		 data = { 0 };
	char			*id;
	int			 raw = 0, code;

	if ((code = ctl_id_args(argc, argv, "raw", &raw, 1, &id)) != 0)
		return (code);
	cbuf_adds(&data, argv[optind + 1]);
	if (!raw)
		cbuf_adds(&data, "\n");
	o = json_object_new_object();
	json_object_object_add(o, "data", json_object_new_string_len(data.data,
	    (int)data.len));
	code = ctl_post(id, "input", json_object_to_json_string_ext(o,
	    JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	cbuf_free(&data);
	free(id);
	return (code);
}

/* approve|deny ID APPROVAL [--note TEXT]. */
static int
ctl_cmd_decide(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "note", required_argument, NULL, 'n' }, { NULL, 0, NULL, 0 }
	};
	struct json_object	*o;
	const char		*note = NULL;
	char			*id, *action;
	int			 ch, code;

	while ((ch = getopt_long(argc, argv, "n:", opts, NULL)) != -1) {
		if (ch != 'n')
			return (ctl_usage());
		note = optarg;
	}
	if (optind != argc - 2)
		return (ctl_usage());
	if ((code = ctl_resolve(argv[optind], &id)) != 0)
		return (code);
	o = json_object_new_object();
	json_object_object_add(o, "decision", json_object_new_string(
	    strcmp(argv[0], "approve") == 0 ? "allow" : "deny"));
	if (note != NULL)
		json_object_object_add(o, "note", json_object_new_string(note));
	action = xasprintf("approvals/%s", argv[optind + 1]);
	code = ctl_post(id, action, json_object_to_json_string_ext(o,
	    JSON_C_TO_STRING_PLAIN));
	free(action);
	json_object_put(o);
	free(id);
	return (code);
}

/* How events are printed. */
struct ctl_events {
	int		json;
	struct render	render;
	int		ended;
	int		status;
};

/* Print one event. */
static void
ctl_events_print(struct ctl_events *ce, struct json_object *ev)
{
	struct cbuf	out = { 0 };

	if (ce->json) {
		ctl_print_json(ev, 0);
	} else {
		render_event(&ce->render, ev, &out);
		if (out.len > 0)
			fwrite(out.data, 1, out.len, stdout);
		cbuf_free(&out);
	}
	if (strcmp(ctl_str(ev, "type", ""), "SESSION_ENDED") == 0) {
		ce->ended = 1;
		ce->status = client_session_status(ev);
	}
}

/* One SSE event of events --follow. */
static int
ctl_events_cb(const struct sse_event *sev, void *arg)
{
	struct ctl_events	*ce = arg;
	struct json_object	*ev;

	if ((ev = json_tokener_parse(sev->data)) == NULL)
		return (0);
	ctl_events_print(ce, ev);
	json_object_put(ev);
	fflush(stdout);
	return (ce->ended);
}

/* A signal during events --follow: put the modes back, then die of it. */
static void
ctl_events_signal(int sig)
{
	int	saved = errno;

	if (ctl_events_tf != NULL)
		termfilter_restore_fd(ctl_events_tf, STDOUT_FILENO);
	raise(sig);	/* SA_RESETHAND: the default action, on return */
	errno = saved;
}

/* Catch (or, with tf NULL, release) the signals that end events --follow. */
static void
ctl_events_signals(struct termfilter *tf)
{
	static const int	 sigs[] = { SIGINT, SIGTERM, SIGHUP };

	ctl_events_tf = tf;
	/* A background job keeps ignoring what it was started ignoring. */
	client_signals(sigs, nitems(sigs), tf != NULL ? ctl_events_signal :
	    SIG_DFL, SA_RESETHAND, 1);
}

/* Undo the modes the agent's output left set, at the end of events. */
static void
ctl_events_end(struct ctl_events *ce)
{
	struct cbuf	out = { 0 };

	if (ce->json)
		return;
	render_end(&ce->render, &out);
	if (!ce->render.at_bol)
		cbuf_add(&out, "\n", 1);
	if (out.len > 0)
		fwrite(out.data, 1, out.len, stdout);
	cbuf_free(&out);
}

/* events [--follow] [--json] [--raw] [--after N] ID. */
static int
ctl_cmd_events(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "follow", no_argument, NULL, 'f' },
		{ "json", no_argument, NULL, 'j' },
		{ "raw", no_argument, NULL, 'r' },
		{ "after", required_argument, NULL, 'a' },
		{ NULL, 0, NULL, 0 }
	};
	struct ctl_events	 ce;
	struct client_stream	 st;
	struct http_resp	 r;
	struct cbuf		 cause = { 0 };
	struct json_object	*o, *a;
	unsigned long long	 after = 0;
	size_t			 i, n;
	char			*id, *path, *end;
	int			 ch, follow = 0, raw = 0, code, rc;

	memset(&ce, 0, sizeof ce);
	while ((ch = getopt_long(argc, argv, "fjra:", opts, NULL)) != -1) {
		switch (ch) {
		case 'f':
			follow = 1;
			break;
		case 'j':
			ce.json = 1;
			break;
		case 'r':
			raw = 1;
			break;
		case 'a':
			errno = 0;
			after = strtoull(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || errno != 0 ||
			    *optarg == '-')
				return (ctl_usage());
			break;
		default:
			return (ctl_usage());
		}
	}
	if (optind != argc - 1)
		return (ctl_usage());
	render_init(&ce.render, raw);
	if ((code = ctl_resolve(argv[optind], &id)) != 0)
		return (code);
	if (!follow) {
		for (;;) {
			path = xasprintf("/api/runner/sessions/%s/events?"
			    "after=%llu&limit=10000", id, after);
			code = ctl_json("GET", path, NULL, &o);
			free(path);
			if (code != 0)
				break;
			n = 0;
			if (json_object_object_get_ex(o, "events", &a) &&
			    json_object_is_type(a, json_type_array))
				n = json_object_array_length(a);
			for (i = 0; i < n; i++) {
				ctl_events_print(&ce,
				    json_object_array_get_idx(a, i));
				after = (unsigned long long)json_object_get_int64(
				    json_object_object_get(
				    json_object_array_get_idx(a, i), "seq"));
			}
			json_object_put(o);
			if (n < 10000)
				break;
		}
		ctl_events_end(&ce);
		free(id);
		return (code);
	}
	path = xasprintf("/api/runner/sessions/%s/events?follow=1&after=%llu",
	    id, after);
	free(id);
	rc = client_stream_start(&ctl_client, path, &st, &r, &cause);
	free(path);
	if (rc < 0) {
		code = ctl_err(CTL_EXIT_CONNECT, "%s", cause.data);
		cbuf_free(&cause);
		return (code);
	}
	if (rc == 1) {
		code = ctl_status(&r);
		http_resp_free(&r);
		cbuf_free(&cause);
		return (code != 0 ? code : CTL_EXIT_API);
	}
	if (!ce.json && !raw)
		ctl_events_signals(&ce.render.tf);
	while ((rc = client_stream_read(&st, ctl_events_cb, &ce, &cause)) == 1)
		;
	ctl_events_signals(NULL);
	client_stream_close(&st);
	ctl_events_end(&ce);
	fflush(stdout);
	if (rc < 0 || !ce.ended) {
		code = ctl_err(CTL_EXIT_CONNECT, "%s", rc < 0 ? cause.data :
		    "the event stream ended before the session did");
		cbuf_free(&cause);
		return (code);
	}
	cbuf_free(&cause);
	return (ce.status);
}

/* attach [--raw] ID. */
static int
ctl_cmd_attach(int argc, char **argv)
{
	char	*id;
	int	 raw = 0, code;

	if ((code = ctl_id_args(argc, argv, "raw", &raw, 0, &id)) != 0)
		return (code);
	code = attach_run(&ctl_client, id, raw);
	free(id);
	return (code);
}

/* rm ID. */
static int
ctl_cmd_rm(int argc, char **argv)
{
	struct json_object	*o;
	char			*id, *path;
	int			 code;

	if ((code = ctl_id_args(argc, argv, NULL, NULL, 0, &id)) != 0)
		return (code);
	path = xasprintf("/api/runner/sessions/%s", id);
	code = ctl_json("DELETE", path, NULL, &o);
	json_object_put(o);
	free(path);
	free(id);
	return (code);
}

static const struct {
	const char	*name;
	int		(*fn)(int, char **);
} ctl_cmds[] = {
	{ "list", ctl_cmd_list },
	{ "ls", ctl_cmd_list },
	{ "show", ctl_cmd_show },
	{ "start", ctl_cmd_start },
	{ "stop", ctl_cmd_stop },
	{ "pause", ctl_cmd_pause_resume },
	{ "resume", ctl_cmd_pause_resume },
	{ "input", ctl_cmd_input },
	{ "approve", ctl_cmd_decide },
	{ "deny", ctl_cmd_decide },
	{ "events", ctl_cmd_events },
	{ "attach", ctl_cmd_attach },
	{ "rm", ctl_cmd_rm },
};

/* Parse global options, pick the server, run the command. */
int
main(int argc, char **argv)
{
	const char	*sock = NULL, *url = NULL, *token = NULL, *cause;
	size_t		 i;
	int		 ch, code;

	while ((ch = getopt(argc, argv, "+s:u:t:hV")) != -1) {
		switch (ch) {
		case 's':
			sock = optarg;
			url = NULL;
			break;
		case 'u':
			url = optarg;
			sock = NULL;
			break;
		case 't':
			token = optarg;
			break;
		case 'h':
			fputs(ctl_usage_text, stdout);
			return (CTL_EXIT_OK);
		case 'V':
			printf("runnerctl %s\n", PACKAGE_VERSION);
			return (CTL_EXIT_OK);
		default:
			return (ctl_usage());
		}
	}
	if (optind >= argc)
		return (ctl_usage());
	if (strcmp(argv[optind], "help") == 0 ||
	    strcmp(argv[optind], "--help") == 0) {
		fputs(ctl_usage_text, stdout);
		return (CTL_EXIT_OK);
	}
	if (sock == NULL && url == NULL) {
		if ((url = getenv("RUNNER_URL")) != NULL && *url == '\0')
			url = NULL;
		if (url == NULL && (sock = getenv("RUNNER_SOCKET")) != NULL &&
		    *sock == '\0')
			sock = NULL;
	}
	if (token == NULL && (token = getenv("RUNNER_TOKEN")) != NULL &&
	    *token == '\0')
		token = NULL;
	if (url != NULL) {
		if (client_parse_url(url, &ctl_client.host, &ctl_client.port,
		    &cause) != 0)
			return (ctl_err(CTL_EXIT_USAGE, "%s: %s", url, cause));
	} else
		ctl_client.sock_path = sock != NULL ? xstrdup(sock) :
		    client_default_socket();
	ctl_client.token = token != NULL ? xstrdup(token) : NULL;

	argc -= optind;
	argv += optind;
	for (i = 0; i < nitems(ctl_cmds); i++) {
		if (strcmp(argv[0], ctl_cmds[i].name) == 0)
			break;
	}
	if (i == nitems(ctl_cmds))
		return (ctl_err(CTL_EXIT_USAGE, "unknown command '%s' (try "
		    "runnerctl -h)", argv[0]));
	optind = 0;
	code = ctl_cmds[i].fn(argc, argv);
	fflush(stdout);
	free(ctl_client.sock_path);
	free(ctl_client.host);
	free(ctl_client.port);
	free(ctl_client.token);
	return (code);
}

/*
 * runnerd-fake-agent --protocol mock: a structured CLI for the tests,
 * speaking drv_mock.c's line protocol on stdin and stdout (stderr is the
 * terminal). Each turn: started, some transcript text, in the first turn
 * --run's commands (a test run, say) and an approval for --ask's command
 * (run when allowed, through the exec gate), then a message with cumulative
 * usage, then ended. It takes turns until its stdin ends, then exits 0.
 * The first turn runs each --run command (up to four), then asks.
 * --log FILE appends every message it received, one line each.
 */
#include "config.h"

#include <sys/wait.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "contrib/fake-proto.h"

#define PROTO_OUT_MAX	(64 * 1024)	/* of a command's output kept */

static FILE	*proto_log;
#define PROTO_RUNS	4		/* --run commands */

static const char *proto_ask;
static const char *proto_run[PROTO_RUNS];
static int	 proto_nrun;

/* Write one record (consumed) on stdout, a line of its own. */
static void
proto_emit(struct json_object *o)
{
	printf("%s\n", json_object_to_json_string_ext(o,
	    JSON_C_TO_STRING_PLAIN));
	fflush(stdout);
	json_object_put(o);
}

/* {"ev": ev} and up to two string members. */
static void
proto_ev(const char *ev, const char *k1, const char *v1, const char *k2,
    const char *v2)
{
	struct json_object	*o = json_object_new_object();

	json_object_object_add(o, "ev", json_object_new_string(ev));
	if (k1 != NULL)
		json_object_object_add(o, k1, json_object_new_string(v1));
	if (k2 != NULL)
		json_object_object_add(o, k2, json_object_new_string(v2));
	proto_emit(o);
}

/* The next message from the driver, or NULL at the end of stdin. */
static struct json_object *
proto_read(void)
{
	static char		*line;
	static size_t		 cap;
	struct json_object	*o;
	ssize_t			 n;

	for (;;) {
		if ((n = getline(&line, &cap, stdin)) == -1)
			return (NULL);
		if (proto_log != NULL) {
			fwrite(line, 1, (size_t)n, proto_log);
			fflush(proto_log);
		}
		if ((o = json_tokener_parse(line)) != NULL &&
		    json_object_is_type(o, json_type_object))
			return (o);
		json_object_put(o);
		dprintf(STDERR_FILENO, "fake-proto: not a message: %s", line);
	}
}

/* A string member, or "". */
static const char *
proto_str(struct json_object *o, const char *key)
{
	struct json_object	*v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return ("");
	return (json_object_get_string(v));
}

/* Run a command (words split on blanks), reported as a tool call. */
static void
proto_command(const char *id, const char *command)
{
	struct json_object	*o;
	char			*copy, *argv[64], *w, *save = NULL;
	char			 out[PROTO_OUT_MAX];
	size_t			 n = 0, len = 0;
	ssize_t			 r;
	int			 p[2], status = 0;
	pid_t			 pid;

	proto_ev("command", "id", id, "command", command);
	copy = strdup(command);
	for (w = strtok_r(copy, " \t", &save); w != NULL && n < 63;
	    w = strtok_r(NULL, " \t", &save))
		argv[n++] = w;
	argv[n] = NULL;
	if (n == 0 || pipe(p) == -1) {
		free(copy);
		return;
	}
	if ((pid = fork()) == 0) {
		dup2(p[1], STDOUT_FILENO);
		dup2(p[1], STDERR_FILENO);
		close(p[0]);
		close(p[1]);
		execvp(argv[0], argv);
		dprintf(STDERR_FILENO, "%s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(p[1]);
	while (len < sizeof out - 1 &&
	    (r = read(p[0], out + len, sizeof out - 1 - len)) != 0) {
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			break;
		len += (size_t)r;
	}
	out[len] = '\0';
	close(p[0]);
	if (pid > 0)
		waitpid(pid, &status, 0);
	o = json_object_new_object();
	json_object_object_add(o, "ev", json_object_new_string("command"));
	json_object_object_add(o, "id", json_object_new_string(id));
	json_object_object_add(o, "command", json_object_new_string(command));
	json_object_object_add(o, "done", json_object_new_boolean(1));
	json_object_object_add(o, "output", json_object_new_string(out));
	json_object_object_add(o, "exit", json_object_new_int(
	    WIFEXITED(status) ? WEXITSTATUS(status) : 128));
	proto_emit(o);
	dprintf(STDERR_FILENO, "fake-proto: ran %s: exit %d\n", command,
	    WIFEXITED(status) ? WEXITSTATUS(status) : 128);
	free(copy);
}

/* Ask for --ask's command; run it when allowed. The decision's word. */
static const char *
proto_approval(void)
{
	struct json_object	*o, *v;
	const char		*word = "none";

	proto_ev("approval", "id", "a1", "command", proto_ask);
	while ((o = proto_read()) != NULL) {
		if (strcmp(proto_str(o, "op"), "answer") == 0 &&
		    strcmp(proto_str(o, "id"), "a1") == 0) {
			word = json_object_object_get_ex(o, "allow", &v) &&
			    json_object_get_boolean(v) ? "allowed" : "denied";
			json_object_put(o);
			break;
		}
		json_object_put(o);
	}
	dprintf(STDERR_FILENO, "fake-proto: approval a1 %s\n", word);
	if (strcmp(word, "allowed") == 0)
		proto_command("c1", proto_ask);
	return (word);
}

/* One turn. */
static void
proto_turn(int n, const char *text)
{
	struct json_object	*o;
	const char		*decision = "none";
	char			 buf[512], id[16];
	int			 i;

	o = json_object_new_object();
	json_object_object_add(o, "ev", json_object_new_string("turn"));
	json_object_object_add(o, "started", json_object_new_boolean(1));
	proto_emit(o);
	snprintf(buf, sizeof buf, "turn %d: %.60s\r\n", n, text);
	proto_ev("text", "text", buf, NULL, NULL);
	for (i = 0; n == 1 && i < proto_nrun; i++) {
		snprintf(id, sizeof id, "r%d", i);
		proto_command(id, proto_run[i]);
	}
	if (n == 1 && proto_ask != NULL)
		decision = proto_approval();
	if (n == 1)
		snprintf(buf, sizeof buf, "Turn 1 done, approval %s.\n"
		    "Nothing else to say.", decision);
	else
		snprintf(buf, sizeof buf, "Turn %d done: %.200s", n, text);
	proto_ev("message", "text", buf, NULL, NULL);
	o = json_object_new_object();
	json_object_object_add(o, "ev", json_object_new_string("usage"));
	json_object_object_add(o, "input", json_object_new_int(100 * n));
	json_object_object_add(o, "cached", json_object_new_int(10 * n));
	json_object_object_add(o, "output", json_object_new_int(20 * n));
	json_object_object_add(o, "reasoning", json_object_new_int(5 * n));
	json_object_object_add(o, "cost", json_object_new_double(0.25 * n));
	proto_emit(o);
	o = json_object_new_object();
	json_object_object_add(o, "ev", json_object_new_string("turn"));
	json_object_object_add(o, "started", json_object_new_boolean(0));
	proto_emit(o);
}

/* --protocol mock [--log FILE] [--ask COMMAND] [--run COMMAND]. */
int
fake_proto_main(int argc, char **argv)
{
	struct json_object	*o;
	const char		*op;
	int			 i, n = 0;

	if (argc < 3 || strcmp(argv[2], "mock") != 0) {
		fprintf(stderr, "fake-proto: only --protocol mock\n");
		return (2);
	}
	for (i = 3; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--log") == 0)
			proto_log = fopen(argv[i + 1], "a");
		else if (strcmp(argv[i], "--ask") == 0)
			proto_ask = argv[i + 1];
		else if (strcmp(argv[i], "--run") == 0 &&
		    proto_nrun < PROTO_RUNS)
			proto_run[proto_nrun++] = argv[i + 1];
	}
	/* A line that is not JSON, as a CLI's start-up banner might be. */
	printf("fake-proto ready\n");
	fflush(stdout);
	dprintf(STDERR_FILENO, "fake-proto: started\n");
	while ((o = proto_read()) != NULL) {
		op = proto_str(o, "op");
		if (strcmp(op, "start") == 0)
			proto_turn(++n, proto_str(o, "prompt"));
		else if (strcmp(op, "input") == 0)
			proto_turn(++n, proto_str(o, "text"));
		json_object_put(o);
	}
	dprintf(STDERR_FILENO, "fake-proto: stdin closed after %d turns\n", n);
	if (proto_log != NULL)
		fclose(proto_log);
	return (0);
}

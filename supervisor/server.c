/* The supervisor process: its event base, config, listeners and shutdown. */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/http.h>
#include <git2.h>
#include <json-c/json.h>

#include "common/conf.h"
#include "common/log.h"
#include "common/util.h"
#include "host/cgroup.h"
#include "host/gitcap.h"
#include "host/overlay.h"
#include "host/quota.h"
#include "host/sandbox.h"
#include "supervisor/api.h"
#include "supervisor/auth.h"
#include "supervisor/control.h"
#include "supervisor/eventlog.h"
#include "supervisor/gateway.h"
#include "supervisor/notify.h"
#include "supervisor/pool.h"
#include "supervisor/retention.h"
#include "supervisor/server.h"
#include "supervisor/session.h"

#define SERVER_DEFAULT_CONF	"/etc/runnerd/runnerd.conf"
#define SERVER_SYNC_MS		100
#define SERVER_BODY_CAP_FACTOR	4	/* evhttp's hard cap, times ours */

struct event_base	*server_base;
struct config		*server_cfg;
const char		*server_self;
int			 server_exiting;
char			**server_listen;
struct auth_self	 server_addr;

static struct evhttp			*server_http;
static struct evhttp_bound_socket	*server_tcp;
static struct evhttp_bound_socket	*server_unix;
static struct event			*server_sync_ev;
static struct event			*server_exit_ev;
static int64_t				 server_exit_deadline;

/* What the command line said, kept for SIGHUP (file < env < flags). */
static const char	*server_opt_conf;
static const char	*server_opt_listen;
static const char	*server_opt_sock;
static const char	*server_opt_state;
static int		 server_opt_verbose;

/* systemd: socket activation, STATUS= updates and the watchdog. */
static int		 server_unix_activated;
static struct event	*server_status_ev;
static struct event	*server_watchdog_ev;
static char		 server_status_last[256];

/*
 * The version, and the libgit2 it runs with: what it can do with
 * repositories (shallow mirrors) depends on that.
 */
static void
server_version(void)
{
	int	major, minor, rev;

	git_libgit2_version(&major, &minor, &rev);
	printf("runnerd %s (libgit2 %d.%d.%d, shallow fetch %s)\n",
	    RUNNERD_VERSION, major, minor, rev,
	    gitcap_can_shallow() ? "yes" : "no");
}

static __attribute__((noreturn)) void
server_usage(void)
{
	fprintf(stderr, "usage: runnerd [-v] [--check-config] [-c file] "
	    "[-l host:port] [-s socket] [-d state_dir]\n");
	exit(2);
}

/* Whether an IPv4 or IPv6 address is a loopback address. */
static int
server_addr_is_loopback(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return ((ntohl(((const struct sockaddr_in *)(const void *)sa)->
		    sin_addr.s_addr) >> 24) == 127);
	if (sa->sa_family == AF_INET6)
		return (IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)
		    (const void *)sa)->sin6_addr));
	return (0);
}

/* Whether every address a host name resolves to is a loopback address. */
static int
server_is_loopback(const char *host)
{
	struct addrinfo	 hints, *res, *ai;
	int		 loop = 1;

	memset(&hints, 0, sizeof hints);
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, NULL, &hints, &res) != 0)
		return (0);
	for (ai = res; ai != NULL; ai = ai->ai_next)
		if (!server_addr_is_loopback(ai->ai_addr))
			loop = 0;
	freeaddrinfo(res);
	return (loop);
}

/*
 * A TCP socket's bound address as "host:port" or "[host]:port"; -1 if it
 * is neither IPv4 nor IPv6.
 */
static int
server_bound_name(int fd, char *buf, size_t len)
{
	struct sockaddr_storage	 ss;
	socklen_t		 sslen = sizeof ss;
	char			 host[INET6_ADDRSTRLEN];

	if (getsockname(fd, (void *)&ss, &sslen) == -1)
		fatal("getsockname");
	if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *sin6 = (void *)&ss;

		inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof host);
		snprintf(buf, len, "[%s]:%d", host, ntohs(sin6->sin6_port));
	} else if (ss.ss_family == AF_INET) {
		struct sockaddr_in *sin = (void *)&ss;

		inet_ntop(AF_INET, &sin->sin_addr, host, sizeof host);
		snprintf(buf, len, "%s:%d", host, ntohs(sin->sin_port));
	} else
		return (-1);
	return (0);
}

/*
 * Note a TCP listener's bound address in server_listen, for the proxies
 * of sessions, which refuse it always.
 */
static void
server_note_listen(int fd)
{
	char	name[INET6_ADDRSTRLEN + 16];
	size_t	n = strv_len(server_listen);

	server_listen = xrealloc(server_listen, (n + 2) *
	    sizeof *server_listen);
	if (server_bound_name(fd, name, sizeof name) == -1)
		return;
	server_listen[n] = xstrdup(name);
	server_listen[n + 1] = NULL;
}

/* Print the address the TCP listener got: tests and scripts read it. */
static void
server_print_bound(struct evhttp_bound_socket *bs)
{
	char	name[INET6_ADDRSTRLEN + 16];

	if (server_bound_name(evhttp_bound_socket_get_fd(bs), name,
	    sizeof name) == -1)
		name[0] = '\0';
	printf("listening on %s\n", name);
	log_info("listening on %s", name);
	fflush(stdout);
}

/*
 * The Unix socket: trusted by its file mode (0660), so it is created with a
 * umask that never lets it be wider. A stale socket from a dead runnerd is
 * replaced; a live one is an error.
 */
static int
server_listen_unix(const char *path)
{
	struct sockaddr_un	 sun;
	mode_t			 old;
	int			 fd, probe;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof sun.sun_path)
		fatalx("socket path too long: %s", path);
	strcpy(sun.sun_path, path);
	if ((probe = socket(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC, 0)) == -1)
		fatal("socket");
	if (connect(probe, (void *)&sun, sizeof sun) == 0)
		fatalx("%s: another runnerd is listening there", path);
	close(probe);
	unlink(path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC|SOCK_NONBLOCK,
	    0)) == -1)
		fatal("socket");
	old = umask(0117);
	if (bind(fd, (void *)&sun, sizeof sun) == -1)
		fatal("bind %s", path);
	umask(old);
	if (chmod(path, 0660) == -1)
		fatal("chmod %s", path);
	if (listen(fd, 128) == -1)
		fatal("listen %s", path);
	log_info("listening on unix:%s", path);
	return (fd);
}

/*
 * Build a whole config: embedded defaults < file < environment < flags.
 * Used at start, by --check-config and by SIGHUP; NULL with a cause naming
 * the key on any error, so a bad file is never half-applied.
 */
static struct config *
server_config_load(char *cause, size_t causelen)
{
	struct config	*c;
	const char	*conf = server_opt_conf;
	char		 why[256];

	c = config_default();
	if (conf == NULL && access(SERVER_DEFAULT_CONF, F_OK) == 0)
		conf = SERVER_DEFAULT_CONF;
	if (conf != NULL && config_load_file(c, conf, why, sizeof why) == -1) {
		snprintf(cause, causelen, "config %s: %s", conf, why);
		goto fail;
	}
	if (config_load_env(c, why, sizeof why) == -1) {
		snprintf(cause, causelen, "environment: %s", why);
		goto fail;
	}
	if (server_opt_listen != NULL && config_set_listen(c,
	    server_opt_listen, why, sizeof why) == -1) {
		snprintf(cause, causelen, "-l: %s", why);
		goto fail;
	}
	if (server_opt_sock != NULL) {
		free(c->socket_path);
		c->socket_path = xstrdup(server_opt_sock);
	}
	if (server_opt_state != NULL) {
		free(c->state_dir);
		c->state_dir = xstrdup(server_opt_state);
	}
	config_finish(c);
	if (!auth_configured(c) && !server_is_loopback(c->listen_host)) {
		snprintf(cause, causelen, "refusing to listen on %s without "
		    "credentials: configure \"tokens\" or JWT_SECRET, or "
		    "listen on a loopback address", c->listen_host);
		goto fail;
	}
	return (c);

fail:
	config_free(c);
	return (NULL);
}

/* An activated TCP socket bound beyond loopback needs credentials too. */
static int
server_fd_is_loopback(int fd)
{
	struct sockaddr_storage	 ss;
	socklen_t		 len = sizeof ss;

	if (getsockname(fd, (void *)&ss, &len) == -1)
		return (0);
	return (server_addr_is_loopback((struct sockaddr *)(void *)&ss));
}

/* One STATUS= line for systemctl status: sessions and workers. */
static void
server_status_text(char *buf, size_t len)
{
	struct session	*s;
	int		 total = 0;

	for (s = session_first(); s != NULL; s = session_next(s))
		total++;
	snprintf(buf, len, "%d sessions active, %d known; workers %d idle, "
	    "%d busy", session_active_count(), total, pool_idle_count(),
	    pool_busy_count());
}

/* Send STATUS= when it changed; checked once a second under systemd. */
static void
server_status_cb(evutil_socket_t fd, short what, void *arg)
{
	char	status[sizeof server_status_last];

	server_status_text(status, sizeof status);
	if (strcmp(status, server_status_last) == 0)
		return;
	if (notify_sendf("STATUS=%s", status) == 1)
		snprintf(server_status_last, sizeof server_status_last, "%s",
		    status);
}

static void
server_watchdog_cb(evutil_socket_t fd, short what, void *arg)
{
	notify_send("WATCHDOG=1");
}

/*
 * SIGHUP: load a whole new config; if it is good, take what can change
 * live (providers, limits, tokens, JWT secret, log level) and say what
 * needs a restart. Running sessions keep what they started with.
 */
static void
server_reload(void)
{
	struct config	*next;
	char		 cause[512], applied[1024], restart[256];
	char		 status[sizeof server_status_last];
	int		 v;

	notify_sendf("RELOADING=1\nMONOTONIC_USEC=%lld",
	    (long long)mono_ms() * 1000);
	if ((next = server_config_load(cause, sizeof cause)) == NULL) {
		log_warnx("SIGHUP: %s; the running configuration is kept",
		    cause);
		server_status_text(status, sizeof status);
		notify_sendf("READY=1\nSTATUS=reload failed (see the log); "
		    "%s", status);
		return;
	}
	config_reload(server_cfg, next, applied, sizeof applied, restart,
	    sizeof restart);
	config_free(next);
	v = server_cfg->verbose > server_opt_verbose ? server_cfg->verbose :
	    server_opt_verbose;
	if (v != log_getverbose()) {
		log_setverbose(v);
		log_info("SIGHUP: log level now %s", v > 0 ? "debug" : "info");
	}
	evhttp_set_max_body_size(server_http,
	    (ev_ssize_t)server_cfg->max_body_bytes * SERVER_BODY_CAP_FACTOR);
	if (*applied != '\0')
		log_info("SIGHUP: configuration reloaded; changed: %s",
		    applied);
	else
		log_info("SIGHUP: configuration reloaded; nothing changed");
	if (*restart != '\0')
		log_warnx("SIGHUP: changed but kept until a restart: %s",
		    restart);
	server_status_text(status, sizeof status);
	notify_sendf("READY=1\nSTATUS=%s", status);
}

static void
server_sync_cb(evutil_socket_t fd, short what, void *arg)
{
	eventlog_sync_all();
}

/* Shutdown: wait for sessions to stop, bounded, then go. */
static void
server_exit_cb(evutil_socket_t fd, short what, void *arg)
{
	struct timeval	tv = { 0, 100 * 1000 };

	if (session_active_count() > 0 && mono_ms() < server_exit_deadline) {
		evtimer_add(server_exit_ev, &tv);
		return;
	}
	if (session_active_count() > 0)
		session_fail_all("supervisor shutting down");
	gateway_shutdown();
	pool_shutdown();
	eventlog_sync_all();
	event_base_loopexit(server_base, NULL);
}

/* SIGTERM/SIGINT: stop accepting, stop sessions gracefully, then exit 0. */
static void
server_signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct timeval	tv = { 0, 0 };

	switch (sig) {
	case SIGCHLD:
		pool_reap();
		return;
	case SIGHUP:
		if (!server_exiting)
			server_reload();
		return;
	case SIGTERM:
	case SIGINT:
		if (server_exiting)
			return;
		log_info("%s: shutting down", sig == SIGTERM ? "SIGTERM" :
		    "SIGINT");
		server_exiting = 1;
		notify_sendf("STOPPING=1\nSTATUS=stopping %d sessions",
		    session_active_count());
		if (server_tcp != NULL)
			evhttp_del_accept_socket(server_http, server_tcp);
		if (server_unix != NULL)
			evhttp_del_accept_socket(server_http, server_unix);
		server_tcp = server_unix = NULL;
		server_exit_deadline = mono_ms() +
		    server_cfg->stop_grace_ms + 2000;
		if (server_exit_deadline > mono_ms() +
		    server_cfg->shutdown_grace_ms)
			server_exit_deadline = mono_ms() +
			    server_cfg->shutdown_grace_ms;
		control_stop_all();
		server_exit_ev = evtimer_new(server_base, server_exit_cb,
		    NULL);
		evtimer_add(server_exit_ev, &tv);
		return;
	}
}

/*
 * Session cgroups: found (and, under cgroup v2, the supervisor moved into
 * its own leaf) once. Without them sessions still run, unlimited; the
 * sandbox layer report says so.
 */
static void
server_cgroup_init(const struct config *c)
{
	char	resolved[PATH_MAX], cause[512], detail[512];

	if (cgroup_prepare(c->cgroup_base, resolved, sizeof resolved, cause,
	    sizeof cause) == -1) {
		log_warnx("cgroup: sessions run without resource limits: %s",
		    cause);
		return;
	}
	cgroup_probe(resolved, detail, sizeof detail);
	log_info("session cgroups: %s; limits per session: memory %lld "
	    "bytes, pids %lld, cpu %lld%% (0 = unlimited)", detail,
	    (long long)c->memory_max_bytes, (long long)c->pids_max,
	    (long long)c->cpu_max_pct);
}

/* Whether a session of that id exists (the overlay sweep asks). */
static int
server_session_known(const char *id)
{
	return (session_find(id) != NULL);
}

int
server_main(int argc, char **argv)
{
	struct config	*c;
	char		 cause[512], self[PATH_MAX];
	char		 status[sizeof server_status_last];
	int		 ch, verbose = 0, ufd, check = 0, nact, first;
	ssize_t		 n;
	struct event	*sigs[5];
	int		 signos[] = { SIGTERM, SIGINT, SIGHUP, SIGCHLD };
	struct timeval	 tv = { 0, SERVER_SYNC_MS * 1000 };
	struct timeval	 stv = { 1, 0 }, wtv;
	struct notify_fd act[NOTIFY_MAX_FDS];
	struct evhttp_bound_socket *bs;
	uint64_t	 wd;
	size_t		 i;
	static const struct option longopts[] = {
		{ "check-config", no_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};

	while ((ch = getopt_long(argc, argv, "c:d:hl:s:vV", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'C':
			check = 1;
			break;
		case 'c':
			server_opt_conf = optarg;
			break;
		case 'd':
			server_opt_state = optarg;
			break;
		case 'l':
			server_opt_listen = optarg;
			break;
		case 's':
			server_opt_sock = optarg;
			break;
		case 'v':
			verbose++;
			break;
		case 'V':
			server_version();
			return (0);
		default:
			server_usage();
		}
	}
	if (optind != argc)
		server_usage();
	log_init(verbose, "runnerd");
	server_opt_verbose = verbose;

	/* Embedded defaults < file < environment < flags. */
	if ((c = server_config_load(cause, sizeof cause)) == NULL) {
		if (check) {
			fprintf(stderr, "runnerd: %s\n", cause);
			return (1);
		}
		fatalx("%s", cause);
	}
	if (check) {
		struct json_object *j = config_to_json(c);

		printf("%s\n", json_object_to_json_string_ext(j,
		    JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
		    JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(j);
		config_free(c);
		return (0);
	}
	if (c->verbose > verbose)
		log_setverbose(c->verbose);
	server_cfg = c;

	/* Socket activation: taken (and the variables unset) before forking. */
	if ((nact = notify_listen_fds(act, nitems(act), cause,
	    sizeof cause)) == -1)
		fatalx("socket activation: %s", cause);
	for (i = 0; i < (size_t)nact; i++) {
		if (act[i].family != AF_UNIX && !auth_configured(c) &&
		    !server_fd_is_loopback(act[i].fd))
			fatalx("refusing to serve activated socket %s (fd %d) "
			    "beyond loopback without credentials",
			    act[i].name, act[i].fd);
	}

	if ((n = readlink("/proc/self/exe", self, sizeof self - 1)) == -1)
		fatal("readlink /proc/self/exe");
	self[n] = '\0';
	server_self = xstrdup(c->worker_path != NULL ? c->worker_path : self);

	{
		char *sessions = xasprintf("%s/sessions", c->state_dir);

		if (mkdir_p(sessions, 0700) == -1)
			fatal("%s", sessions);
		free(sessions);
	}
	if (mkdir_p(c->workspace_dir, 0700) == -1)
		fatal("%s", c->workspace_dir);
	git_libgit2_init();
	signal(SIGPIPE, SIG_IGN);

	if ((server_base = event_base_new()) == NULL)
		fatalx("event_base_new");
	for (i = 0; i < nitems(signos); i++) {
		sigs[i] = evsignal_new(server_base, signos[i],
		    server_signal_cb, NULL);
		evsignal_add(sigs[i], NULL);
	}
	if ((server_http = evhttp_new(server_base)) == NULL)
		fatalx("evhttp_new");
	/*
	 * evhttp reads a whole body before calling us, and answers past its
	 * own cap with an HTML page (libevent 2.1 has no hook before that).
	 * Its cap is set above ours so that most oversized bodies get our
	 * JSON 413 (api.c); only the grossly oversized get evhttp's.
	 */
	evhttp_set_max_body_size(server_http,
	    (ev_ssize_t)c->max_body_bytes * SERVER_BODY_CAP_FACTOR);
	evhttp_set_timeout(server_http, 60);
	evhttp_set_allowed_methods(server_http, EVHTTP_REQ_GET |
	    EVHTTP_REQ_POST | EVHTTP_REQ_DELETE | EVHTTP_REQ_HEAD |
	    EVHTTP_REQ_PUT | EVHTTP_REQ_OPTIONS | EVHTTP_REQ_PATCH);
	api_init(server_http);
	gateway_init();

	/*
	 * Before the pool forks, workers must start in the right
	 * cgroup; before sessions are restored, the cgroups of those that
	 * were live are removed.
	 */
	server_cgroup_init(c);
	session_restore_all();
	/* Stale overlay mounts, then whether overlays work at all. */
	overlay_sweep(c->workspace_dir, server_session_known);
	overlay_init(c->workspace_mode, c->cache_dir, c->workspace_dir);
	quota_init(c->workspace_dir, c->workspace_max_bytes);
	/* Each sandbox layer probed once; missing ones are logged. */
	sandbox_probe((uid_t)c->sandbox_uid, (gid_t)c->sandbox_gid,
	    c->cgroup_base);
	pool_init();
	retention_init();

	/*
	 * Activated sockets first (systemd owns them: the Unix socket file is
	 * not ours to unlink); whatever kind systemd did not pass is bound
	 * from the config as usual. One socket of each kind is the usual
	 * case; extra ones are served too.
	 */
	first = 1;
	for (i = 0; i < (size_t)nact; i++) {
		if ((bs = evhttp_accept_socket_with_handle(server_http,
		    act[i].fd)) == NULL)
			fatalx("cannot serve on activated fd %d", act[i].fd);
		log_info("socket activation: fd %d (%s) %s", act[i].fd,
		    act[i].name, act[i].family == AF_UNIX ? "unix" : "tcp");
		if (act[i].family == AF_UNIX) {
			if (!server_unix_activated)
				server_unix = bs;
			server_unix_activated = 1;
		} else {
			server_note_listen(act[i].fd);
			if (first) {
				server_tcp = bs;
				first = 0;
			}
		}
	}
	if (server_tcp == NULL) {
		server_tcp = evhttp_bind_socket_with_handle(server_http,
		    c->listen_host, (ev_uint16_t)c->listen_port);
		if (server_tcp == NULL)
			fatalx("cannot listen on %s:%d", c->listen_host,
			    c->listen_port);
		server_note_listen(evhttp_bound_socket_get_fd(server_tcp));
	}
	if (!server_unix_activated) {
		ufd = server_listen_unix(c->socket_path);
		if ((server_unix = evhttp_accept_socket_with_handle(
		    server_http, ufd)) == NULL)
			fatalx("cannot serve on %s", c->socket_path);
	}
	server_print_bound(server_tcp);
	auth_self_set(&server_addr, evhttp_bound_socket_get_fd(server_tcp));

	/* systemd: ready once listening; STATUS= and the watchdog after. */
	server_status_text(status, sizeof status);
	if (notify_sendf("READY=1\nSTATUS=%s", status) == -1)
		log_warnx("NOTIFY_SOCKET: cannot notify the service manager");
	snprintf(server_status_last, sizeof server_status_last, "%s", status);
	if (notify_enabled()) {
		server_status_ev = event_new(server_base, -1, EV_PERSIST,
		    server_status_cb, NULL);
		evtimer_add(server_status_ev, &stv);
	}
	if ((wd = notify_watchdog_usec()) != 0) {
		/* Half the interval, as sd_watchdog_enabled(3) advises. */
		wtv.tv_sec = (time_t)(wd / 2 / 1000000);
		wtv.tv_usec = (suseconds_t)(wd / 2 % 1000000);
		server_watchdog_ev = event_new(server_base, -1, EV_PERSIST,
		    server_watchdog_cb, NULL);
		evtimer_add(server_watchdog_ev, &wtv);
		notify_send("WATCHDOG=1");
		log_info("watchdog: pinging every %llu ms",
		    (unsigned long long)(wd / 2000));
	}

	server_sync_ev = event_new(server_base, -1, EV_PERSIST,
	    server_sync_cb, NULL);
	evtimer_add(server_sync_ev, &tv);

	event_base_dispatch(server_base);

	log_info("exiting");
	eventlog_sync_all();
	if (!server_unix_activated)
		unlink(c->socket_path);
	evhttp_free(server_http);
	pool_free_all();
	session_free_all();
	event_free(server_sync_ev);
	if (server_status_ev != NULL)
		event_free(server_status_ev);
	if (server_watchdog_ev != NULL)
		event_free(server_watchdog_ev);
	if (server_exit_ev != NULL)
		event_free(server_exit_ev);
	for (i = 0; i < nitems(signos); i++)
		event_free(sigs[i]);
	event_base_free(server_base);
	git_libgit2_shutdown();
	config_free(c);
	free((char *)server_self);
	return (0);
}

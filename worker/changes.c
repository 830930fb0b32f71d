/*
 * What the session's changes look like from outside: FILE_TOUCHED from the
 * watch, DIFF_SUMMARY once the tree is quiet (and a last one at the end),
 * and the workspace's disk quota, checked as the tree grows.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <json-c/json.h>

#include "common/event.h"
#include "common/log.h"
#include "common/proto.h"
#include "common/util.h"
#include "host/quota.h"
#include "worker/changes.h"
#include "worker/diff.h"
#include "worker/watch.h"
#include "worker/wstate.h"

/*
 * The workspace's disk quota, one statfs of its filesystem: on every write
 * the watch sees and at each usage tick. One ALERT_RAISED past
 * QUOTA_ALERT_PCT; when it is full (the agent's writes fail with ENOSPC)
 * the agent is stopped and the session FAILS. The workspace stays, for
 * inspection, until DELETE.
 */
void
changes_quota_check(void)
{
	struct quota_usage	 u;
	struct json_object	*ctx;
	char			*desc;

	if (wk.quota_path == NULL || wk.closing || wk.exited ||
	    wk.spawn_ms == 0 || wk.stopping != STOP_NONE ||
	    quota_usage(wk.quota_path, &u) == -1)
		return;
	if (!wk.quota_alerted && (u.pct >= QUOTA_ALERT_PCT || u.full)) {
		wk.quota_alerted = 1;
		ctx = json_object_new_object();
		json_object_object_add(ctx, "usedBytes",
		    json_object_new_int64((int64_t)u.used));
		json_object_object_add(ctx, "limitBytes",
		    json_object_new_int64(wk.spec.quota_bytes));
		json_object_object_add(ctx, "percent",
		    json_object_new_int(u.pct));
		desc = xasprintf("the workspace uses %d %% of its disk quota "
		    "of %lld MiB; at 100 %% writes fail and the session "
		    "fails", u.pct, wk.spec.quota_bytes / (1024 * 1024));
		wstate_alert("resources", "workspace disk quota almost full",
		    desc, ctx);
		free(desc);
	}
	if (u.full) {
		log_info("workspace quota full: %llu of %llu bytes used",
		    (unsigned long long)u.used, (unsigned long long)u.total);
		wstate_stop(STOP_QUOTA, "disk quota exceeded", 0);
	}
}

/* A path in the workspace was read, written or deleted. */
void
changes_touched_cb(const char *path, enum watch_reason why, void *arg)
{
	struct json_object	*ev;
	struct evbuffer		*b;

	if (wk.closing)
		return;
	/* A diff child reads the whole tree: not the agent's reads. */
	if (why == WATCH_READ && wk.diff_job != NULL)
		return;
	/* Any name the agent makes must fit a frame: valid UTF-8 only. */
	path = wstate_utf8(path, &b);
	ev = event_create(EV_FILE_TOUCHED);
	json_object_object_add(ev, "path", json_object_new_string(path));
	if (wk.room_path != NULL && watch_in_room(path, wk.room_path))
		json_object_object_add(ev, "roomPath",
		    json_object_new_string(wk.room_path));
	json_object_object_add(ev, "reason",
	    json_object_new_string(watch_reason_name(why)));
	wstate_emit(ev);
	if (b != NULL)
		evbuffer_free(b);
}

/* A write or delete: DIFF_SUMMARY once the tree is quiet again. */
void
changes_changed_cb(void *arg)
{
	struct timeval	tv = { WORKER_QUIET_MS / 1000,
			    (WORKER_QUIET_MS % 1000) * 1000 };

	if (!wk.closing && wk.quiet_ev != NULL)
		evtimer_add(wk.quiet_ev, &tv);
	changes_quota_check();
}

/* The workspace is only partly watched: one ALERT_RAISED, carry on. */
void
changes_watch_alert_cb(const char *category, const char *title,
    const char *desc, void *arg)
{
	(void)arg;
	wstate_alert(category, title, desc, NULL);
}

/*
 * No inotify instance for this session (every worker takes one from
 * root's fs.inotify.max_user_instances): never silent. The alert's
 * context tells the supervisor, which reports it in /healthz.
 */
void
changes_watch_failed(const char *cause, int error)
{
	struct json_object	*ctx;
	char			*desc;
	long			 max;

	log_warnx("no FILE_TOUCHED events: %s", cause);
	max = sysctl_long("/proc/sys/fs/inotify/max_user_instances");
	ctx = json_object_new_object();
	json_object_object_add(ctx, "reason",
	    json_object_new_string("inotify_unavailable"));
	json_object_object_add(ctx, "sysctl",
	    json_object_new_string("fs.inotify.max_user_instances"));
	json_object_object_add(ctx, "maxUserInstances",
	    json_object_new_int64(max));
	if (error == EMFILE)
		desc = xasprintf("No inotify instance for this session (%s): "
		    "every session takes one from the system's limit of %ld "
		    "per user (fs.inotify.max_user_instances). This session "
		    "reports no FILE_TOUCHED; its diff summary still covers "
		    "its changes. Raise the limit (sysctl -w fs.inotify."
		    "max_user_instances=N, or the drop-in runnerd installs "
		    "in sysctl.d).", cause, max);
	else
		desc = xasprintf("No inotify instance for this session (%s): "
		    "it reports no FILE_TOUCHED; its diff summary still "
		    "covers its changes.", cause);
	wstate_emit(event_alert("resources", "file changes not watched", desc,
	    ctx));
	free(desc);
}

/*
 * A diff's outcome: the DIFF_SUMMARY, or, when there is none, a
 * DIFF_SUMMARY saying why — error, no totals (unknown, never guessed),
 * files [] — and an alert, once until a diff works again. fields is
 * consumed.
 */
static void
changes_diff_report(struct json_object *fields, const char *cause)
{
	struct json_object	*ev, *ctx;
	char			*desc;

	if (fields != NULL) {
		free(wk.diff_failed);
		wk.diff_failed = NULL;
		ev = event_create(EV_DIFF_SUMMARY);
		json_object_object_foreach(fields, k, v)
			/* ev and fields share v until fields goes. */
			json_object_object_add(ev, k, json_object_get(v));
		json_object_put(fields);
		wstate_emit(ev);
		return;
	}
	log_warnx("diff summary: %s", cause);
	/* The reviewer sees that there are changes it cannot be told. */
	ev = event_create(EV_DIFF_SUMMARY);
	json_object_object_add(ev, "error", json_object_new_string(cause));
	json_object_object_add(ev, "files", json_object_new_array());
	wstate_emit(ev);
	if (wk.diff_failed != NULL && strcmp(wk.diff_failed, cause) == 0)
		return;
	free(wk.diff_failed);
	wk.diff_failed = xstrdup(cause);
	desc = xasprintf("The workspace's diff summary could not be "
	    "computed: %s. Until it can, each DIFF_SUMMARY carries this "
	    "error and no totals.", cause);
	ctx = json_object_new_object();
	json_object_object_add(ctx, "reason",
	    json_object_new_string("diff_unavailable"));
	wstate_alert("workspace", "diff unavailable", desc, ctx);
	free(desc);
}

/*
 * A diff child answered. The reads it made of the work tree were dropped
 * while it ran (changes_touched_cb), not reported as the agent's.
 */
static void
changes_diff_done_cb(struct json_object *fields, const char *cause, void *arg)
{
	wk.diff_job = NULL;
	if (wk.closing) {
		json_object_put(fields);
		return;
	}
	changes_diff_report(fields, cause);
	/* Changed while it ran: again, once the tree is quiet. */
	if (wk.diff_again) {
		wk.diff_again = 0;
		changes_changed_cb(NULL);
	}
}

/*
 * DIFF_SUMMARY of the workspace against the start commit, in a child that
 * answers on the loop: the worker goes on with the agent meanwhile. What
 * the agent did so far is reported first.
 */
static void
changes_diff_start(void)
{
	char	cause[WORKER_CAUSE_MAX];

	if (wk.commit[0] == '\0')
		return;
	if (wk.diff_job != NULL) {
		wk.diff_again = 1;
		return;
	}
	watch_flush(wk.watch, 1);
	wk.diff_job = diff_start(wk.base, wk.dir, wk.commit, &wk.diff_opts,
	    changes_diff_done_cb, NULL, cause, sizeof cause);
	if (wk.diff_job == NULL)
		changes_diff_report(NULL, cause);
}

/*
 * Hand the supervisor what is queued for it now, as far as the socket
 * takes it without blocking: before the loop stops for a while (the final
 * diff), the agent's last output should not wait with it.
 */
static void
changes_chan_push(void)
{
	struct evbuffer	*out = bufferevent_get_output(wk.chan);

	while (evbuffer_get_length(out) > 0 &&
	    evbuffer_write(out, CHANNEL_FD) > 0)
		;
}

/*
 * The last DIFF_SUMMARY, before SESSION_ENDED: waited for (bounded by the
 * diff's timeout). One still running is given up for a fresh one.
 */
static void
changes_diff_final(void)
{
	struct json_object	*fields;
	char			 cause[WORKER_CAUSE_MAX];

	if (wk.commit[0] == '\0')
		return;
	changes_chan_push();
	diff_cancel(wk.diff_job);
	wk.diff_job = NULL;
	watch_flush(wk.watch, 1);
	if (wk.quiet_ev != NULL)
		evtimer_del(wk.quiet_ev);
	fields = json_object_new_object();
	if (diff_summary(wk.dir, wk.commit, &wk.diff_opts, fields, cause,
	    sizeof cause) == 0)
		changes_diff_report(fields, NULL);
	else {
		json_object_put(fields);
		changes_diff_report(NULL, cause);
	}
	watch_flush(wk.watch, 0);
}

/* The tree was quiet for a while after changes. */
void
changes_quiet_cb(int fd, short events, void *arg)
{
	if (!wk.closing)
		changes_diff_start();
}

/* The session is ending: the last DIFF_SUMMARY, then stop watching. */
void
changes_end(void)
{
	if (wk.commit[0] == '\0')
		return;
	changes_diff_final();
	wk.commit[0] = '\0';
	wk.files_touched = watch_paths(wk.watch);
	watch_free(wk.watch);
	wk.watch = NULL;
}

/*
 * The gateway's WebSocket transport (gw_ws.c): the upgrade of /ws and
 * /socket.io/ requests, the connection under a client, and the /ws
 * protocol; Socket.IO (gw_sio.c) speaks on top of it.
 */
#ifndef GW_WS_H
#define GW_WS_H

#include <stddef.h>

struct auth_result;
struct evhttp_request;
struct gw_client;
struct json_object;
struct sio_conn;
struct ws_conn;

/* A gateway client on a WebSocket. */
struct gw_wsc {
	struct gw_client	*c;
	struct ws_conn		*ws;
	struct sio_conn		*sio;		/* Socket.IO only */
	struct json_object	*auth_since;	/* Socket.IO auth.since */
	/* One text message: a /ws request, or Socket.IO's input. */
	void			(*input)(struct gw_wsc *, const char *,
				    size_t);
};

/*
 * Every request whose path is /ws or starts with /socket.io/, before any
 * other routing: 1 if it was taken (upgraded, or answered with an error
 * here), 0 if it is not the gateway's. trusted is 1 on the Unix socket;
 * who is NULL when the HTTP layer has not authenticated the request.
 */
int	gw_ws_upgrade(struct evhttp_request *, int,
	    const struct auth_result *);

#endif

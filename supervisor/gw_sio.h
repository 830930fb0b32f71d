/* Socket.IO clients of the gateway, on a WebSocket of gw_ws.c. */
#ifndef GW_SIO_H
#define GW_SIO_H

#include "supervisor/gateway.h"

struct evhttp_request;
struct evkeyvalq;
struct gw_wsc;

/* Checks of a Socket.IO handshake's query; 0, or -1 once answered. */
int	gw_sio_check_query(struct evhttp_request *, const struct evkeyvalq *);
/* Speak Socket.IO on an upgraded WebSocket: open packet, heartbeat. */
void	gw_sio_open(struct gw_wsc *);
/* Free the Socket.IO state of a client whose WebSocket is gone. */
void	gw_sio_free(struct gw_wsc *);
/* Transport: work_stream_event, agent_spawn and agent_disconnect. */
void	gw_sio_deliver(struct gw_client *, enum gw_kind, const char *,
	    struct gw_enc *);
/* Transport: ws_error SLOW_CONSUMER, ahead of the queue. */
void	gw_sio_slow(void *);

#endif

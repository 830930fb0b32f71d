/* The HTTP API (DESIGN section 6) on evhttp. */
#ifndef API_H
#define API_H

struct evhttp;

/* Install the request handler on an evhttp serving TCP and the socket. */
void	api_init(struct evhttp *);

#endif

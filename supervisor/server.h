/* The supervisor process: its event base, config, listeners and shutdown. */
#ifndef SERVER_H
#define SERVER_H

struct event_base;
struct config;
struct auth_self;

extern struct event_base	*server_base;
extern struct config		*server_cfg;
extern const char		*server_self;	/* our binary, for re-exec */
extern int			 server_exiting;
/* runnerd's TCP listeners as bound, "addr:port" or "[v6]:port". */
extern char			**server_listen;
extern struct auth_self		 server_addr;	/* the TCP listener */

int	server_main(int, char **);

#endif

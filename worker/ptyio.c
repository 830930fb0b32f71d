/* The CLI's terminal from the worker's side: input, output, window size. */
#include "config.h"

#include <sys/ioctl.h>
#include <errno.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "common/log.h"
#include "worker/ptyio.h"

/* Write as much pending terminal input as the pty takes. */
void
ptyio_write(int master, struct evbuffer *input, struct event *write_ev)
{
	int	n;

	while (evbuffer_get_length(input) > 0) {
		n = evbuffer_write(input, master);
		if (n == 0)
			break;
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				break;
			log_warn("pty write");
			evbuffer_drain(input, evbuffer_get_length(input));
			break;
		}
	}
	if (evbuffer_get_length(input) > 0)
		event_add(write_ev, NULL);
	else
		event_del(write_ev);
}

/* Queue bytes for the CLI's terminal. */
int
ptyio_input(int master, struct evbuffer *input, struct event *write_ev,
    const char *data, size_t len, size_t max)
{
	if (evbuffer_get_length(input) + len > max) {
		log_warnx("input dropped: the CLI is not reading its terminal");
		return (-1);
	}
	evbuffer_add(input, data, len);
	ptyio_write(master, input, write_ev);
	return (0);
}

/* Output from the CLI: bytes, 0 for none now, -1 at the end of it. */
ssize_t
ptyio_read(int master, void *buf, size_t len)
{
	ssize_t	n;

	n = read(master, buf, len);
	if (n > 0)
		return (n);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return (0);
	/* EIO once the last holder of the tty is gone. */
	if (n == -1 && errno != EIO)
		log_warn("pty read");
	return (-1);
}

/* The pty's window size. */
void
ptyio_resize(int master, int cols, int rows)
{
	struct winsize	ws;

	memset(&ws, 0, sizeof ws);
	ws.ws_col = (unsigned short)cols;
	ws.ws_row = (unsigned short)rows;
	if (ioctl(master, TIOCSWINSZ, &ws) == -1)
		log_warn("TIOCSWINSZ");
}

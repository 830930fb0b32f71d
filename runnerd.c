/*
 * runnerd: the supervisor, or a worker when re-executed with --worker.
 * The one file that links both processes: supervisor/ never includes
 * worker/, and the pool re-executes this binary to start a worker.
 */
#include "config.h"

#include <string.h>

#include "supervisor/server.h"
#include "worker/provider.h"
#include "worker/worker.h"

int
main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "--worker") == 0)
		worker_main(argc >= 3 && strcmp(argv[2], "-v") == 0);
	if (argc >= 2 && strcmp(argv[1], "--probe-provider") == 0)
		return (provider_probe_main(argc - 1, argv + 1));
	return (server_main(argc, argv));
}

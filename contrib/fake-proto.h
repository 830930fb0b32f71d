/* runnerd-fake-agent --protocol: a structured CLI's double (fake-proto.c). */
#ifndef FAKE_PROTO_H
#define FAKE_PROTO_H

/* runnerd-fake-agent ... --protocol DIALECT [options]: its exit code. */
int	fake_proto_main(int, char **);

#endif

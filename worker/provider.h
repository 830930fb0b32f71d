/* Providers in the worker: version and feature detection, argv, prompt. */
#ifndef PROVIDER_H
#define PROVIDER_H

/*
 * runnerd --probe-provider NAME [-c CONFIG]: detect the provider's version
 * and features and print them, with the argv a sample task would get, as
 * JSON on stdout. For tests against the real CLIs and for operators.
 */
int	provider_probe_main(int, char **);

#endif

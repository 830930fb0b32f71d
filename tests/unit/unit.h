/*
 * The unit tests' shared part: every tests/unit/check_<subsystem>.c
 * defines unit_suite(), its one Check suite, and links unit_main.c,
 * which runs it.
 */
#ifndef UNIT_H
#define UNIT_H

#include <check.h>

/* This test program's suite. */
Suite	*unit_suite(void);

#endif

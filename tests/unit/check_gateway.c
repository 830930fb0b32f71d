#include "config.h"
#include <check.h>
#include "unit.h"
Suite *
unit_suite(void)
{
	return (suite_create("gateway"));
}

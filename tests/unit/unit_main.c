/* The one main() of every unit test program: run its suite (unit.h). */
#include "config.h"

#include <stdlib.h>

#include "unit.h"

int
main(void)
{
	SRunner	*sr;
	int	 failed;

	sr = srunner_create(unit_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}

#ifndef ASSISTANT_ATTEND_TEST_H
#define ASSISTANT_ATTEND_TEST_H

/* Runs the float attention kernel tests; returns the failures, the checks made in *checks. */
int attend_tests(int *checks);

#endif

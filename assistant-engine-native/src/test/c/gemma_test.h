#ifndef ASSISTANT_GEMMA_TEST_H
#define ASSISTANT_GEMMA_TEST_H

/* Runs the Gemma kernel and settings tests; returns the failures, the checks made in *checks. */
int gemma_tests(int *checks);

#endif

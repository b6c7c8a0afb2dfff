#ifndef ASSISTANT_THREAD_POOL_TEST_H
#define ASSISTANT_THREAD_POOL_TEST_H

/* Runs the thread pool tests; returns the failures, the checks made in *checks. */
int thread_pool_tests(int *checks);

#endif

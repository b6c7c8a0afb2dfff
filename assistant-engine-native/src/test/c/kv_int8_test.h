#ifndef ASSISTANT_KV_INT8_TEST_H
#define ASSISTANT_KV_INT8_TEST_H

/* Runs the INT8 KV cache kernel tests; returns the failures, the checks made in *checks. */
int kv_int8_kernel_tests(int *checks);

#endif

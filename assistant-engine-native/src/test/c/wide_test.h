#ifndef ASSISTANT_WIDE_TEST_H
#define ASSISTANT_WIDE_TEST_H

/* Runs the INT8 VNNI product tests; returns the failures, the checks made in *checks. */
int wide_product_tests(int *checks);

#endif

/*
 * What the native tests read from the shared test models without the JVM: whole files, numbers and number arrays
 * from JSON (config.json, reference/golden.json) by key, and float32 tensors from a safetensors file.
 */
#ifndef ASSISTANT_TEST_FILES_H
#define ASSISTANT_TEST_FILES_H

#include <stddef.h>

/* The file's bytes plus a terminating NUL (*size excludes it), or NULL. */
char *read_file(const char *path, size_t *size);

/* The number after the first "key": at or after `from`, or NAN when there is none. */
double json_number(const char *from, const char *key);

/*
 * The numbers of the array after the first "key": at or after `from`, into out (at most max); returns how many,
 * -1 if there is no such array. *end (if not NULL) is set just past the array.
 */
long json_numbers(const char *from, const char *key, double *out, long max, const char **end);

typedef struct {
    char *bytes;        /* the whole file */
    size_t size;
    const char *header; /* the JSON header (NUL-terminated copy) */
    char *header_copy;
    const char *data;   /* where tensor data starts (an aligned copy) */
    char *data_copy;
    size_t data_size;
} Safetensors;

/* Opens `path`; returns 0 on success. */
int safetensors_open(const char *path, Safetensors *st);

/* Tensor `name` if it is float32 with `count` elements, else NULL (with the reason on stderr). */
const float *safetensors_f32(const Safetensors *st, const char *name, long count);

void safetensors_close(Safetensors *st);

#endif

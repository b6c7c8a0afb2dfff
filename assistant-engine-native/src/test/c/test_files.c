/* The readers of test_files.h: enough JSON to find keyed numbers and arrays, not a general parser. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_files.h"

char *read_file(const char *path, size_t *size) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *bytes = NULL;
    if (fseek(f, 0, SEEK_END) == 0) {
        long n = ftell(f);
        if (n >= 0 && fseek(f, 0, SEEK_SET) == 0 && (bytes = malloc((size_t)n + 1)) != NULL) {
            if (fread(bytes, 1, (size_t)n, f) == (size_t)n) {
                bytes[n] = 0;
                *size = (size_t)n;
            } else {
                free(bytes);
                bytes = NULL;
            }
        }
    }
    fclose(f);
    return bytes;
}

/* Just past the `"key":` at or after `from`, or NULL. */
static const char *after_key(const char *from, const char *key) {
    size_t n = strlen(key);
    for (const char *at = strchr(from, '"'); at; at = strchr(at + 1, '"')) {
        if (strncmp(at + 1, key, n) == 0 && at[n + 1] == '"') {
            const char *p = at + n + 2;
            while (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t') p++;
            if (*p == ':') return p + 1;
        }
    }
    return NULL;
}

double json_number(const char *from, const char *key) {
    const char *p = after_key(from, key);
    if (!p) return NAN;
    char *end;
    double v = strtod(p, &end);
    return end == p ? NAN : v;
}

long json_numbers(const char *from, const char *key, double *out, long max, const char **end) {
    const char *p = after_key(from, key);
    if (!p) return -1;
    while (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t') p++;
    if (*p != '[') return -1;
    p++;
    long count = 0;
    for (;;) {
        while (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t' || *p == ',') p++;
        if (*p == ']') break;
        char *stop;
        double v = strtod(p, &stop);
        if (stop == p || count >= max) return -1;
        out[count++] = v;
        p = stop;
    }
    if (end) *end = p + 1;
    return count;
}

int safetensors_open(const char *path, Safetensors *st) {
    memset(st, 0, sizeof *st);
    st->bytes = read_file(path, &st->size);
    if (!st->bytes || st->size < 8) return -1;
    uint64_t n = 0;
    for (int i = 7; i >= 0; i--) n = n << 8 | (unsigned char)st->bytes[i];
    if (n > st->size - 8) return -1;
    st->header_copy = malloc(n + 1);
    if (!st->header_copy) return -1;
    memcpy(st->header_copy, st->bytes + 8, n);
    st->header_copy[n] = 0;
    st->header = st->header_copy;
    /* the data copied to 64-byte aligned memory: the header's length need not keep floats aligned */
    size_t data_size = st->size - 8 - n;
    st->data_copy = aligned_alloc(64, (data_size + 63) / 64 * 64 + 64);
    if (!st->data_copy) return -1;
    memcpy(st->data_copy, st->bytes + 8 + n, data_size);
    st->data = st->data_copy;
    st->data_size = data_size;
    return 0;
}

const float *safetensors_f32(const Safetensors *st, const char *name, long count) {
    const char *entry = after_key(st->header, name);
    const char *close = entry ? strchr(entry, '}') : NULL;
    if (!entry || !close) {
        fprintf(stderr, "no tensor %s\n", name);
        return NULL;
    }
    const char *dtype = after_key(entry, "dtype");
    double offsets[2];
    if (!dtype || dtype > close || !strstr(dtype, "\"F32\"") || strstr(dtype, "\"F32\"") > close
            || json_numbers(entry, "data_offsets", offsets, 2, NULL) != 2) {
        fprintf(stderr, "tensor %s is not float32 with data offsets\n", name);
        return NULL;
    }
    size_t begin = (size_t)offsets[0], end = (size_t)offsets[1], available = st->data_size;
    if (end < begin || end > available || end - begin != (size_t)count * sizeof(float) || begin % sizeof(float)) {
        fprintf(stderr, "tensor %s has %zu bytes, not %ld floats\n", name, end - begin, count);
        return NULL;
    }
    return (const float *)(st->data + begin);
}

void safetensors_close(Safetensors *st) {
    free(st->bytes);
    free(st->header_copy);
    free(st->data_copy);
    memset(st, 0, sizeof *st);
}

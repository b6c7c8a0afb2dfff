/*
 * The kernel variants (llama_kernels.h compiled for AVX-512, for AVX2 with FMA and for any x86-64) and the run-time
 * choice among them. Each variant's extension list (kernels.h) is both its compiler target and what the CPU is
 * checked for before the variant is used.
 */
#include <immintrin.h> /* here, outside the per-target regions below, so each intrinsic keeps its own target */
#include <math.h>
#include <stddef.h>
#include <string.h>

#include "kernels.h"

#define DO_PRAGMA(x) _Pragma(#x)
/* #pragma GCC target(features), with features a macro naming a string literal */
#define TARGET(features) DO_PRAGMA(GCC target(features))

static const char name_avx512[] = "avx512", features_avx512[] = KERNELS_AVX512_FEATURES;
static const char name_avx2[] = "avx2", features_avx2[] = KERNELS_AVX2_FEATURES;
static const char name_generic[] = "x86-64", features_generic[] = KERNELS_GENERIC_FEATURES;

#pragma GCC push_options
TARGET(KERNELS_AVX512_FEATURES)
#define ISA(name) name##_avx512
#include "llama_kernels.h"
#undef ISA
#pragma GCC pop_options

#pragma GCC push_options
TARGET(KERNELS_AVX2_FEATURES)
#define ISA(name) name##_avx2
#include "llama_kernels.h"
#undef ISA
#pragma GCC pop_options

#define ISA(name) name##_generic
#include "llama_kernels.h"
#undef ISA

size_t int8_panels_bytes(int out, int in) {
    size_t panels = ((size_t)out + INT8_PANEL - 1) / INT8_PANEL, groups = ((size_t)in + 3) / 4;
    return panels * groups * INT8_PANEL * 4;
}

/* Written in order, panel by panel, 4 bytes at a time: 134 MB of SmolLM-shape weights in about 130 ms here (210 ms
 * byte by byte in row order, whose writes scatter). */
void int8_panels_pack(const int8_t *w, int out, int in, int8_t *panels) {
    size_t groups = ((size_t)in + 3) / 4, whole = (size_t)in / 4;
    memset(panels, 0, int8_panels_bytes(out, in));
    for (int first = 0; first < out; first += INT8_PANEL) {
        int8_t *panel = panels + (size_t)(first / INT8_PANEL) * groups * INT8_PANEL * 4;
        int lanes = out - first < INT8_PANEL ? out - first : INT8_PANEL;
        for (size_t g = 0; g < whole; g++) {
            for (int j = 0; j < lanes; j++) {
                memcpy(panel + (g * INT8_PANEL + j) * 4, w + (size_t)(first + j) * in + 4 * g, 4);
            }
        }
        for (int j = 0; j < lanes; j++) {
            for (int i = (int)whole * 4; i < in; i++) {
                panel[(whole * INT8_PANEL + j) * 4 + i % 4] = w[(size_t)(first + j) * in + i];
            }
        }
    }
}

const Kernels *kernels_variant(int index) {
    switch (index) {
        case KERNELS_AVX512: return &kernels_avx512;
        case KERNELS_AVX2: return &kernels_avx2;
        case KERNELS_GENERIC: return &kernels_generic;
        default: return NULL;
    }
}

/* 1 or 0 when the CPU has or lacks extension `name` (`length` bytes), -1 when this function cannot check it.
 * __builtin_cpu_supports also checks that the OS saves the registers the extension uses. */
static int cpu_supports(const char *name, size_t length) {
#define CHECK(feature)                                                             \
    if (length == sizeof(feature) - 1 && memcmp(name, feature, length) == 0) { \
        return __builtin_cpu_supports(feature) ? 1 : 0;                         \
    }
    CHECK("avx512f")
    CHECK("avx512bw")
    CHECK("avx512dq")
    CHECK("avx512vl")
    CHECK("avx512vnni")
    CHECK("avx2")
    CHECK("fma")
    CHECK("avx")
    CHECK("sse4.2")
#undef CHECK
    return -1;
}

int cpu_feature_known(const char *name, size_t length) {
    __builtin_cpu_init();
    return cpu_supports(name, length) >= 0;
}

/* Whether the comma-separated `list` (may be NULL) names `name` (`length` bytes). */
static int listed(const char *list, const char *name, size_t length) {
    if (!list) return 0;
    for (const char *at = list; *at;) {
        const char *comma = strchr(at, ',');
        size_t n = comma ? (size_t)(comma - at) : strlen(at);
        if (n == length && memcmp(at, name, n) == 0) return 1;
        if (!comma) break;
        at = comma + 1;
    }
    return 0;
}

int cpu_has_all(const char *features, const char *absent) {
    __builtin_cpu_init();
    for (const char *at = features; *at;) {
        const char *comma = strchr(at, ',');
        size_t n = comma ? (size_t)(comma - at) : strlen(at);
        if (n > 0 && (listed(absent, at, n) || cpu_supports(at, n) != 1)) return 0;
        if (!comma) break;
        at = comma + 1;
    }
    return 1;
}

const Kernels *kernels_select(int widest, const char *absent) {
    for (int v = widest < 0 ? 0 : widest; v < KERNELS_VARIANTS; v++) {
        const Kernels *k = kernels_variant(v);
        if (cpu_has_all(k->features, absent)) return k;
    }
    return &kernels_generic;
}

// The P·V register block of the exact kernel (FlashTiles.valueTile: 6 rows x 4 vectors, 24 FMAs per key, 4 value
// loads, 6 broadcast loads), written with AVX-512 intrinsics, timed against an FMA probe in the same process.
// A diagnostic of this machine's own ceiling for that instruction mix, not part of the library: see
// scripts/microkernel-ceiling and docs/KERNEL.md (session 12).
//
// Built with -DC2_SCALAR_UOPS, each key step also executes the 4 scalar instructions that C2 puts into the Java
// loop beside the increment and the compare-and-branch (movslq + lea for the probability index, mov + shl for the
// value index), as inline asm on scratch registers, so the two builds differ only in those instructions.
#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

enum { KEYS = 128, ROWS = 264, D = 64 };

static double seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

// 16 independent FMA chains on registers: the machine's FP32 peak (flops = iterations * 16 * 16 * 2).
__attribute__((noinline)) static float probe(long iterations) {
    __m512 acc[16];
    for (int i = 0; i < 16; i++) acc[i] = _mm512_set1_ps(i * 1e-3f);
    const __m512 x = _mm512_set1_ps(0.999f), y = _mm512_set1_ps(1e-4f);
    for (long it = 0; it < iterations; it++) {
#pragma GCC unroll 16
        for (int i = 0; i < 16; i++) acc[i] = _mm512_fmadd_ps(acc[i], x, y);
    }
    __m512 s = acc[0];
    for (int i = 1; i < 16; i++) s = _mm512_add_ps(s, acc[i]);
    return _mm512_reduce_add_ps(s);
}

#define ROW(i, a0, a1, a2, a3)                                   \
    b = _mm512_set1_ps(p[(i) * KEYS + j]);                       \
    a0 = _mm512_fmadd_ps(v0, b, a0); a1 = _mm512_fmadd_ps(v1, b, a1); \
    a2 = _mm512_fmadd_ps(v2, b, a2); a3 = _mm512_fmadd_ps(v3, b, a3);

// o[6][64] += p[6][KEYS] (rows KEYS floats apart) · v[KEYS][64]
__attribute__((noinline)) static void block(const float *restrict p, const float *restrict v, float *restrict o) {
#define LOAD4(a0, a1, a2, a3, i) __m512 a0 = _mm512_load_ps(o + 64 * (i)), a1 = _mm512_load_ps(o + 64 * (i) + 16), \
    a2 = _mm512_load_ps(o + 64 * (i) + 32), a3 = _mm512_load_ps(o + 64 * (i) + 48);
    LOAD4(a00, a01, a02, a03, 0) LOAD4(a10, a11, a12, a13, 1) LOAD4(a20, a21, a22, a23, 2)
    LOAD4(a30, a31, a32, a33, 3) LOAD4(a40, a41, a42, a43, 4) LOAD4(a50, a51, a52, a53, 5)
    for (int j = 0; j < KEYS; j++) {
#ifdef C2_SCALAR_UOPS
        long t1, t2;
        __asm__ volatile("movslq %k2, %0\n\tlea (%3, %0), %0\n\tmov %k2, %k1\n\tshl $6, %k1"
                         : "=&r"(t1), "=&r"(t2) : "r"(j), "r"((long) ROWS));
#endif
        const float *vr = v + j * D;
        __m512 v0 = _mm512_load_ps(vr), v1 = _mm512_load_ps(vr + 16), v2 = _mm512_load_ps(vr + 32),
               v3 = _mm512_load_ps(vr + 48), b;
        ROW(0, a00, a01, a02, a03) ROW(1, a10, a11, a12, a13) ROW(2, a20, a21, a22, a23)
        ROW(3, a30, a31, a32, a33) ROW(4, a40, a41, a42, a43) ROW(5, a50, a51, a52, a53)
    }
#define STORE4(a0, a1, a2, a3, i) _mm512_store_ps(o + 64 * (i), a0); _mm512_store_ps(o + 64 * (i) + 16, a1); \
    _mm512_store_ps(o + 64 * (i) + 32, a2); _mm512_store_ps(o + 64 * (i) + 48, a3);
    STORE4(a00, a01, a02, a03, 0) STORE4(a10, a11, a12, a13, 1) STORE4(a20, a21, a22, a23, 2)
    STORE4(a30, a31, a32, a33, 3) STORE4(a40, a41, a42, a43, 4) STORE4(a50, a51, a52, a53, 5)
}

int main(int argc, char **argv) {
    const int rounds = argc > 1 ? atoi(argv[1]) : 3;
    float *v = aligned_alloc(64, KEYS * D * sizeof(float));
    float *p = aligned_alloc(64, ROWS * KEYS * sizeof(float));
    float *o = aligned_alloc(64, ROWS * D * sizeof(float));
    for (int i = 0; i < KEYS * D; i++) v[i] = (rand() % 1000) * 1e-6f;
    for (int i = 0; i < ROWS * KEYS; i++) p[i] = (rand() % 1000) * 1e-6f;
    for (int i = 0; i < ROWS * D; i++) o[i] = 0;
    float sink = 0;
    for (int round = 0; round < rounds; round++) {
        const long iterations = 20000000;
        double t0 = seconds();
        sink += probe(iterations);
        const double peak = iterations * 16.0 * 16 * 2 / (seconds() - t0) / 1e9;
        long tiles = 0;
        t0 = seconds();
        while (seconds() - t0 < 0.6) {       // one tile = 44 register blocks over the same value block, as in a call
            for (int r = 0; r < ROWS; r += 6) block(p + r * KEYS, v, o + r * D);
            tiles++;
        }
        const double rate = tiles * 2.0 * ROWS * KEYS * D / (seconds() - t0) / 1e9;
        printf("%-22s probe %.1f GFLOP/s, P.V block %.1f GFLOP/s = %.1f %% of the probe\n",
#ifdef C2_SCALAR_UOPS
               "C + C2's scalar uops:",
#else
               "C (gcc -O2):",
#endif
               peak, rate, 100 * rate / peak);
    }
    fprintf(stderr, "(checksum %g)\n", sink + o[0]);
    return 0;
}

#include "CVectorKernels.h"

#include <string.h>


typedef void (*rows_function)(const uint8_t *, size_t, size_t, const int16_t *, size_t, int32_t *);

// Portable twin (and the choice on CPUs other than x86-64).
static void rows_portable(const uint8_t *restrict codes, size_t stride, size_t rows, const int16_t *restrict probe,
                          size_t count, int32_t *restrict out) {
    for (size_t r = 0; r < rows; r++) {
        const uint8_t *row = codes + r * stride;
        int32_t sum = 0;
        for (size_t i = 0; i < count; i++) sum += (int32_t)row[i] * (int32_t)probe[i];
        out[r] = sum;
    }
}

#if defined(__x86_64__)
#include <immintrin.h>

// Each variant: widen 16 or 32 code bytes to int16 lanes (zero extension: codes are biased, so
// unsigned), multiply-add with the probe's int16 codes into int32 lanes (pmaddwd), and sum the
// lanes once per row. `count` is a multiple of 16 (rows are padded).

static void rows_sse2(const uint8_t *restrict codes, size_t stride, size_t rows, const int16_t *restrict probe,
                      size_t count, int32_t *restrict out) {
    const __m128i zero = _mm_setzero_si128();
    for (size_t r = 0; r < rows; r++) {
        const uint8_t *row = codes + r * stride;
        __m128i sum0 = _mm_setzero_si128(), sum1 = _mm_setzero_si128();
        for (size_t i = 0; i < count; i += 16) {
            __m128i bytes = _mm_loadu_si128((const __m128i *)(row + i));
            sum0 = _mm_add_epi32(sum0, _mm_madd_epi16(_mm_unpacklo_epi8(bytes, zero), _mm_loadu_si128((const __m128i *)(probe + i))));
            sum1 = _mm_add_epi32(sum1, _mm_madd_epi16(_mm_unpackhi_epi8(bytes, zero), _mm_loadu_si128((const __m128i *)(probe + i + 8))));
        }
        __m128i sum = _mm_add_epi32(sum0, sum1);
        sum = _mm_add_epi32(sum, _mm_shuffle_epi32(sum, 0x4E));
        sum = _mm_add_epi32(sum, _mm_shuffle_epi32(sum, 0xB1));
        out[r] = _mm_cvtsi128_si32(sum);
    }
}

__attribute__((target("avx2")))
static void rows_avx2(const uint8_t *restrict codes, size_t stride, size_t rows, const int16_t *restrict probe,
                      size_t count, int32_t *restrict out) {
    for (size_t r = 0; r < rows; r++) {
        const uint8_t *row = codes + r * stride;
        __m256i sum0 = _mm256_setzero_si256(), sum1 = _mm256_setzero_si256();
        size_t i = 0;
        for (; i + 32 <= count; i += 32) {
            __m256i low = _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)(row + i)));
            __m256i high = _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)(row + i + 16)));
            sum0 = _mm256_add_epi32(sum0, _mm256_madd_epi16(low, _mm256_loadu_si256((const __m256i *)(probe + i))));
            sum1 = _mm256_add_epi32(sum1, _mm256_madd_epi16(high, _mm256_loadu_si256((const __m256i *)(probe + i + 16))));
        }
        if (i < count) {
            __m256i low = _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)(row + i)));
            sum0 = _mm256_add_epi32(sum0, _mm256_madd_epi16(low, _mm256_loadu_si256((const __m256i *)(probe + i))));
        }
        __m256i sum8 = _mm256_add_epi32(sum0, sum1);
        __m128i sum = _mm_add_epi32(_mm256_castsi256_si128(sum8), _mm256_extracti128_si256(sum8, 1));
        sum = _mm_add_epi32(sum, _mm_shuffle_epi32(sum, 0x4E));
        sum = _mm_add_epi32(sum, _mm_shuffle_epi32(sum, 0xB1));
        out[r] = _mm_cvtsi128_si32(sum);
    }
}

__attribute__((target("avx512f,avx512bw")))
static void rows_avx512(const uint8_t *restrict codes, size_t stride, size_t rows, const int16_t *restrict probe,
                        size_t count, int32_t *restrict out) {
    for (size_t r = 0; r < rows; r++) {
        const uint8_t *row = codes + r * stride;
        __m512i sum0 = _mm512_setzero_si512(), sum1 = _mm512_setzero_si512();
        size_t i = 0;
        for (; i + 64 <= count; i += 64) {
            __m512i low = _mm512_cvtepu8_epi16(_mm256_loadu_si256((const __m256i *)(row + i)));
            __m512i high = _mm512_cvtepu8_epi16(_mm256_loadu_si256((const __m256i *)(row + i + 32)));
            sum0 = _mm512_add_epi32(sum0, _mm512_madd_epi16(low, _mm512_loadu_si512((const void *)(probe + i))));
            sum1 = _mm512_add_epi32(sum1, _mm512_madd_epi16(high, _mm512_loadu_si512((const void *)(probe + i + 32))));
        }
        for (; i < count; i += 16) {
            // 16-byte tail (count is a multiple of 16): widen into the low half of a 512-bit lane set.
            __m256i low = _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)(row + i)));
            __m256i product = _mm256_madd_epi16(low, _mm256_loadu_si256((const __m256i *)(probe + i)));
            sum0 = _mm512_add_epi32(sum0, _mm512_zextsi256_si512(product));
        }
        out[r] = _mm512_reduce_add_epi32(_mm512_add_epi32(sum0, sum1));
    }
}
#endif

static rows_function chosen_function(const char **name) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512bw")) {
        *name = "avx512bw";
        return rows_avx512;
    }
    if (__builtin_cpu_supports("avx2")) {
        *name = "avx2";
        return rows_avx2;
    }
    *name = "sse2";
    return rows_sse2;
#else
    *name = "portable";
    return rows_portable;
#endif
}

static rows_function chosen;
static const char *chosen_name;

static rows_function current(void) {
    // Racing first calls compute the same answer; the atomics make that race harmless.
    rows_function function = __atomic_load_n(&chosen, __ATOMIC_ACQUIRE);
    if (function == 0) {
        const char *name;
        function = chosen_function(&name);
        __atomic_store_n(&chosen_name, name, __ATOMIC_RELAXED);
        __atomic_store_n(&chosen, function, __ATOMIC_RELEASE);
    }
    return function;
}

void facepay_dot_codes_rows(const uint8_t *codes, size_t stride, size_t rows, const int16_t *probe, size_t count,
                            int32_t *out) {
    current()(codes, stride, rows, probe, count, out);
}

size_t facepay_scan_rows(const uint8_t *codes, size_t stride, size_t rows, const int16_t *probe, size_t count,
                         int32_t bias, const float *restrict scales, float probe_scale, float threshold,
                         int32_t *restrict dots, uint32_t *restrict candidates) {
    current()(codes, stride, rows, probe, count, dots);
    size_t found = 0;
    size_t r = 0;
    // Almost every row falls below the threshold: test 16 at a time (vectorised), and look at
    // single rows only in a group that has one above it.
    for (; r + 16 <= rows; r += 16) {
        int any = 0;
        for (size_t k = 0; k < 16; k++) {
            dots[r + k] -= bias;
            any |= (float)dots[r + k] * (scales[r + k] * probe_scale) > threshold;
        }
        if (!any) continue;
        for (size_t k = 0; k < 16; k++) {
            if ((float)dots[r + k] * (scales[r + k] * probe_scale) > threshold) candidates[found++] = (uint32_t)(r + k);
        }
    }
    for (; r < rows; r++) {
        dots[r] -= bias;
        if ((float)dots[r] * (scales[r] * probe_scale) > threshold) candidates[found++] = (uint32_t)r;
    }
    return found;
}

const char *facepay_dot_codes_isa(void) {
    current();
    return __atomic_load_n(&chosen_name, __ATOMIC_RELAXED);
}

int facepay_dot_codes_rows_variant(const char *isa, const uint8_t *codes, size_t stride, size_t rows,
                                   const int16_t *probe, size_t count, int32_t *out) {
    rows_function function = 0;
    if (strcmp(isa, "portable") == 0) function = rows_portable;
#if defined(__x86_64__)
    __builtin_cpu_init();
    if (strcmp(isa, "sse2") == 0) function = rows_sse2;
    if (strcmp(isa, "avx2") == 0 && __builtin_cpu_supports("avx2")) function = rows_avx2;
    if (strcmp(isa, "avx512bw") == 0 && __builtin_cpu_supports("avx512bw")) function = rows_avx512;
#endif
    if (function == 0) return -1;
    function(codes, stride, rows, probe, count, out);
    return 0;
}

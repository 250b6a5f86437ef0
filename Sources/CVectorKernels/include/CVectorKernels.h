#ifndef FACEPAY_CVECTOR_KERNELS_H
#define FACEPAY_CVECTOR_KERNELS_H

#include <stddef.h>
#include <stdint.h>

/// The compact pass's inner loop (see Biometrics/GallerySnapshot.swift), for `rows` consecutive
/// templates: out[r] = Σ_{i < count} codes[r·stride + i] · probe[i].
///
/// Why C: Swift compiles for the x86-64 baseline (SSE2, 128-bit lanes), and it cannot compile one
/// function for several instruction sets and pick at run time. This file builds the same plain
/// loop for SSE2 (the baseline), AVX2 and AVX-512BW with intrinsics and uses the widest the CPU
/// has, so one binary runs everywhere and scans 2–4× as many bytes per instruction where it can
/// (measured at 100k×128: about 510 µs SSE2, 320 µs AVX2, 260 µs AVX-512 per search).
///
/// Exact: codes are 0…255 (biased int8), probe codes are within ±127, count ≤ 1024, so every
/// partial sum stays below 2^25 in magnitude and int32 never overflows.
void facepay_dot_codes_rows(const uint8_t *codes, size_t stride, size_t rows,
                            const int16_t *probe, size_t count, int32_t *out);

/// One block of the compact pass: the dots of `rows` consecutive templates (as
/// facepay_dot_codes_rows) minus `bias`, into `dots`; then, in `candidates`, the rows r whose
/// approximate score `(float)dots[r] * (scales[r] * probe_scale)` exceeds `threshold`, in row
/// order. Returns how many. The score is computed exactly as the Swift caller computes it (IEEE
/// single precision, this order), so a row left out here would be rejected there too; the caller
/// re-checks each candidate against its rising admission score.
size_t facepay_scan_rows(const uint8_t *codes, size_t stride, size_t rows, const int16_t *probe, size_t count,
                         int32_t bias, const float *scales, float probe_scale, float threshold,
                         int32_t *dots, uint32_t *candidates);

/// The instruction set facepay_dot_codes_rows uses here: "avx512bw", "avx2", "sse2" or "portable".
const char *facepay_dot_codes_isa(void);

/// Tests: runs the variant named `isa` ("avx512bw", "avx2", "sse2", "portable"); returns 0, or -1
/// (computing nothing) when this CPU or build does not have it.
int facepay_dot_codes_rows_variant(const char *isa, const uint8_t *codes, size_t stride, size_t rows,
                                   const int16_t *probe, size_t count, int32_t *out);

/// The replay guard's SimHash (see Liveness/ReplayCoder.swift): bit b of `words` is set when the
/// dot product of row b of `rows` (`bits` rows of `padded` floats, `padded` a multiple of 8) with
/// `probe` (`padded` floats, zero beyond the embedding) is positive. In C so that it is optimised
/// in debug builds too (the test servers screen every capture), like the scan above.
void facepay_sign_projection(const float *rows, size_t bits, size_t padded, const float *probe, uint64_t *words);

/// Tests: runs the variant named `isa` ("avx2", "portable"); returns 0, or -1 (computing nothing)
/// when this CPU or build does not have it. Every variant gives the same bits.
int facepay_sign_projection_variant(const char *isa, const float *rows, size_t bits, size_t padded, const float *probe,
                                    uint64_t *words);

#endif

#include "CVectorKernels.h"

// Eight independent partial sums, one per lane: the compiler vectorises the inner loop without
// reassociating floating-point additions, and the lanes are added in a fixed order, so the bits
// are the same in every build of this file.
void facepay_sign_projection(const float *rows, size_t bits, size_t padded, const float *probe, uint64_t *words) {
    for (size_t word = 0; word < (bits + 63) / 64; word++) words[word] = 0;
    for (size_t bit = 0; bit < bits; bit++) {
        const float *row = rows + bit * padded;
        float lanes[8] = {0, 0, 0, 0, 0, 0, 0, 0};
        for (size_t start = 0; start < padded; start += 8) {
            for (size_t lane = 0; lane < 8; lane++) lanes[lane] += row[start + lane] * probe[start + lane];
        }
        float sum = ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])) + ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7]));
        if (sum > 0) words[bit / 64] |= (uint64_t)1 << (bit % 64);
    }
}

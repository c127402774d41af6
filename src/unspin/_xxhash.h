/* xxHash's XXH32 (seed 0) and XXH64 (any seed) for the C modules, written from the
 * algorithm's specification (xxHash's doc/xxhash_spec.md): the skeleton's shingle hashes
 * (_skeleton.c, datasketch's hash for the MinHash) and the LSH band keys (_minhash.c).
 * tests/test_native.py holds both to the xxhash package. Little-endian reads, byte by byte.
 */
#ifndef UNSPIN_XXHASH_H
#define UNSPIN_XXHASH_H

#include <stddef.h>
#include <stdint.h>

#define P32_1 0x9E3779B1U
#define P32_2 0x85EBCA77U
#define P32_3 0xC2B2AE3DU
#define P32_4 0x27D4EB2FU
#define P32_5 0x165667B1U

static inline uint32_t rotl32(uint32_t x, int r) { return (x << r) | (x >> (32 - r)); }

static inline uint32_t read32(const unsigned char *p) {
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
           ((uint32_t)p[3] << 24);
}

static inline uint32_t lane32(uint32_t acc, uint32_t input) {
    return rotl32(acc + input * P32_2, 13) * P32_1;
}

static inline uint32_t xxh32(const unsigned char *p, size_t len) {
    const unsigned char *end = p + len;
    uint32_t h;
    if (len >= 16) {
        uint32_t v1 = P32_1 + P32_2, v2 = P32_2, v3 = 0, v4 = (uint32_t)0 - P32_1;
        const unsigned char *limit = end - 16;
        do {
            v1 = lane32(v1, read32(p));
            v2 = lane32(v2, read32(p + 4));
            v3 = lane32(v3, read32(p + 8));
            v4 = lane32(v4, read32(p + 12));
            p += 16;
        } while (p <= limit);
        h = rotl32(v1, 1) + rotl32(v2, 7) + rotl32(v3, 12) + rotl32(v4, 18);
    } else {
        h = P32_5;
    }
    h += (uint32_t)len;
    for (; p + 4 <= end; p += 4) h = rotl32(h + read32(p) * P32_3, 17) * P32_4;
    for (; p < end; p++) h = rotl32(h + (uint32_t)(*p) * P32_5, 11) * P32_1;
    h ^= h >> 15;
    h *= P32_2;
    h ^= h >> 13;
    h *= P32_3;
    h ^= h >> 16;
    return h;
}

#define P64_1 0x9E3779B185EBCA87ULL
#define P64_2 0xC2B2AE3D27D4EB4FULL
#define P64_3 0x165667B19E3779F9ULL
#define P64_4 0x85EBCA77C2B2AE63ULL
#define P64_5 0x27D4EB2F165667C5ULL

static inline uint64_t rotl64(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }

static inline uint64_t read64(const unsigned char *p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = (v << 8) | p[i];
    return v;
}

static inline uint64_t lane64(uint64_t acc, uint64_t input) {
    return rotl64(acc + input * P64_2, 31) * P64_1;
}

static inline uint64_t merge64(uint64_t acc, uint64_t v) {
    return (acc ^ lane64(0, v)) * P64_1 + P64_4;
}

/* XXH64 of ``len`` bytes, a multiple of 4 (a band of uint32 slots: no single bytes left
 * over at the end). */
static inline uint64_t xxh64(const unsigned char *p, size_t len, uint64_t seed) {
    const unsigned char *end = p + len;
    uint64_t h;
    if (len >= 32) {
        uint64_t v1 = seed + P64_1 + P64_2, v2 = seed + P64_2, v3 = seed, v4 = seed - P64_1;
        for (; end - p >= 32; p += 32) {
            v1 = lane64(v1, read64(p));
            v2 = lane64(v2, read64(p + 8));
            v3 = lane64(v3, read64(p + 16));
            v4 = lane64(v4, read64(p + 24));
        }
        h = rotl64(v1, 1) + rotl64(v2, 7) + rotl64(v3, 12) + rotl64(v4, 18);
        h = merge64(merge64(merge64(merge64(h, v1), v2), v3), v4);
    } else {
        h = seed + P64_5;
    }
    h += (uint64_t)len;
    for (; end - p >= 8; p += 8) h = rotl64(h ^ lane64(0, read64(p)), 27) * P64_1 + P64_4;
    if (end - p >= 4) h = rotl64(h ^ (uint64_t)read32(p) * P64_1, 23) * P64_2 + P64_3;
    h ^= h >> 33;
    h *= P64_2;
    h ^= h >> 29;
    h *= P64_3;
    h ^= h >> 32;
    return h;
}

#endif

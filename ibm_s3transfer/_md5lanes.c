/*
 * ibm_s3transfer._md5lanes -- MD5 (RFC 1321), and many independent MD5 streams at once in
 * the lanes of one SIMD register.
 *
 * Why: a download is verified against the object's ETag, the MD5 of the object or, for a
 * multipart object, of each part.  One MD5 stream is a chain of 64 dependent steps per
 * 64-byte block and runs at about 0.7 GB/s; it cannot be parallelised.  But a multipart
 * download hashes many parts at the same time, and their streams are independent: with
 * AVX-512F one instruction does a step for 16 streams, with AVX2 for 8, so the same
 * instruction count per block hashes 8 or 16 blocks.
 *
 * MD5() is a hasher with hashlib's interface (update, digest, hexdigest, copy, name,
 * digest_size, block_size) and hashlib's results; its update is the scalar block function
 * and releases the GIL for buffers of 16 KiB and more.  update_many(hashers, buffers)
 * feeds buffers[i] to hashers[i], all of them together:
 *   1. each hasher's pending tail (< 64 bytes from earlier updates) is topped up from the
 *      front of its buffer and, once full, hashed (scalar);
 *   2. each hasher now has n_i whole 64-byte blocks.  A scheduler puts hashers with blocks
 *      left into the lanes of a kernel; a kernel run covers as many blocks as the shortest
 *      busy lane has, then finished lanes are refilled from the hashers still waiting.
 *      Idle lanes read a scratch block and their state is not written back.  When a
 *      single lane is left it is finished with the scalar block function;
 *   3. the < 64 bytes left of each buffer become that hasher's tail.
 * The GIL is released for all of it when the buffers hold 16 KiB or more.  A hasher that
 * is being updated (by update, or by update_many without the GIL) is marked busy; using it
 * from a second thread meanwhile raises RuntimeError instead of corrupting it.
 *
 * The kernels.  A block's sixteen words are read by a transpose: the 64-byte blocks of the
 * lanes are loaded as rows and transposed so that vector k holds word k of every lane
 * (8x8 32-bit transposes with unpack/permute for AVX2, a 16x16 one with unpack and
 * shuffle_i32x4 for AVX-512F).  The 64 steps are then the scalar ones on vectors.  With
 * AVX-512F each of F, G, H, I is one vpternlogd and each rotate one vprold; with AVX2 the
 * functions take two or three logic instructions and a rotate is two shifts and an OR.
 * When 8 or fewer streams are left on an AVX-512 CPU, the AVX-512VL forms of those two
 * instructions run 8 lanes in 256-bit registers: CPUs that split 512-bit instructions in
 * two (AMD Zen 4) do a 256-bit step in half the time, so few streams go twice as fast.
 * Without SIMD (another CPU or compiler) update_many runs two streams interleaved through
 * the scalar step, which keeps more of a superscalar core busy than one stream does.
 *
 * The kernel is chosen at run time (__builtin_cpu_supports): LANES is 16, 8 or 1 and
 * ACCELERATED is true when LANES > 1.  The file builds with plain `gcc -O2`: the SIMD
 * functions carry target attributes, and on other CPUs or compilers only the scalar path
 * is compiled.  Built with -DMD5LANES_SELFTEST (and without Python) the file is a program
 * that checks every kernel this CPU has against the scalar function on random lengths:
 *     gcc -O2 -DMD5LANES_SELFTEST ibm_s3transfer/_md5lanes.c -o md5lanes-selftest
 *     ./md5lanes-selftest
 * Adding -DMD5LANES_SCALAR_ONLY compiles what another CPU or compiler gets.
 */
#ifndef MD5LANES_SELFTEST
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#endif
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define RELEASE_GIL_AT 16384
#define MAX_LANES 16
/* Fewer busy lanes than this and the scalar function finishes the work. */
#define MIN_SIMD_LANES 2

/* T[i] = floor(2^32 * |sin(i + 1)|), RFC 1321 section 3.4. */
static const uint32_t T[64] = {
    0xd76aa478u, 0xe8c7b756u, 0x242070dbu, 0xc1bdceeeu,
    0xf57c0fafu, 0x4787c62au, 0xa8304613u, 0xfd469501u,
    0x698098d8u, 0x8b44f7afu, 0xffff5bb1u, 0x895cd7beu,
    0x6b901122u, 0xfd987193u, 0xa679438eu, 0x49b40821u,
    0xf61e2562u, 0xc040b340u, 0x265e5a51u, 0xe9b6c7aau,
    0xd62f105du, 0x02441453u, 0xd8a1e681u, 0xe7d3fbc8u,
    0x21e1cde6u, 0xc33707d6u, 0xf4d50d87u, 0x455a14edu,
    0xa9e3e905u, 0xfcefa3f8u, 0x676f02d9u, 0x8d2a4c8au,
    0xfffa3942u, 0x8771f681u, 0x6d9d6122u, 0xfde5380cu,
    0xa4beea44u, 0x4bdecfa9u, 0xf6bb4b60u, 0xbebfbc70u,
    0x289b7ec6u, 0xeaa127fau, 0xd4ef3085u, 0x04881d05u,
    0xd9d4d039u, 0xe6db99e5u, 0x1fa27cf8u, 0xc4ac5665u,
    0xf4292244u, 0x432aff97u, 0xab9423a7u, 0xfc93a039u,
    0x655b59c3u, 0x8f0ccc92u, 0xffeff47du, 0x85845dd1u,
    0x6fa87e4fu, 0xfe2ce6e0u, 0xa3014314u, 0x4e0811a1u,
    0xf7537e82u, 0xbd3af235u, 0x2ad7d2bbu, 0xeb86d391u,
};

/*
 * The 64 steps of one block, RFC 1321 section 3.4: step i of round r uses function r,
 * message word k and rotation s, and rotates the roles of a, b, c, d.  Each kernel
 * supplies its own step macros.
 */
#define MD5_64_STEPS(F_, G_, H_, I_) \
    F_(a,b,c,d,  0,  7,  0) F_(d,a,b,c,  1, 12,  1) F_(c,d,a,b,  2, 17,  2) F_(b,c,d,a,  3, 22,  3) \
    F_(a,b,c,d,  4,  7,  4) F_(d,a,b,c,  5, 12,  5) F_(c,d,a,b,  6, 17,  6) F_(b,c,d,a,  7, 22,  7) \
    F_(a,b,c,d,  8,  7,  8) F_(d,a,b,c,  9, 12,  9) F_(c,d,a,b, 10, 17, 10) F_(b,c,d,a, 11, 22, 11) \
    F_(a,b,c,d, 12,  7, 12) F_(d,a,b,c, 13, 12, 13) F_(c,d,a,b, 14, 17, 14) F_(b,c,d,a, 15, 22, 15) \
    G_(a,b,c,d,  1,  5, 16) G_(d,a,b,c,  6,  9, 17) G_(c,d,a,b, 11, 14, 18) G_(b,c,d,a,  0, 20, 19) \
    G_(a,b,c,d,  5,  5, 20) G_(d,a,b,c, 10,  9, 21) G_(c,d,a,b, 15, 14, 22) G_(b,c,d,a,  4, 20, 23) \
    G_(a,b,c,d,  9,  5, 24) G_(d,a,b,c, 14,  9, 25) G_(c,d,a,b,  3, 14, 26) G_(b,c,d,a,  8, 20, 27) \
    G_(a,b,c,d, 13,  5, 28) G_(d,a,b,c,  2,  9, 29) G_(c,d,a,b,  7, 14, 30) G_(b,c,d,a, 12, 20, 31) \
    H_(a,b,c,d,  5,  4, 32) H_(d,a,b,c,  8, 11, 33) H_(c,d,a,b, 11, 16, 34) H_(b,c,d,a, 14, 23, 35) \
    H_(a,b,c,d,  1,  4, 36) H_(d,a,b,c,  4, 11, 37) H_(c,d,a,b,  7, 16, 38) H_(b,c,d,a, 10, 23, 39) \
    H_(a,b,c,d, 13,  4, 40) H_(d,a,b,c,  0, 11, 41) H_(c,d,a,b,  3, 16, 42) H_(b,c,d,a,  6, 23, 43) \
    H_(a,b,c,d,  9,  4, 44) H_(d,a,b,c, 12, 11, 45) H_(c,d,a,b, 15, 16, 46) H_(b,c,d,a,  2, 23, 47) \
    I_(a,b,c,d,  0,  6, 48) I_(d,a,b,c,  7, 10, 49) I_(c,d,a,b, 14, 15, 50) I_(b,c,d,a,  5, 21, 51) \
    I_(a,b,c,d, 12,  6, 52) I_(d,a,b,c,  3, 10, 53) I_(c,d,a,b, 10, 15, 54) I_(b,c,d,a,  1, 21, 55) \
    I_(a,b,c,d,  8,  6, 56) I_(d,a,b,c, 15, 10, 57) I_(c,d,a,b,  6, 15, 58) I_(b,c,d,a, 13, 21, 59) \
    I_(a,b,c,d,  4,  6, 60) I_(d,a,b,c, 11, 10, 61) I_(c,d,a,b,  2, 15, 62) I_(b,c,d,a,  9, 21, 63)

/* ---------------------------------------------------------------- the scalar path */

#define ROTL32(x, s) (((x) << (s)) | ((x) >> (32 - (s))))
#define FF(x, y, z) ((z) ^ ((x) & ((y) ^ (z))))
#define GG(x, y, z) ((y) ^ ((z) & ((x) ^ (y))))
#define HH(x, y, z) ((x) ^ (y) ^ (z))
#define II(x, y, z) ((y) ^ ((x) | ~(z)))
#define SCALAR_STEP(fn, a, b, c, d, x, s, i) \
    { a += fn(b, c, d) + (x) + T[i]; a = ROTL32(a, s) + b; }

static inline uint32_t
load32le(const unsigned char *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static inline void
load_words(uint32_t x[16], const unsigned char *p)
{
    for (int k = 0; k < 16; k++)
        x[k] = load32le(p + 4 * k);
}

#define S1F(a, b, c, d, k, s, i) SCALAR_STEP(FF, a, b, c, d, x[k], s, i)
#define S1G(a, b, c, d, k, s, i) SCALAR_STEP(GG, a, b, c, d, x[k], s, i)
#define S1H(a, b, c, d, k, s, i) SCALAR_STEP(HH, a, b, c, d, x[k], s, i)
#define S1I(a, b, c, d, k, s, i) SCALAR_STEP(II, a, b, c, d, x[k], s, i)

/* n consecutive 64-byte blocks of one stream. */
static void
md5_blocks(uint32_t h[4], const unsigned char *p, size_t n)
{
    uint32_t x[16], a = h[0], b = h[1], c = h[2], d = h[3];

    for (; n; n--, p += 64) {
        uint32_t a0 = a, b0 = b, c0 = c, d0 = d;

        load_words(x, p);
        MD5_64_STEPS(S1F, S1G, S1H, S1I)
        a += a0;
        b += b0;
        c += c0;
        d += d0;
    }
    h[0] = a;
    h[1] = b;
    h[2] = c;
    h[3] = d;
}

/* Two streams through the same steps, interleaved: twice the independent work per step. */
#define S2(fn, a, b, c, d, k, s, i) \
    SCALAR_STEP(fn, a##0, b##0, c##0, d##0, x0[k], s, i) SCALAR_STEP(fn, a##1, b##1, c##1, d##1, x1[k], s, i)
#define S2F(a, b, c, d, k, s, i) S2(FF, a, b, c, d, k, s, i)
#define S2G(a, b, c, d, k, s, i) S2(GG, a, b, c, d, k, s, i)
#define S2H(a, b, c, d, k, s, i) S2(HH, a, b, c, d, k, s, i)
#define S2I(a, b, c, d, k, s, i) S2(II, a, b, c, d, k, s, i)

/*
 * Every kernel has this shape: st[word][lane] is the state of each lane, ptr[lane] its
 * next block, advanced by inc[lane] (64, or 0 for an idle lane on the scratch block).
 */
typedef void (*kernel_fn)(uint32_t st[4][MAX_LANES], const unsigned char *ptr[MAX_LANES],
                          const size_t inc[MAX_LANES], size_t nblocks);

static void
md5_x2_scalar(uint32_t st[4][MAX_LANES], const unsigned char *ptr[MAX_LANES],
              const size_t inc[MAX_LANES], size_t nblocks)
{
    uint32_t x0[16], x1[16];
    uint32_t a0 = st[0][0], b0 = st[1][0], c0 = st[2][0], d0 = st[3][0];
    uint32_t a1 = st[0][1], b1 = st[1][1], c1 = st[2][1], d1 = st[3][1];
    const unsigned char *p0 = ptr[0], *p1 = ptr[1];

    for (; nblocks; nblocks--, p0 += inc[0], p1 += inc[1]) {
        uint32_t sa0 = a0, sb0 = b0, sc0 = c0, sd0 = d0, sa1 = a1, sb1 = b1, sc1 = c1, sd1 = d1;

        load_words(x0, p0);
        load_words(x1, p1);
        MD5_64_STEPS(S2F, S2G, S2H, S2I)
        a0 += sa0; b0 += sb0; c0 += sc0; d0 += sd0;
        a1 += sa1; b1 += sb1; c1 += sc1; d1 += sd1;
    }
    st[0][0] = a0; st[1][0] = b0; st[2][0] = c0; st[3][0] = d0;
    st[0][1] = a1; st[1][1] = b1; st[2][1] = c1; st[3][1] = d1;
}

/* ---------------------------------------------------------------- the SIMD kernels */

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)) && !defined(MD5LANES_SCALAR_ONLY)
#define HAVE_SIMD_PATH 1
#include <immintrin.h>

#define AVX2_TARGET __attribute__((target("avx2")))
#define AVX512_TARGET __attribute__((target("avx512f")))
#define AVX512VL_TARGET __attribute__((target("avx512f,avx512vl")))
/* The transposes must stay in registers: their small loops are unrolled at -O2 too. */
#define UNROLL _Pragma("GCC unroll 16")

/* ---- AVX2, 8 lanes */

#define LOAD256(p) _mm256_loadu_si256((const __m256i *)(const void *)(p))
#define ADD8 _mm256_add_epi32
#define ROL8(x, s) _mm256_or_si256(_mm256_slli_epi32(x, s), _mm256_srli_epi32(x, 32 - (s)))
#define F8(x, y, z) _mm256_xor_si256(z, _mm256_and_si256(x, _mm256_xor_si256(y, z)))
#define G8(x, y, z) _mm256_xor_si256(y, _mm256_and_si256(z, _mm256_xor_si256(x, y)))
#define H8(x, y, z) _mm256_xor_si256(_mm256_xor_si256(x, y), z)
#define I8(x, y, z) _mm256_xor_si256(y, _mm256_or_si256(x, _mm256_xor_si256(z, ones)))
#define STEP8(fn, a, b, c, d, k, s, i) \
    { a = ADD8(a, ADD8(w[k], _mm256_set1_epi32((int)T[i]))); \
      a = ADD8(a, fn(b, c, d)); \
      a = ADD8(ROL8(a, s), b); }
#define V8F(a, b, c, d, k, s, i) STEP8(F8, a, b, c, d, k, s, i)
#define V8G(a, b, c, d, k, s, i) STEP8(G8, a, b, c, d, k, s, i)
#define V8H(a, b, c, d, k, s, i) STEP8(H8, a, b, c, d, k, s, i)
#define V8I(a, b, c, d, k, s, i) STEP8(I8, a, b, c, d, k, s, i)

/* w[k] = word k of the eight rows r[0..7], k = 0..7. */
static AVX2_TARGET inline void
transpose8(__m256i w[8], const __m256i r[8])
{
    __m256i t[8], u[8];

    UNROLL
    for (int j = 0; j < 4; j++) {
        t[2 * j] = _mm256_unpacklo_epi32(r[2 * j], r[2 * j + 1]);
        t[2 * j + 1] = _mm256_unpackhi_epi32(r[2 * j], r[2 * j + 1]);
    }
    UNROLL
    for (int g = 0; g < 2; g++) {
        u[4 * g + 0] = _mm256_unpacklo_epi64(t[4 * g], t[4 * g + 2]);
        u[4 * g + 1] = _mm256_unpackhi_epi64(t[4 * g], t[4 * g + 2]);
        u[4 * g + 2] = _mm256_unpacklo_epi64(t[4 * g + 1], t[4 * g + 3]);
        u[4 * g + 3] = _mm256_unpackhi_epi64(t[4 * g + 1], t[4 * g + 3]);
    }
    UNROLL
    for (int m = 0; m < 4; m++) {
        w[m] = _mm256_permute2x128_si256(u[m], u[4 + m], 0x20);
        w[4 + m] = _mm256_permute2x128_si256(u[m], u[4 + m], 0x31);
    }
}

/* An 8-lane kernel: the same body for AVX2 and for AVX-512VL (which has vpternlogd/vprold). */
#define X8_KERNEL(name, target, SF, SG, SH, SI) \
static target void \
name(uint32_t st[4][MAX_LANES], const unsigned char *ptr[MAX_LANES], const size_t inc[MAX_LANES], size_t nblocks) \
{ \
    const __m256i ones = _mm256_set1_epi32(-1); \
    __m256i a = LOAD256(st[0]), b = LOAD256(st[1]), c = LOAD256(st[2]), d = LOAD256(st[3]); \
    __m256i w[16], lo[8], hi[8]; \
    const unsigned char *p[8]; \
 \
    (void)ones; \
    memcpy(p, ptr, sizeof p); \
    for (; nblocks; nblocks--) { \
        __m256i a0 = a, b0 = b, c0 = c, d0 = d; \
 \
        UNROLL \
        for (int l = 0; l < 8; l++) { \
            lo[l] = LOAD256(p[l]); \
            hi[l] = LOAD256(p[l] + 32); \
            p[l] += inc[l]; \
        } \
        transpose8(w, lo); \
        transpose8(w + 8, hi); \
        MD5_64_STEPS(SF, SG, SH, SI) \
        a = ADD8(a, a0); \
        b = ADD8(b, b0); \
        c = ADD8(c, c0); \
        d = ADD8(d, d0); \
    } \
    _mm256_storeu_si256((__m256i *)(void *)st[0], a); \
    _mm256_storeu_si256((__m256i *)(void *)st[1], b); \
    _mm256_storeu_si256((__m256i *)(void *)st[2], c); \
    _mm256_storeu_si256((__m256i *)(void *)st[3], d); \
}

X8_KERNEL(md5_x8_avx2, AVX2_TARGET, V8F, V8G, V8H, V8I)

/* ---- AVX-512F, 16 lanes: vpternlogd for F, G, H, I (truth tables below), vprold */

#define TERN_F 0xca /* b ? c : d */
#define TERN_G 0xe4 /* d ? b : c */
#define TERN_H 0x96 /* b ^ c ^ d */
#define TERN_I 0x39 /* c ^ (b | ~d) */
#define ADD16 _mm512_add_epi32
#define STEP16(imm, a, b, c, d, k, s, i) \
    { a = ADD16(a, ADD16(w[k], _mm512_set1_epi32((int)T[i]))); \
      a = ADD16(a, _mm512_ternarylogic_epi32(b, c, d, imm)); \
      a = ADD16(_mm512_rol_epi32(a, s), b); }
#define V16F(a, b, c, d, k, s, i) STEP16(TERN_F, a, b, c, d, k, s, i)
#define V16G(a, b, c, d, k, s, i) STEP16(TERN_G, a, b, c, d, k, s, i)
#define V16H(a, b, c, d, k, s, i) STEP16(TERN_H, a, b, c, d, k, s, i)
#define V16I(a, b, c, d, k, s, i) STEP16(TERN_I, a, b, c, d, k, s, i)

/*
 * w[k] = word k of the sixteen rows r[0..15].  After the two unpack stages, u[4g+m] holds,
 * in its 128-bit chunk c, word 4c+m of rows 4g..4g+3; shuffle_i32x4 then transposes the
 * 4x4 matrix of chunks.
 */
static AVX512_TARGET inline void
transpose16(__m512i w[16], const __m512i r[16])
{
    __m512i t[16], u[16];

    UNROLL
    for (int j = 0; j < 8; j++) {
        t[2 * j] = _mm512_unpacklo_epi32(r[2 * j], r[2 * j + 1]);
        t[2 * j + 1] = _mm512_unpackhi_epi32(r[2 * j], r[2 * j + 1]);
    }
    UNROLL
    for (int g = 0; g < 4; g++) {
        u[4 * g + 0] = _mm512_unpacklo_epi64(t[4 * g], t[4 * g + 2]);
        u[4 * g + 1] = _mm512_unpackhi_epi64(t[4 * g], t[4 * g + 2]);
        u[4 * g + 2] = _mm512_unpacklo_epi64(t[4 * g + 1], t[4 * g + 3]);
        u[4 * g + 3] = _mm512_unpackhi_epi64(t[4 * g + 1], t[4 * g + 3]);
    }
    UNROLL
    for (int m = 0; m < 4; m++) {
        __m512i v0 = _mm512_shuffle_i32x4(u[m], u[4 + m], 0x44);
        __m512i v1 = _mm512_shuffle_i32x4(u[m], u[4 + m], 0xee);
        __m512i v2 = _mm512_shuffle_i32x4(u[8 + m], u[12 + m], 0x44);
        __m512i v3 = _mm512_shuffle_i32x4(u[8 + m], u[12 + m], 0xee);

        w[m] = _mm512_shuffle_i32x4(v0, v2, 0x88);
        w[4 + m] = _mm512_shuffle_i32x4(v0, v2, 0xdd);
        w[8 + m] = _mm512_shuffle_i32x4(v1, v3, 0x88);
        w[12 + m] = _mm512_shuffle_i32x4(v1, v3, 0xdd);
    }
}

static AVX512_TARGET void
md5_x16_avx512(uint32_t st[4][MAX_LANES], const unsigned char *ptr[MAX_LANES],
               const size_t inc[MAX_LANES], size_t nblocks)
{
    __m512i a = _mm512_loadu_si512(st[0]), b = _mm512_loadu_si512(st[1]);
    __m512i c = _mm512_loadu_si512(st[2]), d = _mm512_loadu_si512(st[3]);
    __m512i w[16], r[16];
    const unsigned char *p[16];

    memcpy(p, ptr, sizeof p);
    for (; nblocks; nblocks--) {
        __m512i a0 = a, b0 = b, c0 = c, d0 = d;

        UNROLL
        for (int l = 0; l < 16; l++) {
            r[l] = _mm512_loadu_si512(p[l]);
            p[l] += inc[l];
        }
        transpose16(w, r);
        MD5_64_STEPS(V16F, V16G, V16H, V16I)
        a = ADD16(a, a0);
        b = ADD16(b, b0);
        c = ADD16(c, c0);
        d = ADD16(d, d0);
    }
    _mm512_storeu_si512(st[0], a);
    _mm512_storeu_si512(st[1], b);
    _mm512_storeu_si512(st[2], c);
    _mm512_storeu_si512(st[3], d);
}

/* ---- AVX-512VL, 8 lanes: the AVX-512 instructions on 256-bit registers, for few streams */

#define STEP8T(imm, a, b, c, d, k, s, i) \
    { a = ADD8(a, ADD8(w[k], _mm256_set1_epi32((int)T[i]))); \
      a = ADD8(a, _mm256_ternarylogic_epi32(b, c, d, imm)); \
      a = ADD8(_mm256_rol_epi32(a, s), b); }
#define V8TF(a, b, c, d, k, s, i) STEP8T(TERN_F, a, b, c, d, k, s, i)
#define V8TG(a, b, c, d, k, s, i) STEP8T(TERN_G, a, b, c, d, k, s, i)
#define V8TH(a, b, c, d, k, s, i) STEP8T(TERN_H, a, b, c, d, k, s, i)
#define V8TI(a, b, c, d, k, s, i) STEP8T(TERN_I, a, b, c, d, k, s, i)

X8_KERNEL(md5_x8_avx512vl, AVX512VL_TARGET, V8TF, V8TG, V8TH, V8TI)
#endif /* x86-64 SIMD */

/* ---------------------------------------------------------------- kernel choice */

static int best_lanes = 1;  /* what the CPU supports: 16, 8 or 1 */
static int lanes = 1;       /* what update_many uses (tests may lower it) */
#ifdef HAVE_SIMD_PATH
static int have_avx512vl = 0;
#endif

static void
detect_cpu(void)
{
#ifdef HAVE_SIMD_PATH
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f"))
        best_lanes = 16;
    else if (__builtin_cpu_supports("avx2"))
        best_lanes = 8;
    have_avx512vl = best_lanes == 16 && __builtin_cpu_supports("avx512vl");
#endif
    lanes = best_lanes;
}

/*
 * The kernel for a lane count and its width (1 lane means the two-stream scalar one), and
 * in *narrow the 8-lane kernel that takes over when 8 or fewer streams are left (a
 * 16-lane step costs twice an 8-lane one on CPUs that split 512-bit instructions).
 */
static kernel_fn
kernel_for(int nlanes, int *width, kernel_fn *narrow)
{
    *narrow = NULL;
#ifdef HAVE_SIMD_PATH
    if (nlanes == 16) {
        *width = 16;
        *narrow = have_avx512vl ? md5_x8_avx512vl : md5_x8_avx2;
        return md5_x16_avx512;
    }
    if (nlanes == 8) {
        *width = 8;
        return md5_x8_avx2;
    }
#endif
    (void)nlanes;
    *width = 2;
    return md5_x2_scalar;
}

/* ---------------------------------------------------------------- hasher state */

typedef struct {
    uint32_t h[4];
    unsigned char tail[64];
    uint64_t length; /* bytes fed so far; the tail holds length % 64 of them */
} md5_state;

static void
md5_init(md5_state *s)
{
    s->h[0] = 0x67452301u;
    s->h[1] = 0xefcdab89u;
    s->h[2] = 0x98badcfeu;
    s->h[3] = 0x10325476u;
    s->length = 0;
}

/* Fill the tail from the front of (*p, *n); hash it when full. */
static void
md5_top_up(md5_state *s, const unsigned char **p, size_t *n)
{
    size_t have = (size_t)(s->length & 63u), take;

    if (have == 0)
        return;
    take = 64 - have < *n ? 64 - have : *n;
    memcpy(s->tail + have, *p, take);
    s->length += take;
    *p += take;
    *n -= take;
    if (have + take == 64)
        md5_blocks(s->h, s->tail, 1);
}

/* After the whole blocks of (p, n) were hashed: account for them and keep the rest. */
static void
md5_keep_rest(md5_state *s, const unsigned char *p, size_t n)
{
    size_t whole = n & ~(size_t)63;

    memcpy(s->tail, p + whole, n - whole);
    s->length += n;
}

static void
md5_update(md5_state *s, const unsigned char *p, size_t n)
{
    md5_top_up(s, &p, &n);
    md5_blocks(s->h, p, n / 64);
    md5_keep_rest(s, p, n);
}

static void
md5_final(const md5_state *s, unsigned char out[16])
{
    md5_state t = *s;
    unsigned char pad[72] = {0x80};
    uint64_t bits = s->length * 8u;
    size_t have = (size_t)(s->length & 63u);
    size_t padlen = (have < 56 ? 56 : 120) - have;

    for (int i = 0; i < 8; i++)
        pad[padlen + (size_t)i] = (unsigned char)(bits >> (8 * i));
    md5_update(&t, pad, padlen + 8);
    for (int i = 0; i < 16; i++)
        out[i] = (unsigned char)(t.h[i / 4] >> (8 * (i % 4)));
}

/* ---------------------------------------------------------------- many streams */

typedef struct {
    uint32_t *h;                /* the hasher's state words */
    const unsigned char *p;     /* its next whole block */
    size_t blocks;              /* whole blocks left */
} md5_job;

static const unsigned char scratch_block[64];

/* Put waiting jobs into idle lanes; returns how many lanes are busy. */
static int
fill_lanes(md5_job *jobs, size_t njobs, size_t *next, md5_job *lane[], int width)
{
    int busy = 0;

    for (int l = 0; l < width; l++) {
        while (lane[l] == NULL && *next < njobs) {
            md5_job *j = &jobs[(*next)++];
            if (j->blocks)
                lane[l] = j;
        }
        busy += lane[l] != NULL;
    }
    return busy;
}

/* One kernel run over the busy lanes, as many blocks as the shortest has; frees the done. */
static void
run_lanes(kernel_fn kernel, md5_job *lane[], int width)
{
    uint32_t st[4][MAX_LANES] = {{0}};
    const unsigned char *ptr[MAX_LANES];
    size_t inc[MAX_LANES], n = SIZE_MAX;

    for (int l = 0; l < width; l++) {
        ptr[l] = scratch_block;
        inc[l] = 0;
        if (lane[l] == NULL)
            continue;
        for (int w = 0; w < 4; w++)
            st[w][l] = lane[l]->h[w];
        ptr[l] = lane[l]->p;
        inc[l] = 64;
        n = lane[l]->blocks < n ? lane[l]->blocks : n;
    }
    kernel(st, ptr, inc, n);
    for (int l = 0; l < width; l++) {
        if (lane[l] == NULL)
            continue;
        for (int w = 0; w < 4; w++)
            lane[l]->h[w] = st[w][l];
        lane[l]->p += n * 64;
        lane[l]->blocks -= n;
        if (lane[l]->blocks == 0)
            lane[l] = NULL;
    }
}

/* Move the busy lanes to the front. */
static void
compact_lanes(md5_job *lane[], int width)
{
    int to = 0;

    for (int l = 0; l < width; l++) {
        if (lane[l] != NULL) {
            lane[to] = lane[l];
            if (to++ != l)
                lane[l] = NULL;
        }
    }
}

/* Hash the whole blocks of every job with the kernel for nlanes lanes. */
static void
md5_jobs(md5_job *jobs, size_t njobs, int nlanes)
{
    md5_job *lane[MAX_LANES] = {NULL};
    size_t next = 0;
    int width;
    kernel_fn narrow, kernel = kernel_for(nlanes, &width, &narrow);

    for (;;) {
        int busy = fill_lanes(jobs, njobs, &next, lane, width);

        if (busy == 0)
            return;
        if (busy < MIN_SIMD_LANES) {
            for (int l = 0; l < width; l++) {
                if (lane[l] != NULL)
                    md5_blocks(lane[l]->h, lane[l]->p, lane[l]->blocks);
            }
            return;
        }
        if (narrow != NULL && busy <= 8) {
            /* only draining is left: fill_lanes found no waiting job for the idle lanes */
            compact_lanes(lane, width);
            run_lanes(narrow, lane, 8);
        } else {
            run_lanes(kernel, lane, width);
        }
    }
}

/* update_many's work: states[i] takes data[i][:len[i]]; data and len are scratch. */
static void
md5_update_many(md5_state **states, const unsigned char **data, size_t *len, md5_job *jobs,
                size_t n, int nlanes)
{
    for (size_t i = 0; i < n; i++) {
        md5_top_up(states[i], &data[i], &len[i]);
        jobs[i].h = states[i]->h;
        jobs[i].p = data[i];
        jobs[i].blocks = len[i] / 64;
    }
    md5_jobs(jobs, n, nlanes);
    for (size_t i = 0; i < n; i++)
        md5_keep_rest(states[i], data[i], len[i]);
}

#ifdef MD5LANES_SELFTEST
#include <stdio.h>

static uint32_t rng = 12345;

static uint32_t
rand32(void)
{
    rng = rng * 1103515245u + 12345u;
    return rng >> 8;
}

/* One random update_many on nlanes lanes against md5_update; returns 1 on a mismatch. */
static int
check_many(const unsigned char *data, size_t size, int nlanes)
{
    enum { MAXN = 40 };
    md5_state many[MAXN], one[MAXN], *states[MAXN];
    const unsigned char *ptr[MAXN];
    size_t len[MAXN], n = 1 + rand32() % MAXN;
    md5_job jobs[MAXN];
    unsigned char x[16], y[16];
    int bad = 0;

    for (size_t i = 0; i < n; i++) {
        size_t head = rand32() % 64, off = rand32() % (size - 70000);

        md5_init(&many[i]);
        md5_update(&many[i], data + off, head);
        one[i] = many[i];
        states[i] = &many[i];
        len[i] = rand32() % 4 == 0 ? 0 : rand32() % 65536;
        ptr[i] = data + off + head;
        md5_update(&one[i], ptr[i], len[i]);
    }
    md5_update_many(states, ptr, len, jobs, n, nlanes);
    for (size_t i = 0; i < n; i++) {
        md5_final(&many[i], x);
        md5_final(&one[i], y);
        bad |= memcmp(x, y, 16) != 0;
    }
    return bad;
}

static int
check_vector(const char *text, const char *hex)
{
    md5_state s;
    unsigned char out[16];
    char got[33];

    md5_init(&s);
    md5_update(&s, (const unsigned char *)text, strlen(text));
    md5_final(&s, out);
    for (int i = 0; i < 16; i++)
        snprintf(got + 2 * i, 3, "%02x", out[i]);
    return strcmp(got, hex) != 0;
}

int
main(void)
{
    enum { SIZE = 1 << 20 };
    unsigned char *data = malloc(SIZE);
    size_t failures = 0, checks = 0;
    int kinds[3], nkinds = 0;

    detect_cpu();
    kinds[nkinds++] = 1;
    if (best_lanes >= 8)
        kinds[nkinds++] = 8;
    if (best_lanes >= 16)
        kinds[nkinds++] = 16;
    for (size_t i = 0; i < SIZE; i++)
        data[i] = (unsigned char)rand32();
    failures += check_vector("", "d41d8cd98f00b204e9800998ecf8427e");
    failures += check_vector("abc", "900150983cd24fb0d6963f7d28e17f72");
    failures += check_vector("12345678901234567890123456789012345678901234567890123456789012345678901234567890",
                             "57edf4a22be3c955ac49da2e2107b67a");
    checks += 3;
    for (int k = 0; k < nkinds; k++) {
        for (int trial = 0; trial < 300; trial++) {
            checks++;
            failures += (size_t)check_many(data, SIZE, kinds[k]);
        }
    }
    printf("lanes=%d checks=%zu failures=%zu\n", best_lanes, checks, failures);
    free(data);
    return failures != 0;
}
#endif /* MD5LANES_SELFTEST */

#ifndef MD5LANES_SELFTEST
/* ---------------------------------------------------------------- Python: MD5 */

typedef struct {
    PyObject_HEAD
    md5_state s;
    int busy; /* set (under the GIL) while an update runs, perhaps without the GIL */
} MD5Object;

static PyTypeObject MD5Type;

static int
claim(MD5Object *self)
{
    if (self->busy) {
        PyErr_SetString(PyExc_RuntimeError, "MD5 object is being updated by another thread");
        return -1;
    }
    self->busy = 1;
    return 0;
}

static int
get_buffer(PyObject *obj, Py_buffer *view)
{
    if (PyUnicode_Check(obj)) {
        PyErr_SetString(PyExc_TypeError, "Strings must be encoded before hashing");
        return -1;
    }
    return PyObject_GetBuffer(obj, view, PyBUF_SIMPLE);
}

static int
feed(MD5Object *self, PyObject *obj)
{
    Py_buffer view;

    if (get_buffer(obj, &view) < 0)
        return -1;
    if (claim(self) < 0) {
        PyBuffer_Release(&view);
        return -1;
    }
    if (view.len >= RELEASE_GIL_AT) {
        Py_BEGIN_ALLOW_THREADS
        md5_update(&self->s, (const unsigned char *)view.buf, (size_t)view.len);
        Py_END_ALLOW_THREADS
    } else {
        md5_update(&self->s, (const unsigned char *)view.buf, (size_t)view.len);
    }
    self->busy = 0;
    PyBuffer_Release(&view);
    return 0;
}

static PyObject *
MD5_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    PyObject *data = NULL;
    MD5Object *self;
    static char *keywords[] = {"", NULL};

    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "|O:MD5", keywords, &data))
        return NULL;
    self = (MD5Object *)type->tp_alloc(type, 0);
    if (self == NULL)
        return NULL;
    md5_init(&self->s);
    self->busy = 0;
    if (data != NULL && feed(self, data) < 0) {
        Py_DECREF(self);
        return NULL;
    }
    return (PyObject *)self;
}

static PyObject *
MD5_update(MD5Object *self, PyObject *data)
{
    if (feed(self, data) < 0)
        return NULL;
    Py_RETURN_NONE;
}

static int
final_digest(MD5Object *self, unsigned char out[16])
{
    if (self->busy) {
        PyErr_SetString(PyExc_RuntimeError, "MD5 object is being updated by another thread");
        return -1;
    }
    md5_final(&self->s, out);
    return 0;
}

static PyObject *
MD5_digest(MD5Object *self, PyObject *unused)
{
    unsigned char out[16];

    (void)unused;
    if (final_digest(self, out) < 0)
        return NULL;
    return PyBytes_FromStringAndSize((const char *)out, 16);
}

static PyObject *
MD5_hexdigest(MD5Object *self, PyObject *unused)
{
    static const char hexdigits[] = "0123456789abcdef";
    unsigned char out[16];
    char hex[32];

    (void)unused;
    if (final_digest(self, out) < 0)
        return NULL;
    for (int i = 0; i < 16; i++) {
        hex[2 * i] = hexdigits[out[i] >> 4];
        hex[2 * i + 1] = hexdigits[out[i] & 15];
    }
    return PyUnicode_FromStringAndSize(hex, 32);
}

static PyObject *
MD5_copy(MD5Object *self, PyObject *unused)
{
    MD5Object *other;

    (void)unused;
    if (self->busy) {
        PyErr_SetString(PyExc_RuntimeError, "MD5 object is being updated by another thread");
        return NULL;
    }
    other = (MD5Object *)Py_TYPE(self)->tp_alloc(Py_TYPE(self), 0);
    if (other == NULL)
        return NULL;
    other->s = self->s;
    other->busy = 0;
    return (PyObject *)other;
}

static PyObject *
MD5_get_name(PyObject *self, void *closure)
{
    (void)self;
    (void)closure;
    return PyUnicode_FromString("md5");
}

static PyObject *
MD5_get_digest_size(PyObject *self, void *closure)
{
    (void)self;
    (void)closure;
    return PyLong_FromLong(16);
}

static PyObject *
MD5_get_block_size(PyObject *self, void *closure)
{
    (void)self;
    (void)closure;
    return PyLong_FromLong(64);
}

static PyMethodDef MD5_methods[] = {
    {"update", (PyCFunction)MD5_update, METH_O, "update(data, /)\n\nFeed a bytes-like object."},
    {"digest", (PyCFunction)MD5_digest, METH_NOARGS, "digest() -> bytes\n\nThe 16-byte MD5 of the data so far."},
    {"hexdigest", (PyCFunction)MD5_hexdigest, METH_NOARGS, "hexdigest() -> str\n\nThe MD5 so far, as 32 hex digits."},
    {"copy", (PyCFunction)MD5_copy, METH_NOARGS, "copy() -> MD5\n\nAn independent hasher with the same state."},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef MD5_getset[] = {
    {"name", MD5_get_name, NULL, NULL, NULL},
    {"digest_size", MD5_get_digest_size, NULL, NULL, NULL},
    {"block_size", MD5_get_block_size, NULL, NULL, NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyTypeObject MD5Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "ibm_s3transfer._md5lanes.MD5",
    .tp_basicsize = sizeof(MD5Object),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "MD5(data=b'', /)\n\nAn MD5 hasher with hashlib's interface and results.",
    .tp_methods = MD5_methods,
    .tp_getset = MD5_getset,
    .tp_new = MD5_new,
};

/* ---------------------------------------------------------------- Python: update_many */

/* What update_many holds while it works: the hashers (referenced) and their buffers. */
typedef struct {
    Py_ssize_t n, nviews;
    MD5Object **hashers;
    Py_buffer *views;
    md5_state **states;
    const unsigned char **data;
    size_t *len;
    md5_job *jobs;
} Batch;

static void
batch_free(Batch *b)
{
    for (Py_ssize_t i = 0; i < b->nviews; i++)
        PyBuffer_Release(&b->views[i]);
    if (b->hashers != NULL) {
        for (Py_ssize_t i = 0; i < b->n; i++)
            Py_XDECREF(b->hashers[i]);
    }
    PyMem_Free(b->hashers);
    PyMem_Free(b->views);
    PyMem_Free(b->states);
    PyMem_Free(b->data);
    PyMem_Free(b->len);
    PyMem_Free(b->jobs);
}

static int
batch_alloc(Batch *b, Py_ssize_t n)
{
    size_t count = n > 0 ? (size_t)n : 1;

    memset(b, 0, sizeof *b);
    b->n = n;
    b->hashers = PyMem_Calloc(count, sizeof *b->hashers);
    b->views = PyMem_Calloc(count, sizeof *b->views);
    b->states = PyMem_Calloc(count, sizeof *b->states);
    b->data = PyMem_Calloc(count, sizeof *b->data);
    b->len = PyMem_Calloc(count, sizeof *b->len);
    b->jobs = PyMem_Calloc(count, sizeof *b->jobs);
    if (!b->hashers || !b->views || !b->states || !b->data || !b->len || !b->jobs) {
        PyErr_NoMemory();
        return -1;
    }
    return 0;
}

static int
compare_pointers(const void *x, const void *y)
{
    uintptr_t a = (uintptr_t) * (MD5Object *const *)x, b = (uintptr_t) * (MD5Object *const *)y;
    return (a > b) - (a < b);
}

/* ValueError when one hasher is listed twice (sorts a copy of the pointers). */
static int
check_distinct(MD5Object **hashers, Py_ssize_t n)
{
    MD5Object **sorted;
    int duplicate = 0;

    if (n < 2)
        return 0;
    sorted = PyMem_Malloc((size_t)n * sizeof *sorted);
    if (sorted == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    memcpy(sorted, hashers, (size_t)n * sizeof *sorted);
    qsort(sorted, (size_t)n, sizeof *sorted, compare_pointers);
    for (Py_ssize_t i = 1; i < n && !duplicate; i++)
        duplicate = sorted[i] == sorted[i - 1];
    PyMem_Free(sorted);
    if (duplicate) {
        PyErr_SetString(PyExc_ValueError, "update_many: the same hasher appears twice");
        return -1;
    }
    return 0;
}

/* Fill the batch from the two sequences: hashers (typed, referenced) and buffers. */
static int
batch_collect(Batch *b, PyObject *hs, PyObject *bs)
{
    for (Py_ssize_t i = 0; i < b->n; i++) {
        PyObject *h = PySequence_Fast_GET_ITEM(hs, i);

        if (!PyObject_TypeCheck(h, &MD5Type)) {
            PyErr_Format(PyExc_TypeError, "update_many: hashers[%zd] is %.100s, not an MD5", i, Py_TYPE(h)->tp_name);
            return -1;
        }
        Py_INCREF(h);
        b->hashers[i] = (MD5Object *)h;
    }
    for (Py_ssize_t i = 0; i < b->n; i++) {
        if (get_buffer(PySequence_Fast_GET_ITEM(bs, i), &b->views[i]) < 0)
            return -1;
        b->nviews = i + 1;
        b->states[i] = &b->hashers[i]->s;
        b->data[i] = (const unsigned char *)b->views[i].buf;
        b->len[i] = (size_t)b->views[i].len;
    }
    return check_distinct(b->hashers, b->n);
}

/* Mark every hasher busy, or none (RuntimeError) if one already is. */
static int
batch_claim(Batch *b)
{
    for (Py_ssize_t i = 0; i < b->n; i++) {
        if (b->hashers[i]->busy) {
            PyErr_SetString(PyExc_RuntimeError, "MD5 object is being updated by another thread");
            return -1;
        }
    }
    for (Py_ssize_t i = 0; i < b->n; i++)
        b->hashers[i]->busy = 1;
    return 0;
}

static void
batch_run(Batch *b)
{
    size_t total = 0;
    int nlanes = lanes;

    for (Py_ssize_t i = 0; i < b->n; i++)
        total += b->len[i];
    if (total >= RELEASE_GIL_AT) {
        Py_BEGIN_ALLOW_THREADS
        md5_update_many(b->states, b->data, b->len, b->jobs, (size_t)b->n, nlanes);
        Py_END_ALLOW_THREADS
    } else {
        md5_update_many(b->states, b->data, b->len, b->jobs, (size_t)b->n, nlanes);
    }
    for (Py_ssize_t i = 0; i < b->n; i++)
        b->hashers[i]->busy = 0;
}

static PyObject *
update_many_py(PyObject *module, PyObject *args)
{
    PyObject *hashers, *buffers, *hs = NULL, *bs = NULL, *result = NULL;
    Batch b;

    (void)module;
    memset(&b, 0, sizeof b);
    if (!PyArg_ParseTuple(args, "OO:update_many", &hashers, &buffers))
        return NULL;
    hs = PySequence_Fast(hashers, "update_many: hashers must be a sequence");
    bs = hs == NULL ? NULL : PySequence_Fast(buffers, "update_many: buffers must be a sequence");
    if (bs == NULL)
        goto done;
    if (PySequence_Fast_GET_SIZE(hs) != PySequence_Fast_GET_SIZE(bs)) {
        PyErr_Format(PyExc_ValueError, "update_many: %zd hashers but %zd buffers",
                     PySequence_Fast_GET_SIZE(hs), PySequence_Fast_GET_SIZE(bs));
        goto done;
    }
    if (batch_alloc(&b, PySequence_Fast_GET_SIZE(hs)) < 0 || batch_collect(&b, hs, bs) < 0 || batch_claim(&b) < 0)
        goto done;
    batch_run(&b);
    result = Py_None;
    Py_INCREF(result);
done:
    batch_free(&b);
    Py_XDECREF(hs);
    Py_XDECREF(bs);
    return result;
}

/* _use_lanes(n) -> previous: run update_many on n lanes (16, 8 or 1, up to LANES); for tests. */
static PyObject *
use_lanes_py(PyObject *module, PyObject *arg)
{
    long n = PyLong_AsLong(arg);
    int previous = lanes;

    (void)module;
    if (n == -1 && PyErr_Occurred())
        return NULL;
    if (!(n == 1 || (n == 8 && best_lanes >= 8) || (n == 16 && best_lanes >= 16))) {
        PyErr_Format(PyExc_ValueError, "_use_lanes: %ld lanes are not available (LANES is %d)", n, best_lanes);
        return NULL;
    }
    lanes = (int)n;
    return PyLong_FromLong(previous);
}

static PyMethodDef methods[] = {
    {"update_many", update_many_py, METH_VARARGS,
     "update_many(hashers, buffers, /) -> None\n\nhashers[i].update(buffers[i]) for every i, the streams "
     "hashed together in SIMD lanes, without the GIL."},
    {"_use_lanes", use_lanes_py, METH_O, "_use_lanes(n, /) -> int\n\nTests only: the lane count update_many uses."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT, "ibm_s3transfer._md5lanes", "MD5, and many MD5 streams at once in SIMD lanes.", -1, methods,
};

PyMODINIT_FUNC
PyInit__md5lanes(void)
{
    PyObject *module;

    detect_cpu();
    if (PyType_Ready(&MD5Type) < 0)
        return NULL;
    module = PyModule_Create(&module_def);
    if (module == NULL)
        return NULL;
    Py_INCREF(&MD5Type);
    if (PyModule_AddObject(module, "MD5", (PyObject *)&MD5Type) < 0) {
        Py_DECREF(&MD5Type);
        Py_DECREF(module);
        return NULL;
    }
    if (PyModule_AddIntConstant(module, "LANES", best_lanes) < 0
        || PyModule_AddObject(module, "ACCELERATED", PyBool_FromLong(best_lanes > 1)) < 0) {
        Py_DECREF(module);
        return NULL;
    }
    return module;
}
#endif /* !MD5LANES_SELFTEST */

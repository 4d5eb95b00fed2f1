/*
 * ibm_botocore._crc32 -- CRC-32 (the zlib/PNG/S3 "CRC32" polynomial) with carry-less
 * multiplication on x86-64.
 *
 * Why: every uploaded part carries x-amz-checksum-crc32 and every downloaded range is
 * verified against one, so a transfer computes the CRC of every byte it moves. zlib's
 * table-driven crc32 runs at about 2 GB/s; folding 64 bytes at a time with PCLMULQDQ runs
 * at memory speed, which takes a third of the client CPU out of a large upload.
 *
 * crc32(data, value=0) -> int has exactly the semantics of zlib.crc32 (the register is
 * inverted on entry and exit), so the two are interchangeable; the Python side
 * (ibm_botocore.checksums.crc32) picks this one only when ``ACCELERATED`` is true, i.e.
 * when the CPU has PCLMULQDQ (x86-64) or the ARMv8 CRC32 instructions (AArch64). The
 * GIL is released for buffers of 16 KiB and more.
 *
 * AArch64 needs no folding: its CRC32X instruction is this very (bit-reflected) CRC on
 * eight little-endian bytes at a time.
 *
 * Built with -DCRC32_SELFTEST (and without Python), the file is a program that checks
 * the accelerated path against the byte-wise one -- how the AArch64 path is tested on
 * an x86 machine (cross compiler + qemu-user):
 *     aarch64-linux-gnu-gcc -O2 -DCRC32_SELFTEST ibm_botocore/_crc32.c -o crc32-selftest
 *     qemu-aarch64 -L /usr/aarch64-linux-gnu ./crc32-selftest
 *
 * The method.  Read 16 bytes little-endian into a 128-bit lane.  In the bit-reflected
 * convention of this CRC, bit j of the lane is the coefficient of x^(127-j) of the
 * block's polynomial B = Bh*x^64 + Bl; the low 64 bits hold Bh reflected, the high 64
 * bits Bl reflected.  Moving a block D bits further from the end of the message
 * multiplies it by x^D, and modulo P
 *
 *     B*x^D  =  Bh*x^(64+D) + Bl*x^D  ==  Bh*(x^(64+D) mod P) + Bl*(x^D mod P),
 *
 * a polynomial of degree < 96 that fits back in a lane.  With K(e) the 64-bit
 * reflection of (x^(e-1) mod P), a 64x64 carry-less product of reflected operands
 * yields the 128-bit reflection of the true product times x, which is the missing
 * factor: fold(lane, D) = clmul(lo(lane), K(64+D)) ^ clmul(hi(lane), K(D)).
 * Four lanes walk the data 64 bytes at a time (D = 512), are then folded into one
 * (D = 128), single 16-byte blocks follow, and the last lane -- congruent to the whole
 * message so far -- is pushed through the byte-wise algorithm from a zero register,
 * which multiplies it by x^32 and reduces it: the CRC.  The initial register is
 * XORed into the first four bytes, as the shift-register algorithm does implicitly.
 * The four constants below are K(576), K(512), K(192) and K(128); tests compare the
 * result with zlib over many lengths, offsets and initial values.
 */
#ifndef CRC32_SELFTEST
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#endif
#include <stdint.h>
#include <string.h>

#define REFLECTED_POLY 0xEDB88320u
#define RELEASE_GIL_AT 16384

static uint32_t byte_table[256];

static void
build_byte_table(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int bit = 0; bit < 8; bit++)
            c = (c >> 1) ^ ((c & 1u) ? REFLECTED_POLY : 0u);
        byte_table[i] = c;
    }
}

/* The plain shift-register algorithm on an uninverted register, a byte at a time. */
static uint32_t
crc_bytewise(uint32_t reg, const unsigned char *p, size_t n)
{
    while (n--)
        reg = byte_table[(reg ^ *p++) & 0xffu] ^ (reg >> 8);
    return reg;
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define HAVE_CLMUL_PATH 1
#include <immintrin.h>

#define CLMUL_TARGET __attribute__((target("sse2,pclmul")))

static const uint64_t K576 = 0x653d982200000000ull;
static const uint64_t K512 = 0xcad38e8f00000000ull;
static const uint64_t K192 = 0x65673b4600000000ull;
static const uint64_t K128 = 0x9ba54c6f00000000ull;

static CLMUL_TARGET inline __m128i
fold(__m128i lane, __m128i k)
{
    /* k holds K(64+D) in its low half and K(D) in its high half. */
    return _mm_xor_si128(_mm_clmulepi64_si128(lane, k, 0x00), _mm_clmulepi64_si128(lane, k, 0x11));
}

#define LOAD(ptr) _mm_loadu_si128((const __m128i *)(const void *)(ptr))

/* Requires n >= 64. */
static CLMUL_TARGET uint32_t
crc_clmul(uint32_t reg, const unsigned char *p, size_t n)
{
    const __m128i k512 = _mm_set_epi64x((long long)K512, (long long)K576);
    const __m128i k128 = _mm_set_epi64x((long long)K128, (long long)K192);
    __m128i a = _mm_xor_si128(LOAD(p), _mm_cvtsi32_si128((int)reg));
    __m128i b = LOAD(p + 16);
    __m128i c = LOAD(p + 32);
    __m128i d = LOAD(p + 48);
    unsigned char last[16];

    p += 64;
    n -= 64;
    while (n >= 64) {
        a = _mm_xor_si128(fold(a, k512), LOAD(p));
        b = _mm_xor_si128(fold(b, k512), LOAD(p + 16));
        c = _mm_xor_si128(fold(c, k512), LOAD(p + 32));
        d = _mm_xor_si128(fold(d, k512), LOAD(p + 48));
        p += 64;
        n -= 64;
    }
    a = _mm_xor_si128(fold(a, k128), b);
    a = _mm_xor_si128(fold(a, k128), c);
    a = _mm_xor_si128(fold(a, k128), d);
    while (n >= 16) {
        a = _mm_xor_si128(fold(a, k128), LOAD(p));
        p += 16;
        n -= 16;
    }
    _mm_storeu_si128((__m128i *)(void *)last, a);
    reg = crc_bytewise(0, last, sizeof last);
    return crc_bytewise(reg, p, n);
}
#elif defined(__aarch64__) && (defined(__GNUC__) || defined(__clang__))
#define HAVE_ARMV8_PATH 1
#include <arm_acle.h>
#if defined(__linux__)
#include <sys/auxv.h>
#ifndef HWCAP_CRC32
#define HWCAP_CRC32 (1 << 7)
#endif
#endif

#if defined(__clang__)
#define ARMV8_CRC_TARGET __attribute__((target("crc")))
#else
#define ARMV8_CRC_TARGET __attribute__((target("+crc")))
#endif

static ARMV8_CRC_TARGET uint32_t
crc_armv8(uint32_t reg, const unsigned char *p, size_t n)
{
    uint64_t word;

    while (n && ((uintptr_t)p & 7u)) {
        reg = __crc32b(reg, *p++);
        n--;
    }
    while (n >= 8) {
        memcpy(&word, p, 8);
        reg = __crc32d(reg, word);
        p += 8;
        n -= 8;
    }
    while (n--)
        reg = __crc32b(reg, *p++);
    return reg;
}

static int
cpu_has_armv8_crc(void)
{
#if defined(__linux__)
    return (getauxval(AT_HWCAP) & HWCAP_CRC32) != 0;
#elif defined(__APPLE__)
    return 1; /* every Apple arm64 CPU has it */
#elif defined(__ARM_FEATURE_CRC32)
    return 1;
#else
    return 0;
#endif
}
#endif

static int accelerated = 0;

static void
detect_cpu(void)
{
    build_byte_table();
#ifdef HAVE_CLMUL_PATH
    __builtin_cpu_init();
    accelerated = __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("sse2");
#elif defined(HAVE_ARMV8_PATH)
    accelerated = cpu_has_armv8_crc();
#endif
}

static uint32_t
crc_update(uint32_t value, const unsigned char *p, size_t n)
{
    uint32_t reg = ~value;
#ifdef HAVE_CLMUL_PATH
    if (accelerated && n >= 64)
        return ~crc_clmul(reg, p, n);
#elif defined(HAVE_ARMV8_PATH)
    if (accelerated)
        return ~crc_armv8(reg, p, n);
#endif
    return ~crc_bytewise(reg, p, n);
}

#ifdef CRC32_SELFTEST
#include <stdio.h>
#include <stdlib.h>

int
main(void)
{
    enum { SIZE = (1 << 20) + 64 };
    unsigned char *data = malloc(SIZE);
    uint32_t seed = 12345, initial[3] = {0u, 0xffffffffu, 0x1234abcdu};
    size_t failures = 0, checks = 0;

    detect_cpu();
    for (size_t i = 0; i < SIZE; i++) {
        seed = seed * 1103515245u + 12345u;
        data[i] = (unsigned char)(seed >> 16);
    }
    for (size_t start = 0; start < 8; start++) {
        for (size_t length = 0; length < 1200; length++) {
            for (int v = 0; v < 3; v++) {
                checks++;
                if (crc_update(initial[v], data + start, length) != ~crc_bytewise(~initial[v], data + start, length))
                    failures++;
            }
        }
    }
    checks++;
    if (crc_update(0, data + 3, SIZE - 3) != ~crc_bytewise(~0u, data + 3, SIZE - 3))
        failures++;
    checks++;
    if (crc_update(0, (const unsigned char *)"123456789", 9) != 0xCBF43926u)
        failures++;
    printf("accelerated=%d checks=%zu failures=%zu\n", accelerated, checks, failures);
    free(data);
    return failures != 0 || !accelerated;
}
#else

static PyObject *
crc32_py(PyObject *module, PyObject *args)
{
    Py_buffer data;
    unsigned int value = 0;
    uint32_t result;

    (void)module;
    if (!PyArg_ParseTuple(args, "y*|I:crc32", &data, &value))
        return NULL;
    if (data.len >= RELEASE_GIL_AT) {
        Py_BEGIN_ALLOW_THREADS
        result = crc_update((uint32_t)value, (const unsigned char *)data.buf, (size_t)data.len);
        Py_END_ALLOW_THREADS
    } else {
        result = crc_update((uint32_t)value, (const unsigned char *)data.buf, (size_t)data.len);
    }
    PyBuffer_Release(&data);
    return PyLong_FromUnsignedLong((unsigned long)result);
}

static PyMethodDef methods[] = {
    {"crc32", crc32_py, METH_VARARGS,
     "crc32(data, value=0, /) -> int\n\nCRC-32 of a bytes-like object, continuing from value; same result as zlib.crc32."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT, "ibm_botocore._crc32", "CRC-32 with the CPU's CRC or carry-less multiplication instructions.", -1, methods,
};

PyMODINIT_FUNC
PyInit__crc32(void)
{
    PyObject *module;

    detect_cpu();
    module = PyModule_Create(&module_def);
    if (module == NULL)
        return NULL;
    if (PyModule_AddIntConstant(module, "ACCELERATED", accelerated) < 0) {
        Py_DECREF(module);
        return NULL;
    }
    return module;
}
#endif /* CRC32_SELFTEST */

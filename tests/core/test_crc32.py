"""The carry-less-multiplication CRC-32 (ibm_botocore._crc32) against zlib.crc32.

Every uploaded part's x-amz-checksum-crc32 and every downloaded range's verification
goes through ``ibm_botocore.checksums.crc32``; a wrong fold constant would make COS
reject every part, so the fast path is compared with zlib bit for bit: all lengths
around the 16- and 64-byte block edges, unaligned starts, chained updates, and the
argument handling zlib has.
"""
import os
import platform
import random
import shutil
import sys
import sysconfig
import zlib

import pytest

from ibm_botocore import checksums

try:
    from ibm_botocore import _crc32
except ImportError:  # not built: only the zlib path exists
    _crc32 = None


def _have_c_compiler():
    compiler = (sysconfig.get_config_var("CC") or "").split()
    return bool(compiler) and shutil.which(compiler[0]) is not None


def _cpu_has_pclmul():
    try:
        with open("/proc/cpuinfo") as f:
            return " pclmulqdq" in f.read()
    except OSError:
        return False


IMPLEMENTATIONS = [pytest.param(checksums.crc32, id="checksums.crc32")]
if _crc32 is not None:
    IMPLEMENTATIONS.append(pytest.param(_crc32.crc32, id="_crc32.crc32"))


@pytest.mark.skipif(
    not (sys.platform.startswith("linux") and platform.machine() == "x86_64" and _cpu_has_pclmul() and _have_c_compiler()),
    reason="the accelerated path is built on x86-64 Linux with a C compiler and used with PCLMULQDQ",
)
def test_accelerated_path_is_built_and_selected():
    assert _crc32 is not None, "ibm_botocore._crc32 was not built by the install"
    assert _crc32.ACCELERATED == 1
    assert checksums.CRC32_ACCELERATED == 1
    assert checksums.crc32 is _crc32.crc32


@pytest.mark.parametrize("crc32", IMPLEMENTATIONS)
def test_every_length_and_alignment_matches_zlib(crc32):
    rng = random.Random(1234)
    data = bytes(rng.getrandbits(8) for _ in range(400))
    view = memoryview(data)
    for start in (0, 1, 7, 15):
        for length in range(0, 400 - start):
            piece = view[start : start + length]
            for value in (0, 0xFFFFFFFF, 0x1234ABCD):
                assert crc32(piece, value) == zlib.crc32(piece, value), (start, length, value)


@pytest.mark.parametrize("crc32", IMPLEMENTATIONS)
@pytest.mark.parametrize("size", [64 * 1024 - 1, 1024 * 1024, 8 * 1024 * 1024 + 13])
def test_large_buffers_and_chained_updates(crc32, size):
    data = os.urandom(size)
    expected = zlib.crc32(data)
    assert crc32(data) == expected
    assert crc32(bytearray(data)) == expected
    running = 0
    for start in range(0, size, 100_003):  # uneven pieces: each call starts mid-block
        running = crc32(memoryview(data)[start : start + 100_003], running)
    assert running == expected


@pytest.mark.parametrize("crc32", IMPLEMENTATIONS)
def test_known_values_and_arguments(crc32):
    assert crc32(b"") == 0
    assert crc32(b"123456789") == 0xCBF43926  # the CRC-32 check value
    assert crc32(b"a" * 1000) == zlib.crc32(b"a" * 1000)
    # the initial value wraps like zlib's (unsigned int, modulo 2**32)
    assert crc32(b"abc", -1) == zlib.crc32(b"abc", -1)
    assert crc32(b"abc", 2**32 + 5) == zlib.crc32(b"abc", 5)
    with pytest.raises(TypeError):
        crc32("text")
    with pytest.raises(BufferError):
        crc32(memoryview(bytes(100))[::2])


def test_crc32_checksum_class_uses_it():
    data = os.urandom(3 * 1024 * 1024 + 5)
    checksum = checksums.Crc32Checksum()
    checksum.update(data[:1000])
    checksum.update(data[1000:])
    assert checksum.digest() == zlib.crc32(data).to_bytes(4, "big")


SELFTEST_TARGETS = [
    pytest.param(["cc"], [], id="native"),
    pytest.param(["aarch64-linux-gnu-gcc"], ["qemu-aarch64", "-L", "/usr/aarch64-linux-gnu"], id="aarch64-qemu"),
]


@pytest.mark.parametrize("compiler,runner", SELFTEST_TARGETS)
def test_c_selftest_program(tmp_path, compiler, runner):
    """_crc32.c built as a stand-alone program (-DCRC32_SELFTEST) compares its accelerated path
    with its byte-wise one. The AArch64 path (CRC32X) runs here under qemu-user when the cross
    compiler and qemu are installed (Debian: gcc-aarch64-linux-gnu, qemu-user)."""
    import subprocess

    tools = [compiler[0]] + runner[:1]
    missing = [tool for tool in tools if shutil.which(tool) is None]
    if missing:
        pytest.skip("not installed: %s" % ", ".join(missing))
    if not runner and not (platform.machine() in ("x86_64", "AMD64", "aarch64", "arm64")):
        pytest.skip("no accelerated path for %s" % platform.machine())
    source = os.path.join(os.path.dirname(checksums.__file__), "_crc32.c")
    program = str(tmp_path / "crc32-selftest")
    subprocess.run(compiler + ["-O2", "-DCRC32_SELFTEST", source, "-o", program], check=True)
    result = subprocess.run(runner + [program], stdout=subprocess.PIPE, universal_newlines=True, timeout=120)
    assert result.returncode == 0, result.stdout
    assert "accelerated=1" in result.stdout and " failures=0" in result.stdout, result.stdout

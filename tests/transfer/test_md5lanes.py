"""ibm_s3transfer.md5lanes against hashlib.md5: every path (the C extension on each lane count
this CPU has, and the hashlib fallback) must give hashlib's digest for every input."""
from __future__ import annotations

import hashlib
import os
import random
import subprocess
import sys
import threading
from typing import Any, Callable, Iterator, List, NamedTuple, Sequence

import pytest

from ibm_s3transfer import md5lanes


class Impl(NamedTuple):
    new: Callable[..., Any]
    update_many: Callable[[Sequence[Any], Sequence[Any]], None]


def _params() -> List[Any]:
    params = [pytest.param("fallback", id="fallback")]
    for lanes in (16, 8, 1):
        params.append(pytest.param(lanes, id=f"c-{lanes}-lanes"))
    return params


@pytest.fixture(params=_params())
def impl(request: Any) -> Iterator[Impl]:
    if request.param == "fallback":
        yield Impl(md5lanes._fallback_new, md5lanes._fallback_update_many)
        return
    ext = md5lanes._C
    if ext is None:
        pytest.skip("ibm_s3transfer._md5lanes is not built")
    if request.param > ext.LANES:
        pytest.skip(f"this CPU has no {request.param}-lane kernel")
    previous = ext._use_lanes(request.param)
    try:
        yield Impl(md5lanes._c_new, md5lanes._c_update_many)
    finally:
        ext._use_lanes(previous)


def _data(size: int, seed: int = 1) -> bytes:
    return random.Random(seed).randbytes(size) if hasattr(random.Random, "randbytes") else bytes(
        random.Random(seed).getrandbits(8) for _ in range(size))


DATA = _data(3 * 1024 * 1024 + 4096)


def md5(data: bytes) -> bytes:
    return hashlib.md5(data).digest()


def test_empty_input(impl: Impl) -> None:
    h = impl.new()
    assert h.digest() == bytes.fromhex("d41d8cd98f00b204e9800998ecf8427e")
    assert h.hexdigest() == "d41d8cd98f00b204e9800998ecf8427e"
    h.update(b"")
    assert h.hexdigest() == "d41d8cd98f00b204e9800998ecf8427e"
    assert (h.name, h.digest_size, h.block_size) == ("md5", 16, 64)


def test_known_vectors(impl: Impl) -> None:
    # RFC 1321, appendix A.5
    assert impl.new(b"abc").hexdigest() == "900150983cd24fb0d6963f7d28e17f72"
    assert impl.new(b"message digest").hexdigest() == "f96b697d7cb7938d525a2f31aaf161d0"
    assert impl.new(b"1234567890" * 8).hexdigest() == "57edf4a22be3c955ac49da2e2107b67a"


def _short_lengths() -> List[int]:
    around = {64 * k + d for k in range(1, 40) for d in (-1, 0, 1)}
    return sorted(set(range(201)) | around)


def test_lengths_up_to_200_and_around_every_multiple_of_64(impl: Impl) -> None:
    for length in _short_lengths():
        data = DATA[7:7 + length]
        assert impl.new(data).digest() == md5(data), length
        h = impl.new()
        for i in range(0, length, 13):
            h.update(data[i:i + 13])
        assert h.digest() == md5(data), length


def test_random_lengths_up_to_3_mib_in_random_pieces(impl: Impl) -> None:
    rnd = random.Random(5)
    for _ in range(12):
        start = rnd.randrange(64)
        data = DATA[start:start + rnd.randrange(3 * 1024 * 1024)]
        h = impl.new()
        view = memoryview(data)
        at = 0
        while at < len(data):
            step = rnd.choice((1, 63, 64, 65, 1000, 70000, 1 << 20))
            h.update(view[at:at + step])
            at += step
        assert h.digest() == md5(data), len(data)


def _pieces(rnd: random.Random, count: int, top: int) -> List[bytes]:
    pieces = []
    for _ in range(count):
        size = 0 if rnd.random() < 0.2 else rnd.randrange(top)
        start = rnd.randrange(len(DATA) - size)
        pieces.append(DATA[start:start + size])
    return pieces


def test_update_many_unequal_lengths_in_unaligned_pieces(impl: Impl) -> None:
    rnd = random.Random(7)
    for count in range(1, 41):
        hashers = [impl.new() for _ in range(count)]
        fed = [b"" for _ in range(count)]
        for _ in range(3):
            pieces = _pieces(rnd, count, 5000)
            impl.update_many(hashers, pieces)
            fed = [f + p for f, p in zip(fed, pieces)]
        assert [h.digest() for h in hashers] == [md5(f) for f in fed], count


def test_update_many_more_streams_than_lanes_large_buffers(impl: Impl) -> None:
    rnd = random.Random(11)
    prefixes = [rnd.randrange(64) for _ in range(37)]
    hashers = [impl.new(DATA[:p]) for p in prefixes]
    pieces = [bytearray(p) for p in _pieces(rnd, 37, 400_000)]
    impl.update_many(tuple(hashers), pieces)
    assert [h.digest() for h in hashers] == [md5(DATA[:p] + bytes(b)) for p, b in zip(prefixes, pieces)]


def test_update_many_with_no_hashers(impl: Impl) -> None:
    assert impl.update_many([], []) is None


def test_copy_is_independent(impl: Impl) -> None:
    h = impl.new(DATA[:100])
    c = h.copy()
    c.update(DATA[100:300])
    assert h.digest() == md5(DATA[:100])
    assert c.digest() == md5(DATA[:300])
    h.update(b"x")
    assert c.digest() == md5(DATA[:300])
    assert h.digest() == md5(DATA[:100] + b"x")
    impl.update_many([h, c], [DATA[:1000], DATA[:10]])
    assert h.digest() == md5(DATA[:100] + b"x" + DATA[:1000])
    assert c.digest() == md5(DATA[:300] + DATA[:10])


def test_a_hasher_listed_twice_is_a_value_error_and_nothing_is_updated(impl: Impl) -> None:
    a, b = impl.new(b"a"), impl.new(b"b")
    with pytest.raises(ValueError, match="appears twice"):
        impl.update_many([a, b, a], [DATA[:100], DATA[:100], DATA[:100]])
    assert (a.digest(), b.digest()) == (md5(b"a"), md5(b"b"))


def test_sequences_of_different_lengths_are_a_value_error(impl: Impl) -> None:
    a = impl.new()
    with pytest.raises(ValueError, match="1 hashers but 2 buffers"):
        impl.update_many([a], [b"x", b"y"])
    assert a.digest() == md5(b"")


@pytest.mark.parametrize("bad", ["text", 5, None, [1, 2]], ids=["str", "int", "None", "list"])
def test_a_non_buffer_is_a_type_error_and_nothing_is_updated(impl: Impl, bad: Any) -> None:
    a, b = impl.new(b"a"), impl.new(b"b")
    with pytest.raises(TypeError):
        a.update(bad)
    with pytest.raises(TypeError):
        impl.update_many([a, b], [DATA[:100], bad])
    assert (a.digest(), b.digest()) == (md5(b"a"), md5(b"b"))


def test_two_threads_update_many_on_disjoint_hashers(impl: Impl) -> None:
    pieces = [DATA[i * 100_003:i * 100_003 + 200_000 + i] for i in range(8)]
    results: List[List[bytes]] = [[], []]
    failures: List[BaseException] = []

    def work(slot: int) -> None:
        try:
            for _ in range(5):
                hashers = [impl.new(b"%d" % slot) for _ in pieces]
                impl.update_many(hashers, pieces)
                results[slot].extend(h.digest() for h in hashers)
        except BaseException as exc:  # reported below
            failures.append(exc)

    threads = [threading.Thread(target=work, args=(slot,)) for slot in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    for slot in (0, 1):
        assert results[slot] == [md5(b"%d" % slot + p) for p in pieces] * 5


def test_public_face_matches_hashlib() -> None:
    assert md5lanes.LANES in (1, 8, 16)
    assert md5lanes.ACCELERATED is (md5lanes.LANES > 1)
    hashers = [md5lanes.new() for _ in range(5)]
    md5lanes.update_many(hashers, [DATA[:n] for n in (0, 1, 64, 1000, 100_000)])
    assert [h.hexdigest() for h in hashers] == [hashlib.md5(DATA[:n]).hexdigest() for n in (0, 1, 64, 1000, 100_000)]
    assert md5lanes.new(b"abc").digest() == md5(b"abc")


c_only = pytest.mark.skipif(md5lanes._C is None, reason="ibm_s3transfer._md5lanes is not built")


@c_only
def test_c_update_many_wants_its_own_hashers() -> None:
    with pytest.raises(TypeError, match=r"hashers\[1\] is _hashlib.HASH, not an MD5"):
        md5lanes._c_update_many([md5lanes._c_new(), hashlib.md5()], [b"x", b"y"])


@c_only
def test_c_a_hasher_in_use_by_another_thread_is_a_runtime_error() -> None:
    big = DATA * 20  # ~60 MiB: the update runs long enough without the GIL
    h = md5lanes._c_new()
    refused = 0
    worker = threading.Thread(target=md5lanes._c_update_many, args=([h], [big]))
    worker.start()
    while worker.is_alive():
        try:
            h.update(b"")  # an empty update changes nothing when it is allowed
        except RuntimeError as exc:
            assert str(exc) == "MD5 object is being updated by another thread"
            refused += 1
    worker.join()
    assert refused >= 1
    assert h.digest() == md5(big)


@c_only
def test_c_use_lanes_refuses_a_kernel_the_cpu_lacks() -> None:
    ext = md5lanes._C
    assert ext is not None
    with pytest.raises(ValueError, match="lanes are not available"):
        ext._use_lanes(4)


def test_without_the_extension_the_module_falls_back_to_hashlib() -> None:
    code = (
        "import sys; sys.modules['ibm_s3transfer._md5lanes'] = None\n"
        "from ibm_s3transfer import md5lanes as m\n"
        "hs = [m.new(), m.new(b'ab')]\n"
        "m.update_many(hs, [b'abc', memoryview(b'c')])\n"
        "print(m._C, m.LANES, m.ACCELERATED, type(hs[0]).__name__, [h.hexdigest() for h in hs])\n"
    )
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    out = subprocess.run([sys.executable, "-c", code], cwd=repo, capture_output=True, text=True, check=True).stdout
    abc = "900150983cd24fb0d6963f7d28e17f72"
    assert out == f"None 1 False HASH ['{abc}', '{abc}']\n"

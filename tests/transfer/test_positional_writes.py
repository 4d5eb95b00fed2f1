"""ibm_s3transfer.utils.pwrite_all: every byte lands at its offset, in bounded slices of the
size that costs less."""
from __future__ import annotations

import array
import os

import pytest

from ibm_s3transfer import utils


@pytest.mark.parametrize("slice_size", [utils.PWRITE_SLICE, utils.PWRITE_LARGE])
@pytest.mark.parametrize("size", [0, 1, utils.PWRITE_SLICE - 1, utils.PWRITE_SLICE, 3 * utils.PWRITE_SLICE + 17,
                                  2 * utils.PWRITE_LARGE + 5])
def test_bytes_land_at_their_offset_in_slices(tmp_path, monkeypatch, size, slice_size):
    monkeypatch.setattr(utils._slices, "choose", lambda: slice_size)
    data = os.urandom(size)
    sizes = []
    real = os.pwrite

    def counting(fd, view, offset):
        sizes.append(len(view))
        return real(fd, view, offset)

    monkeypatch.setattr(utils.os, "pwrite", counting)
    path = str(tmp_path / "f")
    fd = os.open(path, os.O_RDWR | os.O_CREAT)
    try:
        os.pwrite(fd, b"head", 0)
        utils.pwrite_all(fd, memoryview(bytearray(data)), 4)
    finally:
        os.close(fd)
    with open(path, "rb") as f:
        assert f.read() == b"head" + data
    assert all(n <= slice_size for n in sizes)
    assert sum(sizes) == size + 4 and len(sizes) == 1 + -(-size // slice_size)


def test_a_view_of_wider_items_is_written_as_its_bytes(tmp_path):
    words = array.array("I", range(100000))  # 400,000 bytes: several slices
    path = str(tmp_path / "f")
    fd = os.open(path, os.O_RDWR | os.O_CREAT)
    try:
        utils.pwrite_all(fd, memoryview(words), 0)
    finally:
        os.close(fd)
    with open(path, "rb") as f:
        assert f.read() == words.tobytes()


def test_the_cheaper_slice_is_chosen_and_the_other_tried_again_now_and_then():
    small, large = utils.PWRITE_SLICE, utils.PWRITE_LARGE
    chooser = utils._SliceChooser()
    assert chooser.choose() == small  # each size is measured once first
    chooser.record(small, small, small * 2e-9)  # 2 ns a byte
    assert chooser.choose() == large
    chooser.record(large, large, large * 6e-9)  # 6 ns a byte: large folios are dear here
    picks = []
    written = 0
    while written < 3 * chooser.PROBE_BYTES:
        size = chooser.choose()
        picks.append(size)
        chooser.record(size, size, size * (2e-9 if size == small else 6e-9))
        written += size
    assert picks.count(large) == 3  # one probe per 64 MiB, the rest small
    # the machine changes: large writes get cheap, and the next probes move over
    written = 0
    while written <= chooser.PROBE_BYTES:
        size = chooser.choose()
        chooser.record(size, size, size * (2e-9 if size == small else 0.2e-9))
        written += size
    assert chooser.choose() == large
    # a short tail is not a measurement
    before = dict(chooser.cost)
    chooser.record(small, 100, 1.0)
    assert chooser.cost == before

"""ibm_s3transfer.utils.pwrite_all: every byte lands at its offset, in bounded slices."""
from __future__ import annotations

import array
import os

import pytest

from ibm_s3transfer import utils


@pytest.mark.parametrize("size", [0, 1, utils.PWRITE_SLICE - 1, utils.PWRITE_SLICE, 3 * utils.PWRITE_SLICE + 17])
def test_bytes_land_at_their_offset_in_slices(tmp_path, monkeypatch, size):
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
    assert all(n <= utils.PWRITE_SLICE for n in sizes)
    assert sum(sizes) == size + 4 and len(sizes) == 1 + -(-size // utils.PWRITE_SLICE)


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

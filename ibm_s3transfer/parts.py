"""Part arithmetic: how large the parts of a multipart upload or copy are, and how an
object is cut into parts or ranges (uploads, copies, downloads and the process pool)."""
from __future__ import annotations

import logging
import math
from typing import List, Optional, Tuple

from ibm_s3transfer.constants import MAX_PART_SIZE, MAX_PARTS, MIN_PART_SIZE

logger = logging.getLogger(__name__)

__all__ = ["ChunksizeAdjuster", "calculate_num_parts", "calculate_range_parameter", "part_size", "spans"]


def calculate_num_parts(size: int, part_size: int) -> int:
    return max(1, int(math.ceil(size / float(part_size))))


def calculate_range_parameter(part_size: int, part_index: int, num_parts: int, total_size: Optional[int] = None) -> str:
    """The HTTP Range value of part ``part_index`` (0-based); the last part is open-ended."""
    start = part_index * part_size
    if part_index == num_parts - 1:
        end = "" if total_size is None else str(total_size - 1)
    else:
        end = str(start + part_size - 1)
    return "bytes=%d-%s" % (start, end)


class ChunksizeAdjuster:
    """Keeps the part size within S3's limits (5 MiB..5 GiB, at most 10,000 parts)."""

    def __init__(self, max_size: int = MAX_PART_SIZE, min_size: int = MIN_PART_SIZE, max_parts: int = MAX_PARTS) -> None:
        self.max_size = max_size
        self.min_size = min_size
        self.max_parts = max_parts

    def adjust_chunksize(self, current_chunksize: int, file_size: Optional[int] = None) -> int:
        size = min(max(current_chunksize, self.min_size), self.max_size)
        if file_size is not None:
            while int(math.ceil(file_size / float(size))) > self.max_parts:
                size *= 2
            size = min(size, self.max_size)
        if size != current_chunksize:
            logger.debug("Part size adjusted from %d to %d bytes", current_chunksize, size)
        return size


def part_size(chunksize: int, size: Optional[int]) -> int:
    """The part size of a multipart upload or copy of ``size`` bytes (S3's limits applied)."""
    return ChunksizeAdjuster().adjust_chunksize(chunksize, size)


def spans(size: int, step: int, offset: int = 0) -> List[Tuple[int, int]]:
    """(start, length) of consecutive pieces of at most ``step`` bytes covering ``size`` bytes from ``offset``."""
    end = offset + size
    return [(start, min(step, end - start)) for start in range(offset, end, step)]

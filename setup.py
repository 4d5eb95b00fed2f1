"""Packaging for the IBM COS SDK reimplementation (ibm_boto3, ibm_botocore, ibm_s3transfer)."""
from setuptools import Extension, find_packages, setup

VERSION = "2.16.2"

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
    ext_modules=[Extension("ibm_botocore._crc32", sources=["ibm_botocore/_crc32.c"], optional=True)],
    install_requires=[
        "urllib3>=1.26",
        "python-dateutil>=2.8",
        "jmespath>=0.10",
    ],
    extras_require={
        "emulator": ["moto[server]>=5"],
        "test": ["pytest>=7", "moto[server]>=5"],
        # the documentation site: python -m sphinx -W -b html docs docs/_build/html
        "docs": ["sphinx>=7", "myst-parser>=2", "furo>=2023.9.10", "matplotlib>=3.5"],
    },
    entry_points={
        "pytest11": ["ibm_cos_emulator = ibm_cos_emulator.pytest_plugin"],
    },
    classifiers=[
        "License :: OSI Approved :: Apache Software License",
        "Programming Language :: Python :: 3",
        "Programming Language :: Python :: 3 :: Only",
    ],
)

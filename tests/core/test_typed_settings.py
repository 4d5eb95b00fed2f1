"""Settings objects declare every option on the class.

The packages ship ``py.typed``, so type checkers read these classes when they check users'
code: an option that is only set at runtime (``setattr`` from a table) makes
``config.read_timeout`` or ``transfer_config.multipart_threshold`` a type error there.
"""
from ibm_boto3.s3.transfer import TransferConfig
from ibm_botocore.config import Config
from ibm_s3transfer.manager import TransferConfig as ManagerTransferConfig


def _declared(cls):
    names = set()
    for klass in cls.__mro__:
        names.update(getattr(klass, "__annotations__", {}))
    return names


def _public_attributes(instance):
    return {name for name in vars(instance) if not name.startswith("_")}


def test_every_config_option_is_declared():
    options = _public_attributes(Config())
    assert len(options) >= 20
    assert options - _declared(Config) == set()


def test_every_transfer_config_field_is_declared():
    for cls in (ManagerTransferConfig, TransferConfig):
        fields = _public_attributes(cls())
        assert {"multipart_threshold", "multipart_chunksize", "max_bandwidth"} <= fields
        assert fields - _declared(cls) == set(), cls
    assert {"max_concurrency", "max_io_queue", "use_threads"} <= _public_attributes(TransferConfig())

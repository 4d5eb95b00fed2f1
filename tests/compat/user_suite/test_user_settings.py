"""Config-file S3 settings, presigned URLs, Stubber errors and Session look-ups, as users meet them."""
import base64
import hashlib
import json
from urllib.parse import parse_qs, urlsplit

import pytest

import ibm_boto3
from ibm_boto3.exceptions import ResourceNotExistsError, UnknownAPIVersionError
from ibm_botocore.client import Config
from ibm_botocore.exceptions import (
    ClientError,
    DataNotFoundError,
    InvalidS3AddressingStyleError,
    InvalidS3UsEast1RegionalEndpointConfigError,
    ParamValidationError,
    UnknownServiceError,
)
from ibm_botocore.stub import Stubber

from user_suite_helpers import make_client


def _client_with_config_file(tmp_path, monkeypatch, text, endpoint_url="http://127.0.0.1:9", **kwargs):
    path = tmp_path / "config"
    path.write_text(text)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(path))
    return make_client(endpoint_url, **kwargs)


# -- ~/.aws/config ----------------------------------------------------------------------------
def test_s3_section_values_are_typed(tmp_path, monkeypatch):
    s3 = _client_with_config_file(tmp_path, monkeypatch, (
        "[default]\ns3 =\n    addressing_style = path\n    payload_signing_enabled = true\n"
        "    use_accelerate_endpoint = false\n    use_dualstack_endpoint = True\n"))
    assert s3.meta.config.s3 == {"addressing_style": "path", "payload_signing_enabled": True,
                                 "use_accelerate_endpoint": False, "use_dualstack_endpoint": True}


def test_the_core_session_reports_the_typed_settings(tmp_path, monkeypatch):
    import ibm_botocore.session

    path = tmp_path / "config"
    path.write_text("[default]\ns3_use_arn_region = TRUE\ns3 =\n    payload_signing_enabled = false\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(path))
    assert ibm_botocore.session.get_session().get_config_variable("s3") == {"use_arn_region": True, "payload_signing_enabled": False}
    path.write_text("[default]\nregion = us-east-1\n")
    assert ibm_botocore.session.get_session().get_config_variable("s3") is None


def test_anything_but_true_is_false(tmp_path, monkeypatch):
    s3 = _client_with_config_file(tmp_path, monkeypatch, "[default]\ns3 =\n    payload_signing_enabled = yes\n")
    assert s3.meta.config.s3 == {"payload_signing_enabled": False}


def test_top_level_s3_keys_win_over_the_section(tmp_path, monkeypatch):
    s3 = _client_with_config_file(tmp_path, monkeypatch, (
        "[default]\ns3_use_arn_region = true\ns3_us_east_1_regional_endpoint = regional\n"
        "s3 =\n    use_arn_region = false\n"))
    assert s3.meta.config.s3 == {"use_arn_region": True, "us_east_1_regional_endpoint": "regional"}


def test_a_client_config_overrides_the_file(tmp_path, monkeypatch):
    s3 = _client_with_config_file(tmp_path, monkeypatch, "[default]\ns3 =\n    addressing_style = path\n",
                                  config=Config(s3={"addressing_style": "virtual"}))
    assert s3.meta.config.s3 == {"addressing_style": "virtual"}


@pytest.mark.parametrize("style, netloc, path", [("virtual", "bkt.cos.example.test", "/k"), ("path", "cos.example.test", "/bkt/k")])
def test_the_addressing_style_of_the_file_is_used(tmp_path, monkeypatch, style, netloc, path):
    s3 = _client_with_config_file(tmp_path, monkeypatch, "[default]\ns3 =\n    addressing_style = %s\n" % style,
                                  endpoint_url="https://cos.example.test")
    url = urlsplit(s3.generate_presigned_url("get_object", Params={"Bucket": "bkt", "Key": "k"}))
    assert (url.netloc, url.path) == (netloc, path)


@pytest.mark.parametrize("setting, expected", [("true", None), ("false", b"UNSIGNED-PAYLOAD"), ("no", b"UNSIGNED-PAYLOAD")])
def test_payload_signing_from_the_file_decides_the_payload_hash(tmp_path, monkeypatch, setting, expected):
    from ibm_botocore.awsrequest import AWSResponse

    s3 = _client_with_config_file(tmp_path, monkeypatch, "[default]\ns3 =\n    payload_signing_enabled = %s\n" % setting)
    sent = []

    class Raw:
        def stream(self, *args, **kwargs):
            yield b""

        def read(self, *args, **kwargs):
            return b""

    def answer(request, **kwargs):
        sent.append(request.headers["X-Amz-Content-SHA256"])
        return AWSResponse(request.url, 200, {}, Raw())

    s3.meta.events.register("before-send.s3", answer)
    s3.put_bucket_acl(Bucket="bkt", ACL="private")
    assert sent == [expected or hashlib.sha256(b"").hexdigest().encode()]


def test_an_invalid_addressing_style_in_the_file_is_refused(tmp_path, monkeypatch):
    with pytest.raises(InvalidS3AddressingStyleError):
        _client_with_config_file(tmp_path, monkeypatch, "[default]\ns3 =\n    addressing_style = sideways\n")


def test_an_invalid_regional_endpoint_setting_is_refused(tmp_path, monkeypatch):
    with pytest.raises(InvalidS3UsEast1RegionalEndpointConfigError):
        _client_with_config_file(tmp_path, monkeypatch, "[default]\ns3 =\n    us_east_1_regional_endpoint = nearby\n")
    with pytest.raises(InvalidS3UsEast1RegionalEndpointConfigError):
        make_client(config=Config(s3={"us_east_1_regional_endpoint": "nearby"}))


# -- presigned URLs ---------------------------------------------------------------------------
SSE_KEY = b"0123456789abcdef0123456789abcdef"


@pytest.mark.parametrize("signature_version", [None, "s3v4"])
def test_presigned_url_with_sse_c_names_the_key_md5(signature_version):
    config = Config(signature_version=signature_version) if signature_version else None
    s3 = make_client(config=config)
    url = s3.generate_presigned_url("get_object", Params={"Bucket": "bkt", "Key": "k", "SSECustomerAlgorithm": "AES256",
                                                          "SSECustomerKey": SSE_KEY.decode()})
    query = parse_qs(urlsplit(url).query)
    md5 = base64.b64encode(hashlib.md5(SSE_KEY).digest()).decode()
    if signature_version == "s3v4":
        signed = query["X-Amz-SignedHeaders"][0].split(";")
        assert "x-amz-server-side-encryption-customer-key-md5" in signed
    else:
        assert query["x-amz-server-side-encryption-customer-key-md5"] == [md5]
        assert query["x-amz-server-side-encryption-customer-algorithm"] == ["AES256"]
        assert query["x-amz-server-side-encryption-customer-key"] == [base64.b64encode(SSE_KEY).decode()]


# -- Stubber and errors -----------------------------------------------------------------------
def test_modeled_fields_must_fit_the_error_shape(client):
    stubber = Stubber(client)
    with pytest.raises(ParamValidationError):
        stubber.add_client_error("get_object", "NoSuchKey", modeled_fields={"NotAField": 1})
    with pytest.raises(ParamValidationError, match="should only contain ResponseMetadata"):
        stubber.add_client_error("get_object", "SomethingUnmodeled", modeled_fields={"Anything": "x"})
    stubber.add_client_error("get_object", "NoSuchKey", "gone", 404, modeled_fields={})
    with stubber:
        with pytest.raises(client.exceptions.NoSuchKey) as caught:
            client.get_object(Bucket="bkt", Key="k")
    assert str(caught.value) == "An error occurred (NoSuchKey) when calling the GetObject operation: gone"


def test_client_error_message_without_retry_attempts():
    response = {"Error": {"Code": "SlowDown", "Message": "slow"}, "ResponseMetadata": {"MaxAttemptsReached": True}}
    assert str(ClientError(response, "PutObject")) == "An error occurred (SlowDown) when calling the PutObject operation: slow"
    response["ResponseMetadata"]["RetryAttempts"] = 4
    assert str(ClientError(response, "PutObject")).endswith("operation (reached max retries: 4): slow")


# -- Session ----------------------------------------------------------------------------------
def test_an_unknown_resource_is_reported_as_such():
    session = ibm_boto3.session.Session(aws_access_key_id="a", aws_secret_access_key="b", region_name="us-east-1")
    with pytest.raises(ResourceNotExistsError) as caught:
        session.resource("doesnotexist")
    assert isinstance(caught.value, DataNotFoundError)
    with pytest.raises(UnknownServiceError):
        session.client("doesnotexist")
    with pytest.raises(UnknownAPIVersionError):
        session.resource("s3", api_version="1999-01-01", endpoint_url="http://127.0.0.1:9")


def test_available_regions_and_partitions():
    session = ibm_boto3.session.Session(region_name="us-east-1")
    regions = session.get_available_regions("s3")
    assert len(regions) == 22 and "us-east-1" in regions and "eu-west-1" in regions
    assert "aws-global" not in regions and "aws-global" in session.get_available_regions("s3", allow_non_regional=True)
    assert session.get_available_regions("s3", "aws-cn") == ["cn-north-1", "cn-northwest-1"]
    assert session.get_available_regions("nothing") == []
    assert session.get_available_partitions()[0] == "aws" and "aws-us-gov" in session.get_available_partitions()
    assert session.get_partition_for_region("cn-north-1") == "aws-cn"


def test_available_resources_come_from_the_data_loader(tmp_path, monkeypatch):
    session = ibm_boto3.session.Session(region_name="us-east-1")
    assert session.get_available_resources() == ["s3"]
    extra = tmp_path / "models" / "widgets" / "2020-01-01"
    extra.mkdir(parents=True)
    (extra / "resources-1.json").write_text(json.dumps({"service": {}, "resources": {}}))
    monkeypatch.setenv("AWS_DATA_PATH", str(tmp_path / "models"))
    session = ibm_boto3.session.Session(region_name="us-east-1")
    assert session.get_available_resources() == ["s3", "widgets"]

"""The credentials chain and its precedence, with a temporary HOME; and secrets in logs.

Sources, first match wins: explicit arguments, environment (IBM key wins over AWS keys),
~/.bluemix/cos_credentials (HMAC keys in it win over its API key), ~/.aws/credentials,
~/.aws/config. An explicit profile skips the environment and cos_credentials.
"""
from __future__ import annotations

import io
import json
import logging
import uuid

import pytest

import ibm_boto3
from ibm_botocore.client import Config
from ibm_botocore.credentials import Credentials, OAuth2Credentials
from ibm_botocore.exceptions import ConfigParseError, PartialCredentialsError

ENV_NAMES = (
    "IBM_API_KEY_ID", "IBM_SERVICE_INSTANCE_ID", "IBM_AUTH_ENDPOINT", "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "COS_CREDENTIALS_FILE",
    "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3",
)


@pytest.fixture
def home(tmp_path, monkeypatch):
    for name in ENV_NAMES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    return tmp_path


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def cos_credentials(home, **data):
    write(home / ".bluemix" / "cos_credentials", json.dumps(data))


def resolved(**session_kwargs):
    return ibm_boto3.session.Session(**session_kwargs).get_credentials()


def test_nothing_configured(home):
    assert resolved() is None


def test_environment_hmac(home, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "env-ak")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "env-sk")
    creds = resolved()
    assert isinstance(creds, Credentials) and not isinstance(creds, OAuth2Credentials)
    assert (creds.access_key, creds.secret_key, creds.method) == ("env-ak", "env-sk", "env")


def test_environment_partial(home, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "env-ak")
    with pytest.raises(PartialCredentialsError):
        resolved()


def test_environment_ibm_key_wins_over_aws_keys(home, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "env-ak")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "env-sk")
    monkeypatch.setenv("IBM_API_KEY_ID", "env-api-key")
    monkeypatch.setenv("IBM_SERVICE_INSTANCE_ID", "crn:env")
    monkeypatch.setenv("IBM_AUTH_ENDPOINT", "http://127.0.0.1:9/identity/token")
    creds = resolved()
    assert isinstance(creds, OAuth2Credentials)
    assert (creds.api_key_id, creds.service_instance_id, creds.auth_endpoint) == ("env-api-key", "crn:env", "http://127.0.0.1:9/identity/token")


def test_cos_credentials_api_key(home):
    cos_credentials(home, apikey="file-api-key", resource_instance_id="crn:file", iam_serviceid_crn="crn:sid", endpoints="https://x")
    creds = resolved()
    assert isinstance(creds, OAuth2Credentials)
    assert (creds.api_key_id, creds.service_instance_id, creds.method) == ("file-api-key", "crn:file", "ibm-cos-credentials-file")


def test_cos_credentials_hmac_keys_win_and_select_sigv4(home):
    cos_credentials(home, apikey="file-api-key", resource_instance_id="crn:file",
                    cos_hmac_keys={"access_key_id": "file-ak", "secret_access_key": "file-sk"})
    creds = resolved()
    assert type(creds) is Credentials
    assert (creds.access_key, creds.secret_key) == ("file-ak", "file-sk")
    client = ibm_boto3.client("s3", endpoint_url="http://127.0.0.1:9")
    assert client.meta.config.signature_version == "s3v4"


def test_cos_credentials_custom_location(home, monkeypatch):
    path = home / "elsewhere.json"
    path.write_text(json.dumps({"apikey": "moved-key"}))
    monkeypatch.setenv("COS_CREDENTIALS_FILE", str(path))
    assert resolved().api_key_id == "moved-key"


def test_malformed_cos_credentials_names_the_file_not_the_secret(home):
    write(home / ".bluemix" / "cos_credentials", '{"apikey": "super-secret-key-value", ')
    with pytest.raises(ConfigParseError) as info:
        resolved()
    text = str(info.value)
    assert "cos_credentials" in text
    assert "super-secret-key-value" not in text


def test_cos_credentials_win_over_aws_credentials_file(home):
    cos_credentials(home, apikey="file-api-key")
    write(home / ".aws" / "credentials", "[default]\naws_access_key_id = shared-ak\naws_secret_access_key = shared-sk\n")
    assert resolved().api_key_id == "file-api-key"


def test_environment_wins_over_cos_credentials(home, monkeypatch):
    cos_credentials(home, apikey="file-api-key")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "env-ak")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "env-sk")
    assert resolved().access_key == "env-ak"


def test_shared_credentials_file_hmac_and_ibm_key(home):
    write(home / ".aws" / "credentials",
          "[default]\naws_access_key_id = shared-ak\naws_secret_access_key = shared-sk\n"
          "[ibm]\nibm_api_key_id = shared-api-key\nibm_service_instance_id = crn:shared\naws_access_key_id = ignored\n")
    assert resolved().access_key == "shared-ak"
    creds = resolved(profile_name="ibm")
    assert isinstance(creds, OAuth2Credentials) and creds.api_key_id == "shared-api-key"
    assert creds.service_instance_id == "crn:shared"


def test_config_file_profile(home):
    write(home / ".aws" / "config", "[profile dev]\naws_access_key_id = cfg-ak\naws_secret_access_key = cfg-sk\nregion = eu-de\n")
    session = ibm_boto3.session.Session(profile_name="dev")
    assert session.get_credentials().access_key == "cfg-ak"
    assert session.region_name == "eu-de"


def test_explicit_profile_skips_environment_and_cos_credentials(home, monkeypatch):
    monkeypatch.setenv("IBM_API_KEY_ID", "env-api-key")
    cos_credentials(home, apikey="file-api-key")
    write(home / ".aws" / "credentials", "[team]\naws_access_key_id = team-ak\naws_secret_access_key = team-sk\n")
    assert resolved(profile_name="team").access_key == "team-ak"


def test_explicit_arguments_win(home, monkeypatch):
    monkeypatch.setenv("IBM_API_KEY_ID", "env-api-key")
    client = ibm_boto3.client("s3", aws_access_key_id="arg-ak", aws_secret_access_key="arg-sk", endpoint_url="http://127.0.0.1:9")
    assert client._request_signer._credentials.access_key == "arg-ak"
    client = ibm_boto3.client("s3", ibm_api_key_id="arg-key", aws_access_key_id="arg-ak", aws_secret_access_key="arg-sk",
                              endpoint_url="http://127.0.0.1:9")
    assert client._request_signer._credentials.api_key_id == "arg-key"  # IAM wins over HMAC arguments
    with pytest.raises(PartialCredentialsError):
        ibm_boto3.client("s3", aws_access_key_id="only-ak", endpoint_url="http://127.0.0.1:9")


def test_session_level_ibm_credentials(home):
    session = ibm_boto3.session.Session(ibm_api_key_id="session-key", ibm_service_instance_id="crn:session")
    creds = session.get_credentials()
    assert isinstance(creds, OAuth2Credentials) and creds.api_key_id == "session-key"


def test_reprs_never_show_secrets(home):
    hmac = Credentials("AKIDVISIBLEPART", "very-secret-secret-key")
    assert "very-secret-secret-key" not in repr(hmac)
    oauth = OAuth2Credentials(api_key_id="very-secret-api-key", service_instance_id="crn:x")
    assert "very-secret-api-key" not in repr(oauth)
    assert "very-secret-api-key" not in repr(oauth.token_manager)


ibm_cos_emulator = pytest.importorskip("ibm_cos_emulator")


def _debug_log_of(fn):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setLevel(logging.DEBUG)
    loggers = [logging.getLogger(name) for name in ("ibm_botocore", "ibm_boto3", "ibm_s3transfer", "urllib3")]
    old = [(lg, lg.level) for lg in loggers]
    for lg in loggers:
        lg.addHandler(handler)
        lg.setLevel(logging.DEBUG)
    try:
        fn()
    finally:
        for lg, level in old:
            lg.removeHandler(handler)
            lg.setLevel(level)
    return stream.getvalue()


def test_no_secret_in_debug_logs_of_full_sessions(home):
    with ibm_cos_emulator.Emulator() as emu:
        tokens = []

        def oauth_session():
            cos = ibm_boto3.client("s3", ibm_api_key_id=emu.api_key, ibm_service_instance_id=emu.instance_id,
                                   ibm_auth_endpoint=emu.auth_endpoint, config=Config(signature_version="oauth"),
                                   endpoint_url=emu.endpoint_url)
            bucket = "logs-%s" % uuid.uuid4().hex[:12]
            cos.create_bucket(Bucket=bucket)
            cos.put_object(Bucket=bucket, Key="k", Body=b"v")
            cos.get_object(Bucket=bucket, Key="k")["Body"].read()
            emu.expire_tokens()
            cos.list_objects_v2(Bucket=bucket)
            tokens.append(cos._request_signer._credentials.token_manager._token)
            tokens.append(cos._request_signer._credentials.token_manager._refresh_token)

        def hmac_session():
            cos = ibm_boto3.client("s3", aws_access_key_id=emu.access_key_id, aws_secret_access_key=emu.secret_access_key,
                                   endpoint_url=emu.endpoint_url)
            bucket = "logs-%s" % uuid.uuid4().hex[:12]
            cos.create_bucket(Bucket=bucket)
            cos.put_object(Bucket=bucket, Key="k", Body=b"v")
            cos.list_objects_v2(Bucket=bucket)

        text = _debug_log_of(oauth_session) + _debug_log_of(hmac_session)
        assert "Bearer" not in text or "Bearer <" in text
        for secret in [emu.api_key, emu.secret_access_key] + [t for t in tokens if t]:
            assert secret not in text
        assert len(text) > 0

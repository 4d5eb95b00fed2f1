"""Helpers of the user-style compatibility suite (a module name no other test directory uses)."""
import ibm_boto3


def make_client(endpoint_url="http://127.0.0.1:9", **kwargs):
    """A client of a fresh session (nothing shared between tests)."""
    session = ibm_boto3.session.Session(aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="secret-key-example",
                                        region_name="us-east-1")
    return session.client("s3", endpoint_url=endpoint_url, **kwargs)

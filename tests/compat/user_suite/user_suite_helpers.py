"""Helpers of the user-style compatibility suite (a module name no other test directory uses)."""
import io

import ibm_boto3


def make_client(endpoint_url="http://127.0.0.1:9", **kwargs):
    """A client of a fresh session (nothing shared between tests)."""
    session = ibm_boto3.session.Session(aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="secret-key-example",
                                        region_name="us-east-1")
    return session.client("s3", endpoint_url=endpoint_url, **kwargs)


class ReadOnlyBody:
    """A fake response body with read() and nothing else; the first read raises ``error`` when given."""

    def __init__(self, data, error=None):
        self._stream = io.BytesIO(data)
        self._error = error

    def read(self, amount=-1):
        if self._error is not None:
            error, self._error = self._error, None
            raise error
        return self._stream.read(amount)

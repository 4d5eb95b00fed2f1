"""The Aspera examples of the IBM COS Python guide (../shared/000_c4261d885bbf7f0d.txt,
"Aspera high-speed transfer"), verbatim: only the indentation, which the guide text lost,
is restored. ``test_aspera_guide.py`` fills in the ``"<...>"`` placeholders and runs them."""
# flake8: noqa

INIT = '''
import ibm_boto3
from ibm_botocore.client import Config
from ibm_s3transfer.aspera.manager import AsperaTransferManager
COS_ENDPOINT = "<endpoint>" # Current list avaiable at https://control.cloud-object-storage.cloud.ibm.com/v2/endpoints
COS_API_KEY_ID = "<api-key>"
COS_RESOURCE_CRN = "<resource-instance-id>"
COS_BUCKET_LOCATION = "<location>"
# Create resource
cos_client = ibm_boto3.client("s3",
    ibm_api_key_id=COS_API_KEY_ID,
    ibm_service_instance_id=COS_RESOURCE_CRN,
    config=Config(signature_version="oauth"),
    endpoint_url=COS_ENDPOINT
)
transfer_manager = AsperaTransferManager(cos)
'''

MULTI_SESSION_ALL = '''
ms_transfer_config = AsperaConfig(multi_session="all",
                                  target_rate_mbps=2500,
                                  multi_session_threshold_mb=100)
'''

MULTI_SESSION_2 = '''
from ibm_s3transfer.aspera.manager import AsperaConfig
# Configure 2 sessions for transfer
ms_transfer_config = AsperaConfig(multi_session=2,
                                  multi_session_threshold_mb=100)
# Create the Aspera Transfer Manager
transfer_manager = AsperaTransferManager(client=client,
                                         transfer_config=ms_transfer_config)
'''

UPLOAD = '''
bucket_name = "<bucket-name>"
upload_filename = "<absolute-path-to-file>"
object_name = "<item-name>"
# Create Transfer manager
with AsperaTransferManager(client) as transfer_manager:
    # Perform upload
    future = transfer_manager.upload(upload_filename, bucket_name, object_name)
    # Wait for upload to complete
    future.result()
'''

DOWNLOAD = '''
bucket_name = "<bucket-name>"
download_filename = "<absolute-path-to-file>"
object_name = "<object-to-download>"
# Create Transfer manager
with AsperaTransferManager(client) as transfer_manager:
    # Get object with Aspera
    future = transfer_manager.download(bucket_name, object_name, download_filename)
    # Wait for download to complete
    future.result()
'''

UPLOAD_DIRECTORY = '''
bucket_name = "<bucket-name>"
# THIS DIRECTORY MUST EXIST LOCALLY, and have objects in it.
local_upload_directory = "<absolute-path-to-directory>"
# THIS SHOULD NOT HAVE A LEADING "/"
remote_directory = "<object prefix>"
# Create Transfer manager
with AsperaTransferManager(client) as transfer_manager:
    # Perform upload
    future = transfer_manager.upload_directory(local_upload_directory, bucket_name, remote_directory)
    # Wait for upload to complete
    future.result()
'''

DOWNLOAD_DIRECTORY = '''
bucket_name = "<bucket-name>"
# THIS DIRECTORY MUST EXIST LOCALLY
local_download_directory = "<absolute-path-to-directory>"
remote_directory = "<object prefix>"
# Create Transfer manager
with AsperaTransferManager(client) as transfer_manager:
    # Get object with Aspera
    future = transfer_manager.download_directory(bucket_name, remote_directory, local_download_directory)
    # Wait for download to complete
    future.result()
'''

SUBSCRIBERS = '''
bucket_name = "<bucket-name>"
local_download_directory = "<absolute-path-to-directory>"
remote_directory = "<object prefix>"
# Subscriber callbacks
class CallbackOnQueued(AsperaBaseSubscriber):
    def __init__(self):
        pass
    def on_queued(self, future, **kwargs):
        print("Directory download queued.")
class CallbackOnProgress(AsperaBaseSubscriber):
    def __init__(self):
        pass
    def on_progress(self, future, bytes_transferred, **kwargs):
        print("Directory download in progress: %s bytes transferred" % bytes_transferred)
class CallbackOnDone(AsperaBaseSubscriber):
    def __init__(self):
        pass
    def on_done(self, future, **kwargs):
        print("Downloads complete!")
# Create Transfer manager
transfer_manager = AsperaTransferManager(client)
# Attach subscribers
subscribers = [CallbackOnQueued(), CallbackOnProgress(), CallbackOnDone()]
# Get object with Aspera
future = transfer_manager.download_directory(bucket_name, remote_directory, local_download_directory, None, subscribers)
# Wait for download to complete
future.result()
'''

PAUSE_RESUME_CANCEL = '''
# Create Transfer manager
bucket_name = "<bucket-name>"
local_download_directory = "<absolute-path-to-directory>"
remote_directory = "<object prefix>"
with AsperaTransferManager(client) as transfer_manager:
    # download a directory with Aspera
    future = transfer_manager.download_directory(bucket_name, remote_directory, local_download_directory, None, None)
    # pause the transfer
    future.pause()
    # resume the transfer
    future.resume()
    # cancel the transfer
    future.cancel()
'''


def fill(snippet: str, values: dict) -> str:
    """The snippet with its ``"<placeholder>"`` strings replaced by ``values[placeholder]``."""
    import re

    for placeholder, value in values.items():
        snippet = snippet.replace('"<%s>"' % placeholder, repr(value))
    left = re.findall(r'"<[^">]+>"', snippet)
    assert not left, left
    return snippet

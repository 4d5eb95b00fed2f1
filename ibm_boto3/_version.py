"""The version of the ibm_boto3 package (a leaf module: anything may import it)."""
__version__ = "2.16.2"

"""``python -m ibm_boto3``: the ``cos`` command line (needs the ``[cli]`` extra)."""
from ibm_boto3.cli import main

if __name__ == "__main__":
    raise SystemExit(main())

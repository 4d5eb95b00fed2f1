"""IBM Aspera high-speed transfers (deprecated).

``ibm_s3transfer.aspera.manager`` and ``ibm_s3transfer.aspera.futures`` need IBM's
closed-source ``cos-aspera`` package (the FASP manager library and the ``ascp``
binary); without it importing them raises ``ImportError("Aspera SDK not installed")``.
Use :class:`ibm_s3transfer.manager.TransferManager` instead.
"""

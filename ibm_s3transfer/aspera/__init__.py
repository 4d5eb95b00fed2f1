"""Aspera-compatible high-speed transfers on this SDK's own parallel HTTP engine.

``ibm_s3transfer.aspera.manager.AsperaTransferManager`` has the API of ibm-cos-sdk's
Aspera transfer manager (files and directories, AsperaConfig, subscribers, pause /
resume / cancel) but needs neither IBM's closed-source ``cos-aspera`` package nor its
``ascp`` binary: transfers are parallel multipart uploads and ranged downloads over
HTTPS (see :mod:`ibm_s3transfer.directory` and docs/aspera.md).
"""

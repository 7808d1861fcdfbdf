"""QĐ 1551/QĐ-BYT: the exam record signed for the Ministry's health-check database, and its push envelope.

``certs`` opens a signing certificate (a PKCS#12 file or a PKCS#11 token), ``xmldsig`` signs and verifies the
KHAMSUCKHOE file (XML-DSig, C14N 1.0 written here on the standard library), ``envelope`` wraps a signed file in
the data hub's push envelope and queues it for the hub.
"""

"""QĐ 1551/QĐ-BYT: the Ministry of Health's health-check data set (amended by QĐ 2062/QĐ-BYT) — station settings,
the codes of an exam, the KHAMSUCKHOE file, its schema and validator, the export — and the record signed for the
Ministry's health-check database with its push envelope.

``certs`` opens a signing certificate (a PKCS#12 file or a PKCS#11 token), ``xmldsig`` signs and verifies the
KHAMSUCKHOE file (XML-DSig, C14N 1.0 written here on the standard library), ``envelope`` wraps a signed file in
the data hub's push envelope and queues it for the hub; ``sign_off`` does all of it when a doctor signs an exam.
"""

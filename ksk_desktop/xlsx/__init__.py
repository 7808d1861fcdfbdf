"""Excel workbooks: checking a file before a reader opens it (``guard``) and writing our own (``writer``)."""

"""The Ministry of Health's health-check data set (QĐ 1551/QĐ-BYT, amended by QĐ 2062/QĐ-BYT): station settings,
the codes of an exam, the KHAMSUCKHOE file, its schema and validator, and the export."""

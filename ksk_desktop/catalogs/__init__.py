"""Reference lists the station reads: Hải Phòng's communes and the ICD-10 catalogue (bundled, and the Ministry's list imported on top)."""

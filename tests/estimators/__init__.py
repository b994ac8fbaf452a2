"""Tests of divergan.estimators (a package so that test-file names cannot clash with other folders)."""

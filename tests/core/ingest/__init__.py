"""Tests of core/ingest."""

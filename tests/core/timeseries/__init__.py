"""Tests of core/timeseries."""

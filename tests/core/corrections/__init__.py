"""Tests of core/corrections."""

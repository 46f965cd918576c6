"""Tests of core/io."""

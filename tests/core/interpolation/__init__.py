"""Tests of core/interpolation."""

"""Tests of core/analysis."""

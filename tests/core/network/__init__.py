"""Tests of core/network."""

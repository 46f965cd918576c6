"""Tests of core/drivers."""

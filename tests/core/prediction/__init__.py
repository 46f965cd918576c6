"""Tests of core/prediction."""

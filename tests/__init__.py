"""Tests of O-Switcher; a package so the e2e harness can import the fake provider."""

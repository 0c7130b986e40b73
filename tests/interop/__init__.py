"""Tests of configuration in and out (server/interop)."""

"""Stamps.com (SWSIM): the client, its errors and its result types.

Import what you need from the submodules (``carriers.stamps.client.client_for``,
``carriers.stamps.errors``, ``carriers.stamps.types``). This package module stays empty so
that the sandbox app under it can be loaded before the model registry is ready.
"""

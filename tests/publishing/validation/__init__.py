"""The manifest, bundle and styles checks shared by the CLI and the publish service.

These tests need neither Django nor a database: the package runs on publishers' laptops.
"""

import pytest


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Test users need no slow key stretching; keeps these tests quick on a shared machine."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

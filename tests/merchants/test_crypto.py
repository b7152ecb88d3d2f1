from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from django.db import connection

from carriers.models import CarrierAccount
from merchants import crypto

pytestmark = pytest.mark.django_db


def raw_password_column(account: CarrierAccount) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT password FROM {CarrierAccount._meta.db_table} WHERE id = %s", [account.pk]
        )
        return cursor.fetchone()[0]


def test_carrier_password_is_encrypted_at_rest_and_readable_in_code(merchant):
    account = CarrierAccount.objects.create(
        merchant=merchant, nickname="Main", username="acme", password="hunter2-secret"
    )
    stored = raw_password_column(account)
    assert "hunter2-secret" not in stored
    assert CarrierAccount.objects.get(pk=account.pk).password == "hunter2-secret"
    assert "hunter2" not in repr(CarrierAccount.objects.get(pk=account.pk).password)


def test_key_rotation_newest_encrypts_all_decrypt(merchant, settings):
    old_key = settings.FIELD_ENCRYPTION_KEYS[0]
    account = CarrierAccount.objects.create(
        merchant=merchant, nickname="Main", username="acme", password="s3cret-value"
    )
    old_token = raw_password_column(account)
    new_key = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [new_key, old_key]
    assert CarrierAccount.objects.get(pk=account.pk).password == "s3cret-value"
    rotated = crypto.rotate(old_token)
    settings.FIELD_ENCRYPTION_KEYS = [new_key]
    assert crypto.decrypt(rotated) == "s3cret-value"

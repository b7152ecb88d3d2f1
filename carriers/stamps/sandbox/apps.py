from django.apps import AppConfig


class StampsSandboxConfig(AppConfig):
    name = "carriers.stamps.sandbox"
    label = "stamps_sandbox"
    verbose_name = "Stamps.com sandbox"
    default_auto_field = "django.db.models.BigAutoField"

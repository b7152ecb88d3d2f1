from django.apps import AppConfig


class MerchantsConfig(AppConfig):
    name = "merchants"
    # The models were born in the project package; keeping its label keeps their tables,
    # migrations and content types where existing databases have them.
    label = "shipdesk"
    verbose_name = "ShipDesk"

    def ready(self) -> None:
        from merchants import auth  # noqa: F401  (connects the failed sign-in counter)

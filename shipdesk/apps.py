from django.apps import AppConfig


class ShipdeskConfig(AppConfig):
    name = "shipdesk"
    verbose_name = "ShipDesk"

    def ready(self) -> None:
        from shipdesk import auth  # noqa: F401  (connects the failed sign-in counter)

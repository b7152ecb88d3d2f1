from django.apps import AppConfig


class FundingConfig(AppConfig):
    name = "funding"

    def ready(self) -> None:
        from carriers.signals import account_connected
        from funding.ledger import open_ledger

        account_connected.connect(open_ledger, dispatch_uid="funding.open_ledger")

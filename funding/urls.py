from django.urls import path, register_converter

from funding import views


class _Digits:
    width = 2
    regex = "[0-9]{2,}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int | str) -> str:
        return f"{int(value):0{self.width}d}"


class YearConverter(_Digits):
    width = 4
    regex = "[0-9]{4,}"


class MonthConverter(_Digits):
    width = 2


register_converter(YearConverter, "yyyy")
register_converter(MonthConverter, "mm")

app_name = "funding"

urlpatterns = [
    path("", views.funds, name="home"),
    path("ledger.csv", views.ledger_csv, name="ledger-csv"),
    path("<int:account_id>/", views.account_card, name="account"),
    path("<int:account_id>/add/", views.add_funds, name="add"),
    path("<int:account_id>/sync/", views.sync_balance, name="sync"),
    path("<int:account_id>/auto-funding/", views.auto_funding, name="auto-funding"),
    path(
        "<int:account_id>/carrier-auto-buy/off/",
        views.carrier_auto_buy_off,
        name="carrier-auto-buy-off",
    ),
    path(
        "<int:account_id>/statements/<yyyy:year>-<mm:month>.pdf",
        views.statement,
        name="statement",
    ),
]

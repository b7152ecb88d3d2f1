from django.apps import AppConfig


class EndOfDayConfig(AppConfig):
    name = "endofday"
    verbose_name = "End of day: SCAN forms and pickups"

from django.apps import AppConfig


class TrackingConfig(AppConfig):
    name = "tracking"
    verbose_name = "Tracking, customer e-mails and webhooks"

    def ready(self) -> None:
        # The lower apps send signals; tracking listens (they never import tracking).
        from tracking import receivers  # noqa: F401

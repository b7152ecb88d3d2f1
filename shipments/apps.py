from django.apps import AppConfig


class ShipmentsConfig(AppConfig):
    name = "shipments"
    verbose_name = "Shipments and labels"

    def ready(self) -> None:
        from funding.signals import refund_settled, unsettled_credits, unsettled_debits
        from shipments.labels import unsettled_charges
        from shipments.voids import record_refund, unsettled_refunds

        refund_settled.connect(record_refund, dispatch_uid="shipments.record_refund")
        unsettled_debits.connect(unsettled_charges, dispatch_uid="shipments.unsettled_charges")
        unsettled_credits.connect(unsettled_refunds, dispatch_uid="shipments.unsettled_refunds")

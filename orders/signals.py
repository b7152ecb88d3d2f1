"""What happened to orders, for the apps above (tracking: webhooks). Sent after commit."""

from django.dispatch import Signal

# merchant=Merchant, order_ids=list[int] (the orders the import created)
orders_imported = Signal()

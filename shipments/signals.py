"""What happened to labels, for the apps above (tracking: customer e-mails, webhooks).

Sent after the change is committed, so receivers never see a state that rolls back.
shipments never imports its listeners: the higher app connects to these in its ready().
"""

from django.dispatch import Signal

# shipment=Shipment
label_bought = Signal()
# shipment=Shipment
label_voided = Signal()
# batch=Batch
batch_finished = Signal()

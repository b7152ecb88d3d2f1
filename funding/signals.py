"""What happened to money, for the apps above (shipments shows a label's refund).

Sent after the change is committed; funding never imports its listeners: the higher app
connects to these in its ready().
"""

from django.dispatch import Signal

# refund=funding.models.Refund, settled by the carrier (refunded or denied)
refund_settled = Signal()

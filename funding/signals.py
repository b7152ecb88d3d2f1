"""What happened to money, for the apps above (shipments shows a label's refund).

Sent after the change is committed; funding never imports its listeners: the higher app
connects to these in its ready().
"""

from django.dispatch import Signal

# refund=funding.models.Refund, settled by the carrier (refunded or denied)
refund_settled = Signal()

# account_id=int. Receivers return the Decimal the carrier may have charged the account that
# the ledger does not show yet (labels whose CreateIndicium answer was lost), or None. A lost
# purchase is judged "not bought" only when the balance proves it even counting these.
unsettled_debits = Signal()

# account_id=int. Receivers return the Decimal the carrier may have credited the account that
# ShipDesk does not know of yet (refunds of labels whose CancelIndicium answer was lost), or
# None. A purchase is judged bought from the balance only beyond these.
unsettled_credits = Signal()

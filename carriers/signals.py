"""What carriers tells the floors above it, without importing them."""

from django.dispatch import Signal

# Sent inside the transaction that saves a newly connected account (keyword ``account``);
# funding opens the account's ledger from it (R14), in that same transaction.
account_connected = Signal()

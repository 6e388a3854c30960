"""Webhooks for providers: signed events pushed to the endpoints a provider registers.

events.py    what happened, as an event body; written as a delivery per endpoint in the
             transaction of the change (``enqueue``: nothing sent for a rollback)
signing.py   ``Voucher-Signature: t=...,v1=...`` (Stripe's scheme: HMAC-SHA256 of
             "timestamp.body"), one v1 per live secret during a rotation
delivery.py  the drain (``deliver_due``): claims due deliveries (SKIP LOCKED on
             PostgreSQL), posts them, logs each attempt, retries with backoff for a day
service.py   endpoints (register, list, delete, rotate), the delivery log, resend
"""

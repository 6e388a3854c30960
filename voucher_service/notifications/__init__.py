"""Notifications: what people are told, in their console inbox and by mail.

    events.py      what can be told (``Event``), to whom, in which words (zh-CN, en)
    recipients.py  who: an enterprise's, a provider's or the bureau's people
    service.py     ``notify`` (in the caller's transaction), the inbox, mail preferences
    scheduled.py   the periodic notifications (expiring vouchers, caps, daily digests)
    outbox.py      claiming, marking and pruning outbox rows (safe with many workers)
    mail.py        the mail: composed in Chinese, sent over SMTP or written to the log
    worker.py      the worker's loop and its drains (``voucher-service worker``)

Services call ``notify(session, Event.X, of_enterprise(id), **params)`` where the event
happens; docs/operations.md runs the worker.
"""

from voucher_service.notifications.events import Event
from voucher_service.notifications.recipients import of_bureau, of_enterprise, of_provider
from voucher_service.notifications.service import notify

__all__ = ["Event", "notify", "of_bureau", "of_enterprise", "of_provider"]

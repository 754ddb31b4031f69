"""`opera notify`: queue what the event log and the due dates call for, then send what is due — e-mails and
the partners' webhooks (for cron)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask import Flask

from engine.db import writing
from engine.models import utcnow

from ..api.webhooks import DeliveryReport, deliver_due, queue_events
from . import enquiries, rules
from .sender import SendReport, SmtpSettings, send_due


@dataclass
class NotifyReport:
    from_events: int
    reminders: int
    sending: SendReport
    enquiries: int = 0  # public catalogue enquiries whose message was not queued yet
    webhooks: int = 0  # deliveries queued for the partners' endpoints
    webhook_sending: DeliveryReport = field(default_factory=DeliveryReport)

    def __str__(self) -> str:
        return (f"queued {self.from_events} from events, {self.reminders} reminders and {self.enquiries} "
                f"enquiries; e-mail: {self.sending}; webhooks: {self.webhooks} queued, {self.webhook_sending}")


def notify(app: Flask, now: datetime | None = None, send: bool = True) -> NotifyReport:
    given = now
    now = now or utcnow()
    services = app.extensions["opera"]
    # Every transaction of this session writes: it starts holding SQLite's write lock, so two runs at once
    # take turns instead of failing.
    with app.app_context(), writing(services.sessions)() as session:
        from_events = rules.queue_from_events(session, services.library)
        reminders = rules.queue_reminders(session, services.library, now,
                                          days_before=int(app.config.get("REMINDER_DAYS_BEFORE", 3)))
        missing_enquiries = enquiries.queue_missing(session, now)
        webhooks = queue_events(session)
    # Sent "now" means after the queueing, so that what was just queued goes out in the same run.
    sending = (send_due(services.sessions, SmtpSettings.from_config(app.config), given or utcnow())
               if send else SendReport())
    webhook_sending = deliver_due(services.sessions, given or utcnow()) if send else DeliveryReport()
    return NotifyReport(from_events, reminders, sending, missing_enquiries, webhooks, webhook_sending)

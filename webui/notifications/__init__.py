"""Notifications: events and due dates turned into messages (e-mail through an outbox, and in-app)."""

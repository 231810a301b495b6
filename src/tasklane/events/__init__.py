"""The event log: activity history, audit trail and transactional outbox in one table."""

"""The worker: event dispatch, durable jobs with retries, periodic housekeeping."""

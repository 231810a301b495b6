"""Live updates: the WebSocket endpoint, subscriptions, presence and the broker."""

"""What a caller may do. The only place that maps roles to permissions."""

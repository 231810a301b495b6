"""Who is calling: passwords, tokens, cookies and the Principal dependency."""

"""People's accounts for the web console: sign-in with a password, sessions, throttling."""

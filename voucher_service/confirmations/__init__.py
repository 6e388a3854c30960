"""The checker's queue: proposals waiting for a second person, and what confirming does."""

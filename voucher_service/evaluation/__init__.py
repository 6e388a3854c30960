"""The yearly evaluation of a program (动态评估) and next year's recommended pool."""

"""The bureau's figures per program and year: totals, months, districts, providers, size
classes, and the enterprises near their cap (the console's overview reads them)."""

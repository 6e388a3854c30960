"""The bureau's pages (市经信局): overview, applications, vouchers, enterprises, providers,
statements, the audit log and the yearly evaluation; ``router.py`` gathers them."""

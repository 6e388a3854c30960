"""Console strings of the caps branch (issue 25 item 2: a cap per subsidy year beside the
lifetime cap), as tuple-catalogue rows until ``voucher_tools.i18n_to_po convert`` merges
them into the .po catalogs."""

ROWS = (
    ("programs.year_cap", "每年封顶额", "Cap a year"),
    ("history.field.year_cap_fen", "每年封顶额", "Cap a year"),
    ("my_status.year_cap", "每年补助上限", "Cap a year"),
)

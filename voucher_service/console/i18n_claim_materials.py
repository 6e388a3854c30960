"""Console strings of a claim's materials (contract, invoices, proof of payment), pending
conversion into the catalogs (``python -m voucher_tools.i18n_to_po convert``)."""

ROWS = (("material.kind.payment_proof", "付款凭证", "Proof of payment"),)

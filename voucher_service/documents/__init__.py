"""Printable documents (PDF, rendered by WeasyPrint from the HTML templates beside this
module): the approval notice (审批通知书) of an approved application and the settlement
statement (结算单), each with its document number, the policy clause it rests on, its
amounts in figures and in Chinese capitals (``domain.capitals``), and signature and seal
lines for the files of the enterprise, the provider and the bureau."""

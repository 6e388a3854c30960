"""A refusal's message kept as an English template and its parameters.

The rules here say why they refuse a value (``'八万' is not an amount in yuan ...``); the
service answers in the caller's language (``voucher_service.error_language``), so a message
is not formatted once and for all where it is raised: the template (the catalog's msgid) and
the parameters travel with the error, and ``str()`` is the English text.
"""

from __future__ import annotations


class RefusedValue(ValueError):
    """A value a rule refuses: ``template`` (English, ``str.format`` placeholders) and
    ``params``; its ``str()`` is the English message."""

    def __init__(self, template: str, **params: object) -> None:
        super().__init__(template.format(**params) if params else template)
        self.template = template
        self.params = params

"""The service's error vocabulary: one class per failure a client must tell apart.

    ServiceError                      (code, status, message)
    ├── InvalidInput            422   malformed values: money, credit codes, voucher codes, dates
    ├── Unauthorized            401   no key, or a bad, expired or revoked one
    ├── Forbidden               403   a valid key whose role may not do this; the same
    │                                 person as the maker where a second one must check
    ├── TooManyFailures         429   too many failed authentications from here: wait
    ├── NotFound                404   unknown id, or something the caller may not see
    └── Conflict                409   a business rule refuses the request; nothing was written
        ├── AlreadyExists             duplicate identity (program code, pool year, USCC, ...)
        ├── PoolBelowMinimum          pool smaller than the program minimum
        ├── PoolInsufficient          pool's available balance is less than the face value
        ├── CapExceeded               face value above what the enterprise may still receive
        ├── WindowEnded               the enterprise's subsidy window has ended
        ├── ProgramNotValid           date outside the program's validity
        ├── InvalidState              e.g. revoking a voucher that is already revoked
        ├── ProviderSuspended         a suspended provider may not post usage
        ├── RecordConflict            a record id reused with a different body
        ├── RefundExceedsFee          an adjustment refunds more than is left of the fee
        ├── NotEligible               an application no longer passes its checks
        ├── NotSelected               a program needing selection (measure 3): not selected
        ├── TopUpRefused              a top-up declaration that breaks a stacking rule
        └── MaterialsMissing          the program's required materials are not all filed
    DocumentTooLarge            413   an uploaded document above the size setting
    TooManyObjections           429   the public objection form, sent too often from here

Each is mapped once, in ``api.py``, to ``{"error": {"code": ..., "message": ...}}``. The
message is an English template and its parameters (``NotFound("no program {program_code}",
program_code=code)``), said at the edge in the caller's language (``error_language``: the
template is the msgid of ``locale/*/LC_MESSAGES/errors.po``); ``message`` is the English text. Every
code a client can see is a member of ``ErrorCode``, written once, here: a class's default
code, or a more precise one given where it is raised (``NotFound(..., code=ErrorCode.X)``).
A unique key lost to a concurrent request is answered as ``already_exists`` too (409); any
other integrity error the database raises (a CHECK, a foreign key) is a bug, a 500.
"""

from __future__ import annotations

from enum import StrEnum


class ErrorCode(StrEnum):
    """Every error code the service answers with. Clients program against these."""

    # 400/401/403/405/408/413/415/429/431: the request itself
    BAD_REQUEST = "bad_request"
    UNAUTHORIZED = "unauthorized"
    FORBIDDEN = "forbidden"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
    HTTP_ERROR = "http_error"
    TOO_MANY_FAILURES = "too_many_failures"
    WRONG_PASSWORD = "wrong_password"  # sign-in (401), or the current password (422)
    ACCOUNT_DISABLED = "account_disabled"
    WRONG_CODE = "wrong_code"  # a second factor's code (401 at sign-in, 422 at enrolment)
    CSRF = "csrf"  # a console form without its token (403)
    SAME_PERSON = "same_person"  # maker-checker: a second person must do this (403)
    SELF_GRANT = "self_grant"  # nobody changes their own duties (403)
    ACTOR_REQUIRED = "actor_required"  # money moves only by a named person (403)
    BODY_TOO_LARGE = "body_too_large"
    REQUEST_TIMEOUT = "request_timeout"  # headers or body not sent in time (408)
    HEADERS_TOO_LARGE = "headers_too_large"  # 431
    # 5xx: the service
    DATABASE_UNAVAILABLE = "database_unavailable"  # the database could not answer
    OVERLOADED = "overloaded"
    INTERNAL = "internal"
    # 422: malformed values
    INVALID_INPUT = "invalid_input"
    INVALID_AMOUNT = "invalid_amount"
    INVALID_PERIOD = "invalid_period"
    INVALID_RULES = "invalid_rules"
    INVALID_STATUS = "invalid_status"
    INVALID_FILTER = "invalid_filter"
    INVALID_SEARCH = "invalid_search"
    INVALID_SORT = "invalid_sort"
    INVALID_CURSOR = "invalid_cursor"
    INVALID_YEAR = "invalid_year"
    INVALID_TIME = "invalid_time"
    INVALID_CAPACITY = "invalid_capacity"
    INVALID_URL = "invalid_url"
    INVALID_EXPIRY = "invalid_expiry"
    INVALID_USCC = "invalid_uscc"
    UNKNOWN_FIELD = "unknown_field"  # a measure-3 field (领域) not in the program's list
    INVALID_VOUCHER_CODE = "invalid_voucher_code"
    INVALID_RECORD = "invalid_record"
    INVALID_UPLOAD = "invalid_upload"  # a spreadsheet that cannot be read as a whole
    REASON_REQUIRED = "reason_required"
    REFERENCE_REQUIRED = "reference_required"
    INVALID_LOGIN = "invalid_login"
    INVALID_DISPLAY_NAME = "invalid_display_name"
    WEAK_PASSWORD = "weak_password"
    SAME_PASSWORD = "same_password"
    USCC_REQUIRED = "uscc_required"
    DUTIES_CONFLICT = "duties_conflict"  # duties one person may not hold together
    INVALID_ADDRESS = "invalid_address"  # a mail address for notifications
    INVALID_EVENT = "invalid_event"  # a notification event the person cannot receive
    INVALID_DOCUMENT = "invalid_document"  # not a PDF, JPEG or PNG by its content; empty
    INVALID_DOCUMENT_KIND = "invalid_document_kind"
    DOCUMENT_TOO_LARGE = "document_too_large"  # 413
    TOO_MANY_OBJECTIONS = "too_many_objections"  # 429
    # 404: unknown, or not the caller's to see
    NOT_FOUND = "not_found"
    PROGRAM_NOT_FOUND = "program_not_found"
    POOL_NOT_FOUND = "pool_not_found"
    ENTERPRISE_NOT_FOUND = "enterprise_not_found"
    PROVIDER_NOT_FOUND = "provider_not_found"
    VOUCHER_NOT_FOUND = "voucher_not_found"
    REDEMPTION_NOT_FOUND = "redemption_not_found"
    RECORD_NOT_FOUND = "record_not_found"
    STATEMENT_NOT_FOUND = "statement_not_found"
    APPLICATION_NOT_FOUND = "application_not_found"
    SELECTION_NOT_FOUND = "selection_not_found"
    KEY_NOT_FOUND = "key_not_found"
    ACCOUNT_NOT_FOUND = "account_not_found"
    DISPUTE_NOT_FOUND = "dispute_not_found"
    MESSAGE_NOT_FOUND = "message_not_found"  # an inbox message (not one's own: 404 too)
    WEBHOOK_ENDPOINT_NOT_FOUND = "webhook_endpoint_not_found"
    WEBHOOK_DELIVERY_NOT_FOUND = "webhook_delivery_not_found"
    DOCUMENT_NOT_FOUND = "document_not_found"
    OBJECTION_NOT_FOUND = "objection_not_found"
    CLAIM_NOT_FOUND = "claim_not_found"
    GRANT_NOT_FOUND = "grant_not_found"
    MILESTONE_NOT_FOUND = "milestone_not_found"
    # 409: a business rule refuses the request
    CONFLICT = "conflict"
    ALREADY_EXISTS = "already_exists"
    ACCOUNT_EXISTS = "account_exists"
    POOL_BELOW_MINIMUM = "pool_below_minimum"
    POOL_INSUFFICIENT = "pool_insufficient"
    CAP_EXCEEDED = "cap_exceeded"
    WINDOW_ENDED = "window_ended"
    PROGRAM_NOT_VALID = "program_not_valid"
    INVALID_STATE = "invalid_state"
    PERIOD_OPEN = "period_open"
    PROVIDER_SUSPENDED = "provider_suspended"
    RECORD_ID_CONFLICT = "record_id_conflict"
    REFUND_EXCEEDS_FEE = "refund_exceeds_fee"
    NOT_ELIGIBLE = "not_eligible"
    NOT_SELECTED = "not_selected"
    TOP_UP_REFUSED = "top_up_refused"
    DISPUTE_OPEN = "dispute_open"  # a record has one open dispute at a time
    NOT_DISPUTABLE = "not_disputable"  # only a usage record (not a refund or a layer)
    MATERIALS_MISSING = "materials_missing"
    # Claims after payment (claims/): an invoice is claimed once, ever; spending subsidised at
    # the point of sale is not claimed again; each program pays one way.
    INVOICE_ALREADY_CLAIMED = "invoice_already_claimed"
    ALREADY_SUBSIDISED = "already_subsidised"
    NOT_REIMBURSEMENT = "not_reimbursement"  # a claim on a point-of-sale program
    REIMBURSEMENT_PROGRAM = "reimbursement_program"  # a voucher of a reimbursement program
    POOL_ABOVE_MAXIMUM = "pool_above_maximum"  # a pool above its program's maximum
    GRANT_EXCEEDED = "grant_exceeded"  # instalments above a grant's approved amount


class ServiceError(Exception):
    status = 400
    code = ErrorCode.BAD_REQUEST

    def __init__(self, message: str, *, code: ErrorCode | None = None, **params: object) -> None:
        """``message``: an English template, ``{name}`` filled from ``params``."""
        english = message.format(**params) if params else message
        super().__init__(english)
        self.message = english
        self.template = message
        self.params = params
        if code is not None:
            self.code = code


class InvalidInput(ServiceError):
    status = 422
    code = ErrorCode.INVALID_INPUT


class Unauthorized(ServiceError):
    status = 401
    code = ErrorCode.UNAUTHORIZED


class Forbidden(ServiceError):
    status = 403
    code = ErrorCode.FORBIDDEN


class TooManyFailures(ServiceError):
    status = 429
    code = ErrorCode.TOO_MANY_FAILURES

    def __init__(self, message: str, *, retry_after: int, **params: object) -> None:
        super().__init__(message, **params)
        self.retry_after = retry_after


class NotFound(ServiceError):
    status = 404
    code = ErrorCode.NOT_FOUND


class Conflict(ServiceError):
    status = 409
    code = ErrorCode.CONFLICT


class AlreadyExists(Conflict):
    code = ErrorCode.ALREADY_EXISTS


class PoolBelowMinimum(Conflict):
    code = ErrorCode.POOL_BELOW_MINIMUM


class PoolAboveMaximum(Conflict):
    code = ErrorCode.POOL_ABOVE_MAXIMUM


class PoolInsufficient(Conflict):
    code = ErrorCode.POOL_INSUFFICIENT


class CapExceeded(Conflict):
    code = ErrorCode.CAP_EXCEEDED


class WindowEnded(Conflict):
    code = ErrorCode.WINDOW_ENDED


class ProgramNotValid(Conflict):
    code = ErrorCode.PROGRAM_NOT_VALID


class InvalidState(Conflict):
    code = ErrorCode.INVALID_STATE


class ProviderSuspended(Conflict):
    code = ErrorCode.PROVIDER_SUSPENDED


class RecordConflict(Conflict):
    code = ErrorCode.RECORD_ID_CONFLICT


class RefundExceedsFee(Conflict):
    code = ErrorCode.REFUND_EXCEEDS_FEE


class NotEligible(Conflict):
    code = ErrorCode.NOT_ELIGIBLE


class NotSelected(Conflict):
    code = ErrorCode.NOT_SELECTED


class TopUpRefused(Conflict):
    code = ErrorCode.TOP_UP_REFUSED


class MaterialsMissing(Conflict):
    code = ErrorCode.MATERIALS_MISSING


class GrantExceeded(Conflict):
    code = ErrorCode.GRANT_EXCEEDED


class DocumentTooLarge(ServiceError):
    status = 413
    code = ErrorCode.DOCUMENT_TOO_LARGE


class TooManyObjections(TooManyFailures):
    code = ErrorCode.TOO_MANY_OBJECTIONS

"""The service's error vocabulary: one class per failure a client must tell apart.

    ServiceError                      (code, status, message)
    ├── InvalidInput            422   malformed values: money, credit codes, voucher codes, dates
    ├── Unauthorized            401   no key, or a bad, expired or revoked one
    ├── Forbidden               403   a valid key whose role may not do this
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
        └── RefundExceedsFee          an adjustment refunds more than is left of the fee

Each is mapped once, in ``api.py``, to ``{"error": {"code": ..., "message": ...}}``.
"""

from __future__ import annotations


class ServiceError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class InvalidInput(ServiceError):
    status = 422
    code = "invalid_input"


class Unauthorized(ServiceError):
    status = 401
    code = "unauthorized"


class Forbidden(ServiceError):
    status = 403
    code = "forbidden"


class TooManyFailures(ServiceError):
    status = 429
    code = "too_many_failures"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class NotFound(ServiceError):
    status = 404
    code = "not_found"


class Conflict(ServiceError):
    status = 409
    code = "conflict"


class AlreadyExists(Conflict):
    code = "already_exists"


class PoolBelowMinimum(Conflict):
    code = "pool_below_minimum"


class PoolInsufficient(Conflict):
    code = "pool_insufficient"


class CapExceeded(Conflict):
    code = "cap_exceeded"


class WindowEnded(Conflict):
    code = "window_ended"


class ProgramNotValid(Conflict):
    code = "program_not_valid"


class InvalidState(Conflict):
    code = "invalid_state"


class ProviderSuspended(Conflict):
    code = "provider_suspended"


class RecordConflict(Conflict):
    code = "record_id_conflict"


class RefundExceedsFee(Conflict):
    code = "refund_exceeds_fee"

"""Every table of the service, for Alembic and the schema test: importing this module
registers them all on the one metadata."""

from voucher_service.accounts import models as _accounts  # noqa: F401
from voucher_service.applications import models as _applications  # noqa: F401
from voucher_service.audit import models as _audit  # noqa: F401
from voucher_service.auth import models as _auth  # noqa: F401
from voucher_service.db.base import metadata
from voucher_service.enterprises import models as _enterprises  # noqa: F401
from voucher_service.ledger import models as _ledger  # noqa: F401
from voucher_service.monitoring import models as _monitoring  # noqa: F401
from voucher_service.programs import models as _programs  # noqa: F401
from voucher_service.providers import models as _providers  # noqa: F401
from voucher_service.redemptions import models as _redemptions  # noqa: F401
from voucher_service.settlement import models as _settlement  # noqa: F401
from voucher_service.usage import models as _usage  # noqa: F401
from voucher_service.vouchers import models as _vouchers  # noqa: F401

__all__ = ["metadata"]

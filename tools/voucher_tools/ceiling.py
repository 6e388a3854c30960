"""The benchmark's HTTP ceiling: the same request as a single usage post, parsed and
validated by the same schema and answered 201 with a record-sized reply, by FastAPI on
uvicorn, with no gate, no authentication and no database.

No service built on this stack can post records faster than this on the same machine; the
benchmark reports it beside the floor, so the share of the floor that HTTP alone leaves is
visible (docs/performance.md).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, status

from voucher_service.usage.schemas import UsageRecordIn

app = FastAPI()


@app.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@app.post("/v1/provider/{uscc}/usage-records", status_code=status.HTTP_201_CREATED)
async def post_usage(uscc: str, body: UsageRecordIn) -> dict[str, Any]:
    report = body.report()
    return {
        "record_id": report.record_id,
        "outcome": "subsidised",
        "fee_yuan": "1.00",
        "subsidy_yuan": "0.50",
        "enterprise_share_yuan": "0.50",
        "voucher_code": report.voucher_code,
        "uscc": report.uscc,
        "service_start": report.service_start.isoformat(),
        "service_end": report.service_end.isoformat(),
    }

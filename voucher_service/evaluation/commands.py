"""The evaluation from the command line: ``voucher-service evaluate --program CODE --year Y
--out FILE`` (the command line parses the arguments and opens the session; this writes)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from voucher_service.evaluation import service
from voucher_service.evaluation.export import evaluation_xlsx
from voucher_service.evaluation.schemas import EvaluationOut
from voucher_service.money import fen_to_yuan
from voucher_service.programs.service import get_program


def evaluate(
    session: Session, *, program: str, year: int, out_path: Path, today: date, tz: ZoneInfo
) -> str:
    """Write the evaluation of ``program`` for ``year`` to ``out_path`` (``.xlsx``, or JSON
    for any other name) and say what was written."""
    report = service.evaluate(session, get_program(session, program), year, today=today, tz=tz)
    if out_path.suffix.lower() == ".xlsx":
        out_path.write_bytes(evaluation_xlsx(report))
    else:
        body = EvaluationOut.of(report).model_dump(mode="json")
        out_path.write_text(json.dumps(body, ensure_ascii=False, indent=2), encoding="utf-8")
    advice = report.recommendation
    recommended = fen_to_yuan(advice.recommended_fen) if advice else "none"
    return (
        f"wrote {out_path}: {program} {year}, subsidies {fen_to_yuan(report.total.subsidy_fen)} "
        f"yuan; recommended {report.next_year} pool {recommended} yuan"
    )

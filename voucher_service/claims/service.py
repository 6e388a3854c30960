"""Claims after payment (报销/事后补助, a program in reimbursement mode): the enterprise pays its
compute provider in full, then claims the program's subsidy for a period with its contract,
its invoices and proof of payment; a bureau reviewer approves each invoice in full or in
part, with a reason when less, or rejects the claim with a reason.

An approved claim is priced as usage is (``domain.claims.price_claim`` over
``domain.pricing.price_fee``: the program's rate rounded down to the fen, the rule version in
force on each invoice's date, the enterprise's cap counters, its subsidy window, the
program's validity), the year's pool standing where a voucher's balance stands at the point
of sale. The ledger moves the money (pool -> claim:<c>, payable to the enterprise), finance
pays it (claim:<c> -> enterprise:<e>: a second person, never the approver), and a correction
(an approved amount reduced, with a reason) gives the subsidy beyond what the reduced amount
earns back to the pool (claim:<c> -> pool), the cap counters down by as much.

Each seller's invoice is claimed once, ever (a unique key: the database refuses a second
whichever process asks), and an invoice of a provider registered here is refused when the
enterprise's usage at that provider in the claim's period was subsidised at the point of sale
under the same program (``already_subsidised``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from voucher_service import audit_log
from voucher_service.auth.duties import acting_person, second_person
from voucher_service.db.tables.auth import Duty
from voucher_service.db.tables.claims import Claim, ClaimCorrection, ClaimInvoice, ClaimStatus
from voucher_service.db.tables.enterprises import Enterprise
from voucher_service.db.tables.programs import Pool, Program, RuleVersion
from voucher_service.db.tables.providers import Provider
from voucher_service.db.tables.usage import RecordKind, UsageRecord
from voucher_service.db.tables.vouchers import Voucher
from voucher_service.domain.claims import ClaimedInvoice, PricedInvoice, price_claim
from voucher_service.domain.rules import ProgramMode, Window, full_subsidy_fen
from voucher_service.errors import (
    Conflict,
    ErrorCode,
    InvalidInput,
    InvalidState,
    NotFound,
    PoolInsufficient,
)
from voucher_service.ledger import counters
from voucher_service.ledger import service as ledger
from voucher_service.ledger.counters import CapKey
from voucher_service.materials import service as materials
from voucher_service.money import fen_to_yuan
from voucher_service.pagination import PageParams, Slice, paginate_sorted, where_given, where_search
from voucher_service.programs.service import (
    get_pool,
    get_program,
    rule_versions,
    rules_in_force,
    to_rules,
)
from voucher_service.vouchers.service import _locked_enrolment

MAX_INVOICES = 100
MAX_TEXT = 1000
CLAIM_SORTS = {"submitted_at": Claim.submitted_at, "claimed": Claim.claimed_fen}


@dataclass(frozen=True)
class InvoiceInput:
    """An invoice as the enterprise claims it (amount in fen)."""

    invoice_number: str
    invoice_date: date
    amount_fen: int
    seller_name: str
    seller_uscc: str


@dataclass(frozen=True)
class ClaimInput:
    """A claim as the enterprise submits it."""

    program_code: str
    period_start: date
    period_end: date
    contract_reference: str
    payment_proof: str
    invoices: tuple[InvoiceInput, ...]


@dataclass(frozen=True)
class InvoiceDecision:
    """A reviewer's amount for one invoice (fen), with a reason when below the invoice's."""

    invoice_id: int
    approved_fen: int
    reason: str = ""


@dataclass(frozen=True)
class ClaimView:
    """A claim with what the API and console show beside it."""

    claim: Claim
    enterprise_uscc: str
    enterprise_name: str
    program_code: str
    invoices: list[ClaimInvoice] = field(default_factory=list)
    corrections: list[ClaimCorrection] = field(default_factory=list)

    @property
    def payable_fen(self) -> int:
        """Approved subsidy not yet paid (below zero: paid, then corrected: owed back)."""
        return self.claim.subsidy_fen - self.claim.paid_fen


@dataclass(frozen=True)
class ClaimQuery:
    """The queue's filters as a caller has them: a status, a program code, an enterprise's
    credit code, and ``q`` (part of the enterprise's name or code, the contract, an id)."""

    status: ClaimStatus | None = None
    program: str | None = None
    enterprise: str | None = None
    q: str | None = None


def _text(value: str, what: str, most: int = MAX_TEXT) -> str:
    text = value.strip()
    if not text:
        raise InvalidInput("give a {what}", code=ErrorCode.REASON_REQUIRED, what=what)
    if len(text) > most:
        raise InvalidInput("the {what} is longer than {most} characters", what=what, most=most)
    return text


def _reimbursing(session: Session, code: str) -> Program:
    program = get_program(session, code)
    if program.mode != ProgramMode.REIMBURSEMENT:
        raise Conflict(
            "program {program_code} pays at the point of sale (vouchers): it takes no claims",
            program_code=program.code,
            code=ErrorCode.NOT_REIMBURSEMENT,
        )
    return program


def _check_period(
    session: Session, enterprise: Enterprise, program: Program, inp: ClaimInput, today: date
) -> None:
    """The period lies in one year, within the program's validity and the enterprise's
    window (once it has one), and is over by today; each invoice dated within it."""
    start, end = inp.period_start, inp.period_end
    enrolment = _enrolment(session, enterprise, program)
    if end < start or start.year != end.year:
        raise InvalidInput(
            "period {period_start} to {period_end}: a claim's period lies within one year "
            "(the year's pool pays it), its end not before its start",
            period_start=start,
            period_end=end,
            code=ErrorCode.INVALID_PERIOD,
        )
    if start < program.valid_from or end > program.valid_to:
        raise InvalidInput(
            "period {period_start} to {period_end}: program {program_code} is valid from "
            "{valid_from} to {valid_to}",
            period_start=start,
            period_end=end,
            program_code=program.code,
            valid_from=program.valid_from,
            valid_to=program.valid_to,
            code=ErrorCode.INVALID_PERIOD,
        )
    if end > today:
        raise InvalidInput(
            "period {period_start} to {period_end}: a claim is for a period already over",
            period_start=start,
            period_end=end,
            code=ErrorCode.INVALID_PERIOD,
        )
    if enrolment is not None and not enrolment.window_start <= start <= end < enrolment.window_end:
        raise InvalidInput(
            "period {period_start} to {period_end}: the enterprise's subsidy window is "
            "{window_start} to {window_last_day}",
            period_start=start,
            period_end=end,
            window_start=enrolment.window_start,
            window_last_day=Window(enrolment.window_start, enrolment.window_end).last_day,
            code=ErrorCode.INVALID_PERIOD,
        )
    outside = [i.invoice_number for i in inp.invoices if not start <= i.invoice_date <= end]
    if outside:
        raise InvalidInput(
            "invoice {invoice_number} is dated outside the claim's period",
            invoice_number=outside[0],
            code=ErrorCode.INVALID_PERIOD,
        )


def _enrolment(session: Session, enterprise: Enterprise, program: Program) -> Any:
    from voucher_service.enterprises.service import get_enrolment

    assert enterprise.id is not None and program.id is not None
    return get_enrolment(session, enterprise.id, program.id)


def _check_invoices(inp: ClaimInput) -> None:
    if not 1 <= len(inp.invoices) <= MAX_INVOICES:
        raise InvalidInput("a claim lists 1 to {most} invoices", most=MAX_INVOICES)
    keys = [(i.seller_uscc, i.invoice_number) for i in inp.invoices]
    if len(set(keys)) != len(keys):
        raise InvalidInput(
            "an invoice is listed twice in the claim", code=ErrorCode.INVOICE_ALREADY_CLAIMED
        )
    for invoice in inp.invoices:
        if invoice.amount_fen <= 0:
            raise InvalidInput(
                "invoice {invoice_number}: the amount must be greater than zero",
                invoice_number=invoice.invoice_number,
                code=ErrorCode.INVALID_AMOUNT,
            )


def _refuse_claimed(session: Session, invoices: Sequence[InvoiceInput]) -> None:
    """409 ``invoice_already_claimed`` for the first invoice already on a claim."""
    for invoice in invoices:
        taken = session.scalar(
            select(ClaimInvoice.claim_id).where(
                ClaimInvoice.seller_uscc == invoice.seller_uscc,
                ClaimInvoice.invoice_number == invoice.invoice_number,
            )
        )
        if taken is not None:
            raise _already_claimed(invoice)


def _already_claimed(invoice: InvoiceInput) -> Conflict:
    return Conflict(
        "invoice {invoice_number} of seller {seller_uscc} is already claimed: an invoice is "
        "claimed once",
        invoice_number=invoice.invoice_number,
        seller_uscc=invoice.seller_uscc,
        code=ErrorCode.INVOICE_ALREADY_CLAIMED,
    )


def _refuse_subsidised(
    session: Session, enterprise: Enterprise, program: Program, inp: ClaimInput
) -> None:
    """409 ``already_subsidised`` for an invoice whose seller is a provider registered here
    at which the enterprise's usage in the period was subsidised under this program."""
    sellers = {i.seller_uscc for i in inp.invoices}
    providers: dict[str, int] = dict(
        session.execute(select(Provider.uscc, Provider.id).where(Provider.uscc.in_(sellers))).all()  # type: ignore[attr-defined]
    )
    for invoice in inp.invoices:
        provider_id = providers.get(invoice.seller_uscc)
        if provider_id is None:
            continue
        subsidised = session.scalar(
            select(
                exists().where(
                    UsageRecord.provider_id == provider_id,
                    UsageRecord.enterprise_id == enterprise.id,
                    UsageRecord.kind == RecordKind.USAGE,
                    UsageRecord.subsidy_fen > 0,
                    UsageRecord.service_date >= inp.period_start,
                    UsageRecord.service_date <= inp.period_end,
                    UsageRecord.voucher_id == Voucher.id,
                    Voucher.program_id == program.id,
                )
            )
        )
        if subsidised:
            raise Conflict(
                "invoice {invoice_number}: the enterprise's usage at {seller_uscc} from "
                "{period_start} to {period_end} was subsidised at the point of sale under "
                "{program_code}",
                invoice_number=invoice.invoice_number,
                seller_uscc=invoice.seller_uscc,
                period_start=inp.period_start,
                period_end=inp.period_end,
                program_code=program.code,
                code=ErrorCode.ALREADY_SUBSIDISED,
            )


def _store(
    session: Session,
    enterprise: Enterprise,
    program: Program,
    inp: ClaimInput,
    papers: tuple[str, str],
    now: datetime,
) -> Claim:
    """The claim and its invoices, in a savepoint: a second claim of an invoice is refused
    by the unique key however it raced the check before (409, nothing written)."""
    assert enterprise.id is not None and program.id is not None
    claim = Claim(
        enterprise_id=enterprise.id,
        program_id=program.id,
        year=inp.period_start.year,
        period_start=inp.period_start,
        period_end=inp.period_end,
        contract_reference=papers[0],
        payment_proof=papers[1],
        claimed_fen=sum(i.amount_fen for i in inp.invoices),
        submitted_by=audit_log.actor_of(session).name,
        submitted_at=now,
    )
    try:
        with session.begin_nested():
            session.add(claim)
            session.flush()
            assert claim.id is not None
            for invoice in inp.invoices:
                session.add(
                    ClaimInvoice(
                        claim_id=claim.id,
                        invoice_number=invoice.invoice_number,
                        invoice_date=invoice.invoice_date,
                        amount_fen=invoice.amount_fen,
                        seller_name=_text(invoice.seller_name, "seller name", 200),
                        seller_uscc=invoice.seller_uscc,
                    )
                )
            session.flush()
    except IntegrityError as exc:
        # Another claim took one of these invoices since the check above (the unique key).
        raise _already_claimed(inp.invoices[0]) from exc
    return claim


def submit(
    session: Session, enterprise: Enterprise, inp: ClaimInput, *, today: date, now: datetime
) -> ClaimView:
    """The enterprise claims a reimbursement program's subsidy for a period. Refused, with
    nothing written: a point-of-sale program (409 ``not_reimbursement``), a period or an
    invoice date that does not fit (422 ``invalid_period``), a bad amount (422), an invoice
    already claimed (409 ``invoice_already_claimed``, also when two claims race for it) or
    already subsidised at the point of sale (409 ``already_subsidised``)."""
    program = _reimbursing(session, inp.program_code)
    _check_invoices(inp)
    contract = _text(inp.contract_reference, "contract reference", 100)
    proof = _text(inp.payment_proof, "proof of payment", 500)
    _check_period(session, enterprise, program, inp, today)
    _refuse_claimed(session, inp.invoices)
    _refuse_subsidised(session, enterprise, program, inp)
    claim = _store(session, enterprise, program, inp, (contract, proof), now)
    assert claim.id is not None
    audit_log.record(
        session,
        "claim.submit",
        "claim",
        claim.id,
        after={
            "program": program.code,
            "uscc": enterprise.uscc,
            "period": f"{inp.period_start}..{inp.period_end}",
            "claimed_fen": claim.claimed_fen,
            "invoices": [f"{i.seller_uscc}/{i.invoice_number}" for i in inp.invoices],
        },
    )
    return get_claim(session, claim.id)


def get_claim(session: Session, claim_id: int, *, enterprise_id: int | None = None) -> ClaimView:
    """One claim; of this enterprise's when ``enterprise_id`` is given (another's is not
    found, as a missing one is)."""
    query = _views_query().where(Claim.id == claim_id)
    query = where_given(query, (Claim.enterprise_id, enterprise_id))
    row = session.execute(query.execution_options(populate_existing=True)).first()
    if row is None:
        raise NotFound("no claim {claim_id}", claim_id=claim_id, code=ErrorCode.CLAIM_NOT_FOUND)
    return _described(session, [row])[0]


def _views_query() -> Any:
    return (
        select(Claim, Enterprise.uscc, Enterprise.name, Program.code)
        .join(Enterprise, Enterprise.id == Claim.enterprise_id)
        .join(Program, Program.id == Claim.program_id)
    )


def _described(session: Session, rows: Sequence[Any]) -> list[ClaimView]:
    ids = [row[0].id for row in rows]
    invoices: dict[int, list[ClaimInvoice]] = {i: [] for i in ids}
    corrections: dict[int, list[ClaimCorrection]] = {i: [] for i in ids}
    if ids:
        for invoice in session.scalars(
            select(ClaimInvoice)
            .where(ClaimInvoice.claim_id.in_(ids))  # type: ignore[attr-defined]
            .order_by(ClaimInvoice.id)
            .execution_options(populate_existing=True)
        ):
            invoices[invoice.claim_id].append(invoice)
        for correction in session.scalars(
            select(ClaimCorrection)
            .where(ClaimCorrection.claim_id.in_(ids))  # type: ignore[attr-defined]
            .order_by(ClaimCorrection.id)
        ):
            corrections[correction.claim_id].append(correction)
    return [
        ClaimView(row[0], row[1], row[2], row[3], invoices[row[0].id], corrections[row[0].id])
        for row in rows
    ]


def find_claims(session: Session, page: PageParams, query: ClaimQuery) -> Slice[ClaimView]:
    """A page of the claims ``query`` selects, oldest first unless ``page`` sorts; an
    unknown program or enterprise is NotFound."""
    from voucher_service.enterprises.service import get_enterprise
    from voucher_service.fields import parse_uscc_param

    program_id = get_program(session, query.program).id if query.program else None
    enterprise_id = None
    if query.enterprise:
        enterprise_id = get_enterprise(session, parse_uscc_param(query.enterprise)).id
    select_ = where_given(
        _views_query(),
        (Claim.status, query.status.value if query.status else None),
        (Claim.program_id, program_id),
        (Claim.enterprise_id, enterprise_id),
    )
    select_ = where_search(
        select_,
        query.q,
        Enterprise.name,
        Enterprise.uscc,
        Claim.contract_reference,
        Program.code,
        ids=[Claim.id],
    )
    found = paginate_sorted(session, select_, Claim.id, page, CLAIM_SORTS)
    return found.with_items(_described(session, found.items))


def _open_claim(session: Session, claim_id: int, *statuses: ClaimStatus) -> ClaimView:
    """The claim, locked for this transaction, refused unless in one of ``statuses``."""
    session.execute(select(Claim.id).where(Claim.id == claim_id).with_for_update())
    view = get_claim(session, claim_id)
    if view.claim.status not in statuses:
        raise InvalidState(
            "claim {claim_id} is {status}", claim_id=claim_id, status=view.claim.status
        )
    return view


def _decided(view: ClaimView, decisions: Sequence[InvoiceDecision]) -> list[InvoiceDecision]:
    """One decision per invoice of the claim (those not named: approved in full), each
    within its invoice's amount and with a reason when less."""
    by_id = {invoice.id: invoice for invoice in view.invoices}
    named = {d.invoice_id: d for d in decisions}
    unknown = set(named) - set(by_id)
    if unknown:
        raise InvalidInput(
            "claim {claim_id} has no invoice {invoice_id}",
            claim_id=view.claim.id,
            invoice_id=min(unknown),
        )
    if len(named) != len(decisions):
        raise InvalidInput("an invoice is decided twice")
    result = []
    for invoice_id, invoice in by_id.items():
        assert invoice_id is not None
        decision = named.get(invoice_id, InvoiceDecision(invoice_id, invoice.amount_fen))
        if not 0 <= decision.approved_fen <= invoice.amount_fen:
            raise InvalidInput(
                "invoice {invoice_number}: approve 0 to {amount_yuan} yuan",
                invoice_number=invoice.invoice_number,
                amount_yuan=fen_to_yuan(invoice.amount_fen),
                code=ErrorCode.INVALID_AMOUNT,
            )
        reason = decision.reason.strip()
        if decision.approved_fen < invoice.amount_fen and not reason:
            raise InvalidInput(
                "invoice {invoice_number}: give a reason for approving less than its amount",
                invoice_number=invoice.invoice_number,
                code=ErrorCode.REASON_REQUIRED,
            )
        reason = reason[:MAX_TEXT]
        result.append(InvoiceDecision(invoice_id, decision.approved_fen, reason))
    if not any(d.approved_fen for d in result):
        raise InvalidInput("nothing approved: reject the claim instead, with a reason")
    return result


def approve(
    session: Session,
    claim_id: int,
    decisions: Sequence[InvoiceDecision],
    *,
    note: str = "",
    now: datetime,
) -> ClaimView:
    """A reviewer approves a submitted claim, each invoice in full or in part; the subsidy
    is priced by the program's rules and drawn from the year's pool through the ledger,
    payable to the enterprise. Refused, with nothing written, when the pool lacks it, or
    when no proof of payment is on file as a document (409 ``materials_missing``)."""
    reviewer = acting_person(session, (Duty.REVIEW,), "approve a claim")
    view = _open_claim(session, claim_id, ClaimStatus.SUBMITTED)
    materials.require_claim_complete(session, view.claim)
    decided = _decided(view, decisions)
    priced = _draw(session, view, decided)
    claim = view.claim
    claim.approved_fen = sum(d.approved_fen for d in decided)
    claim.subsidy_fen = sum(p.subsidy_fen for p in priced)
    _decide(session, claim, ClaimStatus.APPROVED, note.strip()[:MAX_TEXT], reviewer, now)
    invoices = {invoice.id: invoice.invoice_number for invoice in view.invoices}
    audit_log.record(
        session,
        "claim.approve",
        "claim",
        claim_id,
        before={"status": ClaimStatus.SUBMITTED.value},
        after={
            "status": claim.status,
            "approved_fen": claim.approved_fen,
            "subsidy_fen": claim.subsidy_fen,
            "invoices": {
                invoices[d.invoice_id]: {
                    "approved_fen": d.approved_fen,
                    "subsidy_fen": p.subsidy_fen,
                    "reason": d.reason,
                    "shortfall": p.shortfall,
                }
                for d, p in zip(decided, priced, strict=True)
            },
        },
    )
    return get_claim(session, claim_id)


def _decide(
    session: Session, claim: Claim, status: ClaimStatus, reason: str, reviewer: Any, now: datetime
) -> None:
    """The reviewer's decision on the claim's row."""
    claim.status = status
    claim.reason = reason
    claim.decided_by_id = reviewer.id
    claim.decided_by = reviewer.name
    claim.decided_at = now
    session.add(claim)
    session.flush()


def _draw(
    session: Session, view: ClaimView, decided: Sequence[InvoiceDecision]
) -> list[PricedInvoice]:
    """Price the approved amounts under the enterprise's cap counters (locked) and the
    year's pool, write each invoice's outcome, and post the subsidy through the ledger
    (PoolInsufficient, with nothing written, if the pool was drawn meanwhile)."""
    claim = view.claim
    program = session.get(Program, claim.program_id)
    enterprise = session.get(Enterprise, claim.enterprise_id)
    assert program is not None and enterprise is not None and program.id is not None
    pool = get_pool(session, program, claim.year)
    first_rules = rules_in_force(session, program, claim.period_start)
    enrolment = _locked_enrolment(session, enterprise, program, claim.period_start, first_rules)
    assert enrolment.id is not None and pool.id is not None
    invoices = {invoice.id: invoice for invoice in view.invoices}
    claimed = [ClaimedInvoice(invoices[d.invoice_id].invoice_date, d.approved_fen) for d in decided]

    def price(cap_used: dict[int, int], pool_available_fen: int) -> list[PricedInvoice]:
        return price_claim(
            claimed,
            [to_rules(r) for r in rule_versions(session, program.id)],
            window=Window(enrolment.window_start, enrolment.window_end),
            program_valid=(program.valid_from, program.valid_to),
            cap_used=cap_used,
            pool_available_fen=pool_available_fen,
        )

    # The cap periods the invoices fall in, locked; then priced under the locks.
    periods = {period for p in price({}, 0) for period in p.cap_periods}
    caps = counters.lock_caps(session, {CapKey(enrolment.id, p) for p in periods})
    available = session.scalar(
        select(Pool.available_fen)
        .where(Pool.id == pool.id)
        .execution_options(populate_existing=True)
    )
    priced = price({k.period: c.used_fen for k, c in caps.items()}, int(available or 0))
    per_cap: dict[int, int] = {}
    for decision, outcome in zip(decided, priced, strict=True):
        invoice = invoices[decision.invoice_id]
        invoice.approved_fen, invoice.reason = decision.approved_fen, decision.reason
        invoice.subsidy_fen, invoice.shortfall = outcome.subsidy_fen, outcome.shortfall
        invoice.rule_version, invoice.cap_period = outcome.rule_version, outcome.cap_period
        session.add(invoice)
        for period in outcome.cap_periods if outcome.subsidy_fen else ():
            cap_id = caps[CapKey(enrolment.id, period)].id
            per_cap[cap_id] = per_cap.get(cap_id, 0) + outcome.subsidy_fen
    subsidy = sum(p.subsidy_fen for p in priced)
    draw = ledger.ClaimDraw(claim.id or 0, pool.id, subsidy, per_cap)
    if subsidy and not ledger.pay_claim_subsidy(session, draw, memo=f"claim {claim.id} approved"):
        raise PoolInsufficient(
            "the {program_code} {pool_year} pool lacks {amount_yuan} yuan for claim {claim_id}",
            program_code=program.code,
            pool_year=claim.year,
            amount_yuan=fen_to_yuan(subsidy),
            claim_id=claim.id,
        )
    claim.pool_id, claim.enrolment_id = pool.id, enrolment.id
    return priced


def reject(session: Session, claim_id: int, reason: str, *, now: datetime) -> ClaimView:
    """A reviewer rejects a submitted claim with a reason: nothing is payable. Its invoices
    stay claimed (an invoice is claimed once)."""
    reviewer = acting_person(session, (Duty.REVIEW,), "reject a claim")
    text = _text(reason, "reason")
    view = _open_claim(session, claim_id, ClaimStatus.SUBMITTED)
    _decide(session, view.claim, ClaimStatus.REJECTED, text, reviewer, now)
    audit_log.record(
        session,
        "claim.reject",
        "claim",
        claim_id,
        before={"status": ClaimStatus.SUBMITTED.value},
        after={"status": ClaimStatus.REJECTED.value, "reason": text},
    )
    return get_claim(session, claim_id)


def correct(
    session: Session,
    claim_id: int,
    invoice_id: int,
    approved_fen: int,
    reason: str,
    *,
    now: datetime,
) -> ClaimView:
    """A reviewer reduces an approved invoice's amount, with a reason: the subsidy beyond
    what the reduced amount earns at its rule version's rate goes back to the pool and off
    the cap counter, through the ledger (as a usage refund). On a claim already paid, what
    goes back is owed back by the enterprise."""
    reviewer = acting_person(session, (Duty.REVIEW,), "correct a claim")
    text = _text(reason, "reason")
    view = _open_claim(session, claim_id, ClaimStatus.APPROVED, ClaimStatus.PAID)
    claim = view.claim
    invoice = _correctable(view, invoice_id, approved_fen)
    back = _give_back(session, claim, invoice, approved_fen, text)
    reduced = invoice.approved_fen - approved_fen
    before = {"approved_fen": invoice.approved_fen, "subsidy_fen": invoice.subsidy_fen}
    invoice.approved_fen = approved_fen
    invoice.subsidy_fen -= back
    invoice.reason = text
    claim.approved_fen -= reduced
    claim.subsidy_fen -= back
    session.add_all([invoice, claim])
    assert invoice.id is not None
    session.add(
        ClaimCorrection(
            claim_id=claim_id,
            invoice_id=invoice.id,
            reduced_fen=reduced,
            subsidy_back_fen=back,
            reason=text,
            corrected_by=reviewer.name,
            corrected_at=now,
        )
    )
    session.flush()
    audit_log.record(
        session,
        "claim.correct",
        "claim",
        claim_id,
        before={"invoice": invoice.invoice_number, **before},
        after={
            "invoice": invoice.invoice_number,
            "approved_fen": approved_fen,
            "subsidy_fen": invoice.subsidy_fen,
            "reason": text,
        },
    )
    return get_claim(session, claim_id)


def _correctable(view: ClaimView, invoice_id: int, approved_fen: int) -> ClaimInvoice:
    """The claim's invoice, if ``approved_fen`` reduces its approved amount."""
    claim_id = view.claim.id
    invoice = next((i for i in view.invoices if i.id == invoice_id), None)
    if invoice is None:
        raise NotFound(
            "claim {claim_id} has no invoice {invoice_id}",
            claim_id=claim_id,
            invoice_id=invoice_id,
            code=ErrorCode.CLAIM_NOT_FOUND,
        )
    if not 0 <= approved_fen < invoice.approved_fen:
        raise InvalidInput(
            "invoice {invoice_number}: a correction reduces the approved {approved_yuan} yuan",
            invoice_number=invoice.invoice_number,
            approved_yuan=fen_to_yuan(invoice.approved_fen),
            code=ErrorCode.INVALID_AMOUNT,
        )
    return invoice


def _give_back(
    session: Session, claim: Claim, invoice: ClaimInvoice, approved_fen: int, reason: str
) -> int:
    """Give back, through the ledger, the subsidy ``invoice`` no longer earns at
    ``approved_fen`` (to the pool, off its cap counter); the amount given back."""
    back = invoice.subsidy_fen - _earned(session, claim, invoice, approved_fen)
    if back:
        assert claim.id is not None and claim.pool_id is not None
        assert claim.enrolment_id is not None and invoice.cap_period is not None
        periods = {invoice.cap_period}
        if invoice.cap_period > 0 and _year_capped(session, claim, invoice):
            periods.add(0)  # counted on the lifetime counter as well (domain.rules.cap_limits)
        caps = counters.lock_caps(session, {CapKey(claim.enrolment_id, p) for p in periods})
        ledger.reverse_claim_subsidy(
            session,
            ledger.ClaimDraw(claim.id, claim.pool_id, back, {c.id: back for c in caps.values()}),
            memo=f"claim {claim.id} corrected: {reason}"[:500],
        )
    return back


def _year_capped(session: Session, claim: Claim, invoice: ClaimInvoice) -> bool:
    """Whether the invoice's rule version caps each subsidy year beside its lifetime cap."""
    return (
        session.scalar(
            select(RuleVersion.year_cap_fen).where(
                RuleVersion.program_id == claim.program_id,
                RuleVersion.version == invoice.rule_version,
            )
        )
        is not None
    )


def _earned(session: Session, claim: Claim, invoice: ClaimInvoice, approved_fen: int) -> int:
    """What ``approved_fen`` earns at the invoice's rule version, never more than it had."""
    if invoice.rule_version is None:
        return 0
    rate = session.scalar(
        select(RuleVersion.rate_bp).where(
            RuleVersion.program_id == claim.program_id,
            RuleVersion.version == invoice.rule_version,
        )
    )
    return min(invoice.subsidy_fen, full_subsidy_fen(approved_fen, int(rate or 0)))


def pay(session: Session, claim_id: int, payment_reference: str, *, now: datetime) -> ClaimView:
    """Finance pays an approved claim's subsidy to its enterprise (claim:<c> ->
    enterprise:<e>), with the payment's reference: a second person, never its approver."""
    payer = acting_person(session, (Duty.FINANCE,), "pay a claim")
    reference = payment_reference.strip()
    if not reference or len(reference) > 100:
        raise InvalidInput(
            "give the payment's reference (1 to 100 characters)",
            code=ErrorCode.REFERENCE_REQUIRED,
        )
    view = _open_claim(session, claim_id, ClaimStatus.APPROVED)
    claim = view.claim
    second_person(payer, claim.decided_by_id, "who approved a claim never pays it")
    amount = claim.subsidy_fen - claim.paid_fen
    if amount > 0:
        ledger.pay_claim(
            session, claim_id, claim.enterprise_id, amount, memo=f"claim {claim_id}: {reference}"
        )
    claim.status = ClaimStatus.PAID
    claim.paid_fen = claim.subsidy_fen
    claim.paid_by_id = payer.id
    claim.paid_at = now
    claim.payment_reference = reference
    session.add(claim)
    session.flush()
    audit_log.record(
        session,
        "claim.pay",
        "claim",
        claim_id,
        before={"status": ClaimStatus.APPROVED.value},
        after={"status": claim.status, "paid_fen": claim.paid_fen, "reference": reference},
    )
    return get_claim(session, claim_id)

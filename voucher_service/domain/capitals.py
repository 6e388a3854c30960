"""An amount in Chinese capitals (大写金额), as written on vouchers of payment and settlement.

The rules are the People's Bank's for filling in payment documents (正确填写票据和结算凭证的
基本规定, 支付结算办法 附件一):

* the digits 零壹贰叁肆伍陆柒捌玖 and the units 拾佰仟万亿, then 元角分; a ten is 壹拾;
* a run of zeros inside the figure is one 零 (1,005 元: 壹仟零伍元; 10,000,500 元:
  壹仟万零伍佰元); zeros at the end of a group of four are not written (壹拾万元);
* when the 元 digit is 0, or the 角 is 0 but the 分 is not, a 零 stands before the 角 or 分
  (1,680.32: 壹仟陆佰捌拾元零叁角贰分; 325.04: 叁佰贰拾伍元零肆分);
* an amount that ends at 元 or 角 ends in 整; one with 分 does not (…元整, …伍角整, …捌分);
* a negative amount (a statement with more corrections than subsidies) starts with 负.

Amounts are integer fen, as everywhere in the service, below one trillion (万亿) yuan.
"""

from __future__ import annotations

DIGITS = "零壹贰叁肆伍陆柒捌玖"
_PLACES = ("仟", "佰", "拾", "")
_GROUPS = ("亿", "万", "")
LIMIT_FEN = 10**12 * 100  # 1 万亿 yuan: no 兆 on a voucher document


def amount_in_capitals(fen: int) -> str:
    """``fen`` (integer fen) in Chinese capitals: 12345678 -> 壹拾贰万叁仟肆佰伍拾陆元柒角捌分."""
    if isinstance(fen, bool) or not isinstance(fen, int):
        raise TypeError(f"fen must be an int, got {type(fen).__name__}")
    if not -LIMIT_FEN < fen < LIMIT_FEN:
        raise ValueError("an amount in capitals is below one trillion yuan")
    if fen < 0:
        return "负" + amount_in_capitals(-fen)
    yuan, cents = divmod(fen, 100)
    jiao, fen_digit = divmod(cents, 10)
    text = _yuan(yuan) + "元" if yuan else ""
    if not cents:
        return (text or "零元") + "整"
    if yuan and (yuan % 10 == 0 or jiao == 0):
        text += "零"
    if jiao:
        text += DIGITS[jiao] + "角"
    return text + (DIGITS[fen_digit] + "分" if fen_digit else "整")


def _yuan(yuan: int) -> str:
    """A positive whole number of yuan, in groups of four digits (亿, 万, units)."""
    groups = [(yuan // 10**8) % 10**4, (yuan // 10**4) % 10**4, yuan % 10**4]
    if yuan >= 10**12:
        raise ValueError("an amount in capitals is below one trillion yuan")
    text, gap = "", False
    for value, unit in zip(groups, _GROUPS, strict=True):
        if value == 0:
            gap = gap or bool(text)
            continue
        if text and (gap or value < 1000):
            text += "零"
        text += _four(value) + unit
        gap = False
    return text


def _four(value: int) -> str:
    """1 to 9999 with its places; inner zeros as one 零, trailing zeros left out."""
    digits = f"{value:04d}"
    text, zero = "", False
    for digit, place in zip(digits, _PLACES, strict=True):
        if digit == "0":
            zero = bool(text)
            continue
        if zero:
            text += "零"
            zero = False
        text += DIGITS[int(digit)] + place
    return text

"""Wuhan's administrative divisions, by the code a credit code carries in positions 3-8.

The thirteen districts (市辖区) have their own division codes (GB/T 2260). The functional
zones — 东湖新技术开发区 (East Lake High-tech Zone, "Optics Valley"), 武汉经济技术开发区,
长江新区, 东湖生态旅游风景区 — have none of their own: an enterprise registered there carries
the code of the authority that registered it, which is either a district's (the zones lie in
洪山、江夏、蔡甸、汉南、黄陂、新洲…) or the city's own 420100 (registered at city level, as
most East Lake companies are). A credit code therefore cannot tell a zone from the district
around it: reports show 420100 as "city-level registration (incl. functional zones)", and
any other code under its own number.
"""

from __future__ import annotations

CITY_LEVEL = "420100"

WUHAN_DISTRICTS: dict[str, str] = {
    "420102": "江岸区",
    "420103": "江汉区",
    "420104": "硚口区",
    "420105": "汉阳区",
    "420106": "武昌区",
    "420107": "青山区",
    "420111": "洪山区",
    "420112": "东西湖区",
    "420113": "汉南区",
    "420114": "蔡甸区",
    "420115": "江夏区",
    "420116": "黄陂区",
    "420117": "新洲区",
}


def division_name(code: str) -> str:
    """A division code as people know it: a Wuhan district's name, the city level, or the
    code itself marked as outside Wuhan's districts."""
    if code in WUHAN_DISTRICTS:
        return WUHAN_DISTRICTS[code]
    if code == CITY_LEVEL:
        return "武汉市市级登记(含功能区)"
    return f"其他区划 {code}"

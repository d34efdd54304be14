"""Tiny builders for literal journeys: ``ev("referral", "2025-03-03", nfa=True)``."""

from datetime import date

from journeys import Event, build_journey

AS_OF = date(2027, 1, 1)

# England and Wales bank holidays the tests cross, hard-coded on purpose.
EASTER_2022 = {date(2022, 4, 15), date(2022, 4, 18)}
JUBILEE_2022 = {date(2022, 6, 2), date(2022, 6, 3)}
STATE_FUNERAL_2022 = {date(2022, 9, 19)}
CORONATION_2023 = {date(2023, 5, 8)}
CHRISTMAS_2026 = {date(2026, 12, 25), date(2026, 12, 28)}  # Boxing Day Sat -> Mon 28
HOLIDAYS = frozenset(
    EASTER_2022 | JUBILEE_2022 | STATE_FUNERAL_2022 | CORONATION_2023 | CHRISTMAS_2026
)


def d(text: str) -> date:
    return date.fromisoformat(text)


def ev(kind: str, start: str, end: str | None = None, occurrence: int = 0, **attrs) -> Event:
    return Event(kind, d(start), d(end) if end else None, occurrence, attrs)


def key(kind: str, start: str, occurrence: int = 0) -> str:
    return f"{kind}:{start}:{occurrence}"


def journey(*events: Event, as_of: date = AS_OF, **kwargs):
    return build_journey(events, as_of=as_of, holidays=HOLIDAYS, **kwargs)


def links(G) -> set[tuple[str, str, str]]:
    return {(u, v, rule) for u, v, rule in G.edges(data="rule")}

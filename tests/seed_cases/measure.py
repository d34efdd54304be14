"""Rates measured back from a synthetic authority's events, independently of the generator."""

from collections import Counter
from datetime import timedelta
from statistics import median

from journeys.calendar import working_days_between

SOURCE_GROUP = {
    "6": "police",
    "2A": "schools",
    "1A": "individual",
    "1B": "individual",
    "1C": "individual",
    "1D": "individual",
}


def source_group(code):
    if code.startswith("3"):
        return "health"
    if code.startswith("5"):
        return "la_services"
    return SOURCE_GROUP.get(code, "other")


def measure(authority):
    """Every calibrated rate, from the events alone."""
    hol = authority.bank_holidays
    year_in = authority.start + timedelta(days=365)
    settled = authority.end - timedelta(days=180)
    n = Counter()
    durations = []
    sources = Counter()
    categories = Counter()
    for case in authority.iter_cases():
        ev = case.events
        refs = sorted(e.start for e in ev if e.kind == "referral")
        n["contacts"] += sum(1 for e in ev if e.kind == "contact")
        for i, r in enumerate(refs):
            n["referrals"] += 1
            sources[
                source_group(
                    next(e.get("source") for e in ev if e.kind == "referral" and e.start == r)
                )
            ] += 1
            if r >= year_in:
                n["referrals_after_year"] += 1
                if i and (r - refs[i - 1]).days <= 365:
                    n["re_referrals"] += 1
        n["nfa"] += sum(1 for e in ev if e.kind == "referral" and e.get("nfa") is True)
        icpcs = [e.start for e in ev if e.kind == "icpc"]
        for e in ev:
            if e.kind == "assessment" and e.end is not None:
                n["assessments_done"] += 1
                factors = set((e.get("factors") or "").split(","))
                n["da"] += bool(factors & {"3A", "3B", "3C"})
                n["mh"] += bool(factors & {"4A", "4B", "4C"})
                prior = [r for r in refs if r <= e.start]
                if prior and prior[-1] <= settled:
                    durations.append(working_days_between(prior[-1], e.end, hol))
            elif e.kind == "s47":
                n["s47"] += 1
                conf = [d for d in icpcs if 0 <= (d - e.start).days <= 60]
                if conf:
                    n["s47_icpc"] += 1
                    n["icpc_in_15"] += working_days_between(e.start, conf[0], hol) <= 15
            elif e.kind == "cp_plan":
                categories[e.get("category_initial")] += 1
    total_cat = sum(categories.values())
    return {
        "re_referral": n["re_referrals"] / n["referrals_after_year"],
        "nfa": n["nfa"] / n["referrals"],
        "median_duration": median(durations),
        "over_45": sum(d > 45 for d in durations) / len(durations),
        "s47_to_icpc": n["s47_icpc"] / n["s47"],
        "icpc_in_15": n["icpc_in_15"] / n["s47_icpc"],
        "neglect": categories["NEG"] / total_cat,
        "emotional": categories["EMO"] / total_cat,
        "domestic_abuse": n["da"] / n["assessments_done"],
        "mental_health": n["mh"] / n["assessments_done"],
        "conversion": n["referrals"] / n["contacts"],
        **{f"source_{k}": v / n["referrals"] for k, v in sources.items()},
        "_counts": dict(n),
    }

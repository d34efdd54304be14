"""Coded values of the statutory returns, and how often the synthetic authority uses them.

Events carry the short codes (CIN census / SSDA903: ``"6"`` police, ``"NEG"``,
``"N1"``, ``"RC7"``, ``"C2"``, ``"U6"``); the Annex A writer turns them into the
template's preferred labels (``"q) 6: Police"``) with the ``*_LABELS`` tables here.
Weights are percentages, calibrated to England 2024-25 where a figure is published.
"""

from __future__ import annotations

__all__ = [
    "SEX_LABELS",
    "SEX_TO_CIN",
    "ETHNICITY_WEIGHTS",
    "ETHNICITY_LABELS",
    "SOURCE_WEIGHTS",
    "SOURCE_LABELS",
    "SOURCE_GROUPS",
    "FACTOR_CODES",
    "CATEGORY_WEIGHTS",
    "CATEGORY_LABELS",
    "CATEGORY_NAMES",
    "PRIMARY_NEED_LABELS",
    "CATEGORY_OF_NEED_LABELS",
    "CLOSURE_REASON_LABELS",
    "CASE_STATUS_LABELS",
    "LEGAL_STATUS_LABELS",
    "PLACEMENT_TYPE_LABELS",
    "PLACEMENT_PROVIDER_LABELS",
    "CEASED_REASON_LABELS",
    "DISABILITY_CODES",
    "YES_NO",
]

SEX_LABELS = {"a": "a) Male", "b": "b) Female", "c": "c) Not stated/recorded", "d": "d) Neither"}
#: Annex A gender code -> CIN census GenderCurrent (1 male, 2 female, 0 not known, 9 not specified).
SEX_TO_CIN = {"a": "1", "b": "2", "c": "0", "d": "9"}

#: Roughly England's under-18 population (2021 Census), percentages.
ETHNICITY_WEIGHTS = {
    "WBRI": 68.0, "WIRI": 0.3, "WIRT": 0.2, "WOTH": 6.0, "WROM": 0.7,
    "MWBC": 1.5, "MWBA": 0.8, "MWAS": 1.7, "MOTH": 2.0,
    "AIND": 3.0, "APKN": 4.0, "ABAN": 1.7, "AOTH": 1.8,
    "BCRB": 0.8, "BAFR": 3.5, "BOTH": 0.8,
    "CHNE": 0.4, "OOTH": 1.8, "REFU": 0.3, "NOBT": 0.7,
}  # fmt: skip
ETHNICITY_LABELS = {
    code: f"{letter}) {code}"
    for letter, code in zip("abcdefghijklmnopqrs", list(ETHNICITY_WEIGHTS)[:19], strict=True)
}
ETHNICITY_LABELS["NOBT"] = "s) NOBT"  # the template letters both REFU and NOBT "s)"

#: CIN census ReferralSource: police 29%, schools 20%, health 15%, LA services 12%,
#: individuals 7%, the rest spread.
SOURCE_WEIGHTS = {
    "1A": 2.5, "1B": 1.5, "1C": 1.0, "1D": 2.0,
    "2A": 20.0, "2B": 1.5,
    "3A": 4.0, "3B": 2.0, "3C": 2.5, "3D": 2.5, "3E": 2.5, "3F": 1.5,
    "4": 3.0,
    "5A": 5.0, "5B": 4.0, "5C": 3.0,
    "6": 29.0,
    "7": 4.0, "8": 5.0, "9": 2.0, "10": 1.5,
}  # fmt: skip
_SOURCE_NAMES = {
    "1": "Individual", "2A": "Schools", "2B": "Education services", "3": "Health services",
    "4": "Housing", "5": "LA services", "6": "Police", "7": "Other legal agency", "8": "Other",
    "9": "Anonymous", "10": "Unknown",
}  # fmt: skip
SOURCE_LABELS = {
    code: f"{letter}) {code}: {_SOURCE_NAMES.get(code, _SOURCE_NAMES.get(code[0]))}"
    for letter, code in zip("abcdefghijklmnopqrstu", SOURCE_WEIGHTS, strict=True)
}
#: The groups the DfE publishes referral sources in.
SOURCE_GROUPS = {
    code: (
        "individual" if code.startswith("1") and code != "10"
        else "schools" if code == "2A"
        else "education" if code == "2B"
        else "health" if code.startswith("3")
        else "la_services" if code.startswith("5")
        else {"4": "housing", "6": "police", "7": "legal", "8": "other", "9": "anonymous"}.get(
            code, "unknown"
        )
    )
    for code in SOURCE_WEIGHTS
}  # fmt: skip

#: CIN census factors identified at the end of assessment (code -> meaning).
FACTOR_CODES = {
    "1A": "Alcohol misuse: child", "1B": "Alcohol misuse: parent", "1C": "Alcohol misuse: other",
    "2A": "Drug misuse: child", "2B": "Drug misuse: parent", "2C": "Drug misuse: other",
    "3A": "Domestic abuse: child", "3B": "Domestic abuse: parent", "3C": "Domestic abuse: other",
    "4A": "Mental health: child", "4B": "Mental health: parent", "4C": "Mental health: other",
    "5A": "Learning disability: child", "5B": "Learning disability: parent",
    "5C": "Learning disability: other",
    "6A": "Physical disability or illness: child", "6B": "Physical disability or illness: parent",
    "6C": "Physical disability or illness: other",
    "7A": "Young carer", "8B": "Privately fostered", "8C": "Privately fostered",
    "8D": "Privately fostered", "8E": "Privately fostered", "8F": "Privately fostered",
    "9A": "Unaccompanied asylum-seeking child", "10A": "Going missing",
    "11A": "Child sexual exploitation", "12A": "Trafficking", "13A": "Gangs",
    "14A": "Socially unacceptable behaviour", "15A": "Self-harm", "16A": "Neglect",
    "17A": "Emotional abuse", "18B": "Physical abuse", "18C": "Physical abuse",
    "19B": "Sexual abuse", "19C": "Sexual abuse", "20": "Other", "21": "No factors identified",
    "22A": "Female genital mutilation", "23A": "Abuse linked to faith or belief",
    "24A": "Child criminal exploitation",
}  # fmt: skip

#: CP plan category of abuse (CIN census codes): neglect 50%, emotional 33%.
CATEGORY_WEIGHTS = {"NEG": 50.0, "EMO": 33.0, "PHY": 7.0, "SAB": 4.0, "MUL": 6.0}
CATEGORY_NAMES = {
    "NEG": "Neglect", "PHY": "Physical abuse", "SAB": "Sexual abuse", "EMO": "Emotional abuse",
    "MUL": "Multiple/not recommended",
}  # fmt: skip
CATEGORY_LABELS = {
    "NEG": "a) Neglect", "PHY": "b) Physical abuse", "SAB": "c) Sexual abuse",
    "EMO": "d) Emotional abuse", "MUL": "e) Multiple/not recommended",
}  # fmt: skip

PRIMARY_NEED_LABELS = {
    "N1": "N1 - Abuse or neglect", "N2": "N2 - Child’s disability",
    "N3": "N3 - Parental disability or illness", "N4": "N4 - Family in acute stress",
    "N5": "N5 - Family dysfunction", "N6": "N6 - Socially unacceptable behaviour",
    "N7": "N7 - Low income", "N8": "N8 - Absent parenting",
    "N9": "N9 - Cases other than children in need", "N0": "N0 - Not stated",
}  # fmt: skip
#: List 8 words N3 differently from List 6; the template's own spelling is kept.
CATEGORY_OF_NEED_LABELS = {
    **{k: v for k, v in PRIMARY_NEED_LABELS.items() if k not in {"N9", "N0"}},
    "N3": "N3 - Parental illness or disability",
}
CLOSURE_REASON_LABELS = {
    "RC1": "RC1 - Adopted", "RC2": "RC2 - Died", "RC3": "RC3 - Child arrangements order",
    "RC4": "RC4 - Special guardianship order",
    "RC5": "RC5 - Transferred to services of another local authority",
    "RC6": "RC6 - Transferred to adult social care services",
    "RC7": "RC7 - Services ceased for any other reason, including child no longer in need",
    "RC8": "RC8 - Case closed after assessment, no further action",
}  # fmt: skip
CASE_STATUS_LABELS = {
    "Looked after child": "a) Looked after child",
    "Child Protection plan": "b) Child Protection plan",
    "Child in need plan": "c) Child in need plan",
    "Open assessment": "d) Open assessment",
    "Closed episode": "e) Closed episode",
}
LEGAL_STATUS_LABELS = {
    "C1": "C1: ICO", "C2": "C2: FCO", "D1": "D1: Freeing order", "E1": "E1: Placement order",
    "V2": "V2: Single period under S20", "L1": "L1: Police protection LA accommodation",
    "L2": "L2: EPO", "J1": "J1: Remanded to LA or youth detention",
}  # fmt: skip
PLACEMENT_TYPE_LABELS = {
    "U1": "a) U1: Foster placement - relatives - long term",
    "U3": "c) U3: Foster placement - relative - not FFA",
    "U4": "d) U4: Foster placement - long term",
    "U6": "f) U6: Foster placement - not FFA",
    "P1": "k) P1: Placed with parents",
    "H5": "n) H5: Residential accommodation",
    "K2": "p) K2: Children’s Homes",
}
PLACEMENT_PROVIDER_LABELS = {
    "PR0": "a) PR0: Parents/Parental responsibility", "PR1": "b) PR1: Own provision",
    "PR2": "c) PR2: Other LA provision", "PR4": "e) PR4: Private provision",
    "PR5": "f) PR5: Voluntary/third sector",
}  # fmt: skip
CEASED_REASON_LABELS = {
    "E11": "a) E11: Adopted - application unopposed",
    "E4A": "e) E4A: Returned home to live with parents or relatives - part of planning",
    "E4B": "f) E4B: Returned home to live with parents or relatives - not part of planning",
    "E45": "i) E45: Special Guardianship Orders - former carer relative/friend",
    "E5": "m) E5: Moved into independent living - supported",
    "E8": "t) E8: Care ceased for any other reason",
}
#: CIN census Disability codes for a disabled child (NONE otherwise).
DISABILITY_CODES = ("AUT", "LD", "COMM", "BEH", "MOB", "HAND", "HEAR", "VIS", "CON", "PC")
YES_NO = {True: "a) Yes", False: "b) No"}

"""Closed lists of the plan domain: sub-sectors, activity types, funding sources, indicators."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ..number_input import NOT_NEGATIVE, PERCENT, NumberKind

SUB_SECTORS: dict[str, object] = {
    "wastewater": _l("Air limbah domestik"),
    "solid_waste": _l("Persampahan"),
    "drainage": _l("Drainase lingkungan"),
    "hygiene": _l("Perilaku higiene (STBM)"),
}

ACTIVITY_TYPES: dict[str, object] = {
    "spald_s": "SPALD-S",
    "spald_t": "SPALD-T",
    "iplt": "IPLT",
    "lltt": "LLTT",
    "stbm": "STBM",
    "regulation": _l("Regulasi"),
    "study_ded": _l("Studi/DED"),
    "other": _l("Lainnya"),
}

FUNDING_SOURCES: dict[str, object] = {
    "apbn": "APBN",
    "dak": "DAK",
    "apbd_province": _l("APBD Provinsi"),
    "apbd_district": _l("APBD Kabupaten/Kota"),
    "dana_desa": _l("Dana Desa"),
    "csr": "CSR",
    "swadaya": _l("Swadaya masyarakat"),
    "partner": _l("Hibah mitra"),
}

#: Suggested indicator names (drafters may write their own).
COMMON_INDICATORS: list[tuple[str, str]] = [
    ("% rumah tangga dengan akses sanitasi aman", "%"),
    ("% rumah tangga dengan akses sanitasi layak", "%"),
    ("% rumah tangga BABS", "%"),
    ("Rumah tangga terlayani LLTT", "RT"),
    ("Desa/kelurahan SBS (STBM)", "desa"),
    ("Kapasitas IPLT terpakai", "%"),
]

#: Units that make an indicator a percentage (written in the indicator's "unit").
PERCENT_UNITS = frozenset({"%", "persen", "percent", "persentase"})


def is_percent_unit(unit: str | None) -> bool:
    return (unit or "").strip().lower() in PERCENT_UNITS


def indicator_value_kind(unit: str | None) -> NumberKind:
    """The bounds of an indicator's baseline, targets and achieved values, by its unit: a
    percentage is 0–100, any other count or measure is at least 0."""
    return PERCENT if is_percent_unit(unit) else NOT_NEGATIVE

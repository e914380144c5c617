"""The activity workbook's layout, shared by the import template, the plan export and the import.

Sheet names and headers are part of the file format (districts fill the template in Excel and
send it back), so they are fixed Indonesian text, never translated. Labels of the closed lists
are written in Indonesian; the import also accepts the codes and English labels.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import NamedTuple

from flask_babel import force_locale
from sqlalchemy import select

from ..extensions import db
from ..plans.models import ActionPlan
from ..plans.vocabulary import ACTIVITY_TYPES, FUNDING_SOURCES, SUB_SECTORS
from ..regions.models import Agency

ACTIVITY_SHEET = "Kegiatan"
FUNDING_SHEET = "Pendanaan"
GUIDE_SHEET = "Petunjuk"

NO = "No."
SUB_SECTOR = "Sub-sektor"
ACTIVITY_TYPE = "Jenis kegiatan"
TITLE = "Nama kegiatan"
LOCATION = "Lokasi (kecamatan/desa)"
VOLUME = "Volume"
UNIT = "Satuan"
AGENCY = "OPD penanggung jawab"
START_YEAR = "Tahun mulai"
END_YEAR = "Tahun selesai"
ACTIVITY_HEADERS: tuple[str, ...] = (
    NO,
    SUB_SECTOR,
    ACTIVITY_TYPE,
    TITLE,
    LOCATION,
    VOLUME,
    UNIT,
    AGENCY,
    START_YEAR,
    END_YEAR,
)

YEAR = "Tahun"
SOURCE = "Sumber dana"
AMOUNT = "Jumlah (Rp)"
FUNDING_HEADERS: tuple[str, ...] = (NO, YEAR, SOURCE, AMOUNT)

# English labels accepted on import beside the codes and the Indonesian labels (the closed
# lists' labels are Indonesian in every interface language).
ENGLISH_LABELS: dict[str, str] = {
    "wastewater": "Domestic wastewater",
    "solid_waste": "Solid waste",
    "drainage": "Drainage",
    "hygiene": "Hygiene behaviour (STBM)",
    "regulation": "Regulation",
    "study_ded": "Study/DED",
    "other": "Other",
    "apbd_province": "Provincial budget (APBD Provinsi)",
    "apbd_district": "District budget (APBD Kabupaten/Kota)",
    "dana_desa": "Village fund (Dana Desa)",
    "swadaya": "Community contribution (swadaya)",
    "partner": "Partner grant",
}

_SPACES = re.compile(r"\s+")


def normalised(text: str) -> str:
    """How names are compared: case, surrounding and repeated spaces do not matter."""
    return _SPACES.sub(" ", text).strip().casefold()


def indonesian_labels(labels: Mapping[str, object]) -> dict[str, str]:
    """Code -> Indonesian label, as written into the template and the export."""
    with force_locale("id"):
        return {code: str(label) for code, label in labels.items()}


def indonesian_label(labels: Mapping[str, object], code: str) -> str:
    return indonesian_labels(labels).get(code, code)


def _lookup(labels: Mapping[str, object]) -> dict[str, str]:
    """Every accepted spelling (normalised) -> code."""
    names: dict[str, str] = {}
    for code, label in labels.items():
        names[normalised(code)] = code
        for locale in ("id", "en"):
            with force_locale(locale):
                names[normalised(str(label))] = code
        if code in ENGLISH_LABELS:
            names[normalised(ENGLISH_LABELS[code])] = code
    return names


class Vocabulary(NamedTuple):
    """The closed lists as the import reads them."""

    sub_sectors: dict[str, str]
    activity_types: dict[str, str]
    sources: dict[str, str]


def vocabulary() -> Vocabulary:
    return Vocabulary(_lookup(SUB_SECTORS), _lookup(ACTIVITY_TYPES), _lookup(FUNDING_SOURCES))


def valid_labels(labels: Mapping[str, object]) -> list[str]:
    return list(indonesian_labels(labels).values())


def agency_label(agency: Agency, agencies: Iterable[Agency]) -> str:
    """The agency's short name; with its region when another agency shares the short name."""
    same = [a for a in agencies if normalised(a.short_name) == normalised(agency.short_name)]
    if len(same) > 1:
        return f"{agency.short_name} ({agency.region.name})"
    return agency.short_name


def agency_lookup(agencies: Iterable[Agency]) -> dict[str, list[Agency]]:
    """Accepted spellings -> agencies: the short name, the full name and "short (region)"."""
    names: dict[str, list[Agency]] = {}
    for agency in agencies:
        spellings = {
            normalised(agency.short_name),
            normalised(agency.name),
            normalised(f"{agency.short_name} ({agency.region.name})"),
        }
        for spelling in spellings:
            names.setdefault(spelling, []).append(agency)
    return names


def plan_agencies(plan: ActionPlan) -> list[Agency]:
    """The agencies an activity of `plan` may name: its region's first, then the province's
    (the same choice as the activity form)."""
    region_ids = [plan.region_id, plan.region.parent_id]
    agencies = db.session.scalars(select(Agency).where(Agency.region_id.in_(region_ids))).all()
    return sorted(agencies, key=lambda a: (a.region_id != plan.region_id, a.short_name))

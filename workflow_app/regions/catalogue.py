"""The province of Kalimantan Selatan and its 13 kabupaten/kota (Kemendagri codes).

Reference data, not demo data: every installation has these regions.
"""

from __future__ import annotations

from typing import NamedTuple


class RegionInfo(NamedTuple):
    code: str
    name: str
    kind: str  # province | regency | city
    seat: str


PROVINCE = RegionInfo("63", "Kalimantan Selatan", "province", "Banjarbaru")

DISTRICTS: tuple[RegionInfo, ...] = (
    RegionInfo("6301", "Tanah Laut", "regency", "Pelaihari"),
    RegionInfo("6302", "Kotabaru", "regency", "Kotabaru"),
    RegionInfo("6303", "Banjar", "regency", "Martapura"),
    RegionInfo("6304", "Barito Kuala", "regency", "Marabahan"),
    RegionInfo("6305", "Tapin", "regency", "Rantau"),
    RegionInfo("6306", "Hulu Sungai Selatan", "regency", "Kandangan"),
    RegionInfo("6307", "Hulu Sungai Tengah", "regency", "Barabai"),
    RegionInfo("6308", "Hulu Sungai Utara", "regency", "Amuntai"),
    RegionInfo("6309", "Tabalong", "regency", "Tanjung"),
    RegionInfo("6310", "Tanah Bumbu", "regency", "Batulicin"),
    RegionInfo("6311", "Balangan", "regency", "Paringin"),
    RegionInfo("6371", "Kota Banjarmasin", "city", "Banjarmasin"),
    RegionInfo("6372", "Kota Banjarbaru", "city", "Banjarbaru"),
)

#: Agencies (OPD) that sit in the Pokja PKP of every district: (short name, full name prefix).
DISTRICT_AGENCIES: tuple[tuple[str, str], ...] = (
    ("Bappeda", "Badan Perencanaan Pembangunan Daerah"),
    ("Dinas PUPR", "Dinas Pekerjaan Umum dan Penataan Ruang"),
    ("DLH", "Dinas Lingkungan Hidup"),
    ("Dinkes", "Dinas Kesehatan"),
    ("Dinas Perkim", "Dinas Perumahan dan Kawasan Permukiman"),
    ("DPMD", "Dinas Pemberdayaan Masyarakat dan Desa"),
)

PROVINCIAL_AGENCIES: tuple[tuple[str, str], ...] = (
    ("Dinas PUPR Provinsi", "Dinas Pekerjaan Umum dan Penataan Ruang Provinsi Kalimantan Selatan"),
    ("Bappeda Provinsi", "Badan Perencanaan Pembangunan Daerah Provinsi Kalimantan Selatan"),
)

"""Demo data: the regions, one user per role and district, sample plans in several states,
and a monitored plan's verified quarterly report.

Everything about a plan goes through `plans.operations`, exactly as a drafter, a reviewer and
the province would do it in the browser, so the history shows who did what. The caller wraps
`build_demo` in `unit_of_work()`. Names, figures and places are illustrative (DOMAIN.md).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from .accounts.models import RoleAssignment, User
from .accounts.system import system_user
from .cases.models import DeclaredCase
from .cases.operations import open_case
from .deadlines.calendar_store import current_calendar
from .engine import Role
from .extensions import db
from .firing import fire
from .monitoring import operations as report_ops
from .monitoring.operations import open_report
from .monitoring.quarters import Quarter
from .plans import operations as ops
from .plans.models import ActionPlan
from .regions.catalogue import DISTRICTS, PROVINCE
from .regions.models import Agency, Region
from .regions.operations import ensure_regions
from .signoffs.service import answer

EMAIL_DOMAIN = "demo.kalselprov.test"
PARTNER_REGIONS = ("6301", "6304", "6371")

#: Per district code: (drafter, district reviewer / Ketua Pokja, district head). Fictional.
DISTRICT_STAFF: dict[str, tuple[str, str, str]] = {
    "6301": (
        "Rina Marlina, S.T.",
        "Ir. H. Akhmad Syahrani, M.T.",
        "Drs. H. Muhammad Riduan, M.Si.",
    ),
    "6302": ("Andi Saputra, S.T.", "H. Bambang Sutrisno, S.T., M.Eng.", "H. Darmawan Saleh, S.H."),
    "6303": ("Nor Hasanah, S.E.", "Hj. Rusdiana, S.T., M.T.", "Dr. H. Fauzan Rahmadi, M.Si."),
    "6304": ("Muhammad Fahmi, S.T.", "H. Zainal Arifin, M.Si.", "H. Abdul Wahid, S.E., M.M."),
    "6305": (
        "Siti Aulia Rahmah, S.K.M.",
        "Drs. H. Fahrurrazi, M.AP.",
        "Drs. H. Syarifuddin Noor, M.AP.",
    ),
    "6306": ("Ahmad Rizani, S.T.", "Ir. Yusriansyah, M.T.", "Hj. Norhasanah, S.Sos., M.Si."),
    "6307": ("Fitri Handayani, S.P.", "H. Mansyur, S.T., M.M.", "Ir. H. Saipul Anwar, M.T."),
    "6308": ("Rahmadi, S.Sos.", "Hj. Noorlaila, S.E., M.Si.", "H. Fahmi Ridha, S.STP., M.Si."),
    "6309": ("Dewi Kartika Sari, S.T.", "Ir. H. Agus Salim, M.T.", "Drs. H. Hamdan Yusuf, M.M."),
    "6310": ("Hendra Gunawan, S.T.", "H. Rudi Hartono, S.T., M.T.", "H. Ardiansyah Putra, S.T."),
    "6311": ("Nurul Hidayah, S.E.", "Drs. Ahmad Fauzi, M.Si.", "Dr. H. Rahmat Hidayat, M.Pd."),
    "6371": (
        "Muhammad Iqbal Maulana, S.T.",
        "Ir. Hj. Dyah Purnamasari, M.T.",
        "Ir. H. Irwan Kurniawan, M.Si.",
    ),
    "6372": ("Lisa Amalia, S.T.", "H. Syamsul Bahri, S.T., M.T.", "Dr. Ir. H. Kamaluddin, M.M."),
}

#: (username, full name, [(role, region code), ...]) of the accounts outside the districts.
OTHER_USERS: tuple[tuple[str, str, tuple[tuple[str, str], ...]], ...] = (
    ("admin", "Administrator Sistem", ((Role.ADMIN, PROVINCE.code),)),
    (
        "provincial.63",
        "Ir. Hj. Maulida Rahmah, M.T.",
        (("provincial_reviewer", PROVINCE.code),),
    ),
    ("head.63", "Ir. H. Suriansyah Noor, M.T.", (("provincial_head", PROVINCE.code),)),
    (
        "mitra.demo",
        "Dewi Anggraini (Mitra Pembangunan)",
        tuple((Role.PARTNER, code) for code in PARTNER_REGIONS),
    ),
)


#: The agencies of Tanah Laut's Pokja PKP that sign off its DAK proposal (dak_sanitation.yaml).
POKJA_MEMBERS: tuple[tuple[str, str], ...] = (
    ("pokja.pupr.6301", "Ir. Hendra Gunawan (Dinas PUPR Tanah Laut)"),
    ("pokja.dlh.6301", "Siti Nurhaliza, S.Si. (DLH Tanah Laut)"),
    ("pokja.dinkes.6301", "dr. Fajar Ramadhan (Dinkes Tanah Laut)"),
)


def demo_usernames() -> list[str]:
    """Every username seed-demo creates, in creation order."""
    names = [username for username, _, _ in OTHER_USERS]
    for info in DISTRICTS:
        names += [f"drafter.{info.code}", f"reviewer.{info.code}", f"head.{info.code}"]
    return names + [username for username, _ in POKJA_MEMBERS]


# --- plan specifications ---------------------------------------------------------------


@dataclass(frozen=True)
class ActivitySpec:
    sub_sector: str
    activity_type: str
    title: str
    location: str
    volume: int | None
    unit: str
    agency: str  # short name of one of the district's agencies
    start_year: int
    end_year: int
    funding: tuple[tuple[int, str, int], ...]  # (year, source, amount in Rupiah)


@dataclass(frozen=True)
class IndicatorSpec:
    name: str
    unit: str
    baseline: tuple[int, str] | None  # (year, value)
    targets: dict[int, str] = field(default_factory=dict)


@dataclass(frozen=True)
class PlanSpec:
    region_code: str
    title: str
    challenges: tuple[str, ...]
    indicators: tuple[IndicatorSpec, ...]
    activities: tuple[ActivitySpec, ...]
    steps: tuple[tuple[str, str, str | None], ...] = ()  # (username, trigger, comment)
    period: tuple[int, int] = (2025, 2029)


SAFE_SANITATION = "% rumah tangga dengan akses sanitasi aman"

PLANS: tuple[PlanSpec, ...] = (
    PlanSpec(
        region_code="6301",
        title="Rencana Aksi Sanitasi Aman Kabupaten Tanah Laut 2025–2029",
        challenges=(
            "Akses sanitasi aman baru 6% rumah tangga (2024); "
            "sebagian besar tangki septik tidak pernah dikuras.",
            "Belum ada layanan lumpur tinja terjadwal (LLTT); "
            "IPLT Pelaihari beroperasi jauh di bawah kapasitas.",
            "Masih ada desa pesisir dengan praktik buang air besar sembarangan (BABS).",
        ),
        indicators=(
            IndicatorSpec(
                SAFE_SANITATION,
                "%",
                (2024, "6.0"),
                {2025: "7.5", 2026: "9", 2027: "12", 2028: "15", 2029: "18"},
            ),
            IndicatorSpec(
                "Rumah tangga terlayani LLTT",
                "RT",
                (2024, "0"),
                {2025: "0", 2026: "1200", 2027: "2400", 2028: "3600", 2029: "4800"},
            ),
            IndicatorSpec(
                "Desa/kelurahan SBS (STBM)",
                "desa",
                (2024, "48"),
                {2025: "52", 2026: "58", 2027: "63", 2028: "68", 2029: "73"},
            ),
        ),
        activities=(
            ActivitySpec(
                "wastewater",
                "lltt",
                "Layanan Lumpur Tinja Terjadwal (LLTT) di Pelaihari",
                "Kec. Pelaihari",
                1200,
                "tangki septik/tahun",
                "Dinas PUPR",
                2026,
                2029,
                ((2026, "apbd_district", 850_000_000),),
            ),
            ActivitySpec(
                "wastewater",
                "spald_s",
                "SPALD-S: tangki septik individual untuk 300 rumah tangga",
                "Kec. Pelaihari: Desa Ambungan, Sarang Halang, Panggung dan Atu-Atu",
                300,
                "RT",
                "Dinas Perkim",
                2026,
                2026,
                ((2026, "dak", 1_350_000_000), (2026, "swadaya", 90_000_000)),
            ),
            ActivitySpec(
                "hygiene",
                "stbm",
                "Pemicuan STBM di 15 desa",
                "Kec. Jorong, Kintap dan Bati-Bati (15 desa)",
                15,
                "desa",
                "Dinkes",
                2026,
                2027,
                ((2026, "apbd_district", 120_000_000), (2027, "dana_desa", 75_000_000)),
            ),
        ),
        steps=(
            ("drafter.6301", "submit", None),
            ("reviewer.6301", "forward", "Sudah dibahas dalam rapat Pokja PKP."),
            ("provincial.63", "approve", "Selaras dengan target RPJMN 2025–2029."),
            ("provincial.63", "start_monitoring", "Pemantauan triwulanan dimulai."),
        ),
    ),
    PlanSpec(
        region_code="6304",
        title="Rencana Aksi Sanitasi Kabupaten Barito Kuala 2025–2029",
        challenges=(
            "Belum ada IPLT; lumpur tinja dibuang langsung ke sungai.",
            "Belum ada peraturan daerah tentang pengelolaan air limbah domestik.",
            "Banyak rumah panggung di atas air sehingga tangki septik biasa sulit dibangun.",
        ),
        indicators=(
            IndicatorSpec(
                SAFE_SANITATION,
                "%",
                (2024, "3.5"),
                {2025: "4", 2026: "5", 2027: "7", 2028: "9", 2029: "12"},
            ),
        ),
        activities=(
            ActivitySpec(
                "wastewater",
                "study_ded",
                "Penyusunan DED IPLT Marabahan",
                "Kec. Marabahan",
                1,
                "dokumen",
                "Dinas PUPR",
                2026,
                2026,
                ((2026, "apbd_district", 400_000_000),),
            ),
            ActivitySpec(
                "wastewater",
                "regulation",
                "Penyusunan Perda Pengelolaan Air Limbah Domestik",
                "Kabupaten Barito Kuala",
                1,
                "perda",
                "DLH",
                2026,
                2027,
                ((2026, "apbd_district", 175_000_000),),
            ),
        ),
        steps=(
            ("drafter.6304", "submit", None),
            ("reviewer.6304", "forward", None),
            ("provincial.63", "return", "Lengkapi baseline BABS"),
        ),
    ),
    PlanSpec(
        region_code="6371",
        title="Rencana Aksi Sanitasi Kota Banjarmasin 2025–2029",
        challenges=(
            "Layanan SPALD-T baru menjangkau sebagian Kecamatan Banjarmasin Tengah.",
            "Air tanah dangkal dan pasang surut membuat banyak tangki septik tidak kedap.",
        ),
        indicators=(
            IndicatorSpec(
                SAFE_SANITATION,
                "%",
                (2024, "11.0"),
                {2025: "12", 2026: "14", 2027: "17", 2028: "20", 2029: "24"},
            ),
            IndicatorSpec(
                "Sambungan rumah SPALD-T baru (kumulatif)",
                "SR",
                (2024, "0"),
                {2025: "0", 2026: "250", 2027: "500", 2028: "500", 2029: "500"},
            ),
        ),
        activities=(
            ActivitySpec(
                "wastewater",
                "spald_t",
                "Sambungan rumah SPALD-T di Banjarmasin Tengah dan Banjarmasin Utara",
                "Kec. Banjarmasin Tengah, Kec. Banjarmasin Utara",
                500,
                "SR",
                "Dinas PUPR",
                2026,
                2027,
                ((2026, "apbn", 2_500_000_000),),
            ),
        ),
    ),
    PlanSpec(
        region_code="6303",
        title="Rencana Aksi Sanitasi Kabupaten Banjar 2025–2029",
        challenges=(
            "IPLT Martapura belum optimal karena penyedotan masih menunggu permintaan warga.",
            "TPA masih dioperasikan secara open dumping.",
        ),
        indicators=(
            IndicatorSpec(
                SAFE_SANITATION,
                "%",
                (2024, "8.2"),
                {2025: "9", 2026: "11", 2027: "13", 2028: "16", 2029: "19"},
            ),
        ),
        activities=(
            ActivitySpec(
                "wastewater",
                "iplt",
                "Optimalisasi IPLT Martapura (rehabilitasi kolam dan truk tinja)",
                "Kec. Martapura",
                1,
                "paket",
                "Dinas PUPR",
                2026,
                2026,
                ((2026, "apbd_province", 600_000_000), (2026, "apbd_district", 250_000_000)),
            ),
            ActivitySpec(
                "solid_waste",
                "other",
                "Pembangunan TPS3R di 3 desa",
                "Kec. Martapura Barat, Kec. Astambul",
                3,
                "unit",
                "DLH",
                2027,
                2028,
                ((2027, "dak", 900_000_000),),
            ),
        ),
        steps=(("drafter.6303", "submit", None),),
    ),
    PlanSpec(
        region_code="6372",
        title="Rencana Aksi Sanitasi Kota Banjarbaru 2025–2029",
        challenges=(
            "Permukiman baru di Liang Anggang dan Cempaka belum diikuti layanan sanitasi.",
        ),
        indicators=(
            IndicatorSpec(
                SAFE_SANITATION,
                "%",
                (2024, "14.5"),
                {2025: "15.5", 2026: "17", 2027: "19", 2028: "21.5", 2029: "24"},
            ),
            IndicatorSpec(
                "Rumah tangga terlayani LLTT",
                "RT",
                (2024, "350"),
                {2025: "500", 2026: "900", 2027: "1400", 2028: "2000", 2029: "2600"},
            ),
        ),
        activities=(
            ActivitySpec(
                "wastewater",
                "lltt",
                "Perluasan layanan LLTT Kota Banjarbaru",
                "Kec. Landasan Ulin, Kec. Liang Anggang, Kec. Cempaka",
                2000,
                "RT",
                "Dinas PUPR",
                2026,
                2029,
                ((2026, "apbd_district", 450_000_000), (2027, "apbd_district", 450_000_000)),
            ),
            ActivitySpec(
                "hygiene",
                "other",
                "Kampanye perilaku hidup bersih dan sehat di 40 sekolah",
                "Kota Banjarbaru",
                40,
                "sekolah",
                "Dinkes",
                2026,
                2026,
                ((2026, "partner", 150_000_000),),
            ),
        ),
        steps=(
            ("drafter.6372", "submit", None),
            ("reviewer.6372", "forward", "Mohon disinkronkan dengan RPJMD Kota Banjarbaru."),
        ),
    ),
    PlanSpec(
        # An unfinished draft: submitting it shows what the completeness check asks for.
        region_code="6305",
        title="Rencana Aksi Sanitasi Kabupaten Tapin 2025–2029",
        challenges=("Data baseline akses sanitasi belum dimutakhirkan.",),
        indicators=(IndicatorSpec("% rumah tangga BABS", "%", None, {2029: "0"}),),
        activities=(),
    ),
)


# --- building ----------------------------------------------------------------------------


# Tanah Laut's report on the third quarter of 2026 (DOMAIN.md): by activity type, the
# cumulative physical progress %, money spent, output achieved and the obstacle met.
TANAH_LAUT_Q3_2026 = {
    "lltt": (
        "45",
        540_000_000,
        "420",
        "Tender ulang pengadaan truk tinja.",
        "Lelang ulang Agustus.",
    ),
    "spald_s": (
        "30",
        400_000_000,
        "80",
        "Lahan warga belum siap.",
        "Pendampingan oleh fasilitator.",
    ),
    "stbm": ("60", 70_000_000, "9", "", ""),
}
TANAH_LAUT_SAFE_SANITATION_Q3_2026 = Decimal("7.8")


def create_reports(plan: ActionPlan, users: dict[str, User]) -> None:
    """Tanah Laut's TW III 2026 report, filled in, submitted and verified."""
    report = open_report(system_user(), plan, Quarter(2026, 3), current_calendar())
    assert report is not None
    lines = []
    for line in report.lines:
        progress, spent, output, obstacles, follow_up = TANAH_LAUT_Q3_2026[
            line.activity.activity_type
        ]
        lines.append(
            report_ops.LineData(
                activity_id=line.activity_id,
                physical_progress=Decimal(progress),
                spent=spent,
                output_achieved=Decimal(output),
                obstacles=obstacles,
                follow_up=follow_up,
            )
        )
    safe = next(i for i in plan.indicators if i.name == SAFE_SANITATION)
    report_ops.save_report(
        users["drafter.6301"],
        report,
        expected_version=None,
        lines=lines,
        indicator_values={safe.id: TANAH_LAUT_SAFE_SANITATION_Q3_2026},
    )
    report_ops.report_transition(users["drafter.6301"], report, "submit")
    report_ops.report_transition(users["provincial.63"], report, "verify")


@dataclass
class DemoData:
    users: dict[str, User]
    plans: dict[str, ActionPlan]  # by region code
    cases: dict[str, DeclaredCase] = field(default_factory=dict)  # by kind


def database_has_users() -> bool:
    return db.session.scalar(select(User.id).limit(1)) is not None


def _password_hash(password: str) -> str:
    # argon2 is slow on purpose: hash once and share the hash among the demo accounts.
    probe = User()
    probe.set_password(password)
    return probe.password_hash


def _user(
    username: str,
    full_name: str,
    grants: tuple[tuple[str, str], ...],
    regions: dict[str, Region],
    password_hash: str,
) -> User:
    account = User(
        username=username,
        full_name=full_name,
        email=f"{username}@{EMAIL_DOMAIN}",
        password_hash=password_hash,
        language="id",
    )
    for role, code in grants:
        account.roles.append(RoleAssignment(role=str(role), region=regions[code]))
    db.session.add(account)
    return account


def create_users(regions: dict[str, Region], password: str) -> dict[str, User]:
    password_hash = _password_hash(password)
    accounts: dict[str, User] = {}
    for username, full_name, grants in OTHER_USERS:
        accounts[username] = _user(username, full_name, grants, regions, password_hash)
    for info in DISTRICTS:
        drafter, reviewer, head = DISTRICT_STAFF[info.code]
        for prefix, full_name, role in (
            ("drafter", drafter, "district_drafter"),
            ("reviewer", reviewer, "district_reviewer"),
            ("head", head, "district_head"),
        ):
            username = f"{prefix}.{info.code}"
            accounts[username] = _user(
                username, full_name, ((role, info.code),), regions, password_hash
            )
    for username, full_name in POKJA_MEMBERS:
        grants = (("pokja_member", "6301"),)
        accounts[username] = _user(username, full_name, grants, regions, password_hash)
    db.session.flush()
    return accounts


def _agency_ids(region: Region) -> dict[str, int]:
    agencies = db.session.scalars(select(Agency).where(Agency.region_id == region.id))
    return {agency.short_name: agency.id for agency in agencies}


def _activity_data(spec: ActivitySpec, agencies: dict[str, int]) -> ops.ActivityData:
    return ops.ActivityData(
        sub_sector=spec.sub_sector,
        activity_type=spec.activity_type,
        title=spec.title,
        location=spec.location,
        volume=None if spec.volume is None else Decimal(spec.volume),
        unit=spec.unit,
        agency_id=agencies[spec.agency],
        start_year=spec.start_year,
        end_year=spec.end_year,
        funding=[ops.FundingData(year, source, amount) for year, source, amount in spec.funding],
    )


def _indicator_data(spec: IndicatorSpec) -> ops.IndicatorData:
    year, value = spec.baseline if spec.baseline else (None, None)
    return ops.IndicatorData(
        name=spec.name,
        unit=spec.unit,
        baseline_year=year,
        baseline_value=None if value is None else Decimal(value),
        targets={y: Decimal(v) for y, v in spec.targets.items()},
    )


def create_plan(spec: PlanSpec, regions: dict[str, Region], users: dict[str, User]) -> ActionPlan:
    """Write the plan as its drafter would, then move it along as each actor would."""
    region = regions[spec.region_code]
    drafter = users[f"drafter.{spec.region_code}"]
    plan = ops.create_plan(
        drafter, region, title=spec.title, period_start=spec.period[0], period_end=spec.period[1]
    )
    ops.replace_challenges(drafter, plan, expected_version=None, descriptions=spec.challenges)
    ops.replace_indicators(
        drafter,
        plan,
        expected_version=None,
        indicators=[_indicator_data(i) for i in spec.indicators],
    )
    agencies = _agency_ids(region)
    for activity in spec.activities:
        ops.add_activity(
            drafter, plan, expected_version=None, data=_activity_data(activity, agencies)
        )
    for username, trigger, comment in spec.steps:
        ops.transition(users[username], plan, trigger, comment=comment)
    return plan


def build_demo(password: str) -> DemoData:
    """Create everything. Call inside `unit_of_work()` on a database without users."""
    regions = ensure_regions()
    users = create_users(regions, password)
    plans = {spec.region_code: create_plan(spec, regions, users) for spec in PLANS}
    create_reports(plans["6301"], users)
    cases = create_declared_cases(regions, users, plans)
    return DemoData(users=users, plans=plans, cases=cases)


# --- kinds declared as data (workflows/sk_pokja.yaml, workflows/dak_sanitation.yaml) --------

# A stand-in for a scanned, signed document (illustrative, like every demo figure).
DEMO_PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def _pdf(name: str) -> FileStorage:
    return FileStorage(io.BytesIO(DEMO_PDF), name)


def create_declared_cases(
    regions: dict[str, Region], users: dict[str, User], plans: dict[str, ActionPlan]
) -> dict[str, DeclaredCase]:
    """Tanah Laut's Pokja decree waiting for the province's check, and its DAK proposal for
    2027 half signed off by its agencies (PUPR has agreed; DLH and Dinkes have not answered)."""
    region, drafter = regions["6301"], users["drafter.6301"]
    agencies = _agency_ids(region)
    members = [
        {
            "name": "Ir. H. Akhmad Syahrani, M.T.",
            "agency": agencies["Bappeda"],
            "position": "chair",
        },
        {"name": "Rina Marlina, S.T.", "agency": agencies["Dinas PUPR"], "position": "secretary"},
        {"name": "Ir. Hendra Gunawan", "agency": agencies["Dinas PUPR"], "position": "member"},
        {"name": "Siti Nurhaliza, S.Si.", "agency": agencies["DLH"], "position": "member"},
        {"name": "dr. Fajar Ramadhan", "agency": agencies["Dinkes"], "position": "member"},
    ]
    decree = open_case(
        drafter,
        "sk_pokja",
        region,
        {
            "decree_kind": "renewal",
            "decree_number": "188.45/214/KUM/2026",
            "decree_date": date(2026, 2, 16),
            "valid_until": 2029,
            "members": members,
        },
        {"signed_decree": _pdf("SK Pokja PKP Tanah Laut 2026.pdf")},
    )
    fire(drafter, decree, "submit")
    proposal = open_case(
        drafter,
        "dak_sanitation",
        region,
        {
            "year": 2027,
            "action_plan": plans["6301"].id,
            "activities": [
                {
                    "sub_sector": "wastewater",
                    "activity_type": "septic_individual",
                    "location": "Desa Atu-Atu, Pelaihari",
                    "volume": Decimal(120),
                    "unit": "unit",
                    "unit_cost": 11_250_000,
                    "total": 1_350_000_000,
                },
                {
                    "sub_sector": "solid_waste",
                    "activity_type": "tps3r",
                    "location": "Kelurahan Angsau, Pelaihari",
                    "volume": Decimal(1),
                    "unit": "unit",
                    "unit_cost": 650_000_000,
                    "total": 650_000_000,
                },
            ],
            "proposed_total": 2_000_000_000,
            "notes": "Melanjutkan program SPALD-S 2026; lahan TPS3R hibah desa.",
        },
        {
            "land_statement": _pdf("Surat pernyataan lahan.pdf"),
            "detailed_design": _pdf("DED SPALD-S dan TPS3R.pdf"),
            "operator_commitment": _pdf("Komitmen KPP.pdf"),
        },
    )
    fire(drafter, proposal, "submit")
    answer(users["pokja.pupr.6301"], proposal, "agree", "Sesuai program Dinas PUPR 2027.")
    return {"sk_pokja": decree, "dak_sanitation": proposal}

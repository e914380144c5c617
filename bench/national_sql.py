"""The set-based statements of bench/national.py: one province's (or many provinces') plans,
contents, reports, history, outbox and change events, written by INSERT … SELECT over
generate_series, for the districts in the temporary table `new_district` (region_id, name,
drafter_id, reviewer_id, provincial_id).

Ten years of plans per district: the first half of `per` plans belong to the 2017–2021 period
(closed, one in five withdrawn; every quarter reported and verified), the second half to
2022–2026, spread over the states like bench/web.py's (half monitored, their reports of every
quarter that has ended, the latest ones partly due, submitted or returned).
"""

from __future__ import annotations

from workflow_app.audit.chain import FORMAT, HASHED_COLUMNS

# (code, name, kabupaten/kota) of the 38 provinces, Kalimantan Selatan first: the measured one.
PROVINCES: tuple[tuple[str, str, int], ...] = (
    ("63", "Kalimantan Selatan", 13),
    ("11", "Aceh", 23),
    ("12", "Sumatera Utara", 33),
    ("13", "Sumatera Barat", 19),
    ("14", "Riau", 12),
    ("15", "Jambi", 11),
    ("16", "Sumatera Selatan", 17),
    ("17", "Bengkulu", 10),
    ("18", "Lampung", 15),
    ("19", "Kepulauan Bangka Belitung", 7),
    ("21", "Kepulauan Riau", 7),
    ("31", "DKI Jakarta", 6),
    ("32", "Jawa Barat", 27),
    ("33", "Jawa Tengah", 35),
    ("34", "DI Yogyakarta", 5),
    ("35", "Jawa Timur", 38),
    ("36", "Banten", 8),
    ("51", "Bali", 9),
    ("52", "Nusa Tenggara Barat", 10),
    ("53", "Nusa Tenggara Timur", 22),
    ("61", "Kalimantan Barat", 14),
    ("62", "Kalimantan Tengah", 14),
    ("64", "Kalimantan Timur", 10),
    ("65", "Kalimantan Utara", 5),
    ("71", "Sulawesi Utara", 15),
    ("72", "Sulawesi Tengah", 13),
    ("73", "Sulawesi Selatan", 24),
    ("74", "Sulawesi Tenggara", 17),
    ("75", "Gorontalo", 6),
    ("76", "Sulawesi Barat", 6),
    ("81", "Maluku", 11),
    ("82", "Maluku Utara", 10),
    ("91", "Papua", 9),
    ("92", "Papua Barat", 7),
    ("93", "Papua Selatan", 4),
    ("94", "Papua Tengah", 8),
    ("95", "Papua Pegunungan", 8),
    ("96", "Papua Barat Daya", 6),
)

# The current period's plans over the states: 20 slots, repeated (half monitored).
CURRENT_MIX = (
    ("draft", 2),
    ("district_review", 2),
    ("provincial_sync", 2),
    ("returned", 1),
    ("approved", 2),
    ("monitored", 10),
    ("withdrawn", 1),
)
CURRENT_SLOTS = [state for state, count in CURRENT_MIX for _ in range(count)]
SLA_DAYS = {"district_review": 7, "provincial_sync": 14, "returned": 14}

# Accounts of the new provinces and districts: one password hash for all (a bench database).
PEOPLE_SQL = """
WITH made AS (
    INSERT INTO user_account (username, full_name, email, password_hash, language, active,
        created_at, session_epoch, email_delivery)
    SELECT u.username, u.username, u.username || '@example.org', %(hash)s, 'id', true, now(), 0,
        'each'
    FROM unnest(%(usernames)s::text[]) AS u (username)
    RETURNING id, username
)
INSERT INTO role_assignment (user_id, role, region_id)
SELECT made.id, g.role, r.id
FROM made
JOIN unnest(%(usernames)s::text[], %(roles)s::text[], %(codes)s::text[]) AS g (username, role, code)
    ON g.username = made.username
JOIN region AS r ON r.code = g.code
"""

NEW_DISTRICTS_SQL = """
CREATE TEMP TABLE new_district ON COMMIT DROP AS
SELECT d.id AS region_id, d.name,
    (SELECT user_id FROM role_assignment WHERE region_id = d.id AND role = 'district_drafter'
        ORDER BY id LIMIT 1) AS drafter_id,
    (SELECT user_id FROM role_assignment WHERE region_id = d.id AND role = 'district_reviewer'
        ORDER BY id LIMIT 1) AS reviewer_id,
    (SELECT user_id FROM role_assignment WHERE region_id = d.parent_id
        AND role = 'provincial_reviewer' ORDER BY id LIMIT 1) AS provincial_id
FROM region AS d
WHERE d.parent_id IS NOT NULL
    AND NOT EXISTS (SELECT 1 FROM action_plan AS p WHERE p.region_id = d.id)
"""

PLANS_SQL = """
WITH slots AS (SELECT * FROM unnest(%(slot_states)s::text[]) WITH ORDINALITY AS s (state, slot)),
lengths AS (
    SELECT * FROM unnest(%(path_states)s::text[], %(path_lengths)s::int[]) AS l (state, steps)
),
sla AS (SELECT * FROM unnest(%(sla_states)s::text[], %(sla_days)s::int[]) AS a (state, days)),
chosen AS (
    SELECT d.region_id, d.name, d.drafter_id, n, n <= %(half)s AS old,
        CASE WHEN n > %(half)s THEN s.state
            WHEN mod(n, 5) = 0 THEN 'withdrawn' ELSE 'closed' END AS state
    FROM new_district AS d
    CROSS JOIN generate_series(1, %(per)s) AS n
    JOIN slots AS s ON s.slot = 1 + mod(n, %(slot_count)s)
),
timed AS (
    SELECT c.*, l.steps, a.days,
        CASE
            WHEN c.old THEN timestamptz '2016-08-01 02:00+00'
                + mod(n * 7, 40) * interval '1 day' + mod(n * 13, 86400) * interval '1 second'
            WHEN c.state = 'monitored' THEN timestamptz '2021-08-01 02:00+00'
                + mod(n * 7, 40) * interval '1 day' + mod(n * 13, 86400) * interval '1 second'
            ELSE %(now)s - mod(n * 7, 40) * interval '1 day'
                - mod(n * 13, 86400) * interval '1 second' - (l.steps - 1) * interval '20 days'
        END AS created
    FROM chosen AS c
    JOIN lengths AS l ON l.state = c.state
    LEFT JOIN sla AS a ON a.state = c.state
)
INSERT INTO action_plan (region_id, period_start, period_end, title, state, workflow_name,
    workflow_version, version, created_by_id, created_at, updated_at, state_entered_at, due_at)
SELECT region_id, CASE WHEN old THEN 2017 ELSE 2022 END, CASE WHEN old THEN 2021 ELSE 2026 END,
    'Rencana Aksi Sanitasi ' || name || ' ' || n, state, 'action_plan', 1, steps, drafter_id,
    created, entered, entered, entered + days * interval '1 day'
FROM timed
CROSS JOIN LATERAL (SELECT CASE
    WHEN old AND state = 'closed' THEN timestamptz '2022-02-01 02:00+00'
        + mod(n * 11, 60) * interval '1 day'
    ELSE created + (steps - 1) * interval '20 days' END AS entered) AS e
ORDER BY region_id, n
"""

CONTENTS_SQL = [
    """
INSERT INTO challenge (plan_id, position, description)
SELECT id, 0, 'Cakupan layanan lumpur tinja masih rendah' FROM action_plan WHERE id > %(p0)s
""",
    """
INSERT INTO indicator (plan_id, position, name, unit, baseline_year, baseline_value)
SELECT p.id, k.position, k.name, k.unit, p.period_start - 1, k.base + mod(p.id, 10)
FROM action_plan AS p
CROSS JOIN (VALUES (0, '%% rumah tangga dengan akses sanitasi aman', '%%', 5),
                   (1, 'Rumah tangga terlayani LLTT', 'RT', 100)) AS k (position, name, unit, base)
WHERE p.id > %(p0)s
""",
    """
INSERT INTO indicator_target (indicator_id, year, value)
SELECT i.id, y,
    i.baseline_value + (y - i.baseline_year) * CASE i.position WHEN 0 THEN 5 ELSE 200 END
FROM indicator AS i CROSS JOIN generate_series(i.baseline_year + 1, i.baseline_year + 5) AS y
WHERE i.id > %(i0)s
""",
    """
INSERT INTO activity (plan_id, position, sub_sector, activity_type, title, location, volume,
    unit, agency_id, start_year, end_year)
SELECT p.id, k, (ARRAY['wastewater', 'solid_waste', 'drainage', 'hygiene'])[1 + mod(p.id + k, 4)],
    (ARRAY['lltt', 'spald_s', 'iplt', 'stbm', 'study_ded'])[1 + mod(p.id * 3 + k, 5)],
    'Kegiatan ' || (k + 1) || ' rencana ' || p.id, 'Kecamatan ' || (1 + mod(p.id, 9)),
    50 + mod(p.id, 100), 'unit', ag.id, p.period_start, p.period_end
FROM action_plan AS p
CROSS JOIN generate_series(0, 2) AS k
LEFT JOIN LATERAL (SELECT id FROM agency WHERE region_id = p.region_id ORDER BY id
    OFFSET mod(k, 3) LIMIT 1) AS ag ON true
WHERE p.id > %(p0)s AND k < 2 + mod(p.id, 2)
""",
    """
INSERT INTO funding (activity_id, year, source, amount)
SELECT a.id, y, 'apbd_district', (50 + mod(a.id * 7 + y, 100)) * 1000000::bigint
FROM activity AS a CROSS JOIN generate_series(a.start_year, a.end_year) AS y
WHERE a.id > %(a0)s
UNION ALL
SELECT a.id, y, 'dak', (100 + mod(a.id + y, 200)) * 1000000::bigint
FROM activity AS a CROSS JOIN generate_series(a.start_year, a.end_year) AS y
WHERE a.id > %(a0)s AND mod(a.id, 3) = 0
""",
]

# Every quarter of the plan's period that has ended (WITA); the latest one of a monitored plan
# is due, submitted, returned or verified (by id); one plan in ten still owes the one before.
REPORTS_SQL = """
WITH quarters AS (
    SELECT p.id AS plan_id, p.state AS plan_state, p.period_start + k / 4 AS year,
        1 + mod(k, 4) AS quarter,
        make_timestamptz(p.period_start + (k + 1) / 4, mod(k + 1, 4) * 3 + 1, 1, 0, 0, 0,
            'Asia/Makassar') AS ended
    FROM action_plan AS p CROSS JOIN generate_series(0, 19) AS k
    WHERE p.id > %(p0)s AND p.state IN ('monitored', 'closed')
),
ended AS (
    SELECT q.*, rank() OVER (PARTITION BY plan_id ORDER BY ended DESC) AS back
    FROM quarters AS q WHERE ended <= %(now)s
),
chosen AS (
    SELECT plan_id, year, quarter, ended,
        CASE
            WHEN plan_state = 'closed' THEN 'verified'
            WHEN back = 1
                THEN (ARRAY['due', 'submitted', 'returned', 'verified'])[1 + mod(plan_id, 4)]
            WHEN back = 2 AND mod(plan_id, 10) = 0 THEN 'due'
            ELSE 'verified'
        END AS state
    FROM ended
)
INSERT INTO progress_report (plan_id, year, quarter, state, workflow_name, workflow_version,
    version, created_at, updated_at, state_entered_at, due_at, submitted_at)
SELECT plan_id, year, quarter, state, 'progress_report', 1,
    CASE state WHEN 'due' THEN 1 WHEN 'submitted' THEN 2 ELSE 3 END,
    ended, entered, entered,
    CASE state
        WHEN 'due' THEN ended + interval '14 days'
        WHEN 'submitted' THEN entered + interval '14 days'
        WHEN 'returned' THEN entered + interval '7 days'
    END,
    CASE WHEN state <> 'due' THEN ended + interval '10 days' END
FROM chosen
CROSS JOIN LATERAL (SELECT ended + CASE state
    WHEN 'due' THEN interval '0 days'
    WHEN 'submitted' THEN interval '10 days'
    ELSE interval '20 days' END AS entered) AS e
ORDER BY plan_id, year, quarter
"""

REPORT_CONTENTS_SQL = [
    """
INSERT INTO report_line (report_id, activity_id, position, physical_progress, spent, budget,
    output_achieved, obstacles, follow_up)
SELECT r.id, a.id, a.position, figures.progress,
    CASE WHEN figures.progress IS NOT NULL
        THEN (budget.amount * figures.progress * (80 + mod(a.id, 30)) / 10000)::bigint END,
    budget.amount, NULL, '', ''
FROM progress_report AS r
JOIN activity AS a ON a.plan_id = r.plan_id AND r.year BETWEEN a.start_year AND a.end_year
CROSS JOIN LATERAL (SELECT coalesce(sum(f.amount), 0) AS amount FROM funding AS f
    WHERE f.activity_id = a.id AND f.year = r.year) AS budget
CROSS JOIN LATERAL (SELECT CASE WHEN r.state <> 'due'
    THEN least(100, r.quarter * 20 + mod(a.id, 17))::numeric END AS progress) AS figures
WHERE r.id > %(r0)s
""",
    """
INSERT INTO report_indicator_value (report_id, indicator_id, value)
SELECT r.id, i.id, i.baseline_value + (r.year - i.baseline_year) * 4 + r.quarter
FROM progress_report AS r JOIN indicator AS i ON i.plan_id = r.plan_id
WHERE r.id > %(r0)s AND r.state <> 'due'
""",
]

ACTOR_SQL = """CASE h.role
    WHEN 'district_drafter' THEN d.drafter_id
    WHEN 'district_reviewer' THEN d.reviewer_id
    WHEN 'provincial_reviewer' THEN d.provincial_id
    ELSE %(system)s END"""

PATH_CTE = """path AS (
    SELECT * FROM unnest(%(h_states)s::text[], %(h_steps)s::int[], %(h_last)s::bool[],
        %(h_from)s::text[], %(h_to)s::text[], %(h_trigger)s::text[], %(h_role)s::text[])
        AS h (state, step, last, from_state, to_state, trigger, role)
)"""

# History without its hashes yet: bench/national.py links the chains in Python (chain.py's
# row_hash, the one the app writes and `audit verify` checks) and COPYs the rows in.
STAGE_SQL = "CREATE TEMP TABLE staged_history (LIKE plan_transition) ON COMMIT DROP"

PLAN_HISTORY_SQL = (
    "WITH "
    + PATH_CTE
    + """
INSERT INTO staged_history (id, subject_kind, subject_id, chain_kind, chain_id, workflow_version,
    from_state, to_state, trigger, actor_id, role, comment, created_at, hash_format, row_hash)
SELECT h.step, 'plan', p.id, 'plan', p.id, 1, h.from_state, h.to_state, h.trigger, """
    + ACTOR_SQL
    + """, h.role,
    CASE WHEN h.trigger = 'return' THEN 'Lengkapi baseline BABS' END,
    CASE WHEN h.last THEN p.state_entered_at ELSE p.created_at + h.step * interval '20 days' END,
    2, ''
FROM action_plan AS p
JOIN path AS h ON h.state = p.state
JOIN new_district AS d ON d.region_id = p.region_id
WHERE p.id > %(p0)s
"""
)

REPORT_HISTORY_SQL = (
    "WITH "
    + PATH_CTE
    + """
INSERT INTO staged_history (id, subject_kind, subject_id, chain_kind, chain_id, workflow_version,
    from_state, to_state, trigger, actor_id, role, comment, created_at, hash_format, row_hash)
SELECT h.step, 'report', r.id, 'plan', r.plan_id, 1, h.from_state, h.to_state, h.trigger, """
    + ACTOR_SQL
    + """, h.role,
    CASE WHEN h.trigger = 'return' THEN 'Lampirkan bukti realisasi' END,
    CASE WHEN h.last THEN r.state_entered_at
        ELSE r.created_at + h.step * interval '10 days' END,
    2, ''
FROM progress_report AS r
JOIN action_plan AS p ON p.id = r.plan_id
JOIN path AS h ON h.state = r.state
JOIN new_district AS d ON d.region_id = p.region_id
WHERE r.id > %(r0)s
"""
)

# In chain order: by time, the plan's own row before its reports' at the same instant, then
# each case's steps in order (`id` holds the step until the real id is given).
STAGED_IN_ORDER = """
SELECT subject_kind, subject_id, chain_kind, chain_id, workflow_version, from_state, to_state,
    trigger, actor_id, role, comment, created_at
FROM staged_history
WHERE chain_id BETWEEN %s AND %s
ORDER BY chain_id, created_at, subject_kind <> 'plan', subject_id, id
"""

# The columns COPYed into plan_transition: those the current hash format covers (chain.py's own
# list, so a column the chain starts to hash is written here too), the format, the two hashes.
HISTORY_COLUMNS = (*HASHED_COLUMNS[FORMAT], "hash_format", "prev_hash", "row_hash")

# The outbox: one email per history row, long sent (and read in the app).
OUTBOX_SQL = """
INSERT INTO notification (event, recipient_id, to_address, language, payload, status, attempts,
    next_attempt_at, created_at, sent_at, subject_kind, subject_id, read_at)
SELECT 'transition', h.actor_id, u.email, 'id',
    json_build_object('trigger', h.trigger, 'to_state', h.to_state), 'sent', 1, h.created_at,
    h.created_at, h.created_at + interval '1 minute', h.subject_kind, h.subject_id,
    h.created_at + interval '1 day'
FROM plan_transition AS h JOIN user_account AS u ON u.id = h.actor_id
WHERE h.id > %(h0)s
"""

CHANGE_EVENTS_SQL = """
INSERT INTO change_event (txid, type, version, state, actor_id, occurred_at, data, subject_kind,
    subject_id)
SELECT h.id, CASE WHEN h.from_state IS NULL THEN 'case.created' ELSE 'case.transitioned' END,
    1, h.to_state, h.actor_id, h.created_at, json_build_object('trigger', h.trigger),
    h.subject_kind, h.subject_id
FROM plan_transition AS h
WHERE h.id > %(h0)s
ORDER BY h.id
"""

# The deadline steps of cases in a state with a deadline: past ones done, later ones pending.
STEPS_SQL = """
WITH spec AS (
    SELECT * FROM unnest(%(s_kinds)s::text[], %(s_states)s::text[], %(s_steps)s::text[],
        %(s_days)s::int[]) AS s (kind, state, step, days)
),
cases AS (
    SELECT 'plan' AS kind, id, state, due_at FROM action_plan
    WHERE id > %(p0)s AND due_at IS NOT NULL
    UNION ALL
    SELECT 'report', id, state, due_at FROM progress_report
    WHERE id > %(r0)s AND due_at IS NOT NULL
),
entries AS (
    SELECT c.*, (SELECT max(h.id) FROM plan_transition AS h
        WHERE h.subject_kind = c.kind AND h.subject_id = c.id) AS entry_id
    FROM cases AS c
)
INSERT INTO scheduled_step (subject_kind, subject_id, entry_id, state, step, fire_at, status,
    done_at)
SELECT e.kind, e.id, e.entry_id, e.state, s.step, e.due_at + s.days * interval '1 day',
    CASE WHEN e.due_at + s.days * interval '1 day' <= %(now)s THEN 'done' ELSE 'pending' END,
    CASE WHEN e.due_at + s.days * interval '1 day' <= %(now)s
        THEN e.due_at + s.days * interval '1 day' END
FROM entries AS e JOIN spec AS s ON s.kind = e.kind AND s.state = e.state
"""

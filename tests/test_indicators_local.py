"""Hand-computed tests of the indicators from the local tables (indicators.md, "Local tables") and
of the validation rules of the local tables.

Every expected value is worked out by hand in the comments, from the spec's words: the year to D,
W = (D minus 12 calendar months, D]; "within N months" = after D minus N calendar months (clamped
to the month's end) and up to D; "within N working days of S" = on or before the N-th working day
after S (Monday to Friday less the England and Wales bank holidays).
"""
from __future__ import annotations

import math

import pandas as pd
import pytest

import cpxl
from builders import ep, kid, pick, run, write_dataset

from cpxl.dates import add_working_days

D_AUG = "2021-08-31"        # 31 August: minus 6 months is 28 February 2021, minus 12 is 31/08/2020


def value(out, indicator, geography="Testshire", period_end=None):
    return pick(out, indicator, geography, period_end)["value"]


def nd(out, indicator, geography="Testshire", period_end=None):
    r = pick(out, indicator, geography, period_end)
    return r["numerator"], r["denominator"]


def minimal_ssda903():
    """The header and episodes tables are always required: one child, looked after."""
    return {"header": [kid("Z0", "01/01/2010")], "episodes": [ep("Z0", "01/01/2015")]}


# --- working days: the calendar the indicators use -------------------------------------------

@pytest.mark.parametrize("start, n, due, why", [
    # Fri 09/09/2022: 12-16 Sep are 1-5, Mon 19 Sep (the Queen's state funeral) is a bank
    # holiday, 20-23 Sep 6-9, 26-30 Sep 10-14, 3-7 Oct 15-19, Mon 10 Oct the 20th.
    ("2022-09-09", 20, "2022-10-10", "state funeral"),
    # Fri 16/12/2022: 19-23 Dec 1-5; Mon 26 (Boxing Day) and Tue 27 (substitute for Christmas
    # Day, a Sunday) are holidays; 28-30 Dec 6-8; Mon 2 Jan 2023 (substitute for New Year's
    # Day) is a holiday; 3-6 Jan 9-12, 9-13 Jan 13-17, 16-18 Jan 18-20.
    ("2022-12-16", 20, "2023-01-18", "Christmas and New Year substitute days"),
    # Wed 05/04/2023: Thu 6 Apr 1; Good Friday 7 Apr and Easter Monday 10 Apr are holidays;
    # 11-14 Apr 2-5, 17-21 6-10, 24-28 11-15; Mon 1 May holiday; 2-5 May 16-19; Mon 8 May
    # (the King's coronation) holiday; Tue 9 May the 20th.
    ("2023-04-05", 20, "2023-05-09", "Easter and the coronation"),
    # ... continuing: 10-12 May 21-23, 15-19 24-28, 22-26 29-33, Mon 29 May (spring bank
    # holiday) skipped, 30-31 May 34-35, 1-2 Jun 36-37, 5-9 Jun 38-42, 12-14 Jun 43-45.
    ("2023-04-05", 45, "2023-06-14", "45 working days over Easter, coronation and spring holidays"),
    # Sat 03/06/2023: the first working day after a Saturday is Monday 5 June; 5-9, 12-16, 19-23,
    # 26-30 June are 1-20.
    ("2023-06-03", 20, "2023-06-30", "weekend start"),
    # Sat 24/12/2022: 26, 27 Dec and 2 Jan are holidays; 28-30 Dec 1-3, 3-6 Jan 4-7, then five a
    # week: 9-13 Jan 12, 16-20 17, 23-27 22, 30 Jan-3 Feb 27, 6-10 Feb 32, 13-17 37, 20-24 42,
    # 27 Feb 43, 28 Feb 44, 1 Mar 45.
    ("2022-12-24", 45, "2023-03-01", "Christmas weekend start"),
])
def test_working_days_hand_counts(start, n, due, why):
    assert add_working_days(pd.Timestamp(start), n) == pd.Timestamp(due), why


# --- visits_in_time_pct ----------------------------------------------------------------------

def _visits_data(tmp_path, config=None):
    # D = 31/08/2021; D - 7 days = 24/08/2021; D - 42 days = 20/07/2021.
    header = [kid(c, "01/01/2012") for c in ("V1", "V2", "V3", "V4", "V5", "V6")]
    episodes = [
        ep("V1", "24/08/2021"),                    # began exactly 7 days before D: in the cohort
        ep("V2", "25/08/2021"),                    # 6 days before D: not in the cohort
        ep("V3", "01/01/2020"),
        ep("V4", "01/01/2020"),
        ep("V5", "01/01/2020"),
        ep("V6", "01/01/2020", dec="31/08/2021"),  # left on D: not looked after at the end of D
    ]
    visits = [
        ("V1", "31/08/2021"),   # on D itself: counts
        ("V2", "30/08/2021"),   # not in the cohort, whatever the visit
        ("V3", "20/07/2021"),   # exactly D - 42: not after D - 42, so not in time
        ("V4", "2021-07-21"),   # D - 41 (ISO date in the same table): in time
        ("V5", "01/09/2021"),   # after D: not counted at D
        ("V6", "30/08/2021"),
    ]
    districts = [("V1", "North"), ("V2", "North"), ("V3", "South"), ("V4", "South"),
                 ("V5", "South"), ("V6", "South")]
    kwargs = {"config": config} if config else {}
    return write_dataset(tmp_path, header=header, episodes=episodes, visits=visits,
                         districts=districts, **kwargs)


def test_visits_in_time(tmp_path):
    out = run(_visits_data(tmp_path), D_AUG, indicators=["visits_in_time_pct"])
    # Cohort V1, V3, V4, V5 (V2 began 6 days before D, V6 left on D); in time V1 (visit on D)
    # and V4 (41 days before D): 2 of 4.
    assert nd(out, "visits_in_time_pct") == (2, 4)
    assert value(out, "visits_in_time_pct") == 50
    # North: V1 only (1 of 1); South: V3, V4, V5 (1 of 3).
    assert nd(out, "visits_in_time_pct", "North") == (1, 1)
    assert nd(out, "visits_in_time_pct", "South") == (1, 3)


def test_visit_interval_is_configurable(tmp_path):
    cfg = '[authority]\nname = "Testshire"\n\n[indicators]\nvisit_interval_days = 43\n'
    out = run(_visits_data(tmp_path, config=cfg), D_AUG, indicators=["visits_in_time_pct"])
    # With 43 days V3's visit on 20/07/2021 (42 days before D) is after D - 43: 3 of 4.
    assert nd(out, "visits_in_time_pct") == (3, 4)
    assert value(out, "visits_in_time_pct") == 75


# --- health_assessment_pct and dental_check_pct ----------------------------------------------

def test_health_assessments_within_6_or_12_months(tmp_path):
    # D = 31/08/2021: D - 6 months = 28/02/2021 (31 Aug clamped to February's end),
    # D - 12 months = 31/08/2020. OC2 cohort: looked after on D, period began on or before
    # 31/08/2020. No oc2 table is given: the local indicators do not need one.
    young, old = "01/01/2018", "01/01/2011"          # aged 3 and 10 on D
    header = [kid("H1", young), kid("H2", young), kid("H3", young), kid("H4", old),
              kid("H5", old), kid("H6", old),
              kid("H7", "31/08/2016"),               # 5th birthday on D: aged 5, 12-month rule
              kid("H8", "01/09/2016"),               # aged 4 on D (5 tomorrow): 6-month rule
              kid("H9", old)]
    episodes = [ep(c, "01/06/2020") for c in ("H1", "H2", "H3", "H4", "H5", "H7", "H8")]
    episodes += [ep("H6", "01/09/2020"),             # began after D - 12 months: not in cohort
                 ep("H9", "31/08/2020")]             # began exactly D - 12 months: in cohort
    has = [
        ("H1", "28/02/2021", "RHA"),   # under 5, exactly D - 6 months: not within 6 months
        ("H2", "01/03/2021", "IHA"),   # under 5, the day after: within (either type counts)
        ("H3", "01/06/2021", "RHA"),   # latest on or before D is 01/06/2021: within
        ("H3", "15/09/2021", "RHA"),   # after D: ignored at D
        ("H4", "01/09/2020", "RHA"),   # 5+, the day after D - 12 months: within
        ("H5", "31/08/2020", "RHA"),   # 5+, exactly D - 12 months: not within
        ("H6", "01/08/2021", "RHA"),   # not in the cohort
        ("H7", "01/12/2020", "RHA"),   # aged 5: 12 months, within
        ("H8", "01/12/2020", "RHA"),   # aged 4: 6 months, not within
    ]                                  # H9: no assessment
    folder = write_dataset(tmp_path, header=header, episodes=episodes, health_assessments=has)
    out = run(folder, D_AUG, indicators=["health_assessment_pct"])
    # Cohort H1, H2, H3, H4, H5, H7, H8, H9 = 8; up to date H2, H3, H4, H7 = 4.
    assert nd(out, "health_assessment_pct") == (4, 8)
    assert value(out, "health_assessment_pct") == 50


def test_health_assessment_leap_year_month_end(tmp_path):
    # D = 31/08/2024: D - 6 months = 29/02/2024 (a leap year's February end).
    header = [kid("L1", "01/01/2021"), kid("L2", "01/01/2021")]     # aged 3
    episodes = [ep("L1", "01/01/2023"), ep("L2", "01/01/2023")]
    has = [("L1", "29/02/2024", "RHA"),     # exactly D - 6 months: not within
           ("L2", "01/03/2024", "RHA")]     # within
    folder = write_dataset(tmp_path, header=header, episodes=episodes, health_assessments=has)
    out = run(folder, "2024-08-31", indicators=["health_assessment_pct"])
    assert nd(out, "health_assessment_pct") == (1, 2)


def test_health_assessment_same_cohort_with_an_oc2_table(tmp_path):
    # The OC2 cohort is the same with or without the oc2 table (one definition, cla._oc2_cohort).
    header = [kid("A", "01/01/2011"), kid("B", "01/01/2011")]
    episodes = [ep("A", "01/01/2019"), ep("B", "01/01/2019")]
    has = [("A", "01/01/2021", "RHA")]
    oc2 = [{"CHILD": "A", "HEALTH_CHECK": "1", "IMMUNISATIONS": "1", "TEETH_CHECK": "1"}]
    with_oc2 = write_dataset(tmp_path / "a", header=header, episodes=episodes,
                             health_assessments=has, oc2=oc2)
    without = write_dataset(tmp_path / "b", header=header, episodes=episodes, health_assessments=has)
    for folder in (with_oc2, without):
        out = run(folder, D_AUG, indicators=["health_assessment_pct", "health_check_pct"])
        assert nd(out, "health_assessment_pct") == (1, 2)


def test_dental_checks(tmp_path):
    # D = 31/08/2021, within 12 months = after 31/08/2020. Cohort aged 1 or over on D.
    header = [kid("D1", "01/08/2020")] + [kid(c, "01/01/2011") for c in ("D3", "D4", "D5", "D6")]
    episodes = [ep("D1", "01/08/2020")]                          # in care since birth: aged 1
    episodes += [ep(c, "01/01/2019") for c in ("D3", "D4", "D5", "D6")]
    episodes += [ep("DX", "01/01/2019")]                         # no header row: age unknown
    checks = [("D1", "01/01/2021"),    # within
              ("D3", "31/08/2020"),    # exactly D - 12 months: not within
              ("D4", "01/09/2020"),    # within
              ("D5", "31/08/2021"),    # on D: within
              ("DX", "01/01/2021")]    # not in the cohort (age unknown)
    folder = write_dataset(tmp_path, header=header, episodes=episodes, dental_checks=checks)
    out = run(folder, D_AUG, indicators=["dental_check_pct"])
    # Cohort D1, D3, D4, D5, D6 = 5; checked D1, D4, D5 = 3.
    assert nd(out, "dental_check_pct") == (3, 5)
    assert value(out, "dental_check_pct") == 60


# --- iha_20wd_pct ----------------------------------------------------------------------------

def test_iha_within_20_working_days(tmp_path):
    # D = 30/06/2023, W = (30/06/2022, 30/06/2023]. 20th working days from
    # test_working_days_hand_counts.
    children = ["I1", "I2", "I3", "I4", "I5", "I6", "I7", "I8", "I9", "I10", "J"]
    header = [kid(c, "01/01/2012") for c in children]
    episodes = [
        ep("I1", "09/09/2022"),     # due 10/10/2022 (state funeral 19/09 skipped)
        ep("I2", "09/09/2022"),     # same due date, IHA a day late
        ep("I3", "16/12/2022"),     # due 18/01/2023 (Christmas and New Year substitute days)
        ep("I4", "05/04/2023"),     # due 09/05/2023 (Easter, early May, coronation)
        ep("I5", "05/04/2023"),     # IHA a day late
        ep("I6", "03/06/2023"),     # Saturday start: due Friday 30/06/2023 = D, so in the cohort
        ep("I7", "03/06/2023"),     # IHA the day before the start: not within
        ep("I8", "05/04/2023"),     # only an RHA: not an IHA
        ep("I9", "20/06/2023"),     # 20th working day after D: not yet in the cohort
        ep("I10", "30/06/2022"),    # began on D - 12 months: not in W
        # J: two periods of care in W, each counted. July 2022 has no holiday: 01/07 + 20 working
        # days = 29/07/2022. The second period has no IHA of its own.
        ep("J", "01/07/2022", dec="01/08/2022"),
        ep("J", "01/02/2023"),
    ]
    has = [("I1", "10/10/2022", "IHA"), ("I2", "11/10/2022", "IHA"), ("I3", "18/01/2023", "IHA"),
           ("I4", "09/05/2023", "IHA"), ("I5", "10/05/2023", "IHA"), ("I6", "30/06/2023", "IHA"),
           ("I7", "02/06/2023", "IHA"), ("I8", "20/04/2023", "RHA"), ("I9", "21/06/2023", "IHA"),
           ("I10", "01/07/2022", "IHA"), ("J", "05/07/2022", "IHA")]
    folder = write_dataset(tmp_path, header=header, episodes=episodes, health_assessments=has)
    out = run(folder, "2023-06-30", indicators=["iha_20wd_pct"])
    # Periods: I1-I8 and J's two = 10; in time I1, I3, I4, I6 and J's first = 5.
    assert nd(out, "iha_20wd_pct") == (5, 10)
    assert value(out, "iha_20wd_pct") == 50


# --- pep_pct ---------------------------------------------------------------------------------

def test_pep_within_6_months_aged_5_to_15(tmp_path):
    # D = 31/08/2021, within 6 months = after 28/02/2021.
    header = [kid("P1", "31/08/2016"),     # 5 on D: in
              kid("P2", "01/01/2006"),     # 15: in
              kid("P3", "01/06/2005"),     # 16: out
              kid("P4", "01/09/2016"),     # 4: out
              kid("P5", "01/01/2011"), kid("P6", "01/01/2011")]
    episodes = [ep(c, "01/01/2020") for c in ("P1", "P2", "P3", "P4", "P5", "P6")]
    peps = [("P1", "01/03/2021"),          # within
            ("P2", "28/02/2021"),          # exactly D - 6 months: not within
            ("P3", "01/08/2021"), ("P4", "01/08/2021"),
            ("P5", "31/08/2021"),          # on D: within
            ("P6", "01/09/2021")]          # after D
    folder = write_dataset(tmp_path, header=header, episodes=episodes, peps=peps)
    out = run(folder, D_AUG, indicators=["pep_pct"])
    assert nd(out, "pep_pct") == (2, 4)


# --- child protection ------------------------------------------------------------------------

def test_cp_count_and_rate(tmp_path):
    # D = 31/12/2021. The children are not looked after: they belong to their districts row,
    # else Unknown.
    plans = [("A", "01/06/2021", "", "NEG"),            # open (no CPP_END): counts
             ("B", "01/01/2020", "31/12/2021", "NEG"),  # ends on D: not open
             ("C", "10/01/2021", "", "EMO"),            # C has two open plans: counts once
             ("C", "01/03/2021", "", "EMO"),
             ("E", "01/01/2022", "", "PHY")]            # starts after D
    districts = [("A", "North"), ("B", "North"), ("E", "South")]          # C: Unknown
    population = [("North", 2020, 1000), ("South", 2020, 3000),
                  ("North", 2022, 9999)]      # a later year is not used for 2021
    folder = write_dataset(tmp_path, **minimal_ssda903(), cp_plans=plans, districts=districts,
                           population=population)
    out = run(folder, "2021-12-31", indicators=["cp_count", "cp_rate_10k"])
    assert value(out, "cp_count") == 2                      # A and C
    assert value(out, "cp_count", "North") == 1             # A
    assert value(out, "cp_count", "South") == 0             # a district with nothing in it
    assert value(out, "cp_count", "Unknown") == 1           # C
    # Rates: the authority's population is the sum of its districts for 2020 (the latest year
    # <= 2021): 4,000, so 2 / 4,000 x 10,000 = 5; North 1 / 1,000 x 10,000 = 10.
    assert value(out, "cp_rate_10k") == pytest.approx(5.0)
    assert value(out, "cp_rate_10k", "North") == pytest.approx(10.0)
    assert value(out, "cp_rate_10k", "South") == 0
    assert math.isnan(value(out, "cp_rate_10k", "Unknown"))


def test_cp_repeat_plans(tmp_path):
    # D = 31/12/2021, W = (31/12/2020, 31/12/2021].
    plans = [
        ("E", "01/03/2019", "01/06/2019"), ("E", "01/05/2021", ""),
        # F: the earlier plan ended 730 days before the new one (02/07/2019 -> 01/07/2021: the
        # year to 02/07/2020 has 366 days with 29/02/2020, plus 364).
        ("F", "01/01/2019", "02/07/2019"), ("F", "01/07/2021", ""),
        # G: 731 days before (01/07/2019 -> 01/07/2021): outside 730.
        ("G", "01/01/2019", "01/07/2019"), ("G", "01/07/2021", ""),
        ("H", "01/02/2021", ""),                                   # a first plan
        # I: the first plan ends on the day the second starts: 0 days before, counts.
        ("I", "01/03/2021", "01/04/2021"), ("I", "01/04/2021", ""),
        # J: the earlier plan is still open: it started earlier, but has not ended.
        ("J", "01/06/2020", ""), ("J", "01/08/2021", ""),
    ]
    folder = write_dataset(tmp_path, **minimal_ssda903(), cp_plans=plans)
    out = run(folder, "2021-12-31", indicators=["cp_repeat_ever_pct", "cp_repeat_2yrs_pct"])
    # Plans starting in W: E2, F2, G2, H, I1, I2, J2 = 7.
    # Ever: E2, F2, G2, I2, J2 had an earlier-starting plan = 5.
    assert nd(out, "cp_repeat_ever_pct") == (5, 7)
    # Within 730 days: E2 (01/06/2019 -> 01/05/2021 = 700 days), F2 (730), I2 (0) = 3.
    assert nd(out, "cp_repeat_2yrs_pct") == (3, 7)


def test_cp_plans_lasting_2_years(tmp_path):
    # D = 31/12/2021: plans ending in W = (31/12/2020, 31/12/2021].
    plans = [("K", "31/12/2019", "31/12/2021"),   # 731 days (29/02/2020 inside): yes
             ("L", "01/01/2020", "31/12/2021"),   # 366 + 364 = 730 days: yes (730 or more)
             ("M", "02/01/2020", "31/12/2021"),   # 729 days: no
             ("N", "01/01/2018", ""),             # open: not ending
             ("O", "01/01/2018", "31/12/2020"),   # ended on D - 12 months: not in W
             ("Q", "01/02/2021", "01/03/2021")]   # short: no
    folder = write_dataset(tmp_path, **minimal_ssda903(), cp_plans=plans)
    out = run(folder, "2021-12-31", indicators=["cp_2yrs_plus_pct"])
    assert nd(out, "cp_2yrs_plus_pct") == (2, 4)


# --- referrals and assessments ---------------------------------------------------------------

def test_rereferrals_within_365_days(tmp_path):
    # D = 31/12/2021.
    refs = [("R1", "01/06/2020"), ("R1", "01/06/2021"),   # exactly 365 days before: counts
            ("R2", "31/05/2020"), ("R2", "01/06/2021"),   # 366 days: no
            ("R3", "01/03/2021"), ("R3", "01/03/2021"),   # same-day duplicate: left out by
                                                          # validation, so one referral, no
            ("R4", "01/02/2021"), ("R4", "02/02/2021"),   # first no, second (1 day) yes
            ("R5", "28/02/2020"), ("R5", "28/02/2021")]   # 366 days over 29/02/2020: no
    folder = write_dataset(tmp_path, **minimal_ssda903(), referrals=refs,
                           districts=[("R1", "North")])
    out = run(folder, "2021-12-31", indicators=["rereferral_pct"])
    # Referrals in W: R1b, R2b, R3, R4a, R4b, R5b = 6; re-referrals R1b, R4b = 2.
    assert nd(out, "rereferral_pct") == (2, 6)
    assert value(out, "rereferral_pct") == pytest.approx(100 * 2 / 6)
    assert nd(out, "rereferral_pct", "North") == (1, 1)
    assert nd(out, "rereferral_pct", "Unknown") == (1, 5)


def test_assessments_within_45_working_days(tmp_path):
    # D = 30/06/2023, W = (30/06/2022, 30/06/2023]; 45th working days from
    # test_working_days_hand_counts.
    ass = [("A1", "05/04/2023", "14/06/2023"),   # the 45th working day: in time
           ("A2", "05/04/2023", "15/06/2023"),   # a day late
           ("A3", "05/04/2023", ""),             # not authorised: in no year
           ("A4", "01/06/2022", "30/06/2022"),   # authorised on D - 12 months: not in W
           ("A5", "24/12/2022", "01/03/2023"),   # Saturday start over Christmas: in time
           ("A6", "24/12/2022", "02/03/2023")]   # a day late
    folder = write_dataset(tmp_path, **minimal_ssda903(), assessments=ass)
    out = run(folder, "2023-06-30", indicators=["assessments_45wd_pct"])
    assert nd(out, "assessments_45wd_pct") == (2, 4)


# --- caseload_avg ----------------------------------------------------------------------------

def test_caseload_by_worker_district(tmp_path):
    workers = [("W1", "Team A", "North", "1"),
               ("W2", "Team A", "North", "0.5"),   # a part-time worker
               ("W3", "Team B", "South", "1"),
               ("W5", "Team B", "North", "37")]    # hours, not FTE: left out with their cases
    allocations = [
        ("c1", "W1", "01/01/2021", ""),
        ("c2", "W1", "01/06/2021", "05/01/2022"),  # ends after D: open
        ("c3", "W1", "31/12/2021", ""),            # starts on D: open on 31/12, not on 30/11
        ("c4", "W1", "01/01/2021", "31/12/2021"),  # ends on D: open on 30/11 only
        ("c5", "W2", "01/01/2021", ""),
        ("c6", "W2", "30/11/2021", ""),            # starts on 30/11: open on both dates
        ("c7", "W3", "01/01/2021", "01/12/2021"),  # South's only case, closed before 31/12
        ("c8", "W9", "01/01/2021", ""),            # W9 is not in workers: left out
        ("c9", "W5", "01/01/2021", ""),            # worker with FTE 37: left out
    ]
    districts = [("c1", "South")]    # the child lives in South; the case counts where W1 works
    areas = [("North", "Area A"), ("South", "Area A"), ("East", "Area B")]   # East: no workers
    folder = write_dataset(tmp_path, **minimal_ssda903(), workers=workers, allocations=allocations,
                           districts=districts, areas=areas)
    out = run(folder, "2021-12-31", months=2, indicators=["caseload_avg"])
    nov, dec = "2021-11-30", "2021-12-31"
    # 30/11: W1 holds c1, c2, c4 (3), W2 c5, c6 (2), W3 c7 (1). North 5 / 1.5; South 1 / 1;
    # the authority and Area A 6 / 2.5 = 2.4.
    assert nd(out, "caseload_avg", "North", nov) == (5, 1.5)
    assert value(out, "caseload_avg", "North", nov) == pytest.approx(5 / 1.5)
    assert nd(out, "caseload_avg", "South", nov) == (1, 1)
    assert value(out, "caseload_avg", period_end=nov) == pytest.approx(2.4)
    assert value(out, "caseload_avg", "Area A", nov) == pytest.approx(2.4)
    # 31/12: W1 holds c1, c2, c3 (3), W2 c5, c6 (2), W3 none: North 5 / 1.5; South has no
    # worker holding a case (0 / 0, blank); the authority 5 / 1.5.
    assert value(out, "caseload_avg", "North", dec) == pytest.approx(5 / 1.5)
    assert value(out, "caseload_avg", period_end=dec) == pytest.approx(5 / 1.5)
    south = pick(out, "caseload_avg", "South", dec)
    assert south["numerator"] == 0 and south["denominator"] == 0 and math.isnan(south["value"])
    assert south["note"]
    # East (a district with no workers at all) and its area: blank on both dates.
    for d in (nov, dec):
        assert math.isnan(value(out, "caseload_avg", "East", d))
        assert math.isnan(value(out, "caseload_avg", "Area B", d))
    # Unknown: no worker there, so no case either (the child c1 is counted in North).
    assert nd(out, "caseload_avg", "Unknown", dec) == (0, 0)


# --- the whole section at once, over many period ends ----------------------------------------

def test_local_indicators_over_13_months_match_single_months(tmp_path):
    """Vectorised over period ends: a 13-month run gives each month's single-month values."""
    header = [kid(c, "01/01/2012") for c in ("V1", "V3", "V4")]
    episodes = [ep("V1", "24/08/2020"), ep("V3", "01/01/2020"), ep("V4", "01/01/2020", dec="15/03/2021")]
    visits = [("V1", "31/08/2020"), ("V1", "15/12/2020"), ("V3", "20/07/2021"), ("V4", "01/03/2021")]
    plans = [("V1", "01/01/2020", "01/05/2021"), ("X", "01/02/2021", ""), ("X", "01/01/2019", "01/01/2020")]
    refs = [("X", "01/01/2021"), ("X", "31/12/2021"), ("V3", "15/06/2021")]
    folder = write_dataset(tmp_path, header=header, episodes=episodes, visits=visits,
                           cp_plans=plans, referrals=refs)
    ids = ["visits_in_time_pct", "cp_count", "cp_repeat_ever_pct", "cp_2yrs_plus_pct",
           "rereferral_pct"]
    data = cpxl.load(folder)
    whole = cpxl.compute(data, "2021-12-31", months=13, indicators=ids)
    for d in pd.date_range(end="2021-12-31", periods=13, freq="ME"):
        one = cpxl.compute(data, d, months=1, indicators=ids)
        a = whole.loc[whole["period_end"] == str(d.date())].reset_index(drop=True)
        pd.testing.assert_frame_equal(a, one.reset_index(drop=True))


def test_not_available_without_the_local_table(tmp_path):
    folder = write_dataset(tmp_path, **minimal_ssda903())
    out = run(folder, "2021-12-31", indicators=["visits_in_time_pct", "caseload_avg", "cp_count"])
    assert "no visits table" in pick(out, "visits_in_time_pct")["note"]
    assert "no workers, allocations table" in pick(out, "caseload_avg")["note"]
    assert math.isnan(value(out, "cp_count"))


def test_catalogue_metadata():
    cat = cpxl.catalogue().set_index("id")
    local = ["visits_in_time_pct", "health_assessment_pct", "dental_check_pct", "iha_20wd_pct",
             "pep_pct", "cp_count", "cp_rate_10k", "cp_repeat_ever_pct", "cp_repeat_2yrs_pct",
             "cp_2yrs_plus_pct", "rereferral_pct", "assessments_45wd_pct", "caseload_avg"]
    polarity = ["higher"] * 5 + ["neither"] * 2 + ["lower"] * 4 + ["higher", "lower"]
    assert list(cat.loc[local, "polarity"]) == polarity
    assert cat.loc["caseload_avg", "unit"] == "cases per FTE"
    assert cpxl.indicator("caseload_avg").kind == "ratio"
    assert "visit_interval_days" in cat.loc["visits_in_time_pct", "definition"]
    for i in ("cp_rate_10k", "cp_repeat_ever_pct", "cp_2yrs_plus_pct", "rereferral_pct",
              "assessments_45wd_pct", "caseload_avg"):
        assert cat.loc[i, "lait_measure"], i
    for i in ("visits_in_time_pct", "iha_20wd_pct", "pep_pct", "health_assessment_pct"):
        assert "Regulations 2010" in cat.loc[i, "definition"], i


# --- validation rules of the local tables ----------------------------------------------------

def _report(folder):
    ds = cpxl.load(folder)
    return ds, ds.report()


def _rows(rep, rule):
    return rep.loc[rep["rule"] == rule]


def test_validation_local_tables(tmp_path):
    header = [kid("C1", "01/01/2012")]
    episodes = [ep("C1", "01/01/2020", dec="01/06/2021")]
    folder = write_dataset(
        tmp_path, header=header, episodes=episodes,
        health_assessments=[("C1", "01/02/2021", "IHA"), ("C1", "01/03/2021", "REVIEW")],
        cp_plans=[("C1", "01/03/2021", "01/02/2021", "NEG"),        # ends before it starts
                  ("C2", "01/01/2021", "", "NEG"), ("C2", "01/02/2021", "", "NEG"),  # overlap
                  ("C3", "01/01/2021", "", "NEG"), ("C3", "01/01/2021", "01/02/2021", "NEG")],
        allocations=[("C1", "W1", "01/03/2021", "01/02/2021"),      # row 2: ends before start
                     ("C1", "W404", "01/03/2021", ""),             # row 3: unknown worker
                     ("C1", "W2", "01/03/2021", "")],              # row 4: worker with FTE 0
        assessments=[("C1", "01/03/2021", "01/02/2021"), ("C1", "01/03/2021", "10/03/2021")],
        workers=[("W1", "T", "North", "1"), ("W2", "T", "North", "0"),
                 ("W3", "T", "North", "1.6"), ("W1", "T", "South", "1"),
                 ("W4", "T", "", "")],
        districts=[("C1", "North"), ("C1", "south"), ("C2", "North"), ("C2", "north"),
                   ("C3", "")],
        areas=[("North", "Area A"), ("South", "Area A"), ("South", "Area B"), ("West", "")],
        population=[("North", 2021, 0), ("South", 2021, -5), ("Testshire", 2021, 5000),
                    ("Testshire", 2021, 5100), ("Area A", "", 100)],
        postcode_districts=[("AB1", "North"), ("AB1", "South"), ("CD2", "")],
        visits=[("C1", "01/05/2022"), ("C1", "01/06/2052"), ("C1", "not a date")],
        referrals=[("C1", "01/02/2021"), ("C1", "01/02/2021")],
    )
    ds, rep = _report(folder)

    def one(rule, **expect):
        rows = _rows(rep, rule)
        assert len(rows) == 1, (rule, rows)
        r = rows.iloc[0]
        for k, v in expect.items():
            assert (r[k].startswith(v) if k == "used" else r[k] == v), (rule, k, r[k])
        return r

    # health_assessments: TYPE REVIEW, row 3, kept (counts as an assessment, not an IHA).
    one("health_assessments_type", table="health_assessments", row=3, column="TYPE", used="yes")
    assert len(ds["health_assessments"]) == 2
    # cp_plans: the plan ending before it starts (row 2) is left out; overlap (row 4) is used;
    # the duplicate of C3's start (row 6) is left out.
    one("cp_plans_end_before_start", row=2, column="CPP_END", used="no", child="C1")
    one("cp_plans_overlap", row=4, column="CPP_START", used="yes")
    one("cp_plans_duplicate", row=6, column="CPP_START", used="no")
    assert len(ds["cp_plans"]) == 3
    # allocations.
    one("allocations_end_before_start", row=2, column="END", used="no")
    one("allocations_worker_not_in_workers", row=3, column="WORKER_ID", used="no")
    assert list(ds["allocations"]["WORKER_ID"]) == ["W2"]
    # assessments authorised before the start (row 2): left out.
    one("assessments_authorised_before_start", row=2, column="ASSESSMENT_AUTHORISED", used="no")
    # workers: FTE 0 (row 3) and 1.6 (row 4) not used for caseloads; the second W1 (row 5) is
    # a duplicate; W4's FTE and DISTRICT are blank (row 6).
    fte = _rows(rep, "workers_fte_out_of_range")
    assert list(fte["row"]) == [3, 4] and all(fte["used"].str.startswith("no"))
    one("workers_duplicate", row=5, column="WORKER_ID", used="no")
    one("workers_fte_blank", row=6, column="FTE", used="no")
    one("workers_district_blank", row=6, column="DISTRICT", used="yes")
    # districts: C1 North then south (row 2 not used, the last row is); C2 North/north is the
    # same district (no problem); C3 blank (row 6) left out, so HOME_POST or Unknown decides.
    one("districts_conflicting", row=2, column="DISTRICT", used="no", child="C1")
    one("districts_blank", row=6, column="DISTRICT", used="no")
    assert ds["districts"]["DISTRICT"].tolist() == ["south", "North", "north"]
    # areas: South in Area A then Area B (row 3 not used); West has a blank AREA (kept).
    one("areas_district_in_two_areas", row=3, column="AREA", used="no")
    one("areas_blank", row=5, column="AREA", used="yes")
    # population: 0 and -5 are not positive; the second Testshire 2021 (row 5) is a duplicate;
    # Area A has no YEAR.
    pop = _rows(rep, "population_not_positive")
    assert list(pop["row"]) == [2, 3] and all(pop["used"] == "no")
    one("population_duplicate", row=5, column="GEOGRAPHY", used="no")
    one("population_year_not_a_year", row=6, column="YEAR", used="no")
    assert ds["population"]["POPULATION_0_17"].tolist() == [5000]
    # postcode_districts: AB1 mapped to two districts (row 2 not used); CD2 blank district.
    one("postcode_districts_conflicting", row=2, column="OUTWARD_CODE", used="no")
    one("postcode_districts_blank", row=4, column="DISTRICT", used="no")
    # visits: 2052 is far in the future (more than a month after today and after the latest
    # episode date); 01/05/2022 is kept; the unreadable date is reported by the loader, which
    # leaves the row out (blank or unreadable row dates are dataset.py's, not a rule here).
    one("visits_visit_date_in_future", row=3, column="VISIT_DATE", used="no")
    one("date_not_readable", table="visits", row=4, used="no")
    assert len(ds["visits"]) == 1
    # referrals: the same child and date twice (row 3 left out).
    one("referrals_duplicate", row=3, column="REFERRAL_DATE", used="no")
    # The messages name the values.
    msg = one("cp_plans_end_before_start")["problem"]
    assert "01/02/2021" in msg and "01/03/2021" in msg


def test_validation_districts_not_in_areas(tmp_path):
    folder = write_dataset(tmp_path, **minimal_ssda903(), districts=[("Z0", "Nowhere")],
                           areas=[("North", "Area A")])
    _ds, rep = _report(folder)
    rows = _rows(rep, "districts_not_in_areas")
    assert list(rows["row"]) == [2] and rows.iloc[0]["used"].startswith("yes")


def test_invalid_worker_fte_and_unknown_worker_change_the_caseload_not_the_report_order(tmp_path):
    # Whatever order the tables are checked in, a worker with FTE 0 keeps their row (so their
    # allocations are not also reported as an unknown worker) and caseload_avg leaves both out.
    folder = write_dataset(tmp_path, **minimal_ssda903(),
                           workers=[("W1", "T", "North", "1"), ("W2", "T", "North", "0")],
                           allocations=[("a", "W1", "01/01/2021", ""), ("b", "W2", "01/01/2021", "")])
    ds, rep = _report(folder)
    assert _rows(rep, "allocations_worker_not_in_workers").empty
    out = cpxl.compute(ds, "2021-12-31", months=1, indicators=["caseload_avg"])
    assert nd(out, "caseload_avg", "North") == (1, 1)


def test_validation_future_dates_relative_to_today(tmp_path):
    # A date in the next month may be a booked visit or check: kept. More than a month after
    # today (and after the latest episode date) cannot have happened: left out.
    today = pd.Timestamp.today().normalize()
    soon, later = today + pd.Timedelta(days=10), today + pd.Timedelta(days=60)
    fmt = "%d/%m/%Y"
    folder = write_dataset(tmp_path, **minimal_ssda903(),
                           dental_checks=[("Z0", soon.strftime(fmt)), ("Z0", later.strftime(fmt))],
                           peps=[("Z0", later.strftime(fmt))])
    ds, rep = _report(folder)
    dental = _rows(rep, "dental_checks_check_date_in_future")
    assert list(dental["row"]) == [3] and list(dental["used"]) == ["no"]
    assert list(_rows(rep, "peps_pep_date_in_future")["row"]) == [2]
    assert len(ds["dental_checks"]) == 1

#!/usr/bin/env python3
"""Writes the example data shipped in examples/ (deterministic: same seed, same bytes).

A small city: 12 institutions, ~400 patients, 3,000 claims, discharged in
2025 (with a few admissions spanning New Year from 2024 and into 2026, to
exercise the per-year accumulators). Costs follow the shapes of the data
contract: inpatient lognormal around 8,000 yuan with a long tail, chronic
outpatient ~400, general outpatient ~150; self-pay 0-15%; drugs 20-50%.

Run: python3 examples/generate.py   (rewrites examples/claims.csv and institutions.csv)
"""
import csv
import datetime as dt
import os
import random
from decimal import Decimal, ROUND_HALF_UP

rng = random.Random(20251)
here = os.path.dirname(os.path.abspath(__file__))


def yuan(x):
    return Decimal(str(x)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


institutions = []
levels = [3, 3, 2, 2, 2, 1, 1, 1, 1, 1, 2, 3]
names = ["市第一人民医院", "市中心医院", "县人民医院", "县中医院", "区人民医院", "城东社区卫生服务中心",
         "城西社区卫生服务中心", "白马乡镇卫生院", "清水乡镇卫生院", "南街社区卫生服务中心", "妇幼保健院", "市第三人民医院"]
for i, (lvl, name) in enumerate(zip(levels, names), start=1):
    alliance = "YGT01" if name.startswith(("县", "白马", "清水")) else ""
    budget = {1: 800_000, 2: 6_000_000, 3: 25_000_000}[lvl] + rng.randrange(0, 500_000)
    institutions.append(dict(
        institution_id=f"H{i:03d}", name=name, level=lvl, grade=rng.choice("AABBC"),
        alliance_id=alliance, annual_budget=f"{budget}.00",
        prior_year_monthly_avg=f"{yuan(budget / 12 * rng.uniform(0.85, 1.1))}",
        enrolled=rng.randrange(5_000, 80_000)))

patients = []
for p in range(1, 401):
    employee = rng.random() < 0.4
    patients.append(dict(
        patient_id=f"P{p:05d}",
        insured_type="employee" if employee else "resident",
        retired="true" if employee and rng.random() < 0.15 else "false",
        age=rng.randrange(60, 90) if employee and rng.random() < 0.15 else rng.randrange(1, 75)))
# A few heavy users so that caps and serious-illness segments are reached.
heavy = set(rng.sample(range(len(patients)), 12))

claims = []
for n in range(1, 3001):
    pi = rng.randrange(len(patients))
    if rng.random() < 0.08:
        pi = rng.choice(sorted(heavy))
    pat = patients[pi]
    r = rng.random()
    visit = "inpatient" if r < 0.15 else ("outpatient_chronic" if r < 0.40 else "outpatient_general")
    inst = rng.choice(institutions)
    if visit == "inpatient":
        total = rng.lognormvariate(8.99, 0.8)
        if pi in heavy:
            total *= rng.uniform(4, 12)
        stay = max(1, int(rng.lognormvariate(2.0, 0.6)))
    elif visit == "outpatient_chronic":
        total, stay = rng.lognormvariate(5.9, 0.5), 0
    else:
        total, stay = rng.lognormvariate(4.9, 0.6), 0
    total = max(yuan(total), Decimal("1.00"))
    discharge = dt.date(2025, 1, 1) + dt.timedelta(days=rng.randrange(365))
    admit = discharge - dt.timedelta(days=stay)
    self_pay = yuan(float(total) * rng.uniform(0, 0.15))
    drug = yuan(float(total) * rng.uniform(0.2, 0.5))
    claims.append(dict(
        claim_id=f"C{n:06d}", patient_id=pat["patient_id"], insured_type=pat["insured_type"],
        retired=pat["retired"], age=pat["age"], institution_id=inst["institution_id"],
        visit_type=visit, admit_date=admit.isoformat(), discharge_date=discharge.isoformat(),
        total_cost=f"{total}", self_pay_cost=f"{self_pay}", drug_cost=f"{drug}",
        disease_code=rng.choice(["I10", "E11.9", "J18.9", "K35.8", "C34.9", "N18.5", "I63.9", "O80"]),
        drg_code=rng.choice(["", "FM19", "GB25", "ES35", "RE19"]) if visit == "inpatient" else ""))
rng.shuffle(claims)

with open(os.path.join(here, "institutions.csv"), "w", newline="", encoding="utf-8") as f:
    w = csv.DictWriter(f, fieldnames=list(institutions[0]), lineterminator="\n")
    w.writeheader()
    w.writerows(institutions)
with open(os.path.join(here, "claims.csv"), "w", newline="", encoding="utf-8") as f:
    w = csv.DictWriter(f, fieldnames=list(claims[0]), lineterminator="\n")
    w.writeheader()
    w.writerows(claims)

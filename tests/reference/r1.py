#!/usr/bin/env python3
"""An independent implementation of the R1 workload (shared/bench-r1.md), in
plain Python with Decimal, written from the specification and not from
yibao's policy. Used to produce the expected per-claim results that the Rust
tests compare yibao against.

Run: python3 tests/reference/r1.py CLAIMS.csv INSTITUTIONS.csv > expected.csv
Prints claim_id,fund_paid,serious_paid,patient_paid sorted by claim_id.
With a third argument `--institutions`, prints R1's per-institution clearing
instead: institution_id,claims,total_cost,actual,surplus,reserve,retained,
over,fund_share,institution_share (one settlement year, 解读 8 and 9).
"""
import csv
import sys
from collections import defaultdict
from decimal import Decimal, ROUND_HALF_UP

D = Decimal
CENT = D("0.01")


def r2(x):
    return x.quantize(CENT, rounding=ROUND_HALF_UP)


DEDUCTIBLE = {1: D(200), 2: D(500), 3: D(800)}
RATIO = {("employee", 1): D("0.95"), ("employee", 2): D("0.90"), ("employee", 3): D("0.85"),
         ("resident", 1): D("0.90"), ("resident", 2): D("0.80"), ("resident", 3): D("0.65")}
CHRONIC = {"employee": D("0.80"), "resident": D("0.70")}
CAP = {"employee": D(300000), "resident": D(200000)}


def serious_f(x):
    """60% of the first 50,000 above 15,000, 70% of the next 50,000, 80% beyond."""
    above = max(x - D(15000), D(0))
    s1 = min(above, D(50000))
    s2 = min(max(above - D(50000), D(0)), D(50000))
    s3 = max(above - D(100000), D(0))
    return s1 * D("0.6") + s2 * D("0.7") + s3 * D("0.8")


def main(claims_path, inst_path, institutions=False):
    level = {}
    budget = {}
    with open(inst_path, encoding="utf-8-sig") as f:
        for row in csv.DictReader(f):
            level[row["institution_id"]] = int(row["level"])
            budget[row["institution_id"]] = D(row["annual_budget"])
    by_patient = defaultdict(list)
    with open(claims_path, encoding="utf-8-sig") as f:
        for row in csv.DictReader(f):
            by_patient[row["patient_id"]].append(row)
    out = []
    for rows in by_patient.values():
        rows.sort(key=lambda r: (r["discharge_date"], r["claim_id"].encode()))
        state = {}
        for c in rows:
            year = c["discharge_date"][:4]
            st = state.setdefault(year, dict(pool=D(0), og_elig=D(0), og_paid=D(0), oop=D(0)))
            total, self_pay = D(c["total_cost"]), D(c["self_pay_cost"])
            elig = total - self_pay
            t, v, lvl = c["insured_type"], c["visit_type"], level[c["institution_id"]]
            if v == "inpatient":
                ratio = RATIO[(t, lvl)]
                if t == "employee" and c["retired"] == "true":
                    ratio = min(ratio + D("0.05"), D(1))
                raw = r2(max(elig - DEDUCTIBLE[lvl], D(0)) * ratio)
                fund = min(raw, max(CAP[t] - st["pool"], D(0)))
                st["pool"] += fund
            elif v == "outpatient_chronic":
                raw = r2(elig * CHRONIC[t])
                fund = min(raw, max(CAP[t] - st["pool"], D(0)))
                st["pool"] += fund
            else:
                unmet = max(D(200) - st["og_elig"], D(0))
                st["og_elig"] += elig
                raw = r2(max(elig - unmet, D(0)) * D("0.5"))
                fund = min(raw, D(2000) - st["og_paid"])
                st["og_paid"] += fund
            serious = D(0)
            if t == "resident" and v in ("inpatient", "outpatient_chronic"):
                before = st["oop"]
                st["oop"] += elig - fund
                serious = r2(serious_f(st["oop"]) - serious_f(before))
            patient = total - fund - serious
            out.append((c["claim_id"], fund, serious, patient, c["institution_id"], total))
    if institutions:
        print_institutions(out, budget)
        return
    out.sort(key=lambda r: r[0].encode())
    w = csv.writer(sys.stdout, lineterminator="\n")
    w.writerow(["claim_id", "fund_paid", "serious_paid", "patient_paid"])
    for cid, fund, serious, patient, _, _ in out:
        w.writerow([cid, f"{r2(fund):.2f}", f"{r2(serious):.2f}", f"{r2(patient):.2f}"])


def print_institutions(out, budget):
    w = csv.writer(sys.stdout, lineterminator="\n")
    w.writerow(["institution_id", "claims", "total_cost", "actual", "surplus", "reserve",
                "retained", "over", "fund_share", "institution_share"])
    for inst in sorted(budget, key=lambda i: i.encode()):
        mine = [r for r in out if r[4] == inst]
        actual = sum((r[1] for r in mine), D(0))
        cost = sum((r[5] for r in mine), D(0))
        b = budget[inst]
        surplus = reserve = retained = over = fund_share = inst_share = D(0)
        if actual <= b:
            surplus = b - actual
            reserve = r2(surplus * D("0.10"))
            retained = surplus - reserve
        else:
            over = actual - b
            fund_share = r2(min(over, b * D("0.05")))
            inst_share = over - fund_share
        w.writerow([inst, len(mine)] + [f"{x:.2f}" for x in
                   (cost, actual, surplus, reserve, retained, over, fund_share, inst_share)])


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], len(sys.argv) > 3 and sys.argv[3] == "--institutions")

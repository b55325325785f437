#!/usr/bin/env python3
"""Compare the C1/C1r snapshot enclosures of the work tree against a base commit.

Usage: python3 scripts/c1_widths.py [BASE [NEW]]   (BASE defaults to main, NEW to the work tree)

For every certificate of every C1/C1r snapshot under snapshots/, it checks that the verdict is
unchanged and that every width recorded is at most the base's: each diagonal enclosure
"(Q^T S Q)_mm", the widest off-diagonal enclosure (matched by role, its position may move),
any "excluding 0" enclosure, the "max |off-diagonal|" upper bound, the widths in the check
details ("widest W at", "widest diagonal W", 4 significant digits: compared with the base's
printed value) and the escalation's max_width. Widths of decimal strings are computed exactly
(Fraction). Prints one line per exception and a summary; exit status 1 if any.
"""
import json
import re
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

BASE = sys.argv[1] if len(sys.argv) > 1 else "main"
NEW = sys.argv[2] if len(sys.argv) > 2 else None
SNAPS = sorted(Path("snapshots").glob("shipped_claims_certify_as_expected@c1*__*.snap"))


def parse(text):
    body = text.split("---", 2)[2]
    return {c["id"]: c for c in json.loads(body)}


def width(e):
    if e["lower"] in ("-inf", "inf", "nan") or e["upper"] in ("-inf", "inf", "nan"):
        return None
    return Fraction(e["upper"]) - Fraction(e["lower"])


def roles(cert):
    out = {}
    for e in cert["enclosures"]:
        n = e["name"]
        if n.startswith("widest off-diagonal"):
            out["widest off-diagonal"] = width(e)
        elif "excluding 0" in n:
            out["off-diagonal excluding 0"] = width(e)
        elif n.startswith("max |off-diagonal|"):
            out["max |off-diagonal| upper"] = Fraction(e["upper"])
        else:
            out[n] = width(e)
    for c in cert["checks"]:
        m = re.search(r"widest diagonal ([0-9.e+-]+)", c["detail"])
        if m:
            out["check: widest diagonal"] = Fraction(m.group(1))
        m = re.match(r"widest ([0-9.e+-]+) at", c["detail"])
        if m:
            out["check: widest off-diagonal"] = Fraction(m.group(1))
    for s in cert.get("escalation", []):
        out[f"escalation max_width @{s['precision_bits']}"] = Fraction(s["max_width"])
    return out


def show(ref, path):
    if ref is None:
        return path.read_text()
    return subprocess.run(
        ["git", "show", f"{ref}:{path}"], capture_output=True, text=True, check=True
    ).stdout


def main():
    exceptions = 0
    compared = 0
    for snap in SNAPS:
        base, new = parse(show(BASE, snap)), parse(show(NEW, snap))
        for cid, b in base.items():
            n = new.get(cid)
            if n is None:
                print(f"{snap.name}: {cid}: missing")
                exceptions += 1
                continue
            if n["verdict"] != b["verdict"]:
                print(f"{cid}: verdict {b['verdict']} -> {n['verdict']}")
                exceptions += 1
            rb, rn = roles(b), roles(n)
            for role, wb in rb.items():
                compared += 1
                wn = rn.get(role)
                if role not in rn:
                    print(f"{cid}: {role}: missing")
                    exceptions += 1
                elif wb is None:
                    continue
                elif wn is None or wn > wb:
                    ratio = "" if wn is None else f" ({float(wn / wb):.4f}x)"
                    print(f"{cid}: {role}: {float(wb):.6e} -> {float(wn or 0):.6e}{ratio}")
                    exceptions += 1
    print(f"{len(SNAPS)} snapshots, {compared} widths compared, {exceptions} exceptions")
    sys.exit(1 if exceptions else 0)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Writes CSV rows in the shape of the Wallaroo write-up's classifier input (issue 13):
a header, then one row per record: an index column, then numeric fields.

    index,f0,f1,...,f9
    0,0.496714,-0.138264,...
    1,...

    gen_csv.py --rows N [--fields 10] [--seed 1] [--output FILE]

Values are Gaussian (mean 0, sd 1) with 6 decimals, so that about half of the rows sum
above 0 (example.classify_csv's default threshold) and the labels are mixed. A few fields
(one in 50) are "NA", which the classifier leaves out of the sum. Deterministic for a
given seed. Standard library only. Writes to stdout unless --output is given.
"""
import argparse
import random
import sys


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, required=True, help="data rows (the header aside)")
    parser.add_argument("--fields", type=int, default=10, help="numeric fields per row")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--output", help="file to write (default: stdout)")
    args = parser.parse_args()

    rng = random.Random(args.seed)
    out = open(args.output, "w", newline="\n") if args.output else sys.stdout
    lines = [",".join(["index"] + ["f%d" % i for i in range(args.fields)])]
    for index in range(args.rows):
        fields = ["NA" if rng.random() < 0.02 else "%.6f" % rng.gauss(0, 1)
                  for _ in range(args.fields)]
        lines.append(",".join([str(index)] + fields))
        if len(lines) >= 10000:
            out.write("\n".join(lines) + "\n")
            lines = []
    if lines:
        out.write("\n".join(lines) + "\n")
    if out is not sys.stdout:
        out.close()


if __name__ == "__main__":
    main()

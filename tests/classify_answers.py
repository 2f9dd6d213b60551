#!/usr/bin/env python3
"""The example classifier's labels computed independently of weft (issue 13), for
tests/stream_tools_test.cc: reads a CSV file whose first line is the header and prints
each data row followed by ",high" when the sum of its fields after the first that Python's
float() reads is above THRESHOLD, else ",low".

    classify_answers.py FILE [THRESHOLD]
"""
import sys


def number(text):
    try:
        return float(text)
    except ValueError:
        return None


def main():
    path = sys.argv[1]
    threshold = float(sys.argv[2]) if len(sys.argv) > 2 else 0.0
    with open(path) as f:
        rows = f.read().split("\n")
    out = []
    for row in rows[1:]:
        if not row:
            continue
        # Left to right in doubles, as a plain loop adds (sum() compensates since 3.12).
        total = 0.0
        for v in map(number, row.split(",")[1:]):
            if v is not None:
                total += v
        out.append(row + (",high" if total > threshold else ",low") + "\n")
    sys.stdout.write("".join(out))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""vaderSentiment's own sign accuracy on a callfloor evaluation file, for comparison with `callfloor analyze --eval`.

Usage: pip install vaderSentiment==3.3.2 && python3 data/eval/vader_eval.py data/eval/en_vader_tweets.tsv

Reads the same `label<TAB>text[<TAB>emotion]` lines as `callfloor analyze --eval` (blank and `#` lines ignored,
lines without a pos/neg label skipped). VADER's usual thresholds: compound > 0.05 is positive, < -0.05 negative,
anything between is neutral and counted wrong (as a score of exactly 0 is for callfloor).
"""
import sys

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer


def main(path):
    sia = SentimentIntensityAnalyzer()
    table = {"pos": [0, 0, 0], "neg": [0, 0, 0]}  # label -> [predicted pos, predicted neg, neutral]
    exact_zero = 0
    sign_correct = 0  # compound's sign alone, only exactly 0 neutral: the rule callfloor's figure uses
    with open(path, encoding="utf-8") as f:
        for raw in f:
            line = raw.rstrip("\r\n")
            if not line.strip() or line.startswith("#"):
                continue
            cols = line.split("\t", 2)
            label = cols[0].strip().lower()
            if len(cols) < 2 or label not in table or not cols[1].strip():
                continue
            c = sia.polarity_scores(cols[1].strip())["compound"]
            exact_zero += c == 0.0
            sign_correct += (c > 0.0) if label == "pos" else (c < 0.0)
            table[label][0 if c > 0.05 else 1 if c < -0.05 else 2] += 1
    n = sum(sum(r) for r in table.values())
    if n == 0:
        sys.exit(f"{path} has no usable line")
    correct = table["pos"][0] + table["neg"][1]
    neutral = table["pos"][2] + table["neg"][2]
    print(f"{path}: {n} lines scored by vaderSentiment")
    print(f"sign accuracy  {correct / n:.4f} ({correct} of {n}; |compound| <= 0.05 counts as wrong)")
    print(f"sign only      {sign_correct / n:.4f} ({sign_correct} of {n}; compound's sign, only exactly 0 counted wrong)")
    print(f"neutral        {neutral / n:.4f} ({neutral} of {n}); compound exactly 0: {exact_zero / n:.4f} ({exact_zero})")
    print("                 predicted pos  predicted neg  neutral")
    for label in ("pos", "neg"):
        p, q, z = table[label]
        print(f"    labelled {label} {p:>13}  {q:>13}  {z:>7}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: vader_eval.py FILE.tsv")
    main(sys.argv[1])

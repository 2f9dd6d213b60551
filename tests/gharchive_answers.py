"""Independent answers for the Bag tests: the GitHub Archive questions computed with
nothing but Python's json and gzip over the same files. Prints one JSON object.

    gharchive_answers.py PREFIX FILE...
"""
import collections
import gzip
import json
import sys


def main():
    prefix, paths = sys.argv[1], sys.argv[2:]
    types = collections.Counter()
    count = pushes = 0
    subset_repos = {}  # first appearance first (dicts keep insertion order)
    subset_actors = collections.Counter()
    first = None
    for path in paths:
        opener = gzip.open if path.endswith(".gz") else open
        with opener(path, "rt", encoding="utf-8") as f:
            for line in f:
                if not line.strip():
                    continue
                event = json.loads(line)
                if first is None:
                    first = event
                count += 1
                types[event["type"]] += 1
                pushes += event["type"] == "PushEvent"
                if event["repo"]["name"].startswith(prefix):
                    subset_repos.setdefault(event["repo"]["name"], None)
                    subset_actors[event["actor"]["login"]] += 1
    by_count = lambda c: sorted(c.items(), key=lambda kv: (-kv[1], kv[0]))
    print(json.dumps({
        "count": count,
        "pushes": pushes,
        "types": by_count(types),
        "subset_repos": sorted(subset_repos),
        "subset_repos_in_order": list(subset_repos),
        "subset_top_actors": by_count(subset_actors)[:10],
        "first_id": first["id"] if first else None,
    }))


if __name__ == "__main__":
    main()

"""Independent answers for the shuffle tests, with nothing but Python's json, gzip and
random. Each answer is printed as a section: a line "# NAME", then one line per item,
`json(key) TAB json(value)`, sorted (so a multiset compares as text).

    shuffle_answers.py wordcount
    shuffle_answers.py visits DIR          writes DIR/visits.json and DIR/users.json first
    shuffle_answers.py actors FILE...      events per actor.login
    shuffle_answers.py ids FILE...         the events' ids as ints, sorted (one per line)
    shuffle_answers.py records DIR N FILES writes FILES files DIR/part-K.json of N records
                                           {"k": 10 random characters, "v": a payload}
                                           first; then their keys, sorted (one per line)
"""
import collections
import datetime
import gzip
import json
import random
import sys


def dumps(v):
    return json.dumps(v, ensure_ascii=False)


def emit(name, pairs):
    print("#", name)
    for line in sorted(dumps(k) + "\t" + dumps(v) for k, v in pairs):
        print(line)


def wordcount():
    text = ["the cat sat on the mat", "the dog sat on the mat"]
    emit("wordcount", collections.Counter(w for line in text for w in line.split(" ")).items())


def visits(folder):
    # The book's example: 20 users, 10,000 visits over a week, a fixed seed.
    rng = random.Random(20261128)
    users = ["user%02d" % i for i in range(20)]
    start = datetime.datetime(2026, 11, 2)
    rows = []
    for _ in range(10000):
        when = start + datetime.timedelta(seconds=rng.randrange(7 * 86400))
        rows.append({"user": rng.choice(users), "page": "/p/%d" % rng.randrange(50),
                     "timestamp": when.strftime("%Y-%m-%dT%H:%M:%SZ")})
    with open(folder + "/visits.json", "w") as f:
        for r in rows:
            f.write(json.dumps(r) + "\n")
    with open(folder + "/users.json", "w") as f:
        for i, u in enumerate(users[:15]):  # five users have no record: an inner join drops them
            f.write(json.dumps({"user": u, "team": "team%d" % (i % 3)}) + "\n")
    teams = {u: "team%d" % (i % 3) for i, u in enumerate(users[:15])}
    emit("per_user", collections.Counter(r["user"] for r in rows).items())
    emit("per_user_day",
         collections.Counter((r["user"], r["timestamp"][:10]) for r in rows).items())
    emit("join", [(r["user"], [teams[r["user"]], r["page"]]) for r in rows if r["user"] in teams])
    print("# timestamps")
    for t in sorted(r["timestamp"] for r in rows):
        print(dumps(t))


def events(paths):
    for path in paths:
        opener = gzip.open if path.endswith(".gz") else open
        with opener(path, "rt", encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    yield json.loads(line)


def actors(paths):
    emit("actors", collections.Counter(e["actor"]["login"] for e in events(paths)).items())


def ids(paths):
    print("# ids")
    for i in sorted(int(e["id"]) for e in events(paths)):
        print(i)


def records(folder, n, files):
    rng = random.Random(20261129)
    alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    keys = []
    for f in range(files):
        with open("%s/part-%d.json" % (folder, f), "w", encoding="utf-8") as out:
            for i in range(n):
                key = "".join(rng.choice(alphabet) for _ in range(10))
                keys.append(key)
                out.write(dumps({"k": key, "v": "%016d" % (f * n + i) + "x" * 60}) + "\n")
    print("# keys")
    for key in sorted(keys):
        print(dumps(key))


def main():
    mode, args = sys.argv[1], sys.argv[2:]
    {"wordcount": lambda: wordcount(), "visits": lambda: visits(args[0]),
     "actors": lambda: actors(args), "ids": lambda: ids(args),
     "records": lambda: records(args[0], int(args[1]), int(args[2]))}[mode]()


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Writes sample GitHub Archive shards: hourly files of gzip'd line-delimited JSON events in
the real schema (id, type, actor, repo, payload, public, created_at, sometimes org), named as
gharchive.org names them (2015-01-01-15.json.gz).

    gen_gharchive.py OUT_DIR [--hours 24] [--events-per-hour 5000] [--seed 1]

Deterministic for a given seed. Event types follow the real mix of January 2015 (PushEvent
about half); a few repositories are under jupyter/ so that filters have something to find.
Standard library only.
"""
import argparse
import datetime
import gzip
import json
import os
import random

TYPES = [("PushEvent", 50), ("CreateEvent", 13), ("WatchEvent", 11), ("IssueCommentEvent", 7),
         ("PullRequestEvent", 4), ("IssuesEvent", 4), ("ForkEvent", 3), ("DeleteEvent", 2),
         ("PullRequestReviewCommentEvent", 2), ("GollumEvent", 1), ("ReleaseEvent", 1),
         ("MemberEvent", 1), ("CommitCommentEvent", 1)]
WORDS = ["data", "web", "app", "lib", "core", "tools", "api", "notebook", "site", "engine",
         "parser", "cli", "ui", "dotfiles", "scripts", "docs", "server", "client", "kit"]
JUPYTER = ["jupyter/notebook", "jupyter/jupyterhub", "jupyter/nbconvert", "jupyter/nbformat",
           "jupyter/jupyter_client", "jupyter/docker-stacks", "jupyter/qtconsole"]


def make_people(rng, n):
    people = []
    for i in range(n):
        login = "%s%s%d" % (rng.choice(WORDS), rng.choice(["", "-", "_"]), rng.randrange(10000))
        people.append({"id": 100000 + i, "login": login, "gravatar_id": "",
                       "url": "https://api.github.com/users/" + login,
                       "avatar_url": "https://avatars.githubusercontent.com/u/%d?" % (100000 + i)})
    return people


def make_repos(rng, people, n):
    repos = [{"id": 900000 + i, "name": name, "url": "https://api.github.com/repos/" + name}
             for i, name in enumerate(JUPYTER)]
    for i in range(n):
        owner = rng.choice(people)["login"]
        name = "%s/%s-%s" % (owner, rng.choice(WORDS), rng.choice(WORDS))
        repos.append({"id": 1000000 + i, "name": name,
                      "url": "https://api.github.com/repos/" + name})
    return repos


def payload(rng, kind, actor):
    if kind == "PushEvent":
        n = rng.choice([1, 1, 1, 2, 3, 5])
        commits = [{"sha": "%040x" % rng.getrandbits(160),
                    "author": {"email": actor["login"] + "@example.com", "name": actor["login"]},
                    "message": "%s %s" % (rng.choice(["Fix", "Add", "Update", "Remove"]),
                                          rng.choice(WORDS)),
                    "distinct": True, "url": "https://api.github.com/commits"} for _ in range(n)]
        return {"push_id": rng.randrange(1 << 30), "size": n, "distinct_size": n,
                "ref": "refs/heads/master", "head": commits[-1]["sha"],
                "before": "%040x" % rng.getrandbits(160), "commits": commits}
    if kind == "CreateEvent":
        return {"ref": "master", "ref_type": rng.choice(["branch", "repository", "tag"]),
                "master_branch": "master", "description": None, "pusher_type": "user"}
    if kind == "WatchEvent":
        return {"action": "started"}
    if kind in ("IssuesEvent", "PullRequestEvent"):
        return {"action": rng.choice(["opened", "closed", "reopened"]),
                "number": rng.randrange(1, 3000)}
    if kind == "IssueCommentEvent":
        return {"action": "created", "comment": {"body": " ".join(rng.choice(WORDS)
                                                              for _ in range(rng.randrange(3, 40)))}}
    return {}


def write_hour(path, rng, start, events, people, repos, next_id):
    kinds = [k for k, w in TYPES for _ in range(w)]
    with gzip.open(path, "wt", encoding="utf-8", compresslevel=6) as out:
        for i in range(events):
            kind = rng.choice(kinds)
            actor = rng.choice(people)
            repo = rng.choice(repos) if rng.random() > 0.002 else rng.choice(repos[:len(JUPYTER)])
            created = start + datetime.timedelta(seconds=i * 3600 // max(events, 1))
            event = {"id": str(next_id + i), "type": kind, "actor": actor, "repo": repo,
                     "payload": payload(rng, kind, actor), "public": True,
                     "created_at": created.strftime("%Y-%m-%dT%H:%M:%SZ")}
            if rng.random() < 0.15:
                event["org"] = {"id": 7000 + rng.randrange(50), "login": rng.choice(WORDS) + "-org"}
            out.write(json.dumps(event, separators=(",", ":")))
            out.write("\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir")
    parser.add_argument("--hours", type=int, default=24)
    parser.add_argument("--events-per-hour", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--start", default="2015-01-01")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    people = make_people(rng, 20000)
    repos = make_repos(rng, people, 30000)
    os.makedirs(args.out_dir, exist_ok=True)
    start = datetime.datetime.strptime(args.start, "%Y-%m-%d")
    for h in range(args.hours):
        t = start + datetime.timedelta(hours=h)
        name = "%s-%d.json.gz" % (t.strftime("%Y-%m-%d"), t.hour)
        write_hour(os.path.join(args.out_dir, name), rng, t, args.events_per_hour, people, repos,
                   2489000000 + h * args.events_per_hour)
    print("wrote %d files of %d events to %s" % (args.hours, args.events_per_hour, args.out_dir))


if __name__ == "__main__":
    main()

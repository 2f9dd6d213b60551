#!/usr/bin/env python3
"""dask.distributed's scheduler alone, no network: the same graph shape as
bench/scheduler_sim.cc (trees of `width` roots: load -> parse -> binary sum tree), driven
through its own handlers with fake worker streams, as the scheduler would be by real
workers that finish each task after a fixed simulated duration.

Workers are registered the way Scheduler.add_worker does it, minus the comm (a fake
BatchedSend records what would be sent). Each simulated step finishes the task with the
earliest simulated end time through Scheduler.handle_task_finished, the scheduler's own
entry point for a worker's "task-finished" message. Prints one line:
`dask <seconds> <tasks> <us per task>`.
Usage: dask_scheduler_sim.py [TASKS] [WORKERS] [THREADS]   (defaults 20000 50 2)
"""
import asyncio
import heapq
import sys
import time

import dask
from distributed.scheduler import ClientState, Scheduler, WorkerState
from distributed.core import Status


class FakeStream:
    """Stands in for a BatchedSend: keeps what the scheduler sends."""

    def __init__(self):
        self.msgs = []

    def send(self, *msgs):
        self.msgs.extend(msgs)

    def take(self):
        msgs, self.msgs = self.msgs, []
        return msgs


def build_graph(tasks, width):
    per_tree = 3 * width - 1
    trees = max(1, tasks // per_tree)
    roots = trees * width
    token = "5e3c0a1f9b2d4e6f8a7c6b5d4e3f2a1b"
    graph, deps = {}, {}
    level = []
    for i in range(roots):
        k = f"load-{token}-{i}"
        graph[k], deps[k] = ("load", i), set()
        level.append(k)
    for i in range(roots):
        k = f"parse-{token}-{i}"
        graph[k], deps[k] = ("parse", level[i]), {level[i]}
        level[i] = k
    n, s = width, 0
    while n > 1:
        up = []
        for i in range(0, len(level) - 1, 2):
            k = f"sum-{token}-{s}"
            s += 1
            graph[k], deps[k] = ("sum", level[i], level[i + 1]), {level[i], level[i + 1]}
            up.append(k)
        level = up
        n //= 2
    return graph, deps, level


def add_worker(s, i, nthreads):
    address = f"tcp://10.0.{i // 250}.{i % 250}:9000"
    ws = WorkerState(address=address, status=Status.running, pid=0, nthreads=nthreads,
                     memory_limit=0, name=address, local_directory="", services={},
                     versions={}, nanny=None, extra={}, server_id=f"sim-{i}", scheduler=s)
    s.workers[address] = ws
    s.running.add(ws)
    host = address.split("//")[1].split(":")[0]
    s.host_info[host] = {"addresses": {address}, "nthreads": nthreads}
    s.total_nthreads += nthreads
    s.aliases[address] = address
    s.check_idle_saturated(ws)
    s.stream_comms[address] = FakeStream()
    return address


async def main(n_tasks, n_workers, nthreads, duration=0.01, width=8):
    graph, deps, outputs = build_graph(n_tasks, width)
    with dask.config.set({"distributed.scheduler.work-stealing": False}):
        s = Scheduler(validate=False, dashboard=False)
    addresses = [add_worker(s, i, nthreads) for i in range(n_workers)]
    client = "sim-client"
    s.clients[client] = ClientState(client)
    s.client_comms[client] = FakeStream()

    start = time.perf_counter()
    # Workers: tasks sent and not started (by priority), running count, end-time heap.
    ready = {a: [] for a in addresses}
    running = {a: 0 for a in addresses}
    ends = []
    now = 0.0
    seq = 0

    def collect():
        nonlocal seq
        for a in addresses:
            for msg in s.stream_comms[a].take():
                if msg.get("op") == "compute-task":
                    heapq.heappush(ready[a], (msg["priority"], msg["key"]))
            while running[a] < nthreads and ready[a]:
                _, key = heapq.heappop(ready[a])
                running[a] += 1
                seq += 1
                heapq.heappush(ends, (now + duration, seq, a, key))

    s.update_graph(client=client, tasks={k: repr(v) for k, v in graph.items()},
                   keys=list(outputs), dependencies=deps, stimulus_id="sim-graph")
    collect()
    done = 0
    while ends:
        now, _, a, key = heapq.heappop(ends)
        running[a] -= 1
        s.handle_task_finished(key=key, worker=a, stimulus_id=f"sim-{done}", nbytes=1000,
                               type=b"int", typename="int", metadata={},
                               startstops=[{"action": "compute", "start": now - duration,
                                            "stop": now}])
        done += 1
        collect()
    elapsed = time.perf_counter() - start
    in_memory = sum(1 for k in outputs if s.tasks[k].state == "memory")
    if in_memory != len(outputs):
        print(f"dask_scheduler_sim: only {in_memory} of {len(outputs)} outputs in memory",
              file=sys.stderr)
        sys.exit(1)
    print(f"dask {elapsed:.3f} {len(graph)} {1e6 * elapsed / len(graph):.3f}")


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:]]
    asyncio.run(main(*(args + [20000, 50, 2][len(args):])))

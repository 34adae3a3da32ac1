# How much of a latency table measured as built is the dead edges (#17, #11): NAS-Bench-201
# cells whose ops sit on edges that never reach the output are the same deployed network as the
# cell with those edges `none`, but as built those ops still run. Groups the table's rows by the
# deployed network (the cell with every dead edge set to none; live edges compared as they are,
# without merging isomorphic cells) and prints how many rows have an op on a dead edge and how much
# latency differs between rows of one deployed network (max - min over the mean, median over
# groups). With OUT, writes the rows without an op on a dead edge, for
# `bench_surrogate_quality --data OUT`. Validation data: for checking, never for fitting. Not a test.
#
#   python3 bench/dead_edge_rows.py bench/data/hwnasbench_nb201.csv cifar10_raspi4_latency [OUT.csv]
import collections, csv, statistics, sys

if len(sys.argv) not in (3, 4):
    sys.exit("Usage: python3 bench/dead_edge_rows.py TABLE.csv COLUMN [OUT.csv]")
path, column = sys.argv[1], sys.argv[2]
with open(path, newline='') as f:
    rows = list(csv.DictReader(f))
if not rows or 'arch_str' not in rows[0] or column not in rows[0]:
    sys.exit(f"{path}: expected columns arch_str and {column}")


def edges_of(arch, line):
    # "|op~0|+|op~0|op~1|+|op~0|op~1|op~2|": node j's inputs, edge (i, j) -> op
    nodes = arch.strip().split('+')
    if len(nodes) != 3:
        sys.exit(f"{path}:{line}: arch_str: expected 3 nodes separated by '+', got {arch!r}")
    edges = {}
    for j, node in enumerate(nodes, start=1):
        for token in node.strip('|').split('|'):
            op, _, i = token.partition('~')
            if not i.isdigit() or int(i) >= j:
                sys.exit(f"{path}:{line}: arch_str: bad edge {token!r} into node {j}")
            edges[(int(i), j)] = op
    if len(edges) != 6:
        sys.exit(f"{path}:{line}: arch_str: expected 6 edges, got {len(edges)}")
    return edges


def deployed(edges):
    # An edge is live when it is not none, its source is reachable from node 0 and its
    # destination reaches node 3, through non-none edges.
    on = {e for e, op in edges.items() if op != 'none'}
    reach = {0}
    for j in (1, 2, 3):
        if any((i, j) in on and i in reach for i in range(j)):
            reach.add(j)
    leads = {3}
    for i in (2, 1, 0):
        if any((i, j) in on and j in leads for j in range(i + 1, 4)):
            leads.add(i)
    return {e: op if e in on and e[0] in reach and e[1] in leads else 'none' for e, op in edges.items()}


groups = collections.defaultdict(list)
clean = []
for n, r in enumerate(rows, start=2):
    e = edges_of(r['arch_str'], n)
    d = deployed(e)
    try:
        groups[tuple(sorted(d.items()))].append(float(r[column]))
    except ValueError:
        sys.exit(f"{path}:{n}: {column}: expected a number, got {r[column]!r}")
    if d == e:
        clean.append(r)
spread = [(max(v) - min(v)) / statistics.mean(v) for v in groups.values() if len(v) > 1 and statistics.mean(v) > 0]
print(f"{path}: {len(rows)} rows, {len(rows) - len(clean)} with an op on a dead edge, {len(groups)} deployed networks")
if spread:
    print(f"{column}: {len(spread)} deployed networks with several rows; (max - min) / mean: "
          f"median {statistics.median(spread):.2f}, max {max(spread):.2f}")
if len(sys.argv) == 4:
    with open(sys.argv[3], 'w', newline='') as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0].keys()))
        w.writeheader()
        w.writerows(clean)
    print(f"wrote {sys.argv[3]}: {len(clean)} rows without an op on a dead edge")

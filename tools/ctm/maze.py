"""Maze generator for the CTM (same algorithm and conventions as `src/ctm/maze.rs`).

A perfect maze on n×n cells by the randomised depth-first backtracker, drawn on a (2n+1)² pixel
grid: cell (r, c) sits at pixel (2r+1, 2c+1), walls and passages between them. Start and goal are
distinct random cells; the route is the unique (BFS, shortest) pixel path from start to goal, as
classes 0 up, 1 down, 2 left, 3 right, 4 wait. The maze is placed on a fixed square canvas of
`canvas` pixels (wall outside the maze) at an even offset, so every maze size up to the canvas
shares one learned positional embedding.

Input encoding (3 channels, RGB scaled from [0, 1] to [-1, 1]): wall (0,0,0), open (1,1,1),
start red (1,0,0), goal green (0,1,0).
"""

from collections import deque

import numpy as np

UP, DOWN, LEFT, RIGHT, WAIT = 0, 1, 2, 3, 4
# (dy, dx) per class.
MOVES = {UP: (-1, 0), DOWN: (1, 0), LEFT: (0, -1), RIGHT: (0, 1)}
N_CLASSES = 5


def generate(n, rng):
    """Returns a (2n+1)² uint8 grid (1 open, 0 wall) of a DFS-backtracker perfect maze on n×n cells."""
    size = 2 * n + 1
    grid = np.zeros((size, size), dtype=np.uint8)
    visited = np.zeros((n, n), dtype=bool)
    r, c = int(rng.integers(n)), int(rng.integers(n))
    visited[r, c] = True
    grid[2 * r + 1, 2 * c + 1] = 1
    stack = [(r, c)]
    while stack:
        r, c = stack[-1]
        nbrs = [(r + dr, c + dc) for dr, dc in ((-1, 0), (1, 0), (0, -1), (0, 1))
                if 0 <= r + dr < n and 0 <= c + dc < n and not visited[r + dr, c + dc]]
        if not nbrs:
            stack.pop()
            continue
        nr, nc = nbrs[int(rng.integers(len(nbrs)))]
        visited[nr, nc] = True
        grid[2 * nr + 1, 2 * nc + 1] = 1
        grid[r + nr + 1, c + nc + 1] = 1  # the passage pixel between the two cells
        stack.append((nr, nc))
    return grid


def bfs_route(grid, start, goal):
    """Shortest pixel route from start to goal as a list of move classes (empty if start == goal)."""
    h, w = grid.shape
    prev = {start: None}
    q = deque([start])
    while q:
        p = q.popleft()
        if p == goal:
            break
        for cls in (UP, DOWN, LEFT, RIGHT):
            dy, dx = MOVES[cls]
            y, x = p[0] + dy, p[1] + dx
            if 0 <= y < h and 0 <= x < w and grid[y, x] and (y, x) not in prev:
                prev[(y, x)] = (p, cls)
                q.append((y, x))
    if goal not in prev:
        raise ValueError("goal not reachable")
    route = []
    p = goal
    while prev[p] is not None:
        p, cls = prev[p]
        route.append(cls)
    return route[::-1]


def sample(n, rng, passage_start_p=0.0):
    """One maze: (grid, start, goal, route). Start and goal are distinct random cells; with
    probability `passage_start_p` the start is instead any open pixel other than the goal (training
    only: re-application can leave the walker on a passage pixel)."""
    grid = generate(n, rng)
    cells = [(2 * r + 1, 2 * c + 1) for r in range(n) for c in range(n)]
    i, j = rng.choice(len(cells), size=2, replace=False)
    start, goal = cells[i], cells[j]
    if passage_start_p > 0 and rng.random() < passage_start_p:
        opens = [tuple(p) for p in np.argwhere(grid == 1) if tuple(p) != goal]
        start = opens[int(rng.integers(len(opens)))]
    return grid, start, goal, bfs_route(grid, start, goal)


def render(grid, start, goal, canvas, offset=(0, 0)):
    """The (3, canvas, canvas) float32 input in [-1, 1], the maze placed at `offset` (y, x)."""
    img = np.zeros((3, canvas, canvas), dtype=np.float32)
    oy, ox = offset
    h, w = grid.shape
    img[:, oy:oy + h, ox:ox + w] = grid[None].astype(np.float32)
    sy, sx = start[0] + oy, start[1] + ox
    gy, gx = goal[0] + oy, goal[1] + ox
    img[:, sy, sx] = (1.0, 0.0, 0.0)
    img[:, gy, gx] = (0.0, 1.0, 0.0)
    return img * 2.0 - 1.0


def route_targets(route, k):
    """The first k route classes, wait-padded."""
    t = np.full(k, WAIT, dtype=np.int64)
    m = min(k, len(route))
    t[:m] = route[:m]
    return t


# Symmetries of the square, as (number of counter-clockwise quarter turns, then transpose?) applied
# with numpy/torch rot90 over the last two axes (y, x). Class remaps follow the image.
def _rot90_class(c):
    # numpy rot90 (k=1) is counter-clockwise: up -> left, left -> down, down -> right, right -> up.
    return {UP: LEFT, LEFT: DOWN, DOWN: RIGHT, RIGHT: UP, WAIT: WAIT}[c]


def _flip_class(c):
    # horizontal flip (x -> w-1-x): left <-> right.
    return {UP: UP, DOWN: DOWN, LEFT: RIGHT, RIGHT: LEFT, WAIT: WAIT}[c]


def symmetry_label_maps():
    """For each of the 8 symmetries s = 4*flip + rot: the class remap as an int array of length 5."""
    maps = []
    for flip in (0, 1):
        for rot in range(4):
            m = []
            for c in range(N_CLASSES):
                d = c
                for _ in range(rot):
                    d = _rot90_class(d)
                if flip:
                    d = _flip_class(d)
                m.append(d)
            maps.append(np.array(m, dtype=np.int64))
    return maps


def apply_symmetry_np(img, s):
    """Applies symmetry s (rot first, then optional horizontal flip) to a (..., H, W) array."""
    out = np.rot90(img, k=s % 4, axes=(-2, -1))
    if s >= 4:
        out = out[..., ::-1]
    return np.ascontiguousarray(out)


def walk(grid, start, goal, classes, max_bumps=2):
    """Walks predicted classes from start: wall moves are skipped (a bump; more than `max_bumps`
    stops the walk), wait stops it, reaching the goal stops it. Returns (position, reached, moved)."""
    h, w = grid.shape
    y, x = start
    bumps = 0
    moved = 0
    for c in classes:
        if (y, x) == goal:
            break
        if c == WAIT:
            break
        dy, dx = MOVES[int(c)]
        ny, nx = y + dy, x + dx
        if 0 <= ny < h and 0 <= nx < w and grid[ny, nx]:
            y, x = ny, nx
            moved += 1
        else:
            bumps += 1
            if bumps > max_bumps:
                break
    return (y, x), (y, x) == goal, moved

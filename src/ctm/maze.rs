//! Perfect mazes for the CTM: randomised depth-first backtracker on n×n cells, drawn on a
//! (2n+1)² pixel grid, with random distinct start and goal cells and the shortest pixel route.
//!
//! Same algorithm and conventions as `tools/ctm/maze.py` (cell (r, c) at pixel (2r+1, 2c+1), route
//! classes 0 up, 1 down, 2 left, 3 right, 4 wait); the random draws differ from Python's, so a seed
//! gives the same maze here on every run and machine, not the same maze as the training script.

use std::collections::VecDeque;

use crate::sim::rng::{CounterRng, stream};

/// Route class: one pixel up.
pub const UP: u8 = 0;
/// Route class: one pixel down.
pub const DOWN: u8 = 1;
/// Route class: one pixel left.
pub const LEFT: u8 = 2;
/// Route class: one pixel right.
pub const RIGHT: u8 = 3;
/// Route class: stay (padding after the goal).
pub const WAIT: u8 = 4;
/// Number of route classes.
pub const N_CLASSES: usize = 5;
/// (dy, dx) of the four moves, indexed by class.
pub const MOVES: [(i32, i32); 4] = [(-1, 0), (1, 0), (0, -1), (0, 1)];

/// A pixel position (row, column).
pub type Pixel = (usize, usize);

/// A perfect maze on `cells`×`cells` cells drawn as a `size`×`size` pixel grid.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Maze {
    /// Cells per side.
    pub cells: usize,
    /// Pixels per side, 2·cells + 1.
    pub size: usize,
    /// Row-major open flags (true = passage or cell, false = wall).
    pub open: Vec<bool>,
    /// Start pixel (red in the input).
    pub start: Pixel,
    /// Goal pixel (green in the input).
    pub goal: Pixel,
}

impl Maze {
    /// The maze number `index` of a seed: DFS backtracker from a random cell, then distinct random
    /// start and goal cells. Deterministic per (cells, seed, index).
    pub fn generate(cells: usize, seed: u64, index: u64) -> Maze {
        assert!(cells >= 2, "a maze needs at least 2×2 cells");
        let mut rng = CounterRng::new(seed, index, cells as u64, stream::MAZE);
        let size = 2 * cells + 1;
        let mut open = vec![false; size * size];
        let mut visited = vec![false; cells * cells];
        let first = rng.below((cells * cells) as u64) as usize;
        visited[first] = true;
        open[(2 * (first / cells) + 1) * size + 2 * (first % cells) + 1] = true;
        let mut stack = vec![first];
        let mut nbrs = [0usize; 4];
        while let Some(&cur) = stack.last() {
            let (r, c) = (cur / cells, cur % cells);
            let mut n = 0;
            for (dr, dc) in MOVES {
                let (nr, nc) = (r as i32 + dr, c as i32 + dc);
                if nr >= 0 && nc >= 0 && (nr as usize) < cells && (nc as usize) < cells {
                    let id = nr as usize * cells + nc as usize;
                    if !visited[id] {
                        nbrs[n] = id;
                        n += 1;
                    }
                }
            }
            if n == 0 {
                stack.pop();
                continue;
            }
            let next = nbrs[rng.below(n as u64) as usize];
            let (nr, nc) = (next / cells, next % cells);
            visited[next] = true;
            open[(2 * nr + 1) * size + 2 * nc + 1] = true;
            open[(r + nr + 1) * size + (c + nc + 1)] = true;
            stack.push(next);
        }
        let s = rng.below((cells * cells) as u64) as usize;
        let mut g = rng.below((cells * cells - 1) as u64) as usize;
        if g >= s {
            g += 1;
        }
        let cell_px = |i: usize| (2 * (i / cells) + 1, 2 * (i % cells) + 1);
        Maze { cells, size, open, start: cell_px(s), goal: cell_px(g) }
    }

    /// A maze from text rows: `#` wall, `.` open, `S` start, `G` goal (square, odd side).
    pub fn from_ascii(text: &str) -> Result<Maze, String> {
        let rows: Vec<&str> = text.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
        let size = rows.len();
        if size < 3 || size.is_multiple_of(2) || rows.iter().any(|r| r.chars().count() != size) {
            return Err(format!("need an odd square of at least 3 rows, got {size} rows"));
        }
        let (mut open, mut start, mut goal) = (Vec::with_capacity(size * size), None, None);
        for (y, row) in rows.iter().enumerate() {
            for (x, ch) in row.chars().enumerate() {
                match ch {
                    '#' => open.push(false),
                    '.' => open.push(true),
                    'S' => (open.push(true), start = Some((y, x))).1,
                    'G' => (open.push(true), goal = Some((y, x))).1,
                    _ => return Err(format!("unexpected {ch:?} at row {y}, column {x}")),
                }
            }
        }
        let (start, goal) = (start.ok_or("no S")?, goal.ok_or("no G")?);
        Ok(Maze { cells: size / 2, size, open, start, goal })
    }

    /// The same maze with another start pixel.
    pub fn with_start(&self, start: Pixel) -> Maze {
        Maze { start, ..self.clone() }
    }

    /// Whether (y, x) is inside the grid and open.
    pub fn is_open(&self, y: i64, x: i64) -> bool {
        y >= 0
            && x >= 0
            && (y as usize) < self.size
            && (x as usize) < self.size
            && self.open[y as usize * self.size + x as usize]
    }

    /// The shortest pixel route from `from` to the goal as move classes (BFS, moves tried in class
    /// order); `None` if the goal cannot be reached.
    pub fn route_from(&self, from: Pixel) -> Option<Vec<u8>> {
        let n = self.size * self.size;
        let mut prev: Vec<Option<(usize, u8)>> = vec![None; n];
        let mut seen = vec![false; n];
        let (s, g) = (from.0 * self.size + from.1, self.goal.0 * self.size + self.goal.1);
        seen[s] = true;
        let mut queue = VecDeque::from([s]);
        while let Some(p) = queue.pop_front() {
            if p == g {
                break;
            }
            let (y, x) = ((p / self.size) as i64, (p % self.size) as i64);
            for (cls, (dy, dx)) in MOVES.iter().enumerate() {
                let (ny, nx) = (y + *dy as i64, x + *dx as i64);
                if self.is_open(ny, nx) {
                    let q = ny as usize * self.size + nx as usize;
                    if !seen[q] {
                        seen[q] = true;
                        prev[q] = Some((p, cls as u8));
                        queue.push_back(q);
                    }
                }
            }
        }
        if !seen[g] {
            return None;
        }
        let mut route = Vec::new();
        let mut p = g;
        while let Some((q, cls)) = prev[p] {
            route.push(cls);
            p = q;
        }
        route.reverse();
        Some(route)
    }

    /// The shortest route from the start to the goal (a perfect maze always has one).
    pub fn route(&self) -> Vec<u8> {
        self.route_from(self.start).expect("a perfect maze is connected")
    }

    /// The first `k` classes of the route, wait-padded.
    pub fn targets(&self, k: usize) -> Vec<u8> {
        let mut t = self.route();
        t.resize(k, WAIT);
        t.truncate(k);
        t
    }

    /// Writes the network input (3 × canvas × canvas, RGB in [-1, 1], maze at the top-left, wall
    /// outside) into `out`. Panics if the maze is larger than the canvas.
    pub fn render_into(&self, canvas: usize, out: &mut [f32]) {
        assert!(self.size <= canvas, "a {0}×{0}-pixel maze does not fit a {1}×{1} canvas", self.size, canvas);
        assert_eq!(out.len(), 3 * canvas * canvas, "input buffer size");
        let plane = canvas * canvas;
        out.fill(-1.0);
        for y in 0..self.size {
            for x in 0..self.size {
                if self.open[y * self.size + x] {
                    for ch in 0..3 {
                        out[ch * plane + y * canvas + x] = 1.0;
                    }
                }
            }
        }
        for ((y, x), rgb) in [(self.start, [1.0, -1.0, -1.0]), (self.goal, [-1.0, 1.0, -1.0])] {
            for ch in 0..3 {
                out[ch * plane + y * canvas + x] = rgb[ch];
            }
        }
    }

    /// The network input as a new vector (see [`Maze::render_into`]).
    pub fn render(&self, canvas: usize) -> Vec<f32> {
        let mut v = vec![0.0; 3 * canvas * canvas];
        self.render_into(canvas, &mut v);
        v
    }
}

/// Where a walk along predicted classes ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Walk {
    /// The last position reached.
    pub end: Pixel,
    /// Whether the goal was reached.
    pub reached: bool,
    /// Moves actually made (wall moves excluded).
    pub moved: usize,
    /// Wall moves skipped.
    pub bumps: usize,
}

/// Walks `classes` from `from`: wall moves are skipped and counted (more than `max_bumps` stops
/// the walk), wait stops it, and so does reaching the goal.
pub fn walk(maze: &Maze, from: Pixel, classes: &[u8], max_bumps: usize) -> Walk {
    let (mut y, mut x) = (from.0 as i64, from.1 as i64);
    let (mut moved, mut bumps) = (0, 0);
    let goal = (maze.goal.0 as i64, maze.goal.1 as i64);
    for &c in classes {
        if (y, x) == goal || c >= WAIT {
            break;
        }
        let (dy, dx) = MOVES[c as usize];
        let (ny, nx) = (y + dy as i64, x + dx as i64);
        if maze.is_open(ny, nx) {
            (y, x) = (ny, nx);
            moved += 1;
        } else {
            bumps += 1;
            if bumps > max_bumps {
                break;
            }
        }
    }
    Walk { end: (y as usize, x as usize), reached: (y, x) == goal, moved, bumps }
}

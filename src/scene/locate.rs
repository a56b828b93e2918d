//! Maps field paths such as `projections[1].weight` to line and column in a RON text, so errors
//! found after parsing (a population that does not exist, a negative time constant) can point at
//! the exact place in the file, and parse errors can name the field they happened in.
//!
//! The paths form a tree: each node is one field or element under its parent, with the byte span
//! of its value, so the index takes memory in proportion to the text however deep it nests.

use std::collections::HashMap;

/// One step of a path: a field name or an element index.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Step {
    Field(Box<str>),
    Index(u32),
}

/// A written value: where it sits in the tree and in the text.
#[derive(Clone, Debug)]
struct Node {
    parent: u32,
    step: Step,
    /// Byte offset where the value starts (`usize::MAX` until seen).
    start: usize,
    /// Byte offset one past its end (`usize::MAX` while open).
    end: usize,
}

/// Where each field path's value is in a RON text.
#[derive(Clone, Debug, Default)]
pub struct PathIndex {
    text: String,
    line_starts: Vec<usize>,
    nodes: Vec<Node>,
    children: HashMap<(u32, Step), u32>,
}

#[derive(Clone, Copy, PartialEq)]
enum Open {
    Paren,
    Bracket,
    Brace,
}

struct Frame {
    open: Open,
    /// The value this bracket belongs to.
    owner: u32,
    /// Its element or field being read.
    child: Option<u32>,
    index: u32,
}

const ROOT: u32 = 0;

impl PathIndex {
    /// Scans `text`; never fails (an unreadable tail simply records no further paths).
    pub fn new(text: &str) -> Self {
        let b = text.as_bytes();
        let mut ix = PathIndex {
            text: text.to_string(),
            line_starts: std::iter::once(0)
                .chain(b.iter().enumerate().filter(|e| *e.1 == b'\n').map(|e| e.0 + 1))
                .collect(),
            nodes: vec![Node { parent: ROOT, step: Step::Index(0), start: 0, end: b.len() }],
            children: HashMap::new(),
        };
        let mut frames: Vec<Frame> = Vec::new();
        // The node whose value starts at the next non-blank character.
        let mut pending: Option<u32> = None;
        // The node the text is inside (a frame's owner when no child is being read).
        let mut i = 0;
        while i < b.len() {
            i = skip_blank(b, i);
            if i >= b.len() {
                break;
            }
            // A key written twice keeps its first position, so starts follow the node order.
            if let Some(node) = pending.take().filter(|&n| ix.nodes[n as usize].start == usize::MAX) {
                ix.nodes[node as usize].start = i;
            }
            match b[i] {
                b'"' => {
                    let start = i;
                    i += 1;
                    while i < b.len() && b[i] != b'"' {
                        i += if b[i] == b'\\' { 2 } else { 1 };
                    }
                    i += 1;
                    // A string key in a map: `"v": ...`.
                    let j = skip_blank(b, i);
                    if j < b.len() && b[j] == b':' && frames.last().is_some_and(|f| f.open == Open::Brace) {
                        let key = &text[start + 1..i.saturating_sub(1).max(start + 1)];
                        pending = Some(ix.begin_field(frames.last_mut().expect("checked"), key, start));
                        i = j + 1;
                    }
                }
                c @ (b'(' | b'[' | b'{') => {
                    let open = match c {
                        b'(' => Open::Paren,
                        b'[' => Open::Bracket,
                        _ => Open::Brace,
                    };
                    // A bracket inside a bracket of no field (`Positions([...])`) belongs to the same value.
                    let owner = frames.last().map_or(ROOT, |f| f.child.unwrap_or(f.owner));
                    let mut frame = Frame { open, owner, child: None, index: 0 };
                    i += 1;
                    if open == Open::Bracket {
                        let j = skip_blank(b, i);
                        if j < b.len() && b[j] != b']' {
                            pending = Some(ix.begin_element(&mut frame));
                        }
                    }
                    frames.push(frame);
                }
                b')' | b']' | b'}' => {
                    if let Some(f) = frames.pop() {
                        if let Some(c) = f.child {
                            ix.nodes[c as usize].end = i;
                        }
                        if f.owner != ROOT {
                            ix.nodes[f.owner as usize].end = i + 1;
                        }
                    }
                    i += 1;
                }
                b',' => {
                    if let Some(f) = frames.last_mut() {
                        if let Some(c) = f.child.take() {
                            ix.nodes[c as usize].end = i;
                        }
                        if f.open == Open::Bracket {
                            f.index += 1;
                            let j = skip_blank(b, i + 1);
                            if j < b.len() && b[j] != b']' {
                                pending = Some(ix.begin_element(f));
                            }
                        }
                    }
                    i += 1;
                }
                c if c.is_ascii_alphabetic() || c == b'_' => {
                    let start = i;
                    while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                        i += 1;
                    }
                    let j = skip_blank(b, i);
                    if j < b.len()
                        && b[j] == b':'
                        && let Some(f) = frames.last_mut().filter(|f| f.open != Open::Bracket)
                    {
                        pending = Some(ix.begin_field(f, &text[start..i], start));
                        i = j + 1;
                    }
                }
                _ => i += 1,
            }
        }
        ix
    }

    /// A field `name` of the frame's owner, starting to be read (its key at `key_at`).
    fn begin_field(&mut self, f: &mut Frame, name: &str, key_at: usize) -> u32 {
        if let Some(c) = f.child.take() {
            self.nodes[c as usize].end = key_at;
        }
        let node = self.child(f.owner, Step::Field(name.into()));
        f.child = Some(node);
        node
    }

    /// The frame's next element, starting to be read.
    fn begin_element(&mut self, f: &mut Frame) -> u32 {
        let node = self.child(f.owner, Step::Index(f.index));
        f.child = Some(node);
        node
    }

    /// The node for `step` under `parent` (the first occurrence keeps its position).
    fn child(&mut self, parent: u32, step: Step) -> u32 {
        let next = self.nodes.len() as u32;
        let id = *self.children.entry((parent, step.clone())).or_insert(next);
        if id == next {
            self.nodes.push(Node { parent, step, start: usize::MAX, end: usize::MAX });
        }
        id
    }

    /// 1-based line and column (in characters) of byte offset `at`.
    fn line_col(&self, at: usize) -> (usize, usize) {
        let line = self.line_starts.partition_point(|&s| s <= at);
        let start = self.line_starts[line - 1];
        let col = self.text.get(start..at).map_or(at - start, |s| s.chars().count());
        (line, col + 1)
    }

    /// Byte offset of 1-based line and column (in characters), clamped to the text.
    fn offset(&self, (line, col): (usize, usize)) -> usize {
        let start = *self.line_starts.get(line.max(1) - 1).unwrap_or(&self.text.len());
        let rest = &self.text[start..];
        start + rest.char_indices().nth(col.max(1) - 1).map_or(rest.len(), |(k, _)| k)
    }

    /// Where the value at `path` starts; for a path not written in the file (a defaulted field),
    /// where its closest written ancestor starts.
    pub fn locate(&self, path: &str) -> Option<(usize, usize)> {
        let mut node = ROOT;
        let mut found = None;
        for step in parse_path(path) {
            match self.children.get(&(node, step)) {
                Some(&c) if self.nodes[c as usize].start != usize::MAX => {
                    node = c;
                    found = Some(self.line_col(self.nodes[c as usize].start));
                }
                _ => break,
            }
        }
        found
    }

    /// The path of the innermost value containing `at` (for naming the field of a parse error
    /// from its position); blanks at `at` are skipped first, as a parser's position may sit
    /// before the value it complains about. Empty for the whole file.
    pub fn path_at(&self, at: (usize, usize)) -> Option<String> {
        let at = skip_blank(self.text.as_bytes(), self.offset(at));
        // Values are recorded in the order they start (a value never seen sorts last): the last
        // one starting at or before `at` that holds it is the innermost. An unclosed value (a cut
        // file) holds everything after its start.
        let inside = |n: &Node| n.start <= at && at < n.end.max(n.start + 1);
        let last = self.nodes.partition_point(|n| n.start <= at);
        let node = (1..last).rev().find(|&k| inside(&self.nodes[k]))?;
        Some(self.path_of(node as u32))
    }

    /// The written path of a node, e.g. `projections[1].weight`.
    fn path_of(&self, mut node: u32) -> String {
        let mut steps = Vec::new();
        while node != ROOT {
            let n = &self.nodes[node as usize];
            steps.push(&n.step);
            node = n.parent;
        }
        let mut out = String::new();
        for step in steps.into_iter().rev() {
            match step {
                Step::Field(name) => {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(name);
                }
                Step::Index(k) => out.push_str(&format!("[{k}]")),
            }
        }
        out
    }
}

/// The steps of a written path.
fn parse_path(path: &str) -> Vec<Step> {
    let mut steps = Vec::new();
    for part in path.split('.').filter(|p| !p.is_empty()) {
        let (name, rest) = part.split_once('[').map_or((part, ""), |(n, r)| (n, r));
        if !name.is_empty() {
            steps.push(Step::Field(name.into()));
        }
        for k in rest.split('[').filter_map(|i| i.trim_end_matches(']').parse().ok()) {
            steps.push(Step::Index(k));
        }
    }
    steps
}

/// The next byte at or after `i` that is not blank or inside a comment.
fn skip_blank(b: &[u8], mut i: usize) -> usize {
    loop {
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        if i + 1 < b.len() && b[i] == b'/' && b[i + 1] == b'/' {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
        } else if i + 1 < b.len() && b[i] == b'/' && b[i + 1] == b'*' {
            let mut depth = 0;
            while i + 1 < b.len() {
                if b[i] == b'/' && b[i + 1] == b'*' {
                    depth += 1;
                    i += 2;
                } else if b[i] == b'*' && b[i + 1] == b'/' {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            if depth != 0 {
                return b.len();
            }
        } else {
            return i;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = r#"Scene(
    version: 1, // a comment with projections: inside
    populations: [
        (name: "E", size: 10, model: LifCurrent(tau_m: "20 ms")),
        (name: "I", /* block */ size: 5),
    ],
    projections: [(source: "E", weight: Constant("1 mV"))],
    init: { "v": 3 },
)"#;

    #[test]
    fn records_field_paths_with_positions() {
        let ix = PathIndex::new(TEXT);
        assert_eq!(ix.locate("version"), Some((2, 14)));
        assert_eq!(ix.locate("populations[0].model.tau_m"), Some((4, 56)));
        assert_eq!(ix.locate("populations[1].size"), Some((5, 39)));
        assert_eq!(ix.locate("projections[0].weight"), Some((7, 41)));
        assert_eq!(ix.locate("init.v"), Some((8, 18)));
        // A defaulted field falls back to its parent.
        assert_eq!(ix.locate("populations[1].model.c_m"), Some((5, 9)));
        assert_eq!(ix.path_at((4, 60)).as_deref(), Some("populations[0].model.tau_m"));
    }

    #[test]
    fn a_position_names_the_innermost_value_holding_it() {
        let ix = PathIndex::new(TEXT);
        // The blank after `size:` belongs to the value that follows it.
        assert_eq!(ix.path_at((4, 26)).as_deref(), Some("populations[0].size"));
        // Between two fields, and at the closing bracket: the enclosing value.
        assert_eq!(ix.path_at((5, 20)).as_deref(), Some("populations[1]"));
        assert_eq!(ix.path_at((9, 1)), None, "the root's closing parenthesis belongs to no field");
        assert_eq!(ix.path_at((6, 5)).as_deref(), Some("populations"));
    }

    #[test]
    fn a_list_inside_a_variant_belongs_to_its_field() {
        let text = "Scene(\n    layout: Positions([\n        (1.0, 2.0, 3.0),\n        (4.0, 5.0, 6.0),\n    ]),\n)";
        let ix = PathIndex::new(text);
        assert_eq!(ix.locate("layout[1]"), Some((4, 9)));
        assert_eq!(ix.path_at((4, 15)).as_deref(), Some("layout[1]"));
    }

    #[test]
    fn a_key_written_twice_is_found_where_it_was_first_written() {
        let ix = PathIndex::new("Scene(\n    version: 1,\n    version: 2,\n)");
        assert_eq!(ix.locate("version"), Some((2, 14)));
        assert_eq!(ix.path_at((2, 14)).as_deref(), Some("version"));
    }

    #[test]
    fn deep_nesting_takes_linear_memory() {
        let depth = 40_000;
        let text = format!("Scene(populations: {}{})", "[".repeat(depth), "]".repeat(depth));
        let ix = PathIndex::new(&text);
        assert!(ix.nodes.len() <= depth + 2, "{} nodes", ix.nodes.len());
        let path = ix.path_at((1, 20 + depth / 2)).unwrap();
        assert!(path.starts_with("populations[0][0]"), "{}", &path[..40]);
    }
}

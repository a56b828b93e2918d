//! Maps field paths such as `projections[1].weight` to line and column in a RON text, so errors
//! found after parsing (a population that does not exist, a negative time constant) can point at
//! the exact place in the file, and parse errors can name the field they happened in.

use std::collections::HashMap;

/// Where each field path's value starts in a RON text (1-based line and column).
#[derive(Clone, Debug, Default)]
pub struct PathIndex {
    starts: HashMap<String, (usize, usize)>,
    ordered: Vec<((usize, usize), String)>,
}

#[derive(Clone, Copy, PartialEq)]
enum Open {
    Paren,
    Bracket,
    Brace,
}

struct Frame {
    open: Open,
    base: usize,
    index: usize,
}

impl PathIndex {
    /// Scans `text`; never fails (an unreadable tail simply records no further paths).
    pub fn new(text: &str) -> Self {
        let chars: Vec<char> = text.chars().collect();
        let mut line_col = Vec::with_capacity(chars.len() + 1);
        let (mut line, mut col) = (1, 1);
        for &c in &chars {
            line_col.push((line, col));
            if c == '\n' {
                line += 1;
                col = 1;
            } else {
                col += 1;
            }
        }
        line_col.push((line, col));
        let mut index = PathIndex::default();
        let mut path = String::new();
        let mut frames: Vec<Frame> = Vec::new();
        let mut pending_value = false;
        let mut i = 0;
        let skip_ws = |mut j: usize| {
            loop {
                while j < chars.len() && chars[j].is_whitespace() {
                    j += 1;
                }
                if j + 1 < chars.len() && chars[j] == '/' && chars[j + 1] == '/' {
                    while j < chars.len() && chars[j] != '\n' {
                        j += 1;
                    }
                } else if j + 1 < chars.len() && chars[j] == '/' && chars[j + 1] == '*' {
                    let mut depth = 0;
                    while j + 1 < chars.len() {
                        if chars[j] == '/' && chars[j + 1] == '*' {
                            depth += 1;
                            j += 2;
                        } else if chars[j] == '*' && chars[j + 1] == '/' {
                            depth -= 1;
                            j += 2;
                            if depth == 0 {
                                break;
                            }
                        } else {
                            j += 1;
                        }
                    }
                } else {
                    return j;
                }
            }
        };
        while i < chars.len() {
            i = skip_ws(i);
            if i >= chars.len() {
                break;
            }
            if pending_value {
                index.record(&path, line_col[i]);
                pending_value = false;
            }
            let c = chars[i];
            match c {
                '"' => {
                    let start = i;
                    i += 1;
                    while i < chars.len() && chars[i] != '"' {
                        if chars[i] == '\\' {
                            i += 1;
                        }
                        i += 1;
                    }
                    i += 1;
                    // A string key in a map: `"v": ...`.
                    let j = skip_ws(i);
                    if j < chars.len() && chars[j] == ':' && frames.last().is_some_and(|f| f.open == Open::Brace) {
                        let key: String = chars[start + 1..i.saturating_sub(1)].iter().collect();
                        let base = frames.last().map_or(0, |f| f.base);
                        path.truncate(base);
                        push_field(&mut path, &key);
                        i = j + 1;
                        pending_value = true;
                    }
                }
                '(' | '[' | '{' => {
                    let open = match c {
                        '(' => Open::Paren,
                        '[' => Open::Bracket,
                        _ => Open::Brace,
                    };
                    frames.push(Frame { open, base: path.len(), index: 0 });
                    i += 1;
                    if open == Open::Bracket {
                        let j = skip_ws(i);
                        if j < chars.len() && chars[j] != ']' {
                            path.push_str("[0]");
                            pending_value = true;
                        }
                    }
                }
                ')' | ']' | '}' => {
                    if let Some(f) = frames.pop() {
                        path.truncate(f.base);
                    }
                    i += 1;
                }
                ',' => {
                    i += 1;
                    if let Some(f) = frames.last_mut() {
                        path.truncate(f.base);
                        if f.open == Open::Bracket {
                            f.index += 1;
                            let j = skip_ws(i);
                            if j < chars.len() && chars[j] != ']' {
                                path.push_str(&format!("[{}]", f.index));
                                pending_value = true;
                            }
                        }
                    }
                }
                c if c.is_alphabetic() || c == '_' => {
                    let start = i;
                    while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                        i += 1;
                    }
                    let word: String = chars[start..i].iter().collect();
                    let j = skip_ws(i);
                    let in_struct = frames.last().is_some_and(|f| f.open != Open::Bracket);
                    if in_struct && j < chars.len() && chars[j] == ':' {
                        let base = frames.last().map_or(0, |f| f.base);
                        path.truncate(base);
                        push_field(&mut path, &word);
                        i = j + 1;
                        pending_value = true;
                    }
                }
                _ => i += 1,
            }
        }
        index
    }

    fn record(&mut self, path: &str, at: (usize, usize)) {
        if !self.starts.contains_key(path) {
            self.starts.insert(path.to_string(), at);
            self.ordered.push((at, path.to_string()));
        }
    }

    /// Where the value at `path` starts; for a path not written in the file (a defaulted field),
    /// where its closest written ancestor starts.
    pub fn locate(&self, path: &str) -> Option<(usize, usize)> {
        let mut p = path;
        loop {
            if let Some(&at) = self.starts.get(p) {
                return Some(at);
            }
            let cut = p.rfind(['.', '['])?;
            p = &p[..cut];
        }
    }

    /// The path of the innermost value starting at or before `at` (for naming the field of a parse
    /// error from its position).
    pub fn path_at(&self, at: (usize, usize)) -> Option<&str> {
        self.ordered.iter().rev().find(|(pos, _)| *pos <= at).map(|(_, p)| p.as_str())
    }
}

fn push_field(path: &mut String, name: &str) {
    if !path.is_empty() {
        path.push('.');
    }
    path.push_str(name);
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
        assert_eq!(ix.path_at((4, 60)), Some("populations[0].model.tau_m"));
    }
}

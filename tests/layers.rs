//! The layers of docs/ARCHITECTURE.md, held against the code: every file under `src/` names only
//! the layers below its own (`sim` names none but itself), only `app` names Bevy, and no files
//! import each other in a circle. Read from the source text (comments and strings left out), so a
//! new import that breaks a rule fails here with the file and the line.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// What each top-level module may name besides itself, lowest layer first (DESIGN.md §1).
const ALLOWED: &[(&str, &[&str])] = &[
    ("sim", &[]),
    ("files", &[]),
    ("analysis", &["sim"]),
    ("ctm", &["sim"]),
    ("plasticity", &["sim", "analysis", "ctm"]),
    ("growth", &["sim", "analysis", "ctm"]),
    ("memory", &["sim", "analysis", "ctm", "plasticity", "growth"]),
    ("engine", &["sim", "analysis", "ctm", "plasticity", "growth", "memory"]),
    ("sonata", &["files", "sim"]),
    ("scene", &["files", "sim", "analysis", "ctm", "plasticity", "growth", "memory", "engine", "sonata"]),
    ("io", &["files", "sim", "analysis", "ctm", "plasticity", "growth", "memory", "engine", "sonata", "scene"]),
    ("app", &["files", "sim", "analysis", "ctm", "plasticity", "growth", "memory", "engine", "sonata", "scene", "io"]),
    (
        "cli",
        &[
            "files",
            "sim",
            "analysis",
            "ctm",
            "plasticity",
            "growth",
            "memory",
            "engine",
            "sonata",
            "scene",
            "io",
            "app",
        ],
    ),
];

/// A source file: its path and its module path (`["sim", "network", "step"]`; the crate root and
/// `main.rs` are empty and `["cli"]`'s parent).
struct Source {
    path: PathBuf,
    module: Vec<String>,
    /// The code with comments and string literals blanked, line structure kept.
    code: String,
}

fn sources() -> Vec<Source> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut out = Vec::new();
    let mut stack = vec![root.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let rel = path.strip_prefix(&root).unwrap();
                let mut module: Vec<String> = rel.iter().map(|c| c.to_string_lossy().into_owned()).collect();
                let last = module.pop().unwrap();
                match last.as_str() {
                    "lib.rs" | "main.rs" | "mod.rs" => {}
                    other => module.push(other.trim_end_matches(".rs").to_string()),
                }
                let text = std::fs::read_to_string(&path).unwrap();
                out.push(Source { path: rel.to_path_buf(), module, code: strip(&text) });
            }
        }
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out
}

/// The text with comments and the contents of string and char literals replaced by spaces.
fn strip(text: &str) -> String {
    let c: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let blank = |out: &mut String, ch: char| out.push(if ch == '\n' { '\n' } else { ' ' });
    while i < c.len() {
        if c[i] == '/' && c.get(i + 1) == Some(&'/') {
            while i < c.len() && c[i] != '\n' {
                blank(&mut out, c[i]);
                i += 1;
            }
        } else if c[i] == '/' && c.get(i + 1) == Some(&'*') {
            let mut depth = 0;
            while i < c.len() {
                if c[i] == '/' && c.get(i + 1) == Some(&'*') {
                    depth += 1;
                } else if c[i] == '*' && c.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    if depth == 0 {
                        out.push_str("  ");
                        i += 2;
                        break;
                    }
                }
                blank(&mut out, c[i]);
                i += 1;
            }
        } else if c[i] == 'r'
            && (c.get(i + 1) == Some(&'"') || c.get(i + 1) == Some(&'#'))
            && !ident(c.get(i.wrapping_sub(1)))
        {
            // Raw string r#"..."#: count the hashes.
            let mut j = i + 1;
            while c.get(j) == Some(&'#') {
                j += 1;
            }
            if c.get(j) != Some(&'"') {
                out.push(c[i]);
                i += 1;
                continue;
            }
            let hashes = j - i - 1;
            let close: String = std::iter::once('"').chain(std::iter::repeat_n('#', hashes)).collect();
            let rest: String = c[j + 1..].iter().collect();
            let end =
                j + 1 + rest.find(&close).map_or(rest.chars().count(), |b| rest[..b].chars().count()) + close.len();
            for &ch in &c[i..end.min(c.len())] {
                blank(&mut out, ch);
            }
            i = end;
        } else if c[i] == '"' {
            blank(&mut out, c[i]);
            i += 1;
            while i < c.len() && c[i] != '"' {
                if c[i] == '\\' {
                    blank(&mut out, c[i]);
                    i += 1;
                }
                blank(&mut out, c[i]);
                i += 1;
            }
            out.push(' ');
            i += 1;
        } else if c[i] == '\'' && (c.get(i + 2) == Some(&'\'') || c.get(i + 1) == Some(&'\\')) {
            // A char literal ('x', '\n', '\''); a lifetime has no closing quote after one char.
            let end = if c.get(i + 1) == Some(&'\\') {
                (i + 2..c.len()).find(|&k| c[k] == '\'').unwrap_or(c.len())
            } else {
                i + 2
            };
            for &ch in &c[i..=end.min(c.len() - 1)] {
                blank(&mut out, ch);
            }
            i = end + 1;
        } else {
            out.push(c[i]);
            i += 1;
        }
    }
    out
}

fn ident(c: Option<&char>) -> bool {
    c.is_some_and(|c| c.is_alphanumeric() || *c == '_')
}

/// Every path the code names: (line, absolute module path), `crate::`, `neuroplast::` and
/// `super::` resolved against the file's own module.
fn references(s: &Source) -> Vec<(usize, Vec<String>)> {
    let mut out = Vec::new();
    // `main.rs` and `cli/` form the binary, whose `crate::cli` is the folder `cli/`; the binary
    // names the library `neuroplast::`. `super` is the module above the file's own.
    let parent_of_self = &s.module[..s.module.len().saturating_sub(1)];
    for (n, line) in s.code.lines().enumerate() {
        let bytes = line.as_bytes();
        let mut start = 0;
        while start < line.len() {
            // A path starts at a word boundary.
            let at = line[start..].find(|c: char| c.is_alphabetic() || c == '_').map(|k| start + k);
            let Some(a) = at else { break };
            let boundary =
                a == 0 || !(bytes[a - 1].is_ascii_alphanumeric() || bytes[a - 1] == b'_' || bytes[a - 1] == b':');
            let end =
                line[a..].find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':')).map_or(line.len(), |k| a + k);
            let path = &line[a..end];
            start = end.max(a + 1);
            if !boundary || !path.contains("::") {
                continue;
            }
            let mut segs: Vec<&str> = path.split("::").filter(|x| !x.is_empty()).collect();
            let resolved: Option<Vec<String>> = match segs.first().copied() {
                Some("crate") | Some("neuroplast") => Some(segs[1..].iter().map(ToString::to_string).collect()),
                Some("super") => {
                    let mut base = parent_of_self.to_vec();
                    while segs.first() == Some(&"super") {
                        segs.remove(0);
                        if segs.first() == Some(&"super") {
                            base.pop();
                        }
                    }
                    base.extend(segs.iter().map(ToString::to_string));
                    Some(base)
                }
                Some("self") => {
                    let mut base = s.module.clone();
                    base.extend(segs[1..].iter().map(ToString::to_string));
                    Some(base)
                }
                Some("bevy" | "bevy_egui" | "egui" | "egui_plot") => Some(vec!["<bevy>".to_string()]),
                _ => None,
            };
            if let Some(r) = resolved {
                out.push((n + 1, r));
            }
        }
    }
    out
}

/// Macros exported at the crate root (`#[macro_export]`), with the module that defines them.
const EXPORTED_MACROS: &[(&str, &str)] = &[("say", "files")];

fn top(module: &[String]) -> &str {
    let first = module.first().map_or("", |m| m.as_str());
    EXPORTED_MACROS.iter().find(|(name, _)| *name == first).map_or(first, |(_, home)| home)
}

#[test]
fn every_layer_names_only_the_layers_below_it() {
    let mut broken = Vec::new();
    for s in sources() {
        let mine = top(&s.module);
        let Some((_, allowed)) = ALLOWED.iter().find(|(m, _)| *m == mine) else {
            assert!(s.module.is_empty(), "{}: module `{mine}` has no place in the layer table", s.path.display());
            continue;
        };
        for (line, r) in references(&s) {
            let theirs = top(&r);
            let ok =
                theirs == mine || allowed.contains(&theirs) || (theirs == "<bevy>" && matches!(mine, "app" | "cli"));
            if !ok {
                broken.push(format!("src/{}:{line}: {mine} names {}", s.path.display(), r.join("::")));
            }
        }
    }
    assert!(broken.is_empty(), "imports against the layers (docs/ARCHITECTURE.md):\n{}", broken.join("\n"));
}

#[test]
fn the_bottom_layer_names_nothing_of_ours_above_it() {
    // The rule the issue asked for in its own words: no file under src/sim names `crate::` modules
    // other than sim's own.
    for s in sources().into_iter().filter(|s| top(&s.module) == "sim") {
        for (line, r) in references(&s) {
            assert_eq!(top(&r), "sim", "src/{}:{line} names {}", s.path.display(), r.join("::"));
        }
    }
}

#[test]
fn no_files_import_each_other_in_a_circle() {
    let sources = sources();
    let files: BTreeMap<Vec<String>, usize> = sources.iter().enumerate().map(|(k, s)| (s.module.clone(), k)).collect();
    // The module file a path lands in: its longest prefix that is a file of ours.
    let file_of = |path: &[String]| (0..=path.len()).rev().find_map(|k| files.get(&path[..k]).copied());
    let mut edges: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); sources.len()];
    for (k, s) in sources.iter().enumerate() {
        for (_, r) in references(s) {
            if let Some(t) = file_of(&r) {
                // A module's own file declares and re-exports its children: not an import.
                let child = sources[t].module.len() > s.module.len() && sources[t].module.starts_with(&s.module);
                if t != k && !child {
                    edges[k].insert(t);
                }
            }
        }
    }
    // Tarjan's strongly connected components.
    struct State {
        index: Vec<Option<usize>>,
        low: Vec<usize>,
        on_stack: Vec<bool>,
        stack: Vec<usize>,
        next: usize,
        circles: Vec<Vec<usize>>,
    }
    fn visit(v: usize, edges: &[BTreeSet<usize>], st: &mut State) {
        st.index[v] = Some(st.next);
        st.low[v] = st.next;
        st.next += 1;
        st.stack.push(v);
        st.on_stack[v] = true;
        for &w in &edges[v] {
            match st.index[w] {
                None => {
                    visit(w, edges, st);
                    st.low[v] = st.low[v].min(st.low[w]);
                }
                Some(i) if st.on_stack[w] => st.low[v] = st.low[v].min(i),
                _ => {}
            }
        }
        if Some(st.low[v]) == st.index[v] {
            let mut c = Vec::new();
            while let Some(w) = st.stack.pop() {
                st.on_stack[w] = false;
                c.push(w);
                if w == v {
                    break;
                }
            }
            if c.len() > 1 {
                st.circles.push(c);
            }
        }
    }
    let n = sources.len();
    let mut st = State {
        index: vec![None; n],
        low: vec![0; n],
        on_stack: vec![false; n],
        stack: Vec::new(),
        next: 0,
        circles: Vec::new(),
    };
    for v in 0..n {
        if st.index[v].is_none() {
            visit(v, &edges, &mut st);
        }
    }
    let shown: Vec<String> = st
        .circles
        .iter()
        .map(|c| c.iter().map(|&k| format!("src/{}", sources[k].path.display())).collect::<Vec<_>>().join(" <-> "))
        .collect();
    assert!(shown.is_empty(), "files importing each other in a circle:\n{}", shown.join("\n"));
}

#[test]
fn the_reader_sees_through_comments_and_strings() {
    // The checks above are only as good as the reading: a path in a comment or a string is not an
    // import, one in code is, and `super::` climbs from the file's own module.
    let s = Source {
        path: PathBuf::from("sim/rule/x.rs"),
        module: vec!["sim".into(), "rule".into(), "x".into()],
        code: strip(
            "// crate::app::A\n/* crate::scene::B */ let s = \"crate::engine::C\"; let r = r#\"crate::io::D\"#;\nuse crate::sim::Network; use super::super::edit::E; let c = '\"'; use crate::growth::F;",
        ),
    };
    let found: Vec<String> = references(&s).into_iter().map(|(_, r)| r.join("::")).collect();
    assert_eq!(found, ["sim::Network", "sim::edit::E", "growth::F"]);
}
